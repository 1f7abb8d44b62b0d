/**
 * Kind → resource through the API server's discovery (`/api/v1`, `/apis/<group>/<version>`), the
 * way kubectl maps a manifest's kind to a URL: needed where a kind is only known at run time (the
 * scanned objects an export reports). One discovery request per group-version, cached for the
 * client's life; a failed lookup is not cached, so the next call asks again.
 */
import { kubeJson, type KubeHttp } from './http.js';

export interface ApiResource {
  /** Plural resource name, the last URL segment of a list. */
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources?: { name?: unknown; kind?: unknown; namespaced?: unknown }[];
}

export class UnservedKindError extends Error {
  override name = 'UnservedKindError';
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`${apiVersion} ${kind} is not served by the cluster`);
  }
}

export interface Discovery {
  resourceOf(apiVersion: string, kind: string): Promise<ApiResource>;
  /** The object's URL path: `/api/v1/namespaces/<ns>/<plural>/<name>` and the like. */
  objectPath(key: {
    apiVersion: string;
    kind: string;
    namespace?: string | undefined;
    name: string;
  }): Promise<string>;
}

const groupVersionPath = (apiVersion: string) =>
  apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;

export function discovery(http: KubeHttp): Discovery {
  const lists = new Map<string, Promise<ApiResourceList>>();
  const resourceOf = async (apiVersion: string, kind: string): Promise<ApiResource> => {
    let list = lists.get(apiVersion);
    if (!list) {
      list = kubeJson(http, 'GET', groupVersionPath(apiVersion)) as Promise<ApiResourceList>;
      lists.set(apiVersion, list);
      list.catch(() => lists.delete(apiVersion));
    }
    const r = (await list).resources?.find(
      (x) => x.kind === kind && typeof x.name === 'string' && !x.name.includes('/'),
    );
    if (!r) throw new UnservedKindError(apiVersion, kind);
    return { plural: r.name as string, namespaced: r.namespaced === true };
  };
  return {
    resourceOf,
    async objectPath(key) {
      const r = await resourceOf(key.apiVersion, key.kind);
      const ns = r.namespaced && key.namespace ? `/namespaces/${encodeURIComponent(key.namespace)}` : '';
      return `${groupVersionPath(key.apiVersion)}${ns}/${r.plural}/${encodeURIComponent(key.name)}`;
    },
  };
}

/**
 * Reads the cluster for a scan: the kinds the selected controls need (./kinds.ts), each through
 * paged lists (`limit` + `continue`), a few kinds at a time, namespaces filtered by the request's
 * scope. Kinds the cluster does not serve (their group/version or resource missing from
 * discovery) are skipped with a debug log. Secrets are read as PartialObjectMetadata (no data).
 * List items come without apiVersion/kind: they are set from the kind read.
 */
import type { Logger } from '../../../lib/log/index.js';
import type { KubeObject } from '../engine/types.js';
import { KubeStatusError, kubeJson, type KubeHttp } from '../../../lib/kube/http.js';
import type { KindInfo } from './kinds.js';

export interface NamespaceFilter {
  /** Only these namespaces (empty = all). */
  include: readonly string[];
  /** Never these. */
  exclude: readonly string[];
}

export function namespaceAllowed(filter: NamespaceFilter, namespace: string | undefined): boolean {
  if (!namespace) return true; // cluster-scoped
  if (filter.include.length > 0 && !filter.include.includes(namespace)) return false;
  return !filter.exclude.includes(namespace);
}

/** A Namespace object is in scope when its name is (namespaces of excluded namespaces are skipped too). */
function inScope(filter: NamespaceFilter, kind: string, obj: KubeObject): boolean {
  if (kind === 'Namespace') return namespaceAllowed(filter, obj.metadata.name);
  return namespaceAllowed(filter, obj.metadata.namespace);
}

export interface ReadOptions {
  kinds: readonly KindInfo[];
  namespaces: NamespaceFilter;
  pageSize: number;
  concurrency: number;
  log: Logger;
  signal?: AbortSignal;
  progressEvery?: number;
  /**
   * Scoped scans: list namespaced kinds only in these namespaces (none when empty; still subject
   * to `namespaces`); cluster-scoped kinds are listed whole. Unset: `namespaces` alone decides.
   */
  namespacedIn?: readonly string[];
}

export interface ClusterSnapshot {
  objects: KubeObject[];
  /** Kinds that were listed (served by the cluster). */
  listedKinds: string[];
  /** Kinds skipped because the cluster does not serve them. */
  skippedKinds: string[];
}

interface ServedResource {
  name: string;
  namespaced: boolean;
}

const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

const gvPath = (k: KindInfo): string => (k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`);

/** Bounded-concurrency map. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class ClusterReader {
  private readonly discovery = new Map<string, Promise<Map<string, ServedResource> | undefined>>();
  /** Kinds the credentials may not list (403). */
  readonly forbidden = new Set<string>();

  constructor(private readonly client: KubeHttp) {}

  /** The served resources of a group/version by kind; undefined when the group/version is not served. */
  private served(k: KindInfo, signal?: AbortSignal): Promise<Map<string, ServedResource> | undefined> {
    const path = gvPath(k);
    let p = this.discovery.get(path);
    if (!p) {
      p = (async () => {
        const r = await this.client.request('GET', path, signal ? { signal } : {});
        if (r.status === 404) return undefined;
        if (r.status < 200 || r.status >= 300) throw new KubeStatusError('GET', path, r.status, r.body);
        const map = new Map<string, ServedResource>();
        const list =
          (r.body as { resources?: { name?: unknown; kind?: unknown; namespaced?: unknown }[] } | undefined)
            ?.resources ?? [];
        for (const res of list) {
          if (typeof res.name !== 'string' || typeof res.kind !== 'string' || res.name.includes('/'))
            continue;
          map.set(res.kind, { name: res.name, namespaced: res.namespaced === true });
        }
        return map;
      })();
      p.catch(() => this.discovery.delete(path));
      this.discovery.set(path, p);
    }
    return p;
  }

  /** Resolve a kind to its list path, or undefined when not served. */
  async resolve(
    k: KindInfo,
    signal?: AbortSignal,
  ): Promise<{ path: string; namespaced: boolean } | undefined> {
    const served = (await this.served(k, signal))?.get(k.kind);
    return served ? { path: `${gvPath(k)}/${served.name}`, namespaced: served.namespaced } : undefined;
  }

  /** One object, or undefined when it does not exist (or its kind is not served). */
  async get(
    k: KindInfo,
    namespace: string | undefined,
    name: string,
    signal?: AbortSignal,
  ): Promise<KubeObject | undefined> {
    const res = await this.resolve(k, signal);
    if (!res) return undefined;
    const path = res.namespaced
      ? `${gvPath(k)}/namespaces/${encodeURIComponent(namespace ?? 'default')}/${res.path.slice(gvPath(k).length + 1)}/${encodeURIComponent(name)}`
      : `${res.path}/${encodeURIComponent(name)}`;
    const r = await this.client.request('GET', path, {
      ...(k.metadataOnly
        ? { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json' }
        : {}),
      ...(signal ? { signal } : {}),
    });
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300) throw new KubeStatusError('GET', path, r.status, r.body);
    return normalise(r.body, k);
  }

  /** Every object of a kind (all pages), filtered by namespace; undefined when the kind is not served. */
  async list(
    k: KindInfo,
    opts: Omit<ReadOptions, 'kinds' | 'concurrency'>,
    onItem?: () => void,
  ): Promise<KubeObject[] | undefined> {
    const res = await this.resolve(k, opts.signal);
    if (!res) return undefined;
    const paths: string[] = [];
    const only = res.namespaced ? (opts.namespacedIn ?? opts.namespaces.include) : [];
    if (res.namespaced && (opts.namespacedIn !== undefined || only.length > 0)) {
      const resource = res.path.slice(gvPath(k).length + 1);
      for (const ns of only) {
        if (namespaceAllowed(opts.namespaces, ns))
          paths.push(`${gvPath(k)}/namespaces/${encodeURIComponent(ns)}/${resource}`);
      }
    } else paths.push(res.path);
    const fieldSelector =
      res.namespaced && opts.namespaces.include.length === 0 && opts.namespaces.exclude.length > 0
        ? opts.namespaces.exclude.map((n) => `metadata.namespace!=${n}`).join(',')
        : k.kind === 'Namespace' && opts.namespaces.exclude.length > 0
          ? opts.namespaces.exclude.map((n) => `metadata.name!=${n}`).join(',')
          : undefined;
    const out: KubeObject[] = [];
    for (const base of paths) {
      let cont: string | undefined;
      do {
        opts.signal?.throwIfAborted();
        const q = new URLSearchParams({ limit: String(opts.pageSize) });
        if (cont) q.set('continue', cont);
        if (fieldSelector) q.set('fieldSelector', fieldSelector);
        let page: { items?: unknown[]; metadata?: { continue?: string } } | undefined;
        try {
          page = (await kubeJson(this.client, 'GET', `${base}?${q.toString()}`, {
            ...(k.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
          })) as { items?: unknown[]; metadata?: { continue?: string } } | undefined;
        } catch (e) {
          // Not allowed to list this kind (the scan's ClusterRole omits it, e.g. secrets): the scan
          // goes on without it, and nothing of this kind is garbage-collected.
          if (e instanceof KubeStatusError && e.status === 403 && !cont) {
            this.forbidden.add(k.kind);
            return undefined;
          }
          throw e;
        }
        for (const item of page?.items ?? []) {
          const obj = normalise(item, k);
          // The server filtered already; filter again for servers that ignore field selectors.
          if (obj && inScope(opts.namespaces, k.kind, obj)) {
            out.push(obj);
            onItem?.();
          }
        }
        cont = page?.metadata?.continue || undefined;
      } while (cont);
    }
    return out;
  }

  /** Read every kind, `concurrency` kinds at a time. */
  async read(opts: ReadOptions): Promise<ClusterSnapshot> {
    let count = 0;
    const every = opts.progressEvery ?? 1000;
    const onItem = () => {
      count++;
      if (count % every === 0) opts.log.info({ objects: count }, 'reading the cluster');
    };
    const lists = await mapLimit(opts.kinds, opts.concurrency, async (k) => {
      const items = await this.list(k, opts, onItem);
      if (items) return items;
      const apiVersion = k.group ? `${k.group}/${k.version}` : k.version;
      if (this.forbidden.has(k.kind))
        opts.log.warn(
          { kind: k.kind, apiVersion },
          'not allowed to list this kind: skipped (controls that need it see none)',
        );
      else opts.log.debug({ kind: k.kind, apiVersion }, 'kind not served by the cluster: skipped');
      return undefined;
    });
    const objects: KubeObject[] = [];
    const listedKinds: string[] = [];
    const skippedKinds: string[] = [];
    lists.forEach((items, i) => {
      const kind = (opts.kinds[i] as KindInfo).kind;
      if (items) {
        listedKinds.push(kind);
        for (const o of items) objects.push(o);
      } else skippedKinds.push(kind);
    });
    return { objects, listedKinds, skippedKinds };
  }
}

/** Set apiVersion/kind (list items lack them; metadata-only items say PartialObjectMetadata); strip Secret data. */
function normalise(item: unknown, k: KindInfo): KubeObject | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const o = item as Record<string, unknown>;
  const md = o.metadata as { name?: unknown } | undefined;
  if (!md || typeof md.name !== 'string') return undefined;
  const obj = {
    ...o,
    apiVersion: k.group ? `${k.group}/${k.version}` : k.version,
    kind: k.kind,
  } as KubeObject;
  if (k.metadataOnly) {
    // A server without PartialObjectMetadata support answered the full list: drop the payload.
    delete obj.data;
    delete obj.stringData;
  }
  return obj;
}

/**
 * The cluster changes control makes: PingSource schedules and the exceptions ConfigMap. Behind an
 * interface so tests (and dev mode without a cluster) inject their own.
 */
import { kubeJson, KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import type { PostureExceptionPolicy } from './commands.js';

export const EXCEPTIONS_CONFIGMAP = 'kscape-exceptions';
export const EXCEPTIONS_KEY = 'exceptions.json';

export interface ControlKube {
  setPingSchedule(namespace: string, name: string, schedule: string): Promise<void>;
  setExceptions(namespace: string, policies: readonly PostureExceptionPolicy[]): Promise<void>;
}

const ns = (namespace: string) => `namespaces/${encodeURIComponent(namespace)}`;

export function kubeControl(http: KubeHttp): ControlKube {
  return {
    async setPingSchedule(namespace, name, schedule) {
      await kubeJson(
        http,
        'PATCH',
        `/apis/sources.knative.dev/v1/${ns(namespace)}/pingsources/${encodeURIComponent(name)}`,
        {
          body: { spec: { schedule } },
          contentType: 'application/merge-patch+json',
        },
      );
    },
    async setExceptions(namespace, policies) {
      const body = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: EXCEPTIONS_CONFIGMAP,
          namespace,
          labels: { 'app.kubernetes.io/managed-by': 'kscape-control' },
        },
        data: { [EXCEPTIONS_KEY]: JSON.stringify(policies) },
      };
      const list = `/api/v1/${ns(namespace)}/configmaps`;
      try {
        await kubeJson(http, 'PUT', `${list}/${EXCEPTIONS_CONFIGMAP}`, { body });
      } catch (e) {
        if (!(e instanceof KubeStatusError && e.status === 404)) throw e;
        await kubeJson(http, 'POST', list, { body });
      }
    },
  };
}

/** In-memory implementation (tests, dev mode without a cluster). */
export class MemoryControlKube implements ControlKube {
  readonly schedules = new Map<string, string>();
  readonly exceptions = new Map<string, PostureExceptionPolicy[]>();
  async setPingSchedule(namespace: string, name: string, schedule: string): Promise<void> {
    this.schedules.set(`${namespace}/${name}`, schedule);
  }
  async setExceptions(namespace: string, policies: readonly PostureExceptionPolicy[]): Promise<void> {
    this.exceptions.set(namespace, [...policies]);
  }
}

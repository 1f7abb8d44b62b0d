/**
 * The cluster changes control makes: PingSource schedules and the exceptions ConfigMap. Behind an
 * interface so tests (and dev mode without a cluster) inject their own.
 */
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { PostureExceptionPolicy } from './commands.js';

export const EXCEPTIONS_CONFIGMAP = 'kscape-exceptions';
export const EXCEPTIONS_KEY = 'exceptions.json';

export interface ControlKube {
  setPingSchedule(namespace: string, name: string, schedule: string): Promise<void>;
  setExceptions(namespace: string, policies: readonly PostureExceptionPolicy[]): Promise<void>;
}

function statusOf(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

export function kubeControl(kc: KubeConfig): ControlKube {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async setPingSchedule(namespace, name, schedule) {
      await custom.patchNamespacedCustomObject(
        { group: 'sources.knative.dev', version: 'v1', namespace, plural: 'pingsources', name, body: { spec: { schedule } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
    async setExceptions(namespace, policies) {
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: EXCEPTIONS_CONFIGMAP, namespace, labels: { 'app.kubernetes.io/managed-by': 'kscape-control' } },
        data: { [EXCEPTIONS_KEY]: JSON.stringify(policies) },
      };
      try {
        await core.replaceNamespacedConfigMap({ name: EXCEPTIONS_CONFIGMAP, namespace, body });
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
        await core.createNamespacedConfigMap({ namespace, body });
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

/**
 * Dev-mode ApiServerSource: what Knative's ApiServerSource adapter does in a cluster, done in
 * process. It reads the ApiServerSource documents of the same manifests the broker follows, watches
 * each listed kind through client-node informers (the sandbox cluster, or the real one from the
 * current kubeconfig), and publishes `dev.knative.apiserver.resource.{add,update,delete}` events
 * (mode Resource: the object is the data) into the local broker. As the real adapter, an informer's
 * initial list produces `add` events for the objects that already exist.
 *
 * Event shape (reference: knative-and-aggregated-api.md A2): source = API server URL; subject =
 * `/apis/<apiVersion>/namespaces/<ns>/<kind lower-cased>s/<name>` (Knative's naive plural);
 * extensions apiversion, kind, name, namespace.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import { KubeConfig, KubernetesObjectApi, makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { discovery } from '../../lib/kube/discovery.js';
import { kubeHttp } from '../../lib/kube/http.js';
import type { Logger } from '../../lib/log/index.js';

export interface ApiServerSourceSpec {
  name: string;
  namespace: string;
  mode: 'Resource' | 'Reference';
  resources: { apiVersion: string; kind: string }[];
}

/** ApiServerSource documents in the given manifest files. */
export function readApiServerSources(files: readonly string[], defaultNamespace: string): ApiServerSourceSpec[] {
  const out: ApiServerSourceSpec[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const o = doc.toJS() as
        | {
            apiVersion?: string;
            kind?: string;
            metadata?: { name?: string; namespace?: string };
            spec?: { mode?: string; resources?: { apiVersion?: string; kind?: string }[] };
          }
        | null;
      if (!o || o.kind !== 'ApiServerSource' || !o.apiVersion?.startsWith('sources.knative.dev/')) continue;
      const resources = (o.spec?.resources ?? [])
        .filter((r): r is { apiVersion: string; kind: string } => typeof r.apiVersion === 'string' && typeof r.kind === 'string')
        .map((r) => ({ apiVersion: r.apiVersion, kind: r.kind }));
      out.push({
        name: o.metadata?.name ?? '(unnamed)',
        namespace: o.metadata?.namespace ?? defaultNamespace,
        mode: o.spec?.mode === 'Resource' ? 'Resource' : 'Reference',
        resources,
      });
    }
  }
  return out;
}

export interface RunningApiServerSource {
  close(): Promise<void>;
}

export async function startApiServerSources(opts: {
  specs: ApiServerSourceSpec[];
  kubeconfig: KubeConfig;
  publish: (event: CloudEvent<unknown>) => void;
  log: Logger;
}): Promise<RunningApiServerSource> {
  const { kubeconfig: kc, log } = opts;
  const source = kc.getCurrentCluster()?.server ?? 'https://kubernetes.default.svc';
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const api = discovery(kubeHttp(kc, { timeoutMs: 10_000 }));
  const stops: (() => Promise<void>)[] = [];

  for (const spec of opts.specs) {
    for (const res of spec.resources) {
      let plural: string;
      try {
        ({ plural } = await api.resourceOf(res.apiVersion, res.kind));
      } catch (e) {
        log.warn({ source: spec.name, resource: res, err: e }, 'ApiServerSource resource skipped');
        continue;
      }
      const prefix = res.apiVersion.includes('/') ? `/apis/${res.apiVersion}` : `/api/${res.apiVersion}`;
      const informer = makeInformer<KubernetesObject>(kc, `${prefix}/${plural}`, () =>
        objects.list<KubernetesObject>(res.apiVersion, res.kind),
      );
      const emit = (verb: 'add' | 'update' | 'delete') => (obj: KubernetesObject) => {
        // List items come without apiVersion/kind; Knative's adapter sends them set.
        const data = { ...obj, apiVersion: res.apiVersion, kind: res.kind };
        const ns = obj.metadata?.namespace;
        const name = obj.metadata?.name ?? '';
        const subject = `${prefix}/${ns ? `namespaces/${ns}/` : ''}${res.kind.toLowerCase()}s/${name}`;
        const ce = new CloudEvent<unknown>({
          id: randomUUID(),
          type: spec.mode === 'Resource' ? `dev.knative.apiserver.resource.${verb}` : `dev.knative.apiserver.ref.${verb}`,
          source,
          subject,
          datacontenttype: 'application/json',
          apiversion: res.apiVersion,
          kind: res.kind,
          name,
          ...(ns ? { namespace: ns } : {}),
          data:
            spec.mode === 'Resource'
              ? data
              : { apiVersion: res.apiVersion, kind: res.kind, name, namespace: ns, resourceVersion: obj.metadata?.resourceVersion },
        });
        try {
          opts.publish(ce);
        } catch (e) {
          log.warn({ err: e, subject }, 'ApiServerSource event not accepted by the broker');
        }
      };
      informer.on('add', emit('add'));
      informer.on('update', emit('update'));
      informer.on('delete', emit('delete'));
      let stopped = false;
      informer.on('error', (err: unknown) => {
        if (stopped) return;
        log.warn({ err, resource: `${res.apiVersion}/${res.kind}` }, 'watch failed; restarting in 2 s');
        setTimeout(() => {
          if (!stopped) informer.start().catch((e: unknown) => log.warn({ err: e }, 'watch restart failed'));
        }, 2000).unref();
      });
      await informer.start();
      stops.push(async () => {
        stopped = true;
        await informer.stop();
      });
    }
  }
  log.info({ sources: opts.specs.map((s) => s.name), watches: stops.length }, 'ApiServerSource emulation started');
  return {
    close: async () => {
      await Promise.all(stops.map((s) => s()));
    },
  };
}

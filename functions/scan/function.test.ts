import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ANNOTATIONS, GROUP, LABELS, VERSION } from '../../lib/api/index.js';
import { EVENT_TYPES, FUNCTION_ROUTES } from '../../lib/events/index.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../runtime/types.js';
import { kubeJson, type KubeHttp } from '../../lib/kube/http.js';
import { startSandbox, type Sandbox } from './cluster/testing.js';
import { loadScanFunctionConfig } from './function-config.js';
import { createScanFunction } from './function.js';

const ctx = (): FunctionContext => ({
  log: pino({ level: 'silent' }),
  signal: new AbortController().signal,
  source: '/kscape/scan',
  emit: async () => {},
});

const request = (data: Record<string, unknown>, id = 'evt-1'): IncomingEvent =>
  ({
    id,
    source: '/kscape/schedule',
    type: EVENT_TYPES.configScanRequested,
    data: { scope: {}, ...data },
    extensions: {},
  }) as IncomingEvent;

const BASE = `/apis/${GROUP}/${VERSION}`;

interface Obj {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec: {
    controls?: Record<string, { status?: { status?: string } }>;
    severities?: Record<string, number>;
    relatedObjects?: unknown[];
  };
}

async function listAll(http: KubeHttp, plural: string): Promise<Obj[]> {
  const body = (await kubeJson(http, 'GET', `${BASE}/${plural}`)) as { items: Obj[] };
  return body.items;
}

/** What kubectl get -o json shows, minus what changes on every write. */
function stable(objs: Obj[]): unknown[] {
  return objs
    .map((o) => {
      const {
        resourceVersion: _rv,
        managedFields: _mf,
        ...md
      } = o.metadata as Obj['metadata'] & { managedFields?: unknown };
      return { ...o, metadata: md };
    })
    .sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace}/${b.metadata.name}`,
      ),
    );
}

describe('scan function against a storage-api sandbox', () => {
  let sb: Sandbox;
  const config = loadScanFunctionConfig({});
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('consumes exactly its routes', () => {
    expect(createScanFunction({ config, http: sb.http }).consumes).toEqual(FUNCTION_ROUTES.scan.consumes);
  });

  it('dead-letters host reports whose facts do not match node-agent schema (host/service.test.ts has the rest)', async () => {
    const fn = createScanFunction({ config, http: sb.http });
    const ev = {
      id: 'h',
      source: 'n',
      type: EVENT_TYPES.hostReported,
      data: { nodeName: 'n1', collectedAt: new Date(0).toISOString(), facts: {} },
      extensions: {},
    } as IncomingEvent;
    await expect(fn.handle(ev, ctx())).rejects.toThrow(PermanentError);
    await expect(fn.handle(ev, ctx())).rejects.toThrow(/do not match node-agent schema/);
  });

  it('rejects unknown frameworks and controls permanently, listing the valid names', async () => {
    const fn = createScanFunction({ config, http: sb.http });
    const e1 = await fn.handle(request({ frameworks: ['nope'] }), ctx()).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(PermanentError);
    expect(String(e1)).toMatch(/valid frameworks: .*NSA.*MITRE/);
    const e2 = await fn.handle(request({ controls: ['C-9999'] }), ctx()).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(PermanentError);
    expect(String(e2)).toMatch(/C-9999/);
  });

  it('answers TransientError when the API server is unreachable', async () => {
    const down: KubeHttp = {
      request: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    const fn = createScanFunction({ config, http: down });
    await expect(fn.handle(request({ scanId: 's' }), ctx())).rejects.toThrow(TransientError);
  });

  it('full scan: Kubescape names, namespaces, labels, annotations, summaries; redelivery changes nothing', async () => {
    const fn = createScanFunction({ config, http: sb.http });
    const reply = await fn.handle(request({ scanId: 'full-1', frameworks: ['nsa', 'mitre'] }), ctx());
    expect(reply?.type).toBe(EVENT_TYPES.configScanCompleted);
    const data = reply?.data as {
      scanId: string;
      frameworks: { name: string }[];
      counts: Record<string, number>;
      results: { name: string }[];
    };
    expect(data.scanId).toBe('full-1');
    expect(data.frameworks.map((f) => f.name)).toEqual(['NSA', 'MITRE']);
    expect(data.counts.resources).toBe(data.counts.passed + data.counts.failed + data.counts.skipped);
    expect(data.counts.failed).toBeGreaterThan(0);

    const scans = await listAll(sb.http, 'workloadconfigurationscans');
    const summaries = await listAll(sb.http, 'workloadconfigurationscansummaries');
    expect(scans.length).toBe(data.counts.resources);
    expect(summaries.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort()).toEqual(
      scans.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort(),
    );

    const dep = scans.find((s) => s.metadata.name === 'deployment-legacy-web');
    expect(dep?.metadata.namespace).toBe('default');
    expect(dep?.metadata.labels).toEqual({
      [LABELS.workloadApiGroup]: 'apps',
      [LABELS.workloadApiVersion]: 'v1',
      [LABELS.workloadKind]: 'Deployment',
      [LABELS.workloadName]: 'legacy-web',
      [LABELS.workloadNamespace]: 'default',
    });
    expect(dep?.metadata.annotations?.[ANNOTATIONS.wlid]).toBe(
      'wlid://cluster-kscape/namespace-default/deployment-legacy-web',
    );
    expect(dep?.metadata.annotations?.[ANNOTATIONS.scanId]).toBe('full-1');
    expect(Object.keys(dep?.spec.controls ?? {})).toContain('C-0017');
    // Pods of the Deployment are folded into it: no result of their own.
    expect(scans.some((s) => s.metadata.name.startsWith('replicaset-'))).toBe(false);

    // Cluster-scoped resources go to the operator namespace, without a namespace label.
    const ns = scans.find((s) => s.metadata.name === 'namespace-default');
    expect(ns?.metadata.namespace).toBe('kubescape');
    expect(ns?.metadata.labels?.[LABELS.workloadNamespace]).toBeUndefined();

    // RBAC triplet: subject + role + binding, operator namespace, RBAC labels.
    const triplet = scans.find(
      (s) =>
        s.metadata.name ===
        'serviceaccount-ci-deployer-clusterrole-cluster-admin-clusterrolebinding-ci-deployer-cluster-admin',
    );
    expect(triplet?.metadata.namespace).toBe('kubescape');
    expect(triplet?.metadata.labels).toMatchObject({
      [LABELS.rbacResource]: 'true',
      [LABELS.clusterRoleName]: 'cluster-admin',
      [LABELS.clusterRoleBindingName]: 'ci-deployer-cluster-admin',
      [LABELS.workloadKind]: 'ServiceAccount',
      [LABELS.workloadName]: 'ci-deployer',
    });
    expect(triplet?.spec.relatedObjects).toHaveLength(3);
    expect(triplet?.spec.controls?.['C-0035']?.status?.status).toBe('failed');

    // Summary severities = failed controls bucketed.
    const depSummary = summaries.find(
      (s) => s.metadata.name === 'deployment-legacy-web' && s.metadata.namespace === 'default',
    );
    const failed = Object.values(dep?.spec.controls ?? {}).filter(
      (c) => c.status?.status === 'failed',
    ).length;
    const sev = depSummary?.spec.severities ?? {};
    expect(
      (sev.critical ?? 0) + (sev.high ?? 0) + (sev.medium ?? 0) + (sev.low ?? 0) + (sev.unknown ?? 0),
    ).toBe(failed);
    expect(depSummary?.metadata.labels).toEqual(dep?.metadata.labels);

    // Excluded namespaces (default excludes) have no results.
    // (RBAC triplets of kube-system ServiceAccounts bound by cluster-wide bindings are not namespaced resources: they stay.)
    expect(
      scans.some(
        (s) =>
          s.metadata.namespace === 'kube-system' ||
          (s.metadata.labels?.[LABELS.workloadNamespace] === 'kube-system' &&
            !s.metadata.labels?.[LABELS.rbacResource]),
      ),
    ).toBe(false);

    // Same request again: identical stored state (ignoring resourceVersion/managedFields), same reply.
    const before = {
      scans: stable(scans),
      summaries: stable(summaries),
      rvs: scans.map((s) => s.metadata.resourceVersion).sort(),
    };
    const again = await fn.handle(request({ scanId: 'full-1', frameworks: ['nsa', 'mitre'] }), ctx());
    expect(again?.id).toBe(reply?.id);
    expect(again?.data).toEqual(reply?.data);
    const scans2 = await listAll(sb.http, 'workloadconfigurationscans');
    expect(stable(scans2)).toEqual(before.scans);
    expect(stable(await listAll(sb.http, 'workloadconfigurationscansummaries'))).toEqual(before.summaries);
    // Unchanged objects are not even rewritten.
    expect(scans2.map((s) => s.metadata.resourceVersion).sort()).toEqual(before.rvs);
  }, 300_000);

  it('replaces a result on rescan and deletes the results of resources that are gone', async () => {
    const fn = createScanFunction({ config, http: sb.http });
    await fn.handle(request({ scanId: 'gc-1', controls: ['C-0017', 'C-0035'] }), ctx());
    const scanOf = async (ns: string, name: string) =>
      await sb.http.request('GET', `${BASE}/namespaces/${ns}/workloadconfigurationscans/${name}`);
    expect((await scanOf('default', 'pod-debug-shell')).status).toBe(200);
    // A result written by someone else for a kind this scan does not read stays.
    const foreign = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'WorkloadConfigurationScan',
      metadata: {
        name: 'widget-x',
        namespace: 'default',
        labels: {
          [LABELS.workloadKind]: 'Widget',
          [LABELS.workloadName]: 'x',
          [LABELS.workloadNamespace]: 'default',
        },
      },
      spec: { controls: {} },
    };
    await kubeJson(sb.http, 'POST', `${BASE}/namespaces/default/workloadconfigurationscans`, {
      body: foreign,
    });

    // The bare pod goes away; the Deployment's template gets a read-only root filesystem.
    await kubeJson(sb.http, 'DELETE', '/api/v1/namespaces/default/pods/debug-shell');
    const dep = (await kubeJson(
      sb.http,
      'GET',
      '/apis/apps/v1/namespaces/default/deployments/legacy-web',
    )) as {
      spec: { template: { spec: { containers: { securityContext?: Record<string, unknown> }[] } } };
    };
    for (const c of dep.spec.template.spec.containers)
      c.securityContext = { ...(c.securityContext ?? {}), readOnlyRootFilesystem: true };
    await kubeJson(sb.http, 'PUT', '/apis/apps/v1/namespaces/default/deployments/legacy-web', { body: dep });

    const reply = await fn.handle(request({ scanId: 'gc-2', controls: ['C-0017', 'C-0035'] }), ctx());
    expect(reply?.type).toBe(EVENT_TYPES.configScanCompleted);
    expect((await scanOf('default', 'pod-debug-shell')).status).toBe(404);
    expect(
      (
        await sb.http.request(
          'GET',
          `${BASE}/namespaces/default/workloadconfigurationscansummaries/pod-debug-shell`,
        )
      ).status,
    ).toBe(404);
    expect((await scanOf('default', 'widget-x')).status).toBe(200);
    const after = (await scanOf('default', 'deployment-legacy-web')).body as Obj;
    expect(after.spec.controls?.['C-0017']?.status?.status).toBe('passed');
    expect(after.metadata.annotations?.[ANNOTATIONS.scanId]).toBe('gc-2');
    // Results of existing resources survive, including those of the earlier, wider scan.
    expect((await scanOf('prod', 'statefulset-postgres')).status).toBe(200);
  }, 300_000);

  it('scoped scan: a RoleBinding change rewrites its triplets and the workloads of its ServiceAccounts only', async () => {
    const fn = createScanFunction({ config, http: sb.http });
    await fn.handle(request({ scanId: 'scope-0', frameworks: ['nsa'] }), ctx());
    const reply = await fn.handle(
      request({
        scanId: 'scope-1',
        frameworks: ['nsa'],
        scope: {
          objects: [
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'RoleBinding',
              namespace: 'prod',
              name: 'payments-api-config-reader',
            },
          ],
        },
      }),
      ctx(),
    );
    const refs = (reply?.data as { results: { namespace: string; name: string }[] }).results
      .map((r) => `${r.namespace}/${r.name}`)
      .sort();
    expect(refs).toEqual(
      expect.arrayContaining([
        'kubescape/serviceaccount-payments-api-role-payments-api-config-reader-rolebinding-payments-api-config-reader',
        'prod/deployment-payments-api',
      ]),
    );
    expect(refs).not.toContain('prod/statefulset-postgres');
    const scans = await listAll(sb.http, 'workloadconfigurationscans');
    const byScan = (id: string) =>
      scans
        .filter((s) => s.metadata.annotations?.[ANNOTATIONS.scanId] === id)
        .map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
    expect(byScan('scope-1').sort()).toEqual(refs);
    expect(byScan('scope-0')).toContain('prod/statefulset-postgres');
  }, 300_000);

  it('scoped scan: reads, evaluates and writes only what the scope affects (counted)', async () => {
    // Count what the function asks of the API: which lists, which result writes.
    const calls: { method: string; path: string }[] = [];
    const counting: KubeHttp = {
      request: (method, path, opts) => {
        calls.push({ method, path });
        return sb.http.request(method, path, opts);
      },
    };
    const lines: { msg?: string; evaluated?: number }[] = [];
    const logged = (): FunctionContext => ({
      ...ctx(),
      log: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as never) }),
    });
    const full = createScanFunction({ config, http: counting });
    await full.handle(request({ scanId: 'count-0', frameworks: ['nsa'] }), logged());
    const evaluated = () => lines.filter((l) => l.msg === 'posture scan evaluated').map((l) => l.evaluated);
    const [all] = evaluated();
    const fullWrites = calls.filter((c) => c.method === 'PUT' || c.method === 'POST').length;
    calls.length = 0;
    lines.length = 0;

    const fn = createScanFunction({ config, http: counting });
    const reply = await fn.handle(
      request({
        scanId: 'count-1',
        frameworks: ['nsa'],
        scope: {
          objects: [
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'RoleBinding',
              namespace: 'prod',
              name: 'payments-api-config-reader',
            },
          ],
        },
      }),
      logged(),
    );
    // Evaluated: the bound ServiceAccount's subject vector, the ServiceAccount and the workloads
    // running as it (payments-api) and the binding itself — not the rest of the cluster.
    const [scopedCount] = evaluated();
    expect(all).toBeGreaterThan(20);
    expect(scopedCount).toBeGreaterThan(0);
    expect(scopedCount).toBeLessThanOrEqual(4);
    // Read: namespaced kinds only in prod (the binding's namespace), never cluster-wide, except the
    // RBAC graph; cluster-scoped kinds whole.
    const lists = calls.filter((c) => c.method === 'GET' && c.path.includes('limit='));
    const namespacedLists = lists.filter((c) => /\/(pods|deployments|services|configmaps)\?/.test(c.path));
    expect(namespacedLists.length).toBeGreaterThan(0);
    for (const c of namespacedLists) expect(c.path).toMatch(/\/namespaces\/prod\//);
    expect(lists.some((c) => /\/namespaces\/(default|kube-system)\//.test(c.path))).toBe(false);
    // Written: only the affected results (a scan and a summary each), far fewer than a full scan.
    const written = calls.filter((c) => c.method === 'PUT' || c.method === 'POST').map((c) => c.path);
    const resultsWritten = (reply?.data as { counts: { resources: number } }).counts.resources;
    expect(resultsWritten).toBeGreaterThan(0);
    expect(resultsWritten).toBeLessThanOrEqual(4);
    expect(written.length).toBeLessThanOrEqual(2 * resultsWritten);
    expect(fullWrites).toBeGreaterThan(written.length);
    for (const w of written) expect(w).toMatch(/\/namespaces\/(prod|kubescape)\//);
  }, 300_000);
});

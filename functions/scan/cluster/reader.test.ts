import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { KubeHttp } from '../../../lib/kube/http.js';
import { kindInfo, kindsForControls, KIND_CATALOG } from './kinds.js';
import { ClusterReader, type NamespaceFilter } from './reader.js';
import { startSandbox, type Sandbox } from './testing.js';

const log = pino({ level: 'silent' });
const all: NamespaceFilter = { include: [], exclude: [] };

/** Wraps a client, recording request paths and Accept headers. */
function recording(inner: KubeHttp): KubeHttp & { calls: { path: string; accept?: string }[] } {
  const calls: { path: string; accept?: string }[] = [];
  return {
    calls,
    request: (method, path, opts) => {
      calls.push({ path, ...(opts?.accept ? { accept: opts.accept } : {}) });
      return inner.request(method, path, opts);
    },
  };
}

describe('kinds a scan reads', () => {
  it('only what the controls need: RBAC controls read no workloads, workload controls read owners and context', () => {
    const rbac = kindsForControls(['C-0035']).map((k) => k.kind);
    expect(rbac).toEqual(
      expect.arrayContaining(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']),
    );
    expect(rbac).not.toContain('Pod');
    expect(rbac).not.toContain('Secret');
    const wl = kindsForControls(['C-0017']).map((k) => k.kind);
    expect(wl).toEqual(
      expect.arrayContaining([
        'Pod',
        'Deployment',
        'ReplicaSet',
        'CronJob',
        'Job',
        'NetworkPolicy',
        'ServiceAccount',
      ]),
    );
    expect(kindInfo('Secret')?.metadataOnly).toBe(true);
  });
});

describe('ClusterReader against a storage-api sandbox', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('pages through lists (limit + continue) and sets apiVersion/kind on items', async () => {
    const client = recording(sb.http);
    const reader = new ClusterReader(client);
    const pods = await reader.list(kindInfo('Pod')!, { namespaces: all, pageSize: 1, log });
    const big = await new ClusterReader(sb.http).list(kindInfo('Pod')!, {
      namespaces: all,
      pageSize: 500,
      log,
    });
    expect(pods!.length).toBeGreaterThan(1);
    expect(pods!.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(
      big!.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
    );
    expect(client.calls.filter((c) => c.path.startsWith('/api/v1/pods?')).length).toBeGreaterThanOrEqual(
      pods!.length,
    );
    expect(client.calls.some((c) => c.path.includes('continue='))).toBe(true);
    for (const p of pods!) {
      expect(p.apiVersion).toBe('v1');
      expect(p.kind).toBe('Pod');
    }
  });

  it('reads Secrets as metadata only', async () => {
    const client = recording(sb.http);
    const secrets = await new ClusterReader(client).list(kindInfo('Secret')!, {
      namespaces: all,
      pageSize: 500,
      log,
    });
    expect(secrets!.length).toBeGreaterThan(0);
    for (const s of secrets!) {
      expect(s.kind).toBe('Secret');
      expect(s.apiVersion).toBe('v1');
      expect(s.data).toBeUndefined();
      expect(s.stringData).toBeUndefined();
    }
    expect(client.calls.find((c) => c.path.startsWith('/api/v1/secrets'))?.accept).toMatch(
      /as=PartialObjectMetadataList/,
    );
  });

  it('filters namespaces (include / exclude), including Namespace objects', async () => {
    const reader = new ClusterReader(sb.http);
    const excluded = await reader.list(kindInfo('Pod')!, {
      namespaces: { include: [], exclude: ['kube-system'] },
      pageSize: 500,
      log,
    });
    expect(excluded!.some((p) => p.metadata.namespace === 'kube-system')).toBe(false);
    expect(excluded!.length).toBeGreaterThan(0);
    const only = await reader.list(kindInfo('Pod')!, {
      namespaces: { include: ['prod'], exclude: [] },
      pageSize: 500,
      log,
    });
    expect(new Set(only!.map((p) => p.metadata.namespace))).toEqual(new Set(['prod']));
    const nss = await reader.list(kindInfo('Namespace')!, {
      namespaces: { include: [], exclude: ['kube-system'] },
      pageSize: 500,
      log,
    });
    expect(nss!.map((n) => n.metadata.name)).not.toContain('kube-system');
    expect(nss!.map((n) => n.metadata.name)).toContain('prod');
  });

  it('skips kinds the cluster does not serve, reading the rest with bounded concurrency', async () => {
    let inflight = 0;
    let peak = 0;
    const slow: KubeHttp = {
      request: async (m, p, o) => {
        inflight++;
        peak = Math.max(peak, inflight);
        try {
          return await sb.http.request(m, p, o);
        } finally {
          inflight--;
        }
      },
    };
    const snap = await new ClusterReader(slow).read({
      kinds: KIND_CATALOG,
      namespaces: all,
      pageSize: 500,
      concurrency: 3,
      log,
    });
    expect(snap.skippedKinds).toEqual(
      expect.arrayContaining(['PodSecurityPolicy', 'CiliumNetworkPolicy', 'HTTPRoute']),
    );
    expect(snap.listedKinds).toEqual(
      expect.arrayContaining(['Pod', 'Deployment', 'ClusterRoleBinding', 'Secret']),
    );
    expect(peak).toBeLessThanOrEqual(3);
    expect(snap.objects.every((o) => typeof o.apiVersion === 'string' && typeof o.kind === 'string')).toBe(
      true,
    );
  });

  it('a kind the credentials may not list (403, e.g. secrets) is skipped, the rest is read', async () => {
    const noSecrets: KubeHttp = {
      request: async (m, p, o) =>
        p.startsWith('/api/v1/secrets')
          ? { status: 403, body: { kind: 'Status', message: 'secrets is forbidden' } }
          : sb.http.request(m, p, o),
    };
    const reader = new ClusterReader(noSecrets);
    const snap = await reader.read({
      kinds: [kindInfo('Secret')!, kindInfo('Pod')!],
      namespaces: all,
      pageSize: 500,
      concurrency: 2,
      log,
    });
    expect(snap.skippedKinds).toEqual(['Secret']);
    expect(snap.listedKinds).toEqual(['Pod']);
    expect(reader.forbidden.has('Secret')).toBe(true);
  });

  it('get: one object, undefined when absent', async () => {
    const reader = new ClusterReader(sb.http);
    expect((await reader.get(kindInfo('Deployment')!, 'prod', 'payments-api'))?.kind).toBe('Deployment');
    expect(await reader.get(kindInfo('Deployment')!, 'prod', 'nope')).toBeUndefined();
  });
});

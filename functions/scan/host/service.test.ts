/**
 * host.reported end to end against a storage-api sandbox seeded with examples/cluster (nodes
 * control-plane-1 and worker-1): node-agent facts collected from its fixture host roots are stored,
 * evaluated and written as the Node's WorkloadConfigurationScan; a posture scan then includes the
 * host controls of the reported node and reports the other node's skipped. The facts table runs on
 * PGlite and, with DATABASE_URL, on PostgreSQL (isolated databases).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, VERSION, workloadScanName } from '../../../lib/api/index.js';
import { forEachDriver, withTestDatabase } from '../../../lib/db/testing.js';
import { EVENT_TYPES } from '../../../lib/events/index.js';
import { buildFixtureHost } from '../../../node-agent/__fixtures__/hosts.js';
import { collectHostFacts, factsHash } from '../../../node-agent/host/collect.js';
import { hostEvent as nodeAgentEvent } from '../../../node-agent/report.js';
import { PermanentError } from '../../runtime/errors.js';
import type { FunctionContext, IncomingEvent } from '../../runtime/types.js';
import { kubeJson } from '../../../lib/kube/http.js';
import { startSandbox, type Sandbox } from '../cluster/testing.js';
import { loadScanFunctionConfig } from '../function-config.js';
import { createScanFunction } from '../function.js';
import type { HostFacts } from './facts.js';
import { SqlHostFactsStore } from './store.js';

const log = pino({ level: 'silent' });
const ctx = (): FunctionContext => ({
  log,
  signal: new AbortController().signal,
  source: '/kscape/scan',
  emit: async () => {},
});

const hostEvent = (
  nodeName: string,
  collectedAt: string,
  facts: unknown,
  id = `h-${collectedAt}`,
): IncomingEvent =>
  ({
    id,
    source: '/kscape/node-agent',
    type: EVENT_TYPES.hostReported,
    data: { nodeName, collectedAt, facts },
    extensions: {},
  }) as IncomingEvent;

interface StoredControl {
  status?: { status?: string; subStatus?: string; info?: string };
  rules?: { name: string; paths?: Record<string, string>[] }[];
}
interface StoredScan {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  spec: { controls: Record<string, StoredControl> };
}

let tmp: string;
let CP: HostFacts;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-hostsvc-'));
  const cp = await buildFixtureHost('control-plane', tmp);
  CP = await collectHostFacts({ nodeName: 'control-plane-1', hostRoot: cp.root, procRoot: cp.proc, log });
}, 60_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

forEachDriver('host facts store', (driver) => {
  const tdb = withTestDatabase(driver);

  it('keeps the newest report per node and lists only current facts', async () => {
    const store = await SqlHostFactsStore.open(tdb.db);
    const now = new Date('2026-11-27T02:00:00Z');
    const t = (m: number) => new Date(now.getTime() + m * 60_000);
    expect(await store.put('n1', t(-10), CP, now)).toBe('stored');
    expect(await store.put('n1', t(-20), { ...CP, warnings: ['old'] }, now)).toBe('stale');
    expect(await store.put('n2', t(-90), CP, now)).toBe('stored');
    const rows = await store.list(['n1', 'n2', 'n3'], t(-60));
    expect(rows.map((r) => [r.nodeName, r.collectedAt.toISOString(), r.facts.warnings])).toEqual([
      ['n1', t(-10).toISOString(), CP.warnings],
    ]);
    expect(await store.prune(t(-60))).toBe(1);
    expect((await store.list(['n2'], t(-1000))).length).toBe(0);
    // Migrations are idempotent: a second start applies nothing and keeps the rows.
    const again = await SqlHostFactsStore.open(tdb.db);
    expect((await again.list(['n1'], t(-60))).length).toBe(1);
  });

  describe('scan function with host reports against a storage-api sandbox', () => {
    let sb: Sandbox;
    const config = loadScanFunctionConfig({});
    const scanPath = (node: string) =>
      `/apis/${GROUP}/${VERSION}/namespaces/${config.KSCAPE_NAMESPACE}/workloadconfigurationscans/${workloadScanName('Node', node)}`;
    const getScan = async (node: string) => (await kubeJson(sb.http, 'GET', scanPath(node))) as StoredScan;
    beforeAll(async () => {
      sb = await startSandbox();
    }, 120_000);
    afterAll(async () => {
      await sb?.close();
    });

    it('evaluates a host report into the Node result, idempotently; older reports change nothing', async () => {
      const store = await SqlHostFactsStore.open(tdb.db);
      const fn = createScanFunction({
        config,
        http: sb.http,
        hostFacts: store,
        now: () => new Date('2026-11-27T02:00:00Z'),
      });
      // The event exactly as node-agent builds it (catalog-validated), after a trip over the wire.
      const sent = nodeAgentEvent('control-plane-1', CP, factsHash(CP), new Date('2026-11-27T01:59:00.000Z'));
      const received = {
        id: sent.id,
        source: sent.source,
        type: sent.type,
        data: JSON.parse(JSON.stringify(sent.data)) as unknown,
        extensions: {},
      } as IncomingEvent;
      expect(await fn.handle(received, ctx())).toBeUndefined();
      const scan = await getScan('control-plane-1');
      const c = scan.spec.controls;
      // etcd.yaml is 0644 in the fixture; the kubelet config is hardened; the live apiserver runs
      // with --anonymous-auth=true.
      expect(c['C-0098']?.status?.status).toBe('failed');
      expect(c['C-0098']?.rules?.[0]?.paths).toEqual([
        { failedPath: 'controlPlane.etcd.specsFile.permissions' },
        { fixPath: 'controlPlane.etcd.specsFile.permissions', fixPathValue: '0600' },
      ]);
      expect(c['C-0172']?.status?.status).toBe('passed');
      expect(c['C-0113']?.rules?.[0]?.paths).toEqual([
        { failedPath: 'controlPlane.apiServer.cmdLine[2]' },
        { fixPath: 'controlPlane.apiServer.cmdLine[2]', fixPathValue: '--anonymous-auth=false' },
      ]);
      // Workload controls do not apply to a Node: only host/control-plane controls are there.
      expect(c['C-0017']).toBeUndefined();

      await fn.handle(hostEvent('control-plane-1', '2026-11-27T01:59:00.000Z', CP, 'redelivered'), ctx());
      expect((await getScan('control-plane-1')).metadata.resourceVersion).toBe(scan.metadata.resourceVersion);

      const fixed = structuredClone(CP);
      const etcd = (fixed.controlPlane as { etcd: { specsFile: { permissions: number } } }).etcd;
      etcd.specsFile.permissions = 0o600;
      await fn.handle(hostEvent('control-plane-1', '2026-11-27T01:50:00.000Z', fixed), ctx());
      expect((await getScan('control-plane-1')).spec.controls['C-0098']?.status?.status).toBe('failed');
      await fn.handle(hostEvent('control-plane-1', '2026-11-27T02:00:00.000Z', fixed), ctx());
      expect((await getScan('control-plane-1')).spec.controls['C-0098']?.status?.status).toBe('passed');
    }, 120_000);

    it('posture scans include host controls of reported nodes and skip the others; CIS counts them', async () => {
      const store = await SqlHostFactsStore.open(tdb.db);
      const fn = createScanFunction({
        config,
        http: sb.http,
        hostFacts: store,
        now: () => new Date('2026-11-27T02:05:00Z'),
      });
      const reply = await fn.handle(
        {
          id: 'posture-1',
          source: '/kscape/schedule',
          type: EVENT_TYPES.configScanRequested,
          data: { scope: {}, frameworks: ['cis-v1.12.0'] },
          extensions: {},
        } as IncomingEvent,
        ctx(),
      );
      const cp = (await getScan('control-plane-1')).spec.controls;
      expect(cp['C-0098']?.status?.status).toBe('passed'); // the newest facts (fixed etcd.yaml)
      expect(cp['C-0113']?.status?.status).toBe('failed');
      const worker = (await getScan('worker-1')).spec.controls;
      expect(worker['C-0172']?.status).toMatchObject({ status: 'skipped', subStatus: 'integration' });
      expect(worker['C-0113']).toBeUndefined(); // control-plane control, worker node
      const cis = (reply?.data as { frameworks: { name: string; complianceScore: number }[] }).frameworks[0];
      expect(cis?.name).toBe('cis-v1.12.0');
      expect(cis?.complianceScore).toBeGreaterThan(0);
      expect(cis?.complianceScore).toBeLessThan(100);
    }, 300_000);

    it('dead-letters facts that do not match node-agent schema or name another node', async () => {
      const store = await SqlHostFactsStore.open(tdb.db);
      const fn = createScanFunction({ config, http: sb.http, hostFacts: store });
      await expect(
        fn.handle(hostEvent('worker-1', '2026-11-27T02:00:00.000Z', { nope: 1 }), ctx()),
      ).rejects.toThrow(PermanentError);
      await expect(fn.handle(hostEvent('worker-1', '2026-11-27T02:00:00.000Z', CP), ctx())).rejects.toThrow(
        /name node control-plane-1 but the event is for worker-1/,
      );
    });
  });
});

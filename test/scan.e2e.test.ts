/**
 * End to end: the scan function on a full-cluster request against the storage-api sandbox seeded
 * from examples/cluster (the sandbox is both the cluster and the result store), then kubectl shows
 * the results; redelivering the same request leaves the same state.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { EVENT_TYPES } from '../lib/events/index.js';
import type { IncomingEvent } from '../functions/runtime/types.js';
import { startSandbox, type Sandbox } from '../functions/scan/cluster/testing.js';
import { loadScanFunctionConfig } from '../functions/scan/function-config.js';
import { createScanFunction } from '../functions/scan/function.js';

const run = promisify(execFile);

describe('scan e2e: sandbox cluster → scan function → kubectl', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox('examples/cluster');
  });
  afterAll(async () => {
    await sb?.close();
  });

  const kubectl = async (...args: string[]) =>
    // -o json of every result is several MB now that all controls are evaluated (default cap: 1 MiB).
    (await run('kubectl', ['--kubeconfig', sb.kubeconfigPath, ...args], { maxBuffer: 256 * 2 ** 20 })).stdout;

  it('full-cluster request: results visible with kubectl; redelivery → identical state', async () => {
    const fn = createScanFunction({ http: sb.http, config: loadScanFunctionConfig({}) });
    const event = {
      id: 'posture-ping-1',
      source: '/kscape/schedule',
      type: EVENT_TYPES.configScanRequested,
      data: {
        scanId: 'e2e-1',
        scope: { excludeNamespaces: ['kube-system'] },
        frameworks: ['AllControls', 'NSA', 'MITRE', 'security'],
      },
      extensions: {},
    } as IncomingEvent;
    const ctx = {
      log: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      source: '/kscape/scan',
      emit: async () => {},
    };
    const reply = await fn.handle(event, ctx);
    expect(reply?.type).toBe(EVENT_TYPES.configScanCompleted);

    const table = await kubectl('get', 'workloadconfigurationscans', '-A');
    expect(table).toMatch(/^NAMESPACE\s+NAME/);
    expect(table).toMatch(/default\s+deployment-legacy-web\s/);
    expect(table).toMatch(/prod\s+statefulset-postgres\s/);
    expect(table).toMatch(
      /kubescape\s+serviceaccount-ci-deployer-clusterrole-cluster-admin-clusterrolebinding-ci-deployer-cluster-admin\s/,
    );
    const summaries = await kubectl('get', 'configurationscansummaries');
    expect(summaries).toMatch(/^NAME\s/);
    expect(summaries).toMatch(/\nprod\s/);
    expect(summaries).toMatch(/\ndefault\s/);

    const dump = async () =>
      JSON.parse(
        await kubectl(
          'get',
          'workloadconfigurationscans,workloadconfigurationscansummaries',
          '-A',
          '-o',
          'json',
        ),
      ) as {
        items: { metadata: Record<string, unknown> }[];
      };
    const strip = (d: Awaited<ReturnType<typeof dump>>) =>
      d.items.map((i) => {
        const { resourceVersion: _r, managedFields: _m, ...md } = i.metadata;
        return { ...i, metadata: md };
      });
    const first = await dump();
    const again = await fn.handle(event, ctx);
    expect(again?.data).toEqual(reply?.data);
    const second = await dump();
    expect(strip(second)).toEqual(strip(first));
    expect(second.items.length).toBe(first.items.length);
  });
});

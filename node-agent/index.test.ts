import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureHost, writeProcfs, type FixtureHost } from './__fixtures__/hosts.js';
import { AGENT_CAPABILITIES } from './capabilities.js';
import { loadNodeAgentConfig } from './config.js';
import { HostFactsSchema } from './host/facts.js';
import { parseOsRelease } from './host/collect.js';
import { CATALOG } from '../lib/events/catalog.js';
import { runNodeAgent, StaticPodLookup, type NodeAgentSnapshot } from './index.js';
import type { ContainerIdentity } from './relevancy/pods.js';

const CID = 'd'.repeat(64);
const DIGEST = `sha256:${'e'.repeat(64)}`;
let tmp: string;
let host: FixtureHost;

const identity: ContainerIdentity = {
  namespace: 'shop',
  pod: 'web-0',
  container: 'app',
  containerID: `containerd://${CID}`,
  containerType: 'containers',
  image: 'registry.example/web:1',
  imageDigest: DIGEST,
  workload: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'shop', name: 'web' },
};

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-agent-'));
  host = await buildFixtureHost('worker', tmp);
  // Add a container process to the worker's synthetic procfs (fully synthetic tree).
  await writeProcfs(path.join(tmp, 'container-proc'), [
    {
      pid: 4242,
      argv: ['/usr/sbin/nginx', '-g', 'daemon off;'],
      cgroup: `0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${CID}.scope\n`,
      exe: '/usr/sbin/nginx',
      maps: [
        '55d0c3a00000-55d0c3a21000 r-xp 00000000 fd:01 101 /usr/sbin/nginx',
        '7f2c1a000000-7f2c1a022000 r--p 00000000 fd:01 102 /usr/lib/x86_64-linux-gnu/libssl.so.3',
        '7f2c1a022000-7f2c1a040000 r-xp 00022000 fd:01 102 /usr/lib/x86_64-linux-gnu/libssl.so.3',
        '7ffd6b5e0000-7ffd6b601000 rw-p 00000000 00:00 0 [stack]',
      ].join('\n'),
      fds: {
        '0': '/dev/null',
        '3': 'socket:[777]',
        '4': '/var/log/nginx/access.log',
        '5': '/etc/nginx/nginx.conf (deleted)',
      },
    },
  ]);
  // Merge: host processes from the fixture plus the container process.
  await fs.cp(path.join(tmp, 'container-proc', '4242'), path.join(host.proc, '4242'), {
    recursive: true,
    verbatimSymlinks: true,
  });
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('config', () => {
  it('defaults HOST_PROC under HOST_ROOT and the node name to the host name outside a cluster', () => {
    const c = loadNodeAgentConfig({ HOST_ROOT: '/host' }, () => 'My-Laptop');
    expect(c).toMatchObject({
      NODE_NAME: 'my-laptop',
      HOST_ROOT: '/host',
      HOST_PROC: '/host/proc',
      HEALTH_PORT: 7888,
      HOST_REPORT_INTERVAL: 300_000,
    });
    expect(c).toMatchObject({
      RELEVANCY_INITIAL_DELAY: 120_000,
      RELEVANCY_UPDATE_PERIOD: 600_000,
      RELEVANCY_MAX_LEARNING_PERIOD: 86_400_000,
    });
  });
  it('requires NODE_NAME in a cluster and rejects bad values', () => {
    expect(() => loadNodeAgentConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toThrow(
      /NODE_NAME.*required in a cluster/s,
    );
    expect(() => loadNodeAgentConfig({ NODE_NAME: 'Bad_Name' })).toThrow(/NODE_NAME/);
    expect(() => loadNodeAgentConfig({ NODE_NAME: 'n', HOST_ROOT: 'rel' })).toThrow(/HOST_ROOT/);
    expect(() => loadNodeAgentConfig({ NODE_NAME: 'n', RELEVANCY_SCAN_INTERVAL: 'soon' })).toThrow(
      /RELEVANCY_SCAN_INTERVAL/,
    );
  });
});

describe('runNodeAgent once + print', () => {
  it('on this machine: prints the real kernel release and os-release', async () => {
    let out = '';
    const snap = await runNodeAgent({
      once: true,
      print: true,
      env: { NODE_NAME: 'this-machine', HOST_ROOT: '/', LOG_LEVEL: 'silent' },
      podLookup: new StaticPodLookup([]),
      stdout: { write: (s: string) => (out += s) },
    });
    const printed = JSON.parse(out) as NodeAgentSnapshot;
    expect(printed.host?.kernel.release).toBe(os.release());
    expect(HostFactsSchema.safeParse(printed.host).success).toBe(true);
    const real = parseOsRelease(await fs.readFile('/etc/os-release', 'utf8'));
    expect(printed.host?.osRelease.values.ID).toBe(real.ID);
    expect(printed.relevancy?.stats.processes).toBeGreaterThan(1);
    expect(snap?.nodeName).toBe('this-machine');
  });

  it('on a fixture node: maps the container to its pod and lists its files', async () => {
    let out = '';
    await runNodeAgent({
      once: true,
      print: true,
      env: { NODE_NAME: 'worker-1', HOST_ROOT: host.root, HOST_PROC: host.proc },
      podLookup: new StaticPodLookup([identity]),
      stdout: { write: (s: string) => (out += s) },
    });
    const snap = JSON.parse(out) as NodeAgentSnapshot;
    expect(snap.host?.osRelease.values.ID).toBe('flatcar');
    expect(snap.relevancy?.containers).toEqual([
      {
        containerId: CID,
        identity,
        pids: [4242],
        files: [
          '/etc/nginx/nginx.conf',
          '/usr/lib/x86_64-linux-gnu/libssl.so.3',
          '/usr/sbin/nginx',
          '/var/log/nginx/access.log',
        ],
      },
    ]);
  });
});

describe('runNodeAgent long-running', () => {
  /** The agent on the fixture worker with its health server on loopback; resolves once it listens. */
  async function startAgent(env: Record<string, string>) {
    const ac = new AbortController();
    let port = 0;
    let ready: () => void = () => undefined;
    const listening = new Promise<void>((r) => (ready = r));
    const run = runNodeAgent({
      signal: ac.signal,
      handleSignals: false,
      podLookup: new StaticPodLookup([identity]),
      onListening: (p) => {
        port = p;
        ready();
      },
      env: {
        NODE_NAME: 'worker-1',
        HOST_ROOT: host.root,
        HOST_PROC: host.proc,
        HEALTH_PORT: '0',
        HEALTH_HOST: '127.0.0.1',
        HOST_CHECK_INTERVAL: '1s',
        RELEVANCY_SCAN_INTERVAL: '100ms',
        RELEVANCY_INITIAL_DELAY: '0',
        ...env,
      },
    });
    await listening;
    return { ac, port, run };
  }

  it('serves health and metrics, sends host and relevancy reports to K_SINK, completes learning, stops on abort', async () => {
    const received: { type: string; data: Record<string, unknown>; id: string }[] = [];
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({
          type: String(req.headers['ce-type']),
          id: String(req.headers['ce-id']),
          data: JSON.parse(body) as Record<string, unknown>,
        });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const sinkPort = (sink.address() as { port: number }).port;

    const {
      ac,
      port,
      run: runPromise,
    } = await startAgent({
      K_SINK: `http://127.0.0.1:${sinkPort}/`,
      RELEVANCY_UPDATE_PERIOD: '100ms',
      RELEVANCY_MAX_LEARNING_PERIOD: '400ms',
    });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/livez`)).status).toBe(200);

    // Wait (bounded by the test timeout, not asserted on time) for the final relevancy report and
    // for both senders to have counted a delivery (the sink sees a request before the agent sees
    // the response).
    let metrics = '';
    while (
      !received.some((e) => e.type === 'io.kubescape.relevancy.reported' && e.data.complete === true) ||
      !/^kscape_node_agent_reports_sent_total\{type="host"\} [1-9]/m.test(metrics) ||
      !/^kscape_node_agent_reports_sent_total\{type="relevancy"\} [1-9]/m.test(metrics)
    ) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await (await fetch(`${base}/metrics`)).text();
    }
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(metrics).toMatch(/^kscape_node_agent_reports_sent_total\{type="host"\} [1-9]/m);
    expect(metrics).toMatch(/^kscape_node_agent_reports_sent_total\{type="relevancy"\} [1-9]/m);
    expect(metrics).toMatch(/^# TYPE kscape_node_agent_last_collection_duration_seconds gauge$/m);
    expect(metrics).toMatch(/^kscape_node_agent_containers_tracked \d+$/m);
    // The gauge says which capability this (test) process lacks, per its real CapEff.
    const capEff = BigInt(
      `0x${/^CapEff:\s*(\w+)$/m.exec(await fs.readFile('/proc/self/status', 'utf8'))![1]}`,
    );
    for (const { name, bit } of AGENT_CAPABILITIES) {
      const missing = (capEff & (1n << BigInt(bit))) === 0n ? 1 : 0;
      expect(metrics).toMatch(
        new RegExp(`^kscape_node_agent_capability_missing\\{capability="${name}"\\} ${missing}$`, 'm'),
      );
    }

    const hostEv = received.find((e) => e.type === 'io.kubescape.host.reported')!;
    expect(CATALOG['io.kubescape.host.reported'].safeParse(hostEv.data).success).toBe(true);
    expect(HostFactsSchema.safeParse(hostEv.data.facts).success).toBe(true);
    const rel = received.filter((e) => e.type === 'io.kubescape.relevancy.reported');
    for (const e of rel)
      expect(CATALOG['io.kubescape.relevancy.reported'].safeParse(e.data).success).toBe(true);
    const final = rel.find((e) => e.data.complete === true)!;
    expect(final.data).toMatchObject({
      nodeName: 'worker-1',
      container: {
        namespace: 'shop',
        pod: 'web-0',
        container: 'app',
        containerID: `containerd://${CID}`,
        workload: { kind: 'StatefulSet', name: 'web' },
      },
      imageDigest: DIGEST,
      files: [
        '/etc/nginx/nginx.conf',
        '/usr/lib/x86_64-linux-gnu/libssl.so.3',
        '/usr/sbin/nginx',
        '/var/log/nginx/access.log',
      ],
      status: 'completed',
    });
    // Learning is over: exactly one final report for the container.
    expect(rel.filter((e) => e.data.complete === true)).toHaveLength(1);

    ac.abort();
    await expect(runPromise).resolves.toBeUndefined();
    await expect(fetch(`${base}/livez`)).rejects.toThrow();
    sink.close();
  });

  it('keeps running and counts failures when K_SINK is down', async () => {
    // discard port: never a sink (fetch refuses it outright)
    const { ac, port, run } = await startAgent({ K_SINK: 'http://127.0.0.1:9/' });
    let metrics = '';
    while (
      !/kscape_node_agent_report_failures_total\{type="relevancy"\} [1-9]/.test(metrics) ||
      !/failures_total\{type="host"\} [1-9]/.test(metrics)
    ) {
      await new Promise((r) => setTimeout(r, 50));
      metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    }
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    ac.abort();
    await run;
  });
});

/**
 * The provider interface end to end, as a user runs it: `kscape provider-sink` and `kscape dev`
 * (compiled CLI, child processes) with KSCAPE_PROVIDER_URL/SECRET pointing at the sink.
 *
 * - a completed scan (the start-up posture scan) arrives at the sink, verified, followed by its
 *   result objects (WorkloadConfigurationScanSummaries) as verified result chunks;
 * - with the sink stopped, a posture scan's export fails; the export function retries within its
 *   (short, configured) budget, hands the event back to the broker, whose DeliverySpec (the real
 *   one from knative/base) retries it; after the sink restarts the event arrives — and across both
 *   sink runs every webhook-id arrives exactly once;
 * - a provider refusing deliveries (the sink restarted with another secret answers 401) sends the
 *   event to the dead-letter sink with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../lib/webhooks/index.js';
import { buildOnce, CLI, ROOT } from './support/build.js';

interface DevJson {
  broker: { ingress: string };
  logFile: string;
}

interface SinkLine {
  id: string;
  type: string;
  verified: boolean;
  duplicate: boolean;
  path: string;
  apiKey: boolean;
  summary: string;
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** One `kscape provider-sink` process; its printed lines, parsed. */
class Sink {
  readonly lines: SinkLine[] = [];
  private out = '';
  private err = '';
  private readonly child: ChildProcess;
  constructor(port: number, secret: string) {
    this.child = spawn(process.execPath, [CLI, 'provider-sink', '--port', String(port), '--secret', secret], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      const parts = this.out.split('\n');
      this.out = parts.pop()!;
      for (const l of parts) {
        const m =
          /^(DUPLICATE )?id=(\S+) type=(\S+) timestamp=\S+ verified=(true|false)(?: \([^)]*\))? bytes=\d+(?: path=(\S+))?( api-key=yes)? (.*)$/.exec(
            l,
          );
        if (m)
          this.lines.push({
            duplicate: !!m[1],
            id: m[2]!,
            type: m[3]!,
            verified: m[4] === 'true',
            path: m[5] ?? '/',
            apiKey: !!m[6],
            summary: m[7]!,
          });
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
  }
  async ready(): Promise<void> {
    await waitFor(
      'provider-sink to listen',
      () => {
        if (this.child.exitCode !== null) throw new Error(`provider-sink exited: ${this.err}`);
        return this.err.includes('listening on') ? true : undefined;
      },
      30_000,
    );
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** `kscape dev` with the provider pointing at `kscape provider-sink` processes on one port. */
class Harness {
  readonly secret = generateSecret();
  readonly sinks: Sink[] = [];
  private state = '';
  private port = 0;
  private dev: ChildProcess | undefined;
  private devJson: DevJson | undefined;
  private devErr = '';

  lines(): SinkLine[] {
    return this.sinks.flatMap((s) => s.lines);
  }

  async startSink(secret = this.secret): Promise<Sink> {
    const sink = new Sink(this.port, secret);
    this.sinks.push(sink);
    await sink.ready();
    return sink;
  }

  log(): string {
    return readFileSync(this.devJson!.logFile, 'utf8');
  }

  async ping(id: string): Promise<void> {
    const r = await fetch(this.devJson!.broker.ingress, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': '/provider-test',
        'ce-type': 'dev.knative.sources.ping',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ job: 'posture' }),
    });
    expect(r.status).toBe(202);
  }

  async start(extraEnv: Record<string, string>): Promise<void> {
    buildOnce();
    this.port = await freePort();
    this.state = mkdtempSync(join(tmpdir(), 'kscape-provider-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'info',
      KSCAPE_PROVIDER_URL: `http://127.0.0.1:${this.port}`,
      KSCAPE_PROVIDER_SECRET: this.secret,
      // Short export retries so the broker's DeliverySpec takes over quickly while the sink is down.
      KSCAPE_EXPORT_BUDGET: '300ms',
      KSCAPE_EXPORT_BACKOFF_BASE: '50ms',
      KSCAPE_EXPORT_REQUEST_TIMEOUT: '2s',
      ...extraEnv,
    };
    delete env.DATABASE_URL;
    await this.startSink();
    const dev = spawn(process.execPath, [CLI, 'dev', '--state-dir', this.state, '--no-schedules'], {
      cwd: ROOT,
      env,
      stdio: 'pipe',
    });
    this.dev = dev;
    dev.stdout!.resume();
    dev.stderr!.on('data', (d: Buffer) => (this.devErr += d.toString()));
    this.devJson = await waitFor(
      'dev.json',
      () => {
        if (dev.exitCode !== null) throw new Error(`kscape dev exited with ${dev.exitCode}: ${this.devErr}`);
        const p = join(this.state, 'dev.json');
        return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as DevJson) : undefined;
      },
      180_000,
    );
  }

  async stop(): Promise<void> {
    for (const s of this.sinks) await s.stop();
    const dev = this.dev;
    if (dev && dev.exitCode === null) {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (dev.exitCode === null) dev.kill('SIGKILL');
    }
    if (this.state) rmSync(this.state, { recursive: true, force: true });
  }
}

describe('provider interface end to end, cloudevents format (kscape dev + kscape provider-sink)', () => {
  const h = new Harness();
  beforeAll(() => h.start({}), 240_000);
  afterAll(() => h.stop(), 30_000);

  it('the start-up posture scan and the cluster inventory arrive at the sink, verified', async () => {
    const scan = await waitFor(
      'a verified configscan.completed at the sink',
      () => h.lines().find((l) => l.type === 'io.kubescape.configscan.completed' && l.verified),
      120_000,
    );
    expect(scan.duplicate).toBe(false);
    const inv = await waitFor(
      'a verified cluster.inventoried at the sink',
      () => h.lines().find((l) => l.type === 'io.kubescape.cluster.inventoried' && l.verified),
      60_000,
    );
    expect(inv.summary).toBe('keys=[clusterName,collectedAt,nodes,namespaces,workloads,images]');
  }, 150_000);

  it("the posture scan's result objects follow its completed event as verified, numbered result chunks", async () => {
    const scan = h.lines().find((l) => l.type === 'io.kubescape.configscan.completed' && l.verified)!;
    const chunkOf = (l: SinkLine) => /^subject=(\S+) chunk=(\d+)\/(\d+) items=(\d+)$/.exec(l.summary);
    const chunks = await waitFor(
      'every posture result chunk of the start-up scan',
      () => {
        const got = h
          .lines()
          .filter((l) => l.type === 'io.kubescape.export.posture.results' && l.id.startsWith(`${scan.id}.`));
        const last = got.map(chunkOf).find((m) => m && m[2] === m[3]);
        return last && got.length === Number(last[3]) ? got : undefined;
      },
      60_000,
    );
    const parsed = chunks.map((l) => chunkOf(l)!);
    expect(chunks.map((l) => l.id).sort()).toEqual(chunks.map((_, n) => `${scan.id}.${n}`).sort());
    expect(chunks.every((l) => l.verified && !l.duplicate)).toBe(true);
    expect(new Set(parsed.map((m) => m[1])).size).toBe(1);
    // The dev cluster's start-up scan has results: the chunks carry their summaries.
    expect(parsed.reduce((n, m) => n + Number(m[4]), 0)).toBeGreaterThan(0);
  }, 90_000);

  it('with the sink stopped for a while and restarted, the event arrives after retries, once per webhook-id', async () => {
    const before = new Set(h.lines().map((l) => l.id));
    await h.sinks[0]!.stop();
    await h.ping('provider-test-down');
    // The scan completes and its export fails against the stopped sink: retried by export, then by the broker.
    await waitFor(
      'a failed export of the completed scan while the sink is down',
      () =>
        h
          .log()
          .split('\n')
          .some(
            (l) =>
              l.includes('"eventType":"io.kubescape.configscan.completed"') &&
              l.includes('delivery failed; retrying'),
          )
          ? true
          : undefined,
      120_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    await h.startSink();
    const arrived = await waitFor(
      'the held-back configscan.completed after the restart',
      () =>
        h.sinks[1]!.lines.find((l) => l.type === 'io.kubescape.configscan.completed' && !before.has(l.id)),
      120_000,
    );
    expect(arrived.verified).toBe(true);
    // Give stragglers (a second broker retry of the same event) time to show up, then count.
    await new Promise((r) => setTimeout(r, 3000));
    const counts = new Map<string, number>();
    for (const l of h.lines()) counts.set(l.id, (counts.get(l.id) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect(h.lines().every((l) => l.verified && !l.duplicate)).toBe(true);
    expect(h.log()).toMatch(new RegExp(`"webhookId":"${arrived.id}"[^\\n]*delivery failed; retrying`));
    // The export handed the event back and the broker's DeliverySpec retried it.
    const brokerRetries = h
      .log()
      .split('\n')
      .filter((l) => l.includes(`"eventId":"${arrived.id}"`) && l.includes('delivery failed, will retry'));
    expect(brokerRetries.length).toBeGreaterThan(0);
  }, 300_000);

  it('a provider that refuses the signature sends the event to the dead-letter sink with the reason', async () => {
    await h.sinks[1]!.stop();
    const wrong = await h.startSink(generateSecret());
    await h.ping('provider-test-refused');
    const line = await waitFor(
      'the dead-letter record of the refused export',
      () =>
        h
          .log()
          .split('\n')
          .find(
            (l) =>
              l.includes('event dead-lettered') &&
              l.includes('io.kubescape.configscan.completed') &&
              l.includes('HTTP 401'),
          ),
      120_000,
    );
    const rec = (
      JSON.parse(line) as { deadLetter: { code: string; destination: string; problem: { detail: string } } }
    ).deadLetter;
    expect(rec.code).toBe('400');
    expect(rec.destination).toMatch(/127\.0\.0\.1/);
    expect(rec.problem.detail).toMatch(/^provider http:\/\/127\.0\.0\.1:\d+ refused \S+: HTTP 401/);
    expect(
      wrong.lines.filter((l) => l.type === 'io.kubescape.configscan.completed').every((l) => !l.verified),
    ).toBe(true);
  }, 150_000);
});

describe('provider interface end to end, kubescape format', () => {
  const h = new Harness();
  beforeAll(
    () =>
      h.start({
        KSCAPE_PROVIDER_FORMAT: 'kubescape',
        KSCAPE_PROVIDER_ACCOUNT: 'acct-e2e',
        KSCAPE_PROVIDER_ACCESS_KEY: 'access-key-e2e',
        KSCAPE_CLUSTER_NAME: 'dev-cluster',
        KSCAPE_EXPORT_POSTURE_CHUNK: '64Ki',
      }),
    240_000,
  );
  afterAll(() => h.stop(), 30_000);

  it('the start-up posture scan arrives as PostureReport chunks and the inventory as a cluster report, verified, with X-API-KEY and customerGUID', async () => {
    const last = await waitFor(
      'the last posture report chunk',
      () =>
        h.lines().find((l) => l.path.startsWith('/k8s/v2/postureReport?') && l.summary.endsWith('last=true')),
      120_000,
    );
    const chunks = h.lines().filter((l) => l.path === last.path);
    const n = chunks.length;
    expect(n).toBeGreaterThan(1);
    expect(chunks.map((c) => c.summary).sort()).toEqual(
      Array.from({ length: n }, (_, i) => `chunk=${i} last=${i === n - 1}`).sort(),
    );
    const base = last.id.replace(/\.\d+$/, '');
    expect(chunks.map((c) => c.id).sort()).toEqual(
      Array.from({ length: n }, (_, i) => `${base}.${i}`).sort(),
    );
    const q = new URL(last.path, 'http://x').searchParams;
    expect(q.get('customerGUID')).toBe('acct-e2e');
    expect(q.get('clusterName')).toBe('dev-cluster');
    expect(q.get('reportGUID')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const inv = await waitFor(
      'the cluster report',
      () => h.lines().find((l) => l.path.startsWith('/k8s/cluster-reports?')),
      60_000,
    );
    expect(inv.path).toBe('/k8s/cluster-reports?customerGUID=acct-e2e&clusterName=dev-cluster');
    for (const l of [...chunks, inv]) {
      expect(l.verified).toBe(true);
      expect(l.apiKey).toBe(true);
      expect(l.duplicate).toBe(false);
    }
  }, 150_000);
});

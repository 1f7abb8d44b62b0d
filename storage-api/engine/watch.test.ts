/**
 * Watch bursts on the wire: a burst of events goes out as one HTTP chunk (written straight to the
 * socket, pre-framed); these tests read the raw bytes, parse the chunked framing themselves and
 * check that coalescing keeps event order, exactly-once delivery and line boundaries.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import { nsPath, req, startTestServer, until, wcss, type TestServer } from '../../test/storage-api/helpers.js';

const WCSS = 'workloadconfigurationscansummaries';
const POM = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

interface WatchEvent {
  type: string;
  object: { kind: string; metadata?: { name?: string; resourceVersion?: string }; rows?: { cells: unknown[] }[] };
}

/** A watch over a raw socket: HTTP chunks as sent (chunked framing parsed here), or the raw body for HTTP/1.0. */
class RawWatch {
  readonly chunks: string[] = [];
  status = 0;
  chunked = false;
  private buf = Buffer.alloc(0);
  private headersDone = false;
  private body = '';
  private readonly socket: Socket;
  readonly ended: Promise<void>;

  constructor(url: string, path: string, accept = 'application/json', http10 = false) {
    const u = new URL(url);
    this.socket = connect(Number(u.port), u.hostname);
    this.socket.write(`GET ${path} HTTP/${http10 ? '1.0' : '1.1'}\r\nHost: ${u.host}\r\nAccept: ${accept}\r\n\r\n`);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.ended = new Promise((resolve) => this.socket.on('close', () => resolve()));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.headersDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      this.status = Number(/^HTTP\/1\.[01] (\d+)/.exec(head)?.[1] ?? 0);
      this.chunked = /\r\ntransfer-encoding: chunked/i.test(head);
      this.buf = this.buf.subarray(end + 4);
      this.headersDone = true;
    }
    if (!this.chunked) {
      this.body += this.buf.toString('utf8');
      this.buf = Buffer.alloc(0);
      return;
    }
    for (;;) {
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) return;
      const size = parseInt(this.buf.subarray(0, eol).toString('latin1'), 16);
      expect(Number.isNaN(size)).toBe(false);
      if (this.buf.length < eol + 2 + size + 2) return;
      expect(this.buf.subarray(eol + 2 + size, eol + 4 + size).toString('latin1')).toBe('\r\n');
      if (size > 0) this.chunks.push(this.buf.subarray(eol + 2, eol + 2 + size).toString('utf8'));
      this.buf = this.buf.subarray(eol + 4 + size);
    }
  }

  /** Events in arrival order (all chunks, or the unframed HTTP/1.0 body). */
  events(): WatchEvent[] {
    const text = this.chunked ? this.chunks.join('') : this.body;
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as WatchEvent);
  }

  /** Chunks holding object events (bookmarks excluded). */
  eventChunks(): WatchEvent[][] {
    return this.chunks
      .map((c) => c.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as WatchEvent))
      .filter((evs) => evs.some((e) => e.type !== 'BOOKMARK'));
  }

  close(): void {
    this.socket.destroy();
  }
}

const nameOf = (e: WatchEvent): string | undefined => e.object.metadata?.name ?? (e.object.rows?.[0]?.cells[0] as string | undefined);

forEachDriver('engine watch bursts', (driver) => {
  const tdb = withTestDatabase(driver);
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(tdb.db);
  }, 120_000);
  afterAll(async () => {
    await ts?.close();
  });

  const N = 40;

  describe('a burst of N events', () => {
    it('is one HTTP chunk of N whole lines, in order, per watcher and form; a selector subset is its own chunk', async () => {
      const ns = 'burst';
      await req(ts, 'POST', nsPath(ns, WCSS), wcss('b-seed', ns));
      const rv0 = ((await req(ts, 'GET', nsPath(ns, WCSS))).json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const names: string[] = [];
      for (let i = 0; i < N; i++) {
        names.push(`b-${i}`);
        await req(ts, 'POST', nsPath(ns, WCSS), wcss(`b-${i}`, ns, i % 3 === 0 ? { pick: 'yes' } : {}));
      }
      // Resuming from rv0 replays the N events as one page: they reach each watcher's writer
      // together, which must send them as one burst.
      const q = `?watch=1&resourceVersion=${rv0}`;
      const path = nsPath(ns, WCSS) + q;
      const json1 = new RawWatch(ts.url, path);
      const json2 = new RawWatch(ts.url, path);
      const pom = new RawWatch(ts.url, path, POM);
      const table = new RawWatch(ts.url, path, TABLE);
      const picked = new RawWatch(ts.url, path + '&labelSelector=pick%3Dyes');
      const pickedNames = names.filter((_, i) => i % 3 === 0);
      const all = [json1, json2, pom, table];
      await until(() => (all.every((w) => w.events().length >= N) && picked.events().length >= pickedNames.length) || undefined, 20_000, 'events');
      for (const w of [...all, picked]) {
        expect(w.status).toBe(200);
        expect(w.chunked).toBe(true);
        // Every chunk holds whole lines only: the framing never splits an event.
        for (const c of w.chunks) expect(c.endsWith('\n')).toBe(true);
      }
      for (const w of [json1, json2, pom]) {
        const chunks = w.eventChunks();
        expect(chunks).toHaveLength(1);
        expect(chunks[0]!.map(nameOf)).toEqual(names);
        expect(chunks[0]!.every((e) => e.type === 'ADDED')).toBe(true);
        const rvs = chunks[0]!.map((e) => Number(e.object.metadata!.resourceVersion));
        expect(rvs.every((v, i) => i === 0 || v > rvs[i - 1]!)).toBe(true);
      }
      expect(json1.eventChunks()[0]!.every((e) => e.object.kind === 'WorkloadConfigurationScanSummary')).toBe(true);
      expect(pom.eventChunks()[0]!.every((e) => e.object.kind === 'PartialObjectMetadata')).toBe(true);
      // Same events, same form: the very same bytes (the shared burst).
      expect(json2.chunks.find((c) => c.includes('b-0'))).toBe(json1.chunks.find((c) => c.includes('b-0')));
      // Table: the first event carries this watcher's column definitions (written on its own),
      // the rest of the burst is one chunk.
      const tchunks = table.eventChunks();
      expect(tchunks.flat().map(nameOf)).toEqual(names);
      expect(tchunks.length).toBeLessThanOrEqual(2);
      expect(tchunks.at(-1)!.length).toBeGreaterThanOrEqual(N - 1);
      // The selector's subset of the same burst: its own chunk, not the unfiltered watchers' bytes.
      const pchunks = picked.eventChunks();
      expect(pchunks).toHaveLength(1);
      expect(pchunks[0]!.map(nameOf)).toEqual(pickedNames);
      for (const w of [...all, picked]) w.close();
    });

    it('live bursts from concurrent writes arrive exactly once, in resourceVersion order, in whole-line chunks', async () => {
      const ns = 'live';
      await req(ts, 'POST', nsPath(ns, WCSS), wcss('l-seed', ns));
      const rv0 = ((await req(ts, 'GET', nsPath(ns, WCSS))).json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const path = nsPath(ns, WCSS) + `?watch=1&resourceVersion=${rv0}`;
      const watches = [new RawWatch(ts.url, path), new RawWatch(ts.url, path, POM), new RawWatch(ts.url, path + '&labelSelector=pick%3Dyes')];
      await until(() => watches.every((w) => w.status === 200) || undefined, 10_000, 'watch headers');
      // Concurrent creates are group-committed: the poller dispatches them in bursts.
      const created = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          req(ts, 'POST', nsPath(ns, WCSS), wcss(`l-${i}`, ns, i % 2 === 0 ? { pick: 'yes' } : {})).then(
            (r) => (r.json() as { metadata: { name: string; resourceVersion: string } }).metadata,
          ),
        ),
      );
      const byRv = [...created].sort((a, b) => Number(a.resourceVersion) - Number(b.resourceVersion)).map((m) => m.name);
      const pickedByRv = byRv.filter((n) => Number(n.slice(2)) % 2 === 0);
      await until(() => (watches[0]!.events().length >= N && watches[1]!.events().length >= N && watches[2]!.events().length >= pickedByRv.length) || undefined, 20_000, 'live events');
      await new Promise((r) => setTimeout(r, 200));
      expect(watches[0]!.events().map(nameOf)).toEqual(byRv);
      expect(watches[1]!.events().map(nameOf)).toEqual(byRv);
      expect(watches[2]!.events().map(nameOf)).toEqual(pickedByRv);
      for (const w of watches) for (const c of w.chunks) expect(c.endsWith('\n')).toBe(true);
      for (const w of watches) w.close();
    });

    it('a burst over 64 KiB (a watcher that fell behind) is still one chunk of whole lines, in order', async () => {
      const ns = 'big';
      await req(ts, 'POST', nsPath(ns, WCSS), wcss('g-seed', ns));
      const rv0 = ((await req(ts, 'GET', nsPath(ns, WCSS))).json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const names: string[] = [];
      for (let i = 0; i < 30; i++) {
        names.push(`g-${i}`);
        const o = wcss(`g-${i}`, ns) as { metadata: Record<string, unknown> };
        o.metadata.annotations = { pad: `${i}`.repeat(3000) };
        await req(ts, 'POST', nsPath(ns, WCSS), o);
      }
      const path = nsPath(ns, WCSS) + `?watch=1&resourceVersion=${rv0}`;
      const watches = [new RawWatch(ts.url, path), new RawWatch(ts.url, path, POM)];
      await until(() => watches.every((w) => w.events().length >= names.length) || undefined, 20_000, 'events');
      for (const w of watches) {
        const chunks = w.eventChunks();
        expect(chunks).toHaveLength(1);
        expect(chunks[0]!.map(nameOf)).toEqual(names);
        const big = w.chunks.find((c) => c.includes('"g-0"'))!;
        expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);
        expect(big.endsWith('\n')).toBe(true);
      }
      for (const w of watches) w.close();
    });

    it('an HTTP/1.0 client (no chunked encoding) gets the same burst as plain lines', async () => {
      const ns = 'old';
      await req(ts, 'POST', nsPath(ns, WCSS), wcss('o-seed', ns));
      const rv0 = ((await req(ts, 'GET', nsPath(ns, WCSS))).json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const names: string[] = [];
      for (let i = 0; i < 10; i++) {
        names.push(`o-${i}`);
        await req(ts, 'POST', nsPath(ns, WCSS), wcss(`o-${i}`, ns));
      }
      const w = new RawWatch(ts.url, nsPath(ns, WCSS) + `?watch=1&resourceVersion=${rv0}&timeoutSeconds=2`, 'application/json', true);
      await w.ended;
      expect(w.status).toBe(200);
      expect(w.chunked).toBe(false);
      expect(w.events().map(nameOf)).toEqual(names);
    });
  });
});

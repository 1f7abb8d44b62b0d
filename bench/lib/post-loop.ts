/**
 * The bench's create load generator: N keep-alive HTTP/1.1 connections, each sending one POST,
 * reading its response, then sending the next — the closed loop of N concurrent clients, as
 * `wrk` or `hey` drive a server, without node's http client in between.
 *
 * Why: node's http client (Agent, llhttp, a ClientRequest and IncomingMessage per request) cost
 * 80–140 µs of CPU per request here, about half of what the server under test spends, on the
 * same 2 cores — the bench then partly measured its own client. This one writes each request as
 * one string and parses responses at the byte level: ~20–30 µs per request. It still checks every
 * response: status line, `Content-Length` framing (the server sends no chunked create responses;
 * one would be a protocol error here, reported, not skipped) and the expected status.
 */
import net from 'node:net';

export interface PostLoopOptions {
  url: string;
  connections: number;
  ops: number;
  /** Body of request i (0 ≤ i < ops), JSON. */
  body: (i: number) => string;
  /** Status every response must have (others count as errors). */
  expectStatus: number;
}

export interface PostLoopResult {
  opsPerSec: number;
  errors: number;
  /** First few unexpected responses, for the report. */
  samples: string[];
  /** Request latency (write of the request → end of its response), ms, sorted. */
  latencies: Float64Array;
  cpuUsPerOp: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Frames HTTP/1.1 responses from socket slices; reports (status, head, body) per response. */
export class ResponseFramer {
  private buf: Buffer | undefined;

  constructor(private readonly onResponse: (status: number, head: string, body: Buffer) => void) {}

  /** Feed a slice; throws on a response that is not Content-Length framed. */
  push(chunk: Buffer): void {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) break;
      const head = buf.toString('latin1', 0, end);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 80))}`);
      const len = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!len)
        throw new Error(`response without Content-Length (chunked?): ${JSON.stringify(head.slice(0, 200))}`);
      const total = end + 4 + Number(len[1]);
      if (buf.length < total) break;
      this.onResponse(Number(status[1]), head, buf.subarray(end + 4, total));
      buf = buf.subarray(total);
    }
    this.buf = buf.length > 0 ? buf : undefined;
  }
}

export async function postLoop(o: PostLoopOptions): Promise<PostLoopResult> {
  const u = new URL(o.url);
  if (u.protocol !== 'http:') throw new Error(`postLoop speaks plain HTTP only, not ${u.protocol}`);
  const head = `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: `;
  const latencies = new Float64Array(o.ops);
  const samples: string[] = [];
  let next = 0;
  let done = 0;
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: o.connections },
      () =>
        new Promise<void>((resolve, reject) => {
          const sock = net.connect(Number(u.port || 80), u.hostname.replace(/^\[|\]$/g, ''));
          sock.setNoDelay(true);
          let sentAt = 0;
          const send = (): void => {
            const i = next++;
            if (i >= o.ops) {
              sock.end();
              resolve();
              return;
            }
            const body = o.body(i);
            sentAt = performance.now();
            sock.write(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
          };
          const framer = new ResponseFramer((status, h, body) => {
            latencies[done++] = performance.now() - sentAt;
            if (status !== o.expectStatus) {
              errors++;
              if (samples.length < 3) samples.push(`${h.split('\r\n')[0]} ${body.toString('utf8', 0, 300)}`);
            }
            send();
          });
          sock.on('connect', send);
          sock.on('data', (d: Buffer) => {
            try {
              framer.push(d);
            } catch (e) {
              sock.destroy();
              reject(e instanceof Error ? e : new Error(String(e)));
            }
          });
          sock.on('error', reject);
          sock.on('close', () =>
            next < o.ops ? reject(new Error('server closed a connection mid-run')) : resolve(),
          );
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    opsPerSec: o.ops / seconds,
    errors,
    samples,
    latencies: latencies.subarray(0, done).sort(),
    cpuUsPerOp: (cpu.user + cpu.system) / o.ops,
  };
}

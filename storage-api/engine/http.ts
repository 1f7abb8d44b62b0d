/**
 * Low-level HTTP helpers: bounded body reading, JSON/YAML/Status responses, and streaming of large
 * JSON texts with back-pressure (a 20 MB SBOM is written in slices, never concatenated).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as yamlStringify } from 'yaml';
import { StatusError, badRequest, tooLarge, type Status } from './status.js';

/** Slice size for streaming large strings: big enough for throughput, small enough to stay a copy-free view. */
const SLICE = 256 * 1024;

/**
 * Read the request body, refusing more than `limit` bytes. A declared Content-Length over the limit
 * is refused before a byte is read; a chunked body is cut off as soon as it passes the limit. In
 * both cases the connection is closed after the 413, so the client cannot keep streaming into it.
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isFinite(n) || n < 0) throw badRequest('invalid Content-Length');
    if (n > limit) {
      res.setHeader('Connection', 'close');
      throw tooLarge(limit);
    }
  }
  return await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      if (err) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
        reject(err);
        return;
      }
      // After 'end' the request emits nothing but 'close' (and perhaps 'error'), which `done`
      // ignores: leaving the listeners saves four removals (array splices) on every write request.
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onData = (c: Buffer): void => {
      total += c.length;
      if (total > limit) {
        chunks.length = 0;
        res.setHeader('Connection', 'close');
        req.pause();
        finish(tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => finish();
    const onError = (e: Error): void => finish(e);
    const onClose = (): void => finish(new Error('client closed the connection before sending the whole body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Write a string in slices, waiting for 'drain' so a slow client does not make us buffer everything. */
export async function writeString(res: ServerResponse, s: string): Promise<void> {
  if (s.length <= SLICE) {
    if (!res.write(s)) await drain(res);
    return;
  }
  for (let i = 0; i < s.length; i += SLICE) {
    if (res.destroyed) return;
    if (!res.write(s.slice(i, i + SLICE))) await drain(res);
  }
}

/**
 * Joins many small strings (list items, table rows) into ~64 KiB socket writes: one HTTP chunk
 * per 64 KiB instead of one per item, and no response-sized string either. `add` returns a
 * promise only when it had to wait for the client (back-pressure).
 */
export class BufferedWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(
    private readonly res: ServerResponse,
    private readonly limit = 64 * 1024,
  ) {}

  add(s: string): Promise<void> | undefined {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= this.limit ? this.flush() : undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.size === 0) return undefined;
    const chunk = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.size = 0;
    return this.res.write(chunk) ? undefined : drain(this.res);
  }

  /**
   * Writes `head`, the `count` items joined by commas and `]}`, then ends the response. An item is
   * rendered only when it is written; a client that goes away stops the loop at the next wait.
   */
  async arrayDocument(head: string, count: number, item: (i: number) => string): Promise<void> {
    await this.add(head);
    for (let i = 0; i < count; i++) {
      const p = this.add(i > 0 ? `,${item(i)}` : item(i));
      if (p) {
        await p;
        if (this.res.destroyed) return;
      }
    }
    await this.add(']}');
    await this.flush();
    this.res.end();
  }
}

export function drain(res: ServerResponse): Promise<void> {
  return drainOrClose(res, res.destroyed || res.writableEnded);
}

/** Resolves on the stream's next 'drain' or 'close', or at once when `settled` (nothing to wait for). */
export function drainOrClose(stream: Pick<NodeJS.EventEmitter, 'on' | 'off'>, settled: boolean): Promise<void> {
  if (settled) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

export function sendJson(res: ServerResponse, code: number, value: unknown, contentType = 'application/json'): void {
  if (res.headersSent) return;
  const text = JSON.stringify(value);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendYaml(res: ServerResponse, code: number, value: unknown): void {
  if (res.headersSent) return;
  const text = yamlStringify(value, { lineWidth: 0 });
  res.writeHead(code, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A Status error; adds Retry-After when the Status asks for a retry. */
export function sendStatus(res: ServerResponse, err: StatusError, yaml = false): void {
  if (res.headersSent) {
    // Mid-stream failure: the only honest thing left is to cut the connection so the client sees
    // a truncated response rather than a well-formed partial one.
    res.destroy();
    return;
  }
  const st: Status = err.toStatus();
  if (st.details?.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(st.details.retryAfterSeconds));
  if (yaml) sendYaml(res, st.code, st);
  else sendJson(res, st.code, st);
}

/** Warning headers (RFC 7234 style, as kube-apiserver sends them: `299 - "text"`). */
export function addWarning(res: ServerResponse, text: string): void {
  if (res.headersSent) return;
  const prev = res.getHeader('Warning');
  const v = `299 - ${JSON.stringify(text)}`;
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  res.setHeader('Warning', [...list, v]);
}

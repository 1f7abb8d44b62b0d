/**
 * The node:http request listener of a served function.
 *
 * Binary-mode events (`POST /` with a non-CloudEvents content type: what the broker delivers) take a
 * fast path that hands the Node request straight to the host's `answerPost` and writes its answer
 * with one `writeHead` + `end`, skipping hono's Request/Response objects, URL parsing, routing and
 * middleware composition: that layer cost more than the host's own work for a no-op handler
 * (bench/function-host.ts). Everything else — structured and batch mode, probes, other paths and
 * methods — goes through the hono app unchanged. `answerPost` is the same code the hono route runs,
 * and the answer is written the way @hono/node-server writes the host's responses (the header
 * object as is, plus Content-Length), so both paths answer alike (listener.test.ts compares them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { functionHost, type FunctionApp, type FunctionHost } from './host.js';
import type { HostAnswer } from './problem.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface ListenerOptions {
  /** Route binary-mode events through the fast path (default). `false` sends everything through hono. */
  fastPath?: boolean;
}

export function functionRequestListener(app: FunctionApp, opts: ListenerOptions = {}): RequestListener {
  const host = functionHost(app);
  // Also installs @hono/node-server's lightweight global Response, which the hono routes rely on.
  const slow = getRequestListener(app.fetch);
  if (opts.fastPath === false) return (req, res) => void slow(req, res);
  return (req, res) => {
    if (req.method === 'POST' && req.url === '/' && isBinaryMode(req.headers['content-type'])) {
      fast(host, req, res);
      return;
    }
    void slow(req, res);
  };
}

/** Binary mode is any content type but application/cloudevents*: those are structured or batch. */
export function isBinaryMode(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === 'application/json') return true;
  return !contentType.trimStart().toLowerCase().startsWith('application/cloudevents');
}

function fast(host: FunctionHost, req: IncomingMessage, res: ServerResponse): void {
  host.answerPost(req.headers, req).then(
    (a) => writeAnswer(host, res, a),
    // answerPost never rejects; this only guards the promise.
    (e: unknown) => writeFailure(host, res, e),
  );
}

function writeAnswer(host: FunctionHost, res: ServerResponse, a: HostAnswer): void {
  try {
    const headers: Record<string, string | number> = a.headers;
    headers['Content-Length'] = typeof a.body === 'string' ? Buffer.byteLength(a.body) : a.body.byteLength;
    res.writeHead(a.status, headers);
    res.end(a.body);
  } catch (e) {
    writeFailure(host, res, e);
  }
}

/** Writing the answer failed (e.g. an invalid header value): a plain 500 without detail, socket closed. */
function writeFailure(host: FunctionHost, res: ServerResponse, e: unknown): void {
  host.log.error({ err: e }, 'writing the answer failed');
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
  res.end('Internal Server Error');
  res.destroy();
}

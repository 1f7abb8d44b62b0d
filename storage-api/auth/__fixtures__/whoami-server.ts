/**
 * The tiny HTTPS server of the auth acceptance tests: it authenticates every request with the
 * authenticator under test and answers the result as JSON (200 with the user, or 401).
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Authenticator } from '../types.js';

export interface WhoamiServer {
  url: string;
  server: https.Server;
  close(): Promise<void>;
}

export async function startWhoami(tls: https.ServerOptions, authenticator: Authenticator): Promise<WhoamiServer> {
  const server = https.createServer(tls, (req, res) => {
    void authenticator.authenticate(req).then(
      (r) => {
        res.writeHead(r.ok ? 200 : r.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(r.ok ? r.user : { message: r.message }));
      },
      (e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CallOptions {
  /** CA that signed the server certificate. */
  ca: string;
  /** Client certificate chain (leaf first) and key; omit for no client certificate. */
  cert?: string;
  key?: string;
  headers?: OutgoingHttpHeaders;
  path?: string;
  /** Reuse connections through this agent instead of opening a fresh one. */
  agent?: https.Agent;
}

/** One request, by default on a fresh connection (so every call presents its own certificate). */
export function call(url: string, opts: CallOptions): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(opts.path ?? '/apis/spdx.softwarecomposition.kubescape.io/v1beta1', url),
      {
        method: 'GET',
        ca: opts.ca,
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        headers: opts.headers ?? {},
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

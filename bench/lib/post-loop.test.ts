import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postLoop, ResponseFramer } from './post-loop.js';

const response = (status: number, body: string): string =>
  `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('ResponseFramer', () => {
  it('frames responses split anywhere and several in one slice', () => {
    const seen: [number, string][] = [];
    const f = new ResponseFramer((s, _h, b) => seen.push([s, b.toString()]));
    const wire = Buffer.from(response(201, '{"a":"é"}') + response(409, '{}') + response(201, 'xyz'));
    // Byte by byte, then all at once.
    for (let i = 0; i < wire.length; i++) f.push(wire.subarray(i, i + 1));
    f.push(wire);
    const once: [number, string][] = [
      [201, '{"a":"é"}'],
      [409, '{}'],
      [201, 'xyz'],
    ];
    expect(seen).toEqual([...once, ...once]);
  });

  it('rejects a chunked response and a non-HTTP reply instead of skipping them', () => {
    const f = new ResponseFramer(() => undefined);
    expect(() => f.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'))).toThrow(
      /Content-Length/,
    );
    const g = new ResponseFramer(() => undefined);
    expect(() => g.push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP/);
  });
});

describe('postLoop', () => {
  it('sends every body once over keep-alive connections and counts unexpected statuses', async () => {
    const names: string[] = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const { name } = JSON.parse(body) as { name: string };
        names.push(name);
        const out = JSON.stringify({ name });
        res.writeHead(name === 'n-7' ? 409 : 201, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(out),
        });
        res.end(out);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await postLoop({
        url: `http://127.0.0.1:${port}/apis/x`,
        connections: 3,
        ops: 50,
        body: (i) => JSON.stringify({ name: `n-${i}` }),
        expectStatus: 201,
      });
      expect(names.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `n-${i}`).sort());
      expect(connections).toBe(3);
      expect(r.errors).toBe(1);
      expect(r.samples[0]).toMatch(/^HTTP\/1\.1 409/);
      expect(r.latencies.length).toBe(50);
      expect(r.opsPerSec).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});

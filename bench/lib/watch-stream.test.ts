import { describe, expect, it } from 'vitest';
import { WatchStreamParser } from './watch-stream.js';

function eventLine(i: number, t0: string, type = 'ADDED'): string {
  return `{"type":"${type}","object":{"kind":"X","metadata":{"name":"w-${i}","labels":{"bench":"yes"},"annotations":{"bench/t0":"${t0}|${i}","other":"v"}},"spec":{"a":"${'x'.repeat(i % 7)}\\n"}}}\n`;
}

function chunked(parts: string[]): string {
  return parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('');
}

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';

function parse(wire: Buffer, cuts: number[]): { events: [number, number][]; errors: string[]; parser: WatchStreamParser } {
  const events: [number, number][] = [];
  const errors: string[] = [];
  const parser = new WatchStreamParser({ event: (t, i) => events.push([t, i]), error: (e) => errors.push(e) });
  // Feed through one reused buffer, overwritten after each slice, as the socket reader does.
  const scratch = Buffer.alloc(wire.length + 64, 0x7b);
  let at = 0;
  for (const cut of [...cuts, wire.length]) {
    if (cut <= at) continue;
    const off = 3;
    wire.copy(scratch, off, at, cut);
    parser.feed(scratch, off, off + (cut - at));
    scratch.fill(0x0a);
    at = cut;
  }
  return { events, errors, parser };
}

describe('WatchStreamParser', () => {
  const lines = Array.from({ length: 12 }, (_, i) => eventLine(i, `${1764228312345 + i}.${125 + i}`));
  // Bursts of several lines per chunk, and one line split over two chunks (large-object path).
  const split = lines[7]!.length >> 1;
  const body = [lines.slice(0, 3).join(''), lines[3]!, lines.slice(4, 7).join(''), lines[7]!.slice(0, split), lines[7]!.slice(split), lines.slice(8).join('')];
  const wire = Buffer.from(HEAD + chunked(body) + '0\r\n\r\n');
  const want = lines.map((_, i) => [1764228312345 + i + (125 + i) / 1000, i]);

  it('reports every event line in order, whole or cut anywhere', () => {
    const whole = parse(wire, []);
    expect(whole.errors).toEqual([]);
    expect(whole.events.map(([, i]) => i)).toEqual(want.map(([, i]) => i));
    whole.events.forEach(([t], k) => expect(t).toBeCloseTo(want[k]![0]!, 6));
    expect(whole.parser.ended).toBe(true);
    expect(whole.parser.lines).toBe(12);
    for (let cut = 1; cut < wire.length; cut += 7) {
      const r = parse(wire, [cut, cut + 1, cut + 13]);
      expect(r.errors).toEqual([]);
      expect(r.events.map(([, i]) => i)).toEqual(want.map(([, i]) => i));
    }
    // Byte by byte.
    const r = parse(wire, Array.from({ length: wire.length }, (_, k) => k));
    expect(r.events).toHaveLength(12);
    expect(r.errors).toEqual([]);
  });

  it('skips bookmarks and reports ERROR lines and lines without the annotation', () => {
    const bm = '{"type":"BOOKMARK","object":{"kind":"X","metadata":{"resourceVersion":"9"}}}\n';
    const err = '{"type":"ERROR","object":{"kind":"Status","code":410}}\n';
    const plain = '{"type":"ADDED","object":{"kind":"X","metadata":{"name":"q"}}}\n';
    const r = parse(Buffer.from(HEAD + chunked([lines[0]! + bm, plain, err]) + '0\r\n\r\n'), [HEAD.length + 40]);
    expect(r.events.map(([, i]) => i)).toEqual([0]);
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/without bench\/t0/);
    expect(r.errors[1]).toMatch(/^\{"type":"ERROR"/);
  });

  it('refuses a non-200 status, an unchunked body and broken framing', () => {
    expect(parse(Buffer.from('HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n'), []).errors[0]).toMatch(/410/);
    expect(parse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'), []).errors[0]).toMatch(/not chunked/);
    const bad = Buffer.from(HEAD + `5\r\n${lines[0]}\r\n`);
    expect(parse(bad, []).errors[0]).toMatch(/longer than its size/);
    expect(parse(Buffer.from(HEAD + 'zz\r\n'), []).errors[0]).toMatch(/bad chunk size/);
  });

  it('reports a malformed annotation', () => {
    const r = parse(Buffer.from(HEAD + chunked([eventLine(3, 'abc')])), []);
    expect(r.events).toEqual([]);
    expect(r.errors[0]).toMatch(/malformed/);
  });
});

import { describe, expect, it } from 'vitest';
import { CloudEvent } from 'cloudevents';
import {
  CodecError,
  decodeMessage,
  encodeBinary,
  encodeStructured,
  fromCloudEvent,
  percentDecode,
  percentEncode,
} from './codec.js';
import { computeBackoffMs, encodeErrorData } from './broker.js';
import { joinRefUri, resolveDestination, serviceResolver } from './resolve.js';

describe('CloudEvents HTTP binding', () => {
  it('percent-encodes header values per the HTTP binding and round-trips them', () => {
    expect(percentEncode('a b"c%d€')).toBe('a%20b%22c%25d%E2%82%AC');
    expect(percentDecode('a%20b%22c%25d%E2%82%AC')).toBe('a b"c%d€');
    expect(percentDecode('100%')).toBe('100%');
  });

  it('binary round trip keeps attributes and bytes', () => {
    const ev = {
      attributes: {
        specversion: '1.0',
        id: '1',
        source: '/s',
        type: 't',
        subject: 'x y',
        datacontenttype: 'application/octet-stream',
      },
      data: Buffer.from([0, 1, 255]),
    };
    const msg = encodeBinary(ev);
    expect(msg.headers['content-type']).toBe('application/octet-stream');
    expect(msg.headers['ce-subject']).toBe('x%20y');
    expect(decodeMessage(msg)).toEqual(ev);
  });

  it('structured: JSON data as a value, text as a string, binary as data_base64', () => {
    const json = encodeStructured({
      attributes: {
        specversion: '1.0',
        id: '1',
        source: '/s',
        type: 't',
        datacontenttype: 'application/json',
      },
      data: Buffer.from('{"a":1}'),
    });
    expect(JSON.parse(json.body.toString())).toMatchObject({ data: { a: 1 } });
    const text = encodeStructured({
      attributes: { specversion: '1.0', id: '1', source: '/s', type: 't', datacontenttype: 'text/plain' },
      data: Buffer.from('hi'),
    });
    expect(JSON.parse(text.body.toString())).toMatchObject({ data: 'hi' });
    const bin = encodeStructured({
      attributes: { specversion: '1.0', id: '1', source: '/s', type: 't', datacontenttype: 'image/png' },
      data: Buffer.from([1, 2]),
    });
    expect(JSON.parse(bin.body.toString())).toMatchObject({ data_base64: 'AQI=' });
    for (const m of [json, text, bin]) {
      const back = decodeMessage({ headers: { 'content-type': m.headers['content-type']! }, body: m.body });
      expect(back.data).toEqual(
        m === json ? Buffer.from('{"a":1}') : m === text ? Buffer.from('hi') : Buffer.from([1, 2]),
      );
    }
  });

  it('rejects what is not a valid CloudEvent with 400, unsupported formats with 415', () => {
    const bad = (headers: Record<string, string>, body = '') => {
      try {
        decodeMessage({ headers, body: Buffer.from(body) });
      } catch (e) {
        return (e as CodecError).status;
      }
      return 'accepted';
    };
    expect(bad({ 'content-type': 'application/json' }, '{}')).toBe(400);
    expect(bad({ 'ce-specversion': '2.0', 'ce-id': '1', 'ce-source': 's', 'ce-type': 't' })).toBe(400);
    expect(bad({ 'ce-specversion': '1.0', 'ce-source': 's', 'ce-type': 't' })).toBe(400);
    expect(
      bad({
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': 's',
        'ce-type': 't',
        'ce-time': 'yesterday',
      }),
    ).toBe(400);
    expect(
      bad({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': 's', 'ce-type': 't', 'ce-bad_name': 'x' }),
    ).toBe(400);
    expect(
      bad(
        { 'content-type': 'application/cloudevents+json' },
        '{"specversion":"1.0","id":"1","source":"s","type":"t","ext":{"a":1}}',
      ),
    ).toBe(400);
    expect(bad({ 'content-type': 'application/cloudevents-batch+json' }, '[]')).toBe(415);
    expect(bad({ 'content-type': 'application/cloudevents+protobuf' }, '')).toBe(415);
    expect(bad({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': 's', 'ce-type': 't' })).toBe('accepted');
  });

  it('accepts SDK CloudEvents', () => {
    const ce = new CloudEvent({
      type: 't',
      source: '/s',
      data: { a: 'b' },
      datacontenttype: 'application/json',
      myext: 'v',
    });
    const ev = fromCloudEvent(ce);
    expect(ev.attributes).toMatchObject({
      id: ce.id,
      type: 't',
      source: '/s',
      myext: 'v',
      datacontenttype: 'application/json',
    });
    expect(JSON.parse(ev.data!.toString())).toEqual({ a: 'b' });
    const bytes = fromCloudEvent(
      new CloudEvent({
        type: 't',
        source: '/s',
        data: Buffer.from([7, 8]),
        datacontenttype: 'application/octet-stream',
      }),
    );
    expect(bytes.data).toEqual(Buffer.from([7, 8]));
  });
});

describe('knativeerrordata', () => {
  it('is base64 of the body without control characters, truncated to 1024 encoded bytes', () => {
    expect(encodeErrorData(Buffer.from('boom\u0000\u0007!'))).toBe(Buffer.from('boom!').toString('base64'));
    expect(encodeErrorData(Buffer.alloc(0))).toBeUndefined();
    const big = encodeErrorData(Buffer.alloc(5000, 'a'))!;
    expect(big.length).toBe(1024);
    expect(Buffer.from(big, 'base64').length).toBe(768);
  });
});

describe('destination resolution', () => {
  const ctx = { referrer: 'Trigger ns/t', field: 'spec.subscriber' };
  const resolve = serviceResolver({
    'kscape-scan': 'http://127.0.0.1:1234/',
    'other/kscape-scan': 'http://127.0.0.1:999/base',
  });
  const ref = (namespace: string) => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    name: 'kscape-scan',
    namespace,
  });

  it('maps Service refs by name, namespace/name first', () => {
    expect(resolveDestination({ ref: ref('kscape') }, resolve, ctx)).toBe('http://127.0.0.1:1234/');
    expect(resolveDestination({ ref: ref('other') }, resolve, ctx)).toBe('http://127.0.0.1:999/base');
  });

  it('appends a relative uri to the ref URL as Knative does', () => {
    expect(resolveDestination({ ref: ref('kscape'), uri: '/events?x=1' }, resolve, ctx)).toBe(
      'http://127.0.0.1:1234/events?x=1',
    );
    expect(joinRefUri('http://h/base', 'sub')).toBe('http://h/base/sub');
    expect(joinRefUri('http://h/base/', '/sub')).toBe('http://h/base/sub');
  });

  it('uses absolute URIs as written unless the resolver maps them', () => {
    expect(resolveDestination({ uri: 'http://example.test/x' }, resolve, ctx)).toBe('http://example.test/x');
    expect(
      resolveDestination(
        { uri: 'http://kscape-scan.kscape.svc/' },
        (d) => ('uri' in d ? 'http://127.0.0.1:1/' : undefined),
        ctx,
      ),
    ).toBe('http://127.0.0.1:1/');
  });

  it('names the referrer when a ref is unknown', () => {
    expect(() => resolveDestination({ ref: { ...ref('kscape'), name: 'nope' } }, resolve, ctx)).toThrow(
      /Trigger ns\/t: spec.subscriber ref serving.knative.dev\/v1 Service kscape\/nope cannot be resolved/,
    );
  });
});

describe('retry backoff', () => {
  it('exponential doubles from backoffDelay; linear grows by backoffDelay', () => {
    const exp = { backoffPolicy: 'exponential' as const, backoffDelayMs: 2000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => computeBackoffMs(exp, n))).toEqual([
      2000, 4000, 8000, 16000, 32000, 64000,
    ]);
    const lin = { backoffPolicy: 'linear' as const, backoffDelayMs: 10 };
    expect([1, 2, 3].map((n) => computeBackoffMs(lin, n))).toEqual([10, 20, 30]);
  });

  it('a longer Retry-After wins, capped by retryAfterMax', () => {
    const d = { backoffPolicy: 'linear' as const, backoffDelayMs: 100 };
    expect(computeBackoffMs(d, 1, 5000)).toBe(5000);
    expect(computeBackoffMs(d, 1, 50)).toBe(100);
    expect(computeBackoffMs({ ...d, retryAfterMaxMs: 1000 }, 1, 3_600_000)).toBe(1000);
  });
});

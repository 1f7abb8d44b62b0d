import { describe, expect, it } from 'vitest';
import { buildEvent, CATALOG, EVENT_TYPES, FUNCTION_ROUTES, parseEventData } from './index.js';

describe('event catalog', () => {
  it('has a schema for every type of DESIGN.md §4 and routes only catalog types', () => {
    expect(Object.keys(CATALOG).sort()).toEqual(Object.values(EVENT_TYPES).sort());
    for (const r of Object.values(FUNCTION_ROUTES)) {
      for (const t of [...r.consumes, ...r.produces]) expect(CATALOG).toHaveProperty([t]);
    }
  });

  it('gives every consumed type exactly one consumer and no function consumes what it produces', () => {
    const consumers = new Map<string, string[]>();
    for (const [fn, r] of Object.entries(FUNCTION_ROUTES)) {
      for (const t of r.consumes) consumers.set(t, [...(consumers.get(t) ?? []), fn]);
      for (const t of r.produces) expect(r.consumes as readonly string[]).not.toContain(t);
    }
    for (const fns of consumers.values()) expect(fns).toHaveLength(1);
  });

  it('builds events with defaults applied and the cause trace carried', () => {
    const e = buildEvent(
      EVENT_TYPES.vulnScanRequested,
      { image: 'nginx:1' },
      { source: '/kscape/test', causedBy: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } },
    );
    expect(e.data).toEqual({ image: 'nginx:1', workloads: [], pullSecrets: [] });
    expect(e.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(e.specversion).toBe('1.0');
  });

  it('rejects invalid data when building', () => {
    expect(() => buildEvent(EVENT_TYPES.ping, { job: 'nope' } as never, { source: '/x' })).toThrow();
  });

  it('parses data and explains failures with paths', () => {
    expect(parseEventData(EVENT_TYPES.ping, { job: 'tick' })).toMatchObject({ ok: true });
    expect(parseEventData('com.example.other', {})).toMatchObject({ ok: false, reason: 'unknown-type' });
    const bad = parseEventData(EVENT_TYPES.vulnScanRequested, { image: 'x', digest: 'md5:1' });
    expect(bad).toMatchObject({ ok: false, reason: 'invalid-data' });
    if (!bad.ok) expect(bad.issues?.[0]?.path).toBe('digest');
    const badCtl = parseEventData(EVENT_TYPES.configScanRequested, { controls: ['17'] });
    expect(badCtl.ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { buildEvent, parseEventData } from '../lib/events/index.js';
import type { HostFacts } from './host/facts.js';
import type { RelevancyReport } from './relevancy/tracker.js';
import { hostEvent, relevancyEvent } from './report.js';

// The agent assembles its events without the zod catalog (memory); these tests hold it to what
// the catalog's buildEvent would produce for the same data.

const identity = {
  namespace: 'shop',
  pod: 'web-7d9f-abcde',
  podUid: '1f0c-uid',
  container: 'app',
  containerID: `containerd://${'d'.repeat(64)}`,
  containerType: 'containers' as const,
  image: 'registry.example/web:1.2',
  imageDigest: `sha256:${'e'.repeat(64)}`,
  workload: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
};

const report = (over: Partial<RelevancyReport> = {}): RelevancyReport => ({
  containerId: 'd'.repeat(64),
  identity,
  files: ['/usr/lib/libc.so.6', '/app/server'],
  complete: true,
  status: 'completed',
  completion: 'complete',
  truncated: false,
  firstSeen: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('events without the catalog', () => {
  it('a relevancy report is the event buildEvent makes, and its data passes the catalog unchanged', () => {
    for (const r of [
      report(),
      report({
        identity: {
          ...identity,
          image: undefined,
          imageDigest: undefined,
          workload: undefined,
          podUid: undefined,
        },
      }),
      report({ complete: false, status: 'learning', completion: 'partial', files: [] }),
    ]) {
      const ev = relevancyEvent('worker-1', r)!;
      const parsed = parseEventData(ev.type, ev.data);
      expect(parsed).toMatchObject({ ok: true });
      expect(parsed.ok && parsed.data).toEqual(ev.data);
      const viaCatalog = buildEvent(ev.type, ev.data as never, {
        source: ev.source,
        subject: ev.subject!,
        id: ev.id,
        time: ev.time,
      });
      expect(ev).toEqual(viaCatalog);
      expect(Object.isFrozen(ev)).toBe(true);
    }
  });

  it('an unknown pod gives no event; the same report gives the same ID', () => {
    expect(relevancyEvent('worker-1', report({ identity: undefined }))).toBeUndefined();
    expect(relevancyEvent('worker-1', report())!.id).toBe(relevancyEvent('worker-1', report())!.id);
    expect(relevancyEvent('worker-1', report())!.id).not.toBe(
      relevancyEvent('worker-1', report({ files: ['/other'] }))!.id,
    );
  });

  it('a host report is the event buildEvent makes', () => {
    const facts = { schemaVersion: 1, nodeName: 'worker-1', warnings: [] } as unknown as HostFacts;
    const at = new Date('2026-01-01T00:00:00.000Z');
    const ev = hostEvent('worker-1', facts, 'abc', at);
    expect(parseEventData(ev.type, ev.data)).toMatchObject({ ok: true });
    expect(ev).toEqual(
      buildEvent(ev.type, ev.data as never, {
        source: ev.source,
        subject: ev.subject!,
        id: ev.id,
        time: ev.time,
      }),
    );
    expect(ev.time).toBe(at.toISOString());
  });
});

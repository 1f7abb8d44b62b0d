import { describe, expect, it } from 'vitest';
import {
  FilterError,
  matchFilter,
  matchTriggerFilter,
  parseFilter,
  parseTriggerFilter,
  type Attributes,
} from './filters.js';

const ev: Attributes = {
  specversion: '1.0',
  id: '1',
  source: '/apis/v1/namespaces/kscape/pingsources/kscape-posture',
  type: 'io.kubescape.configscan.requested',
  myext: 'blue',
};
const m = (raw: unknown, attrs: Attributes = ev) => matchFilter(parseFilter(raw, 'f'), attrs);

describe('Subscriptions API dialects', () => {
  it('exact matches the whole value, case-sensitively, and needs the attribute', () => {
    expect(m({ exact: { type: 'io.kubescape.configscan.requested' } })).toBe(true);
    expect(m({ exact: { type: 'io.kubescape.configscan' } })).toBe(false);
    expect(m({ exact: { type: 'IO.kubescape.configscan.requested' } })).toBe(false);
    expect(m({ exact: { myext: 'blue' } })).toBe(true);
    expect(m({ exact: { subject: 'x' } })).toBe(false);
  });

  it('prefix and suffix', () => {
    expect(m({ prefix: { type: 'io.kubescape.' } })).toBe(true);
    expect(m({ prefix: { type: 'dev.knative.' } })).toBe(false);
    expect(m({ suffix: { type: '.requested' } })).toBe(true);
    expect(m({ suffix: { type: '.completed' } })).toBe(false);
    expect(m({ prefix: { subject: 'a' } })).toBe(false);
    expect(m({ suffix: { source: 'kscape-posture' } })).toBe(true);
  });

  it('all, any, not and nesting', () => {
    expect(m({ all: [{ prefix: { type: 'io.' } }, { exact: { myext: 'blue' } }] })).toBe(true);
    expect(m({ all: [{ prefix: { type: 'io.' } }, { exact: { myext: 'red' } }] })).toBe(false);
    expect(m({ any: [{ exact: { myext: 'red' } }, { suffix: { type: 'requested' } }] })).toBe(true);
    expect(m({ any: [{ exact: { myext: 'red' } }, { suffix: { type: 'completed' } }] })).toBe(false);
    expect(m({ not: { exact: { myext: 'red' } } })).toBe(true);
    expect(m({ not: { exact: { myext: 'blue' } } })).toBe(false);
    expect(m({ not: { any: [{ exact: { myext: 'red' } }, { not: { prefix: { type: 'io.' } } }] } })).toBe(
      true,
    );
  });

  it('rejects unknown dialects, cesql, several dialects and malformed expressions, naming the path', () => {
    expect(() => parseFilter({ regex: { type: '.*' } }, 'spec.filters[0]')).toThrow(
      /spec.filters\[0\]: unknown filter dialect "regex"/,
    );
    expect(() => parseFilter({ cesql: "type = 'x'" }, 'spec.filters[1]')).toThrow(
      /spec.filters\[1\].cesql: the cesql dialect is not supported/,
    );
    expect(() => parseFilter({ exact: { type: 'a' }, prefix: { type: 'b' } }, 'f')).toThrow(
      /multiple dialects/,
    );
    expect(() => parseFilter({ exact: { type: 'a', source: 'b' } }, 'f')).toThrow(/exactly one attribute/);
    expect(() => parseFilter({ exact: { Type: 'a' } }, 'f')).toThrow(/lowercase alphanumeric/);
    expect(() => parseFilter({ prefix: { type: '' } }, 'f')).toThrow(/non-empty string/);
    expect(() => parseFilter({ all: [] }, 'f')).toThrow(/non-empty list/);
    expect(() => parseFilter({ any: [{ exact: { type: 'a' } }, { bogus: {} }] }, 'f')).toThrow(
      /f.any\[1\]: unknown filter dialect/,
    );
    expect(() => parseFilter({}, 'f')).toThrow(FilterError);
  });
});

describe('legacy filter.attributes', () => {
  const legacy = (attributes: Record<string, string>, attrs: Attributes = ev) =>
    matchTriggerFilter(parseTriggerFilter({ filter: { attributes } }), attrs);

  it('matches every pair exactly; "" means any value', () => {
    expect(legacy({ type: 'io.kubescape.configscan.requested' })).toBe(true);
    expect(legacy({ type: 'io.kubescape.configscan.requested', myext: 'blue' })).toBe(true);
    expect(legacy({ type: 'io.kubescape.configscan.requested', myext: 'red' })).toBe(false);
    expect(legacy({ type: '', source: '' })).toBe(true);
    expect(legacy({ myext: '' })).toBe(true);
  });

  it('"" on an extension requires the extension; on a standard attribute it does not (as Knative)', () => {
    expect(legacy({ otherext: '' })).toBe(false);
    expect(legacy({ subject: '' })).toBe(true);
  });

  it('an empty or absent filter matches everything', () => {
    expect(matchTriggerFilter(parseTriggerFilter({}), ev)).toBe(true);
    expect(matchTriggerFilter(parseTriggerFilter({ filter: {} }), ev)).toBe(true);
    expect(matchTriggerFilter(parseTriggerFilter({ filter: { attributes: {} } }), ev)).toBe(true);
  });

  it('rejects bad names and non-string values', () => {
    expect(() => parseTriggerFilter({ filter: { attributes: { 'my-ext': 'x' } } })).toThrow(
      /lowercase alphanumeric/,
    );
    expect(() => parseTriggerFilter({ filter: { attributes: { myext: 3 } } })).toThrow(/must be a string/);
  });
});

describe('choosing between filter and filters', () => {
  it('non-empty filters win over filter', () => {
    const f = parseTriggerFilter({
      filter: { attributes: { type: 'nope' } },
      filters: [{ exact: { myext: 'blue' } }],
    });
    expect(f.kind).toBe('filters');
    expect(matchTriggerFilter(f, ev)).toBe(true);
  });

  it('empty filters fall back to filter', () => {
    const f = parseTriggerFilter({ filter: { attributes: { type: 'nope' } }, filters: [] });
    expect(f.kind).toBe('attributes');
    expect(matchTriggerFilter(f, ev)).toBe(false);
  });

  it('every entry of filters must match', () => {
    const f = parseTriggerFilter({ filters: [{ prefix: { type: 'io.' } }, { exact: { myext: 'red' } }] });
    expect(matchTriggerFilter(f, ev)).toBe(false);
  });
});

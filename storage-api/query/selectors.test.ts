import { describe, expect, it } from 'vitest';
import type { LabelRequirement } from '../store/types.js';
import {
  SelectorParseError,
  formatLabelSelector,
  labelKeyErrors,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';
import { mulberry32 } from '../../lib/random/mulberry32.js';

describe('parseLabelSelector', () => {
  // Cases adapted from apimachinery pkg/labels/selector_test.go (TestSelectorParse, TestToString,
  // TestParserLookahead, TestRequirementConstructor).
  const good: [string, LabelRequirement[]][] = [
    ['', []],
    ['   ', []],
    [
      'x=a,y=b,z=c',
      [
        { key: 'x', op: 'eq', value: 'a' },
        { key: 'y', op: 'eq', value: 'b' },
        { key: 'z', op: 'eq', value: 'c' },
      ],
    ],
    [
      'x!=a,y=b',
      [
        { key: 'x', op: 'neq', value: 'a' },
        { key: 'y', op: 'eq', value: 'b' },
      ],
    ],
    ['x=', [{ key: 'x', op: 'eq', value: '' }]],
    ['x= ', [{ key: 'x', op: 'eq', value: '' }]],
    [
      'x=,z= ',
      [
        { key: 'x', op: 'eq', value: '' },
        { key: 'z', op: 'eq', value: '' },
      ],
    ],
    [
      'x= ,z= ',
      [
        { key: 'x', op: 'eq', value: '' },
        { key: 'z', op: 'eq', value: '' },
      ],
    ],
    ['x==a', [{ key: 'x', op: 'eq', value: 'a' }]],
    ['!x', [{ key: 'x', op: 'notexists' }]],
    ['x', [{ key: 'x', op: 'exists' }]],
    [
      '  x  ,  !y  ',
      [
        { key: 'x', op: 'exists' },
        { key: 'y', op: 'notexists' },
      ],
    ],
    ['x in (a)', [{ key: 'x', op: 'in', values: ['a'] }]],
    ['x in (b,a,b)', [{ key: 'x', op: 'in', values: ['a', 'b'] }]],
    ['x in(a, b)', [{ key: 'x', op: 'in', values: ['a', 'b'] }]],
    ['x notin (a)', [{ key: 'x', op: 'notin', values: ['a'] }]],
    ['z notin ()', [{ key: 'z', op: 'notin', values: [''] }]],
    [
      'x in (foo,,baz),y,z notin ()',
      [
        { key: 'x', op: 'in', values: ['', 'baz', 'foo'] },
        { key: 'y', op: 'exists' },
        { key: 'z', op: 'notin', values: [''] },
      ],
    ],
    ['x in (,a)', [{ key: 'x', op: 'in', values: ['', 'a'] }]],
    ['x in (a,)', [{ key: 'x', op: 'in', values: ['', 'a'] }]],
    [
      'kubescape.io/workload-kind=Deployment',
      [{ key: 'kubescape.io/workload-kind', op: 'eq', value: 'Deployment' }],
    ],
    [
      'app.kubernetes.io/name in (nginx,redis),tier!=db',
      [
        { key: 'app.kubernetes.io/name', op: 'in', values: ['nginx', 'redis'] },
        { key: 'tier', op: 'neq', value: 'db' },
      ],
    ],
    // Keywords are identifiers in value position and as keys.
    ['x=in', [{ key: 'x', op: 'eq', value: 'in' }]],
    ['in', [{ key: 'in', op: 'exists' }]],
    ['notin=x', [{ key: 'notin', op: 'eq', value: 'x' }]],
    // Sorted by key like apimachinery.
    [
      'z=1,a=2',
      [
        { key: 'a', op: 'eq', value: '2' },
        { key: 'z', op: 'eq', value: '1' },
      ],
    ],
    ['a-b_c.d=E_f-G.h', [{ key: 'a-b_c.d', op: 'eq', value: 'E_f-G.h' }]],
  ];
  it.each(good)('parses %j', (input, want) => {
    expect(parseLabelSelector(input)).toEqual(want);
  });

  const bad = [
    'x=a||y=b',
    'x==a==b',
    '!x=a',
    'x<a', // gt/lt need integers; we do not support them at all
    'x>1',
    'x in a',
    'x in (a',
    'x in (a b)',
    'x in (a,,)',
    'x notin',
    'x=a,',
    ',x=a',
    'x=a y=b',
    '=a',
    '!',
    'x!',
    '(x)',
    'x=(a)',
    '-x=a', // key must start alphanumeric
    'x-=a',
    'Example.com/x=a', // prefix must be lowercase
    '/x=a',
    'a/b/c=d',
    'x=-a', // value must start alphanumeric
    `x=${'a'.repeat(64)}`,
    `${'a'.repeat(64)}=b`,
    'x=a/b',
    'x=é',
    'x in (a, -b)',
  ];
  it.each(bad)('rejects %j', (input) => {
    expect(() => parseLabelSelector(input)).toThrow(SelectorParseError);
  });

  it('accepts the longest valid key and value', () => {
    const key = `${'a'.repeat(253)}/${'b'.repeat(63)}`;
    expect(labelKeyErrors(key)).toEqual([]);
    expect(parseLabelSelector(`${key}=${'c'.repeat(63)}`)).toHaveLength(1);
  });

  it('round-trips through formatLabelSelector', () => {
    const s = 'a in (x,y),b notin (z),c,!d,e=f,g!=h';
    expect(parseLabelSelector(formatLabelSelector(parseLabelSelector(s)))).toEqual(parseLabelSelector(s));
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'nginx', tier: 'web', empty: '' };
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', labels, true],
    ['', undefined, true],
    ['app=nginx', labels, true],
    ['app=redis', labels, false],
    ['app!=redis', labels, true],
    ['app!=nginx', labels, false],
    ['missing!=x', labels, true], // != matches absent keys
    ['app', labels, true],
    ['missing', labels, false],
    ['!missing', labels, true],
    ['!app', labels, false],
    ['app in (redis,nginx)', labels, true],
    ['app in (redis)', labels, false],
    ['missing in (a)', labels, false],
    ['app notin (redis)', labels, true],
    ['app notin (nginx)', labels, false],
    ['missing notin (a)', labels, true], // notin matches absent keys
    ['empty=', labels, true],
    ['empty in ()', labels, true],
    ['app=nginx,tier=web', labels, true],
    ['app=nginx,tier=db', labels, false],
    ['app', undefined, false],
    ['!app', undefined, true],
  ];
  it.each(cases)('%j on %j → %s', (sel, ls, want) => {
    expect(matchesLabels(parseLabelSelector(sel), ls)).toBe(want);
  });

  it('does not treat prototype properties as labels', () => {
    expect(matchesLabels(parseLabelSelector('constructor'), {})).toBe(false);
    expect(matchesLabels(parseLabelSelector('!toString'), {})).toBe(true);
  });
});

describe('parseFieldSelector', () => {
  it.each([
    ['', []],
    ['metadata.name=foo', [{ field: 'metadata.name', op: 'eq', value: 'foo' }]],
    ['metadata.name==foo', [{ field: 'metadata.name', op: 'eq', value: 'foo' }]],
    ['metadata.name!=foo', [{ field: 'metadata.name', op: 'neq', value: 'foo' }]],
    [
      'metadata.namespace=prod,metadata.name=web',
      [
        { field: 'metadata.name', op: 'eq', value: 'web' },
        { field: 'metadata.namespace', op: 'eq', value: 'prod' },
      ],
    ],
    ['metadata.name=', [{ field: 'metadata.name', op: 'eq', value: '' }]],
    ['metadata.name=a\\,b\\=c\\\\d', [{ field: 'metadata.name', op: 'eq', value: 'a,b=c\\d' }]],
    ['metadata.name=foo,', [{ field: 'metadata.name', op: 'eq', value: 'foo' }]],
  ] as const)('parses %j', (input, want) => {
    expect(parseFieldSelector(input)).toEqual(want);
  });

  it('rejects unsupported fields with the kube message', () => {
    expect(() => parseFieldSelector('spec.nodeName=n1')).toThrow('field label not supported: spec.nodeName');
    expect(() => parseFieldSelector('status.phase!=Running')).toThrow(SelectorParseError);
  });

  it.each([
    'x',
    'metadata.name',
    'metadata.name=a=b',
    'metadata.name==a==b',
    'metadata.name=a\\',
    'metadata.name=a\\x',
  ])('rejects malformed %j', (input) => {
    expect(() => parseFieldSelector(input)).toThrow(SelectorParseError);
  });

  it('matches name and namespace', () => {
    const reqs = parseFieldSelector('metadata.name=web,metadata.namespace!=kube-system');
    expect(matchesFields(reqs, { name: 'web', namespace: 'prod' })).toBe(true);
    expect(matchesFields(reqs, { name: 'web', namespace: 'kube-system' })).toBe(false);
    expect(matchesFields(reqs, { name: 'api', namespace: 'prod' })).toBe(false);
    // Cluster-scoped objects have namespace ''.
    expect(matchesFields(parseFieldSelector('metadata.namespace='), { name: 'n1' })).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: the parsers must be total — requirements or SelectorParseError, nothing else.


const ALPHABET = 'abcxyz019-_./=!(),<> \t\\\u00e9\u0000in notin metadata.name';
const SEEDS = [
  'x=a,y=b',
  'app in (a,b),!tier',
  'kubescape.io/workload-kind notin (Pod,),x',
  'metadata.name=foo,metadata.namespace!=bar',
  'metadata.name=a\\,b',
  'x in (,a,,b)',
];

function mutate(rand: () => number, s: string): string {
  const pick = (): string => ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
  const chars = [...s];
  const n = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rand() * (chars.length + 1));
    const r = rand();
    if (r < 0.33) chars.splice(at, 0, pick());
    else if (r < 0.66) chars.splice(at, 1);
    else chars[at] = pick();
  }
  return chars.join('');
}

function expectTotal(fn: (s: string) => unknown, input: string): 'ok' | 'err' {
  try {
    const out = fn(input);
    // Plain checks: expect() per iteration makes thousands of iterations slow.
    if (!Array.isArray(out)) throw new Error(`input ${JSON.stringify(input)} returned ${String(out)}`);
    return 'ok';
  } catch (e) {
    if (!(e instanceof SelectorParseError))
      throw new Error(`input ${JSON.stringify(input)} threw ${String(e)}`);
    return 'err';
  }
}

describe('selector fuzz', () => {
  it('never throws anything but SelectorParseError (seeded)', () => {
    const rand = mulberry32(0x5eed);
    const tally = { ok: 0, err: 0 };
    for (let i = 0; i < 6000; i++) {
      let input: string;
      if (i % 2 === 0) {
        const len = Math.floor(rand() * 24);
        input = Array.from({ length: len }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join('');
      } else {
        input = mutate(rand, SEEDS[i % SEEDS.length]!);
      }
      tally[expectTotal(parseLabelSelector, input)]++;
      tally[expectTotal(parseFieldSelector, input)]++;
      // Whatever parses must also format and re-parse to the same requirements.
      try {
        const reqs = parseLabelSelector(input);
        const again = parseLabelSelector(formatLabelSelector(reqs));
        if (JSON.stringify(again) !== JSON.stringify(reqs))
          throw new Error(`round-trip of ${JSON.stringify(input)} changed`);
        matchesLabels(reqs, { a: 'x', x: 'a' });
      } catch (e) {
        if (!(e instanceof SelectorParseError)) throw e;
      }
    }
    // The corpus exercises both outcomes (guards against a parser that rejects everything).
    expect(tally.ok).toBeGreaterThan(500);
    expect(tally.err).toBeGreaterThan(500);
  });
});

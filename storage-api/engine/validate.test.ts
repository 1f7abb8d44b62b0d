import { describe, expect, it } from 'vitest';
import { unknownFields } from './validate.js';

const P = 'x-kubernetes-preserve-unknown-fields';

describe('unknownFields', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        [P]: true,
        properties: {
          loose: { type: 'object', [P]: true, properties: { a: { type: 'object', [P]: true } } },
          list: {
            type: 'array',
            items: { type: 'object', [P]: true, properties: { deep: { type: 'object', properties: { ok: { type: 'string' } } } } },
          },
          map: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
          open: { type: 'object', additionalProperties: true, properties: { x: { type: 'object', properties: { y: { type: 'string' } } } } },
          tuple: { type: 'array', items: [{ type: 'object', properties: {} }] },
        },
      },
      strict: { type: 'object', properties: { known: { type: 'string' } } },
    },
  };

  it('reports unknown keys of strict objects only, also below preserve-unknown levels', () => {
    const obj = {
      spec: {
        extra: 1,
        loose: { a: { anything: { goes: true } }, b: [1, { c: 2 }] },
        list: [{ deep: { ok: 'y', bad: 1 }, other: 2 }, { deep: { ok: 'z' } }, 'scalar', null],
        map: { k1: { v: 'a', w: 'b' }, k2: { v: 'c' } },
        open: { free: { z: 1 }, x: { y: 'a', q: 1 } },
        tuple: [{ t: 1 }],
      },
      strict: { known: 'a', unknown: 'b' },
      top: true,
    };
    expect(unknownFields(schema, obj)).toEqual([
      'spec.list[0].deep.bad',
      'spec.map.k1.w',
      'spec.open.x.q',
      'strict.unknown',
      'top',
    ]);
  });

  it('finds nothing to report in subtrees that preserve unknown fields throughout, whatever they hold', () => {
    const loose = { type: 'object', [P]: true, properties: { m: { type: 'array', items: { type: 'object', [P]: true, properties: { n: { type: 'string' } } } } } };
    const obj = { m: Array.from({ length: 50 }, (_, i) => ({ n: 'x', [`k${i}`]: { deeper: [i] } })), other: { y: 1 } };
    expect(unknownFields(loose, obj)).toEqual([]);
    // The same subtree under a strict parent: the parent's unknown key is still reported.
    expect(unknownFields({ type: 'object', properties: { l: loose } }, { l: obj, nope: 1 })).toEqual(['nope']);
  });
});

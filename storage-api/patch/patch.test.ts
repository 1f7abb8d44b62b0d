import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../registry/types.js';
import { FieldSet, fromFieldsV1, toFieldsV1 } from './fieldset.js';
import {
  PatchError,
  applyJsonPatch,
  applyMergePatch,
  applyServerSideApply,
  parseApplyPatch,
  recordUpdateManagedFields,
  type ApplyResult,
  type ManagedFieldsEntry,
} from './index.js';

const T0 = '2026-11-26T10:00:00Z';
const T1 = '2026-11-26T11:00:00Z';
const T2 = '2026-11-26T12:00:00Z';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e.status;
    throw e;
  }
  return undefined;
}

describe('applyJsonPatch', () => {
  const doc = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', labels: { x: '1' } },
    data: { k: 'v' },
    list: [1, 2],
  };

  it('applies add/replace/remove/move/copy and leaves the input alone', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/y', value: '2' },
      { op: 'replace', path: '/data/k', value: 'w' },
      { op: 'remove', path: '/metadata/labels/x' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'copy', from: '/data/k', path: '/data/k2' },
      { op: 'move', from: '/data/k2', path: '/data/k3' },
      { op: 'test', path: '/list/2', value: 3 },
    ]);
    expect(out.metadata).toEqual({ name: 'a', labels: { y: '2' } });
    expect(out.data).toEqual({ k: 'w', k3: 'w' });
    expect(out.list).toEqual([1, 2, 3]);
    expect(doc.metadata.labels).toEqual({ x: '1' });
    expect(doc.list).toEqual([1, 2]);
  });

  it('failed test → 422', () => {
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'test', path: '/data/k', value: 'nope' }]))).toBe(422);
  });

  it('unresolvable path → 422 (like kube)', () => {
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'remove', path: '/spec/missing' }]))).toBe(422);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'replace', path: '/list/9', value: 1 }]))).toBe(422);
  });

  it('malformed → 400', () => {
    expect(statusOf(() => applyJsonPatch(doc, { op: 'add' }))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/a' }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: 'no-slash', value: 1 }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/a' }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'move', path: '/a' }]))).toBe(400);
    expect(statusOf(() => applyJsonPatch(doc, ['x']))).toBe(400);
  });

  it('refuses to replace the root with a non-object, and prototype pollution', () => {
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'replace', path: '', value: 5 }]))).toBe(422);
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/__proto__/polluted', value: 1 }]))).toBe(
      422,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applyMergePatch', () => {
  it('merges objects, deletes with null, replaces arrays', () => {
    const out = applyMergePatch(
      { a: { b: 1, c: 2 }, list: [1, 2], keep: true },
      { a: { b: null, d: { e: 1 } }, list: [3], n: 'x' },
    );
    expect(out).toEqual({ a: { c: 2, d: { e: 1 } }, list: [3], keep: true, n: 'x' });
  });

  it('RFC 7386 appendix examples', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(applyMergePatch({ a: 'b', b: 'c' }, { a: null })).toEqual({ b: 'c' });
    expect(applyMergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });

  it('rejects non-object patches with 400 and keeps __proto__ as data', () => {
    expect(statusOf(() => applyMergePatch({}, [1]))).toBe(400);
    expect(statusOf(() => applyMergePatch({}, 'x'))).toBe(400);
    const out = applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":1}}'));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

const deployment = (spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', ...(labels ? { labels } : {}) },
  spec,
});

/** What the engine stores: server fields added to whatever the patch module returns. */
const stored = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, uid: 'u1', resourceVersion: '5', creationTimestamp: T0 },
});

function ok(r: ApplyResult): KubeObject {
  if ('conflicts' in r) throw new Error(`unexpected conflicts ${JSON.stringify(r.conflicts)}`);
  return r.object;
}
const entries = (o: KubeObject): ManagedFieldsEntry[] =>
  (o.metadata.managedFields as ManagedFieldsEntry[]) ?? [];
const entry = (o: KubeObject, manager: string, operation = 'Apply'): ManagedFieldsEntry | undefined =>
  entries(o).find((e) => e.manager === manager && e.operation === operation);
const owned = (o: KubeObject, manager: string, operation = 'Apply'): string[] => {
  const e = entry(o, manager, operation);
  return e
    ? fromFieldsV1(e.fieldsV1)
        .paths()
        .map((p) => p.join('.'))
        .sort()
    : [];
};

describe('server-side apply', () => {
  it('creates the object and records the applier in FieldsV1', () => {
    const obj = ok(
      applyServerSideApply({
        applied: deployment({ replicas: 3 }, { app: 'web' }),
        manager: 'alice',
        force: false,
        now: T0,
      }),
    );
    expect(obj.spec).toEqual({ replicas: 3 });
    expect(entries(obj)).toEqual([
      {
        manager: 'alice',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } },
      },
    ]);
  });

  it('two managers own disjoint fields without conflict', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3 }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const b = ok(
      applyServerSideApply({
        live: a,
        applied: deployment({ paused: true }),
        manager: 'bob',
        force: false,
        now: T1,
      }),
    );
    expect(b.spec).toEqual({ replicas: 3, paused: true });
    expect(owned(b, 'alice')).toEqual(['spec.replicas']);
    expect(owned(b, 'bob')).toEqual(['spec.paused']);
    expect(entry(b, 'alice')?.time).toBe(T0);
    expect(b.metadata.uid).toBe('u1');
  });

  it('conflicts when another manager owns a field with a different value', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3 }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const r = applyServerSideApply({
      live: a,
      applied: deployment({ replicas: 5 }),
      manager: 'bob',
      force: false,
      now: T1,
    });
    expect(r).toEqual({ conflicts: [{ manager: 'alice', field: '.spec.replicas' }] });
  });

  it('shares ownership when the value is the same', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3 }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const b = ok(
      applyServerSideApply({
        live: a,
        applied: deployment({ replicas: 3 }),
        manager: 'bob',
        force: false,
        now: T1,
      }),
    );
    expect(owned(b, 'alice')).toEqual(['spec.replicas']);
    expect(owned(b, 'bob')).toEqual(['spec.replicas']);
  });

  it('force takes ownership from the other manager', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3, paused: false }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const b = ok(
      applyServerSideApply({
        live: a,
        applied: deployment({ replicas: 5 }),
        manager: 'bob',
        force: true,
        now: T1,
      }),
    );
    expect(b.spec).toEqual({ replicas: 5, paused: false });
    expect(owned(b, 'alice')).toEqual(['spec.paused']);
    expect(owned(b, 'bob')).toEqual(['spec.replicas']);
  });

  it('removes fields the applier no longer applies, unless someone else owns them', () => {
    const a1 = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3 }, { app: 'web', tier: 'front', team: 'x' }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    // bob also sets team=x (same value: shared ownership)
    const b = stored(
      ok(
        applyServerSideApply({
          live: a1,
          applied: deployment({}, { team: 'x' }),
          manager: 'bob',
          force: false,
          now: T1,
        }),
      ),
    );
    // alice drops tier and team, and replicas
    const a2 = ok(
      applyServerSideApply({
        live: b,
        applied: deployment({}, { app: 'web' }),
        manager: 'alice',
        force: false,
        now: T2,
      }),
    );
    expect(a2.metadata.labels).toEqual({ app: 'web', team: 'x' });
    expect(a2.spec).toEqual({});
    expect(owned(a2, 'alice')).toEqual(['metadata.labels.app']);
    expect(owned(a2, 'bob')).toEqual(['metadata.labels.team']);
  });

  it('never removes fields set by Update (not owned by the applier)', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3 }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const patched = recordUpdateManagedFields(
      a,
      { ...a, spec: { replicas: 3, strategy: { type: 'Recreate' } } },
      'kubectl-edit',
      'Update',
      T1,
    );
    const a2 = ok(
      applyServerSideApply({
        live: stored(patched),
        applied: deployment({ replicas: 4 }),
        manager: 'alice',
        force: false,
        now: T2,
      }),
    );
    expect(a2.spec).toEqual({ replicas: 4, strategy: { type: 'Recreate' } });
  });

  it('Update takes fields from appliers, so the next apply conflicts (kubectl scale then apply)', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3, paused: false }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const scaled = stored(
      recordUpdateManagedFields(
        a,
        { ...a, spec: { replicas: 10, paused: false } },
        'kubectl-scale',
        'Update',
        T1,
      ),
    );
    expect(owned(scaled, 'alice')).toEqual(['spec.paused']);
    expect(owned(scaled, 'kubectl-scale', 'Update')).toEqual(['spec.replicas']);
    expect(entry(scaled, 'kubectl-scale', 'Update')?.time).toBe(T1);
    expect(
      applyServerSideApply({
        live: scaled,
        applied: deployment({ replicas: 3, paused: false }),
        manager: 'alice',
        force: false,
        now: T2,
      }),
    ).toEqual({
      conflicts: [{ manager: 'kubectl-scale', field: '.spec.replicas' }],
    });
    // Applying without replicas is fine, and does not delete the scaler's value.
    const a2 = ok(
      applyServerSideApply({
        live: scaled,
        applied: deployment({ paused: false }),
        manager: 'alice',
        force: false,
        now: T2,
      }),
    );
    expect(a2.spec).toEqual({ replicas: 10, paused: false });
  });

  it('a repeated apply changes nothing, not even timestamps', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3 }, { app: 'web' }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const again = ok(
      applyServerSideApply({
        live: a,
        applied: deployment({ replicas: 3 }, { app: 'web' }),
        manager: 'alice',
        force: false,
        now: T1,
      }),
    );
    expect(again).toEqual(a);
    // A real change updates the time.
    const changed = ok(
      applyServerSideApply({
        live: a,
        applied: deployment({ replicas: 4 }, { app: 'web' }),
        manager: 'alice',
        force: false,
        now: T1,
      }),
    );
    expect(entry(changed, 'alice')?.time).toBe(T1);
  });

  it('treats lists as atomic', () => {
    const c1 = [{ name: 'web', image: 'nginx:1' }];
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ template: { spec: { containers: c1 } } }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    expect(owned(a, 'alice')).toEqual(['spec.template.spec.containers']);
    const r = applyServerSideApply({
      live: a,
      applied: deployment({ template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } }),
      manager: 'bob',
      force: false,
      now: T1,
    });
    expect(r).toEqual({ conflicts: [{ manager: 'alice', field: '.spec.template.spec.containers' }] });
  });

  it('null in the applied config deletes the field', () => {
    const a = stored(
      ok(
        applyServerSideApply({
          applied: deployment({ replicas: 3, paused: true }),
          manager: 'alice',
          force: false,
          now: T0,
        }),
      ),
    );
    const a2 = ok(
      applyServerSideApply({
        live: a,
        applied: deployment({ replicas: 3, paused: null }),
        manager: 'alice',
        force: false,
        now: T1,
      }),
    );
    expect(a2.spec).toEqual({ replicas: 3 });
    expect(owned(a2, 'alice')).toEqual(['spec.replicas']);
  });

  it('never tracks name, uid, resourceVersion ...', () => {
    const a = ok(
      applyServerSideApply({
        applied: {
          ...deployment({ replicas: 1 }),
          metadata: { name: 'web', namespace: 'default', resourceVersion: '5' },
        },
        manager: 'alice',
        force: false,
        now: T0,
      }),
    );
    expect(owned(a, 'alice')).toEqual(['spec.replicas']);
  });

  it('rejects bad input with 400', () => {
    const live = stored(deployment({}));
    expect(
      statusOf(() =>
        applyServerSideApply({
          applied: { ...deployment({}), kind: '' },
          manager: 'a',
          force: false,
          now: T0,
        }),
      ),
    ).toBe(400);
    expect(
      statusOf(() =>
        applyServerSideApply({
          live,
          applied: { ...deployment({}), kind: 'StatefulSet' },
          manager: 'a',
          force: false,
          now: T0,
        }),
      ),
    ).toBe(400);
    expect(
      statusOf(() => applyServerSideApply({ applied: deployment({}), manager: '', force: false, now: T0 })),
    ).toBe(400);
    expect(
      statusOf(() =>
        applyServerSideApply({
          applied: { ...deployment({}), metadata: { name: 'web', managedFields: [] } },
          manager: 'a',
          force: false,
          now: T0,
        }),
      ),
    ).toBe(400);
    expect(
      statusOf(() =>
        applyServerSideApply({
          live,
          applied: { ...deployment({}), metadata: { name: 'other' } },
          manager: 'a',
          force: false,
          now: T0,
        }),
      ),
    ).toBe(400);
  });

  it('parses apply bodies from YAML or JSON', () => {
    expect(
      parseApplyPatch('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n'),
    ).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: '1' },
    });
    expect(parseApplyPatch('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}').kind).toBe(
      'ConfigMap',
    );
    expect(statusOf(() => parseApplyPatch('- a\n- b'))).toBe(400);
    expect(statusOf(() => parseApplyPatch('a: [unclosed'))).toBe(400);
  });
});

describe('recordUpdateManagedFields', () => {
  it('the create fast path gives exactly what the general algorithm gives', () => {
    const objects: KubeObject[] = [
      deployment({ replicas: 2, selector: { matchLabels: { app: 'web' } }, template: {}, paused: null, list: [1, { a: 2 }] }, { app: 'web', '10': 'x', '2': 'y' }),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', namespace: 'n', uid: 'u', generation: 1, creationTimestamp: T0, annotations: { z: '1', a: '2' }, finalizers: ['f'], empty: {} },
        data: { b: '1', a: '2', nested: { deep: { deeper: 'x' }, none: {} } },
      } as KubeObject,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'only-stripped', uid: 'u' } } as KubeObject,
    ];
    for (const o of objects) {
      const fast = recordUpdateManagedFields(undefined, o, 'm', 'Update', T0);
      // A reset ([{}]) without a previous object takes the general path and owns the same fields.
      const general = recordUpdateManagedFields(undefined, { ...o, metadata: { ...o.metadata, managedFields: [{}] } }, 'm', 'Update', T0);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(general));
    }
  });

  it('records the creator as an Update manager of every field', () => {
    const o = recordUpdateManagedFields(
      undefined,
      deployment({ replicas: 2, selector: { matchLabels: { app: 'web' } } }, { app: 'web' }),
      'kubectl-create',
      'Update',
      T0,
    );
    expect(entries(o)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:replicas': {}, 'f:selector': { 'f:matchLabels': { 'f:app': {} } } },
        },
      },
    ]);
  });

  it('keeps the time of a manager whose fields did not change, and drops removed fields', () => {
    const created = stored(
      recordUpdateManagedFields(
        undefined,
        deployment({ replicas: 2, paused: true }),
        'creator',
        'Update',
        T0,
      ),
    );
    const updated = recordUpdateManagedFields(
      created,
      { ...created, spec: { replicas: 2 } },
      'editor',
      'Update',
      T1,
    );
    expect(owned(updated, 'creator', 'Update')).toEqual(['spec.replicas']);
    expect(entry(updated, 'creator', 'Update')?.time).toBe(T0);
    expect(entry(updated, 'editor', 'Update')).toBeUndefined(); // changed nothing it now owns
    const again = recordUpdateManagedFields(
      stored(updated),
      { ...stored(updated), spec: { replicas: 2 } },
      'creator',
      'Update',
      T2,
    );
    expect(entry(again, 'creator', 'Update')?.time).toBe(T0);
  });

  it('resets managedFields with [{}], keeps them with [] (clients unaware of the field)', () => {
    const created = stored(
      recordUpdateManagedFields(undefined, deployment({ replicas: 2 }), 'creator', 'Update', T0),
    );
    const reset = recordUpdateManagedFields(
      created,
      { ...created, metadata: { ...created.metadata, managedFields: [{}] } },
      'resetter',
      'Update',
      T1,
    );
    expect(reset.metadata.managedFields).toBeUndefined();
    // Reset combined with a change: the writer owns what it changed.
    const resetAndChange = recordUpdateManagedFields(
      created,
      { ...created, metadata: { ...created.metadata, managedFields: [{}] }, spec: { replicas: 3 } },
      'resetter',
      'Update',
      T1,
    );
    expect(entries(resetAndChange).map((e) => e.manager)).toEqual(['resetter']);
    expect(owned(resetAndChange, 'resetter', 'Update')).toEqual(['spec.replicas']);
    const kept = recordUpdateManagedFields(
      created,
      { ...created, metadata: { ...created.metadata, managedFields: [] } },
      'other',
      'Update',
      T1,
    );
    expect(owned(kept, 'creator', 'Update')).toEqual(['spec.replicas']);
  });

  it('takes client-edited managedFields as the baseline', () => {
    const created = stored(
      recordUpdateManagedFields(
        undefined,
        deployment({ replicas: 2, paused: true }),
        'creator',
        'Update',
        T0,
      ),
    );
    const edited: ManagedFieldsEntry[] = [
      {
        manager: 'someone',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:paused': {} } },
      },
    ];
    const out = recordUpdateManagedFields(
      created,
      { ...created, metadata: { ...created.metadata, managedFields: edited } },
      'editor',
      'Update',
      T1,
    );
    expect(entries(out).map((e) => e.manager)).toEqual(['someone']);
  });
});

describe('FieldsV1', () => {
  it('reads what kube writes (dots, keyed lists)', () => {
    const set = fromFieldsV1({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } },
      },
    });
    expect(
      set
        .paths()
        .map((p) => p.join('.'))
        .sort(),
    ).toEqual(['metadata.labels.app', 'spec.template.spec.containers']);
  });

  it('round-trips', () => {
    const s = new FieldSet([
      ['spec', 'replicas'],
      ['metadata', 'labels', 'a.b/c'],
      ['data', 'x'],
    ]);
    expect(fromFieldsV1(toFieldsV1(s)).equals(s)).toBe(true);
  });
});

describe('inputs are never mutated (results may share structure)', () => {
  const deepFreeze = <T>(v: T): T => {
    if (typeof v === 'object' && v !== null) {
      for (const x of Object.values(v)) deepFreeze(x);
      Object.freeze(v);
    }
    return v;
  };

  it('apply with pruning, force and conflicts', () => {
    const a = deepFreeze(
      stored(
        ok(
          applyServerSideApply({
            applied: deployment({ replicas: 3, x: { y: { z: 1 } } }, { app: 'web', tier: 't' }),
            manager: 'alice',
            force: false,
            now: T0,
          }),
        ),
      ),
    );
    const applied = deepFreeze(deployment({ replicas: 5 }, { app: 'web' }));
    const out = ok(applyServerSideApply({ live: a, applied, manager: 'alice', force: false, now: T1 }));
    expect(out.spec).toEqual({ replicas: 5 });
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(a.spec).toEqual({ replicas: 3, x: { y: { z: 1 } } });
    const forced = ok(
      applyServerSideApply({
        live: a,
        applied: deepFreeze(deployment({ replicas: 7 })),
        manager: 'bob',
        force: true,
        now: T1,
      }),
    );
    expect(forced.spec).toMatchObject({ replicas: 7 });
  });

  it('update bookkeeping, merge and strategic patches', async () => {
    const { applyStrategicMergePatch } = await import('./strategic.js');
    const before = deepFreeze(
      stored(recordUpdateManagedFields(undefined, deployment({ replicas: 2, list: [1] }), 'c', 'Update', T0)),
    );
    const after = deepFreeze({ ...before, spec: { replicas: 3, list: [1] } });
    expect(owned(recordUpdateManagedFields(before, after, 'e', 'Update', T1), 'e', 'Update')).toEqual([
      'spec.replicas',
    ]);
    expect(applyMergePatch(before, deepFreeze({ spec: { replicas: null, list: [2] } })).spec).toEqual({
      list: [2],
    });
    expect(
      applyStrategicMergePatch(
        deepFreeze({ spec: { containers: [{ name: 'a', image: '1' }], finalizers: ['x'] } }),
        deepFreeze({ spec: { containers: [{ name: 'a', image: '2' }] } }),
      ).spec.containers,
    ).toEqual([{ name: 'a', image: '2' }]);
  });
});

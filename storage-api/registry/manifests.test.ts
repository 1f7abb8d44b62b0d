import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError, loadManifests, parseManifests } from './manifests.js';

describe('parseManifests', () => {
  it('reads multi-document YAML, skips empty documents, flattens Lists', () => {
    const objs = parseManifests(
      [
        '# leading comment',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: { name: a, namespace: default }',
        '---',
        '---',
        '# only a comment',
        '---',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - { apiVersion: v1, kind: Namespace, metadata: { name: x } }',
        '  - apiVersion: v1',
        '    kind: PodList',
        '    items:',
        '      - { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: x } }',
      ].join('\n'),
      'f.yaml',
    );
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'Namespace/x', 'Pod/p']);
  });

  it('reads scalars like kubectl (YAML 1.1 as go-yaml v2)', () => {
    const [o] = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\nspec: { mode: 0644, flag: yes, quoted: "0644", date: 2026-01-01, time: 12:30 }\n',
      'f.yaml',
    );
    expect(o!.spec).toEqual({ mode: 420, flag: true, quoted: '0644', date: '2026-01-01', time: '12:30' });
  });

  it('names file and line for syntax errors', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n';
    try {
      parseManifests(text, 'dir/bad.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestError);
      const err = e as ManifestError;
      expect(err.file).toBe('dir/bad.yaml');
      expect(err.line).toBeGreaterThanOrEqual(8);
      expect(err.message).toMatch(/^dir\/bad\.yaml:\d+: /);
    }
  });

  it('names file and line of the document missing fields', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n---\n\napiVersion: v1\nkind: Pod\nmetadata: {}\n';
    expect(() => parseManifests(text, 'x.yaml')).toThrow('x.yaml:6: Pod: missing metadata.name');
    expect(() => parseManifests('kind: Pod\nmetadata: { name: a }\n', 'y.yaml')).toThrow(
      'y.yaml:1: missing apiVersion',
    );
    expect(() => parseManifests('- a\n- b\n', 'z.yaml')).toThrow(
      'z.yaml:1: expected an object, got an array',
    );
    expect(() => parseManifests('apiVersion: v1\nkind: List\nitems:\n  - { kind: Pod }\n', 'l.yaml')).toThrow(
      'l.yaml:1: items[0]: missing apiVersion',
    );
  });
});

describe('loadManifests', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kscape-manifests-'));
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(dir, '.hidden'));
    await writeFile(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: b }\n');
    await writeFile(join(dir, 'a.yml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n');
    await writeFile(
      join(dir, 'sub', 'deeper', 'c.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }],
      }),
    );
    await writeFile(join(dir, 'README.md'), '# not a manifest');
    await writeFile(join(dir, '.hidden', 'x.yaml'), 'not: [valid');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('walks recursively, sorted, ignoring non-manifests and hidden entries', async () => {
    const out = await loadManifests(dir);
    expect(out.map((f) => [f.file, f.objects.map((o) => o.metadata.name)])).toEqual([
      ['a.yml', ['a']],
      ['b.yaml', ['b']],
      [join('sub', 'deeper', 'c.json'), ['c']],
    ]);
  });

  it('reports the line of invalid JSON', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'kscape-manifests-bad-'));
    try {
      await writeFile(join(bad, 'x.json'), '{\n  "apiVersion": "v1",\n  "kind": \n}\n');
      await expect(loadManifests(bad)).rejects.toThrow(/^x\.json:4: invalid JSON/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

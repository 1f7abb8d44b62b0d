/**
 * Load Kubernetes manifests from a directory tree (the sandbox seed, `examples/cluster/`, and
 * test fixtures): `.yaml`, `.yml` and `.json` files, multi-document YAML, `List` kinds (`v1/List`,
 * `PodList` ...) flattened into their items. Files come back sorted by path so seeding is
 * deterministic. Every problem is a ManifestError naming the file and 1-based line.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  LineCounter,
  parseAllDocuments,
  type ParseOptions,
  type DocumentOptions,
  type SchemaOptions,
} from 'yaml';
import type { KubeObject } from './types.js';

/**
 * YAML as kubectl and kube-apiserver read it (sigs.k8s.io/yaml, i.e. go-yaml v2): YAML 1.1
 * scalars, so `defaultMode: 0644` is octal 420 and `yes`/`on` are booleans, but timestamps and
 * sexagesimal numbers (`12:30`) stay strings, as go-yaml v2 decodes them into interface{}.
 */
export const KUBE_YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) =>
    tags.filter(
      (t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'),
    ),
};

export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

const EXTENSIONS = /\.(ya?ml|json)$/i;

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    // Hidden files and folders (editor swap files, .git) are never manifests.
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && EXTENSIONS.test(e.name)) out.push(p);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check one decoded value is a Kubernetes object (or a List of them) and flatten it. */
function toObjects(value: unknown, file: string, line: number, where = ''): KubeObject[] {
  if (!isObject(value))
    throw new ManifestError(
      file,
      line,
      `${where}expected an object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || apiVersion === '')
    throw new ManifestError(file, line, `${where}missing apiVersion`);
  if (typeof kind !== 'string' || kind === '') throw new ManifestError(file, line, `${where}missing kind`);
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(value.items))) {
    if (!Array.isArray(value.items)) throw new ManifestError(file, line, `${where}${kind} without items`);
    return value.items.flatMap((item, i) => toObjects(item, file, line, `${where}items[${i}]: `));
  }
  if (!isObject(metadata)) throw new ManifestError(file, line, `${where}${kind}: missing metadata`);
  if (typeof metadata.name !== 'string' || metadata.name === '')
    throw new ManifestError(file, line, `${where}${kind}: missing metadata.name`);
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string')
    throw new ManifestError(
      file,
      line,
      `${where}${kind} ${metadata.name}: metadata.namespace must be a string`,
    );
  return [value as KubeObject];
}

/** Parse one file's text. Exported for tests and for loading a single manifest. */
export function parseManifests(text: string, file: string): KubeObject[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { ...KUBE_YAML_OPTIONS, lineCounter: lc, prettyErrors: false });
  // A file of only comments parses to an empty list.
  const list = Array.isArray(docs) ? docs : [];
  const out: KubeObject[] = [];
  for (const doc of list) {
    const startLine = lc.linePos(doc.range[0]).line;
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line ?? lc.linePos(err.pos[0]).line;
      throw new ManifestError(file, line, err.message.split('\n')[0] ?? 'YAML syntax error');
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // Empty documents (`---` followed by nothing, or only comments) are skipped like kubectl does.
    if (value === null || value === undefined) continue;
    // Report the line of the document's first content, not its `---` marker.
    const contentLine = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : startLine;
    out.push(...toObjects(value, file, contentLine));
  }
  return out;
}

/**
 * Load every manifest under `dir` (recursively). `file` in the result is relative to `dir`.
 */
export async function loadManifests(dir: string): Promise<{ file: string; objects: KubeObject[] }[]> {
  const files = (await walk(dir)).sort();
  const out: { file: string; objects: KubeObject[] }[] = [];
  for (const path of files) {
    const file = relative(dir, path);
    const text = await readFile(path, 'utf8');
    if (/\.json$/i.test(path)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        // V8's messages do not reliably carry a position: find it ourselves.
        const at = jsonErrorOffset(text);
        const line = text.slice(0, at).split('\n').length;
        throw new ManifestError(file, line, `invalid JSON: ${(e as Error).message.split('\n')[0]}`);
      }
      out.push({ file, objects: toObjects(value, file, 1) });
    } else {
      out.push({ file, objects: parseManifests(text, file) });
    }
  }
  return out;
}

/**
 * Offset of the first syntax error in a JSON text (a minimal recursive-descent checker, used
 * only after JSON.parse failed, to point at a line).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const str = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else num();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return text.length;
  } catch (at) {
    return typeof at === 'number' ? Math.min(at, text.length) : 0;
  }
}

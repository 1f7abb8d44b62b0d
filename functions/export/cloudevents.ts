/**
 * The `cloudevents` format's result exports (pure: no I/O). After the completed event itself, the
 * result objects it names travel as structured CloudEvents of export-only types (never routed by
 * the broker), cut into chunks so that no body exceeds a byte budget:
 *
 * - every chunk is `{specversion, id: <event id>.<n>, source, type, subject, time, data}` with
 *   `data = {chunk: n, chunks: N, ...header, <sections>}`; chunk 0 also carries `first`;
 * - sections are arrays split across chunks in order; their concatenation over chunks 0..N-1 is the
 *   original array (optionally nested under one `container` key of `data`);
 * - planning serializes each item only to learn its size (kept as a number); `bodies()` is lazy
 *   and serializes the items of one chunk at a time, so a large SBOM never exists as one giant
 *   string nor as a second in-memory copy (items must not change between planning and sending);
 * - an item that cannot fit the budget even alone is left out and counted in `data.omitted` of
 *   every chunk (a provider can tell the export is incomplete); it never makes a body too large;
 * - ids, order and content depend only on the event and the stored objects, so a redelivery
 *   reproduces the same ids (and, unless the objects changed in between, the same bodies).
 */

/** Export-only CloudEvents types (provider deliveries; not broker types, not in lib/events). */
export const EXPORT_EVENT_TYPES = {
  postureResults: 'io.kubescape.export.posture.results',
  vulnerabilityResults: 'io.kubescape.export.vulnerabilities.results',
  sbom: 'io.kubescape.export.sbom',
} as const;

export interface ChunkSection {
  key: string;
  items: readonly unknown[];
}

export interface ChunkedExportInput {
  /** Id of the completed event: chunk n has id `<eventId>.<n>`. */
  eventId: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  /** Fields in every chunk's data. */
  header: Record<string, unknown>;
  /** Fields only in chunk 0's data. */
  first?: Record<string, unknown>;
  sections: readonly ChunkSection[];
  /** Sections go under this key of data (avoids clashes with header keys), or directly in data. */
  container?: string;
  maxBytes: number;
}

export interface ChunkedExport {
  chunks: number;
  /** Items left out because they alone exceed the budget. */
  omitted: number;
  /** Body of every chunk, in order, built on demand. */
  bodies(): Generator<{ id: string; body: string; chunk: number }>;
}

export class ExportBudgetError extends Error {
  override name = 'ExportBudgetError';
}

const q = (v: unknown): string => JSON.stringify(v);
/** `"a":1,"b":2` of an object ('' when empty). */
const inner = (o: Record<string, unknown> | undefined): string => (o ? JSON.stringify(o).slice(1, -1) : '');

export function chunkedExport(input: ChunkedExportInput): ChunkedExport {
  const json = (i: unknown): string => JSON.stringify(i) ?? 'null';
  const sections = input.sections.map((s) => {
    const lens = new Float64Array(s.items.length);
    for (let i = 0; i < s.items.length; i++) lens[i] = Buffer.byteLength(json(s.items[i]));
    return { key: s.key, items: s.items, lens };
  });
  const total = sections.reduce((n, s) => n + s.items.length, 0);
  const digits = String(total + 1).length;

  const envelope = (n: string, N: string, omitted: string, withFirst: boolean): [string, string] => {
    const head = inner(input.header);
    const first = withFirst ? inner(input.first) : '';
    const start =
      `{"specversion":"1.0","id":${q(`${input.eventId}.${n}`)},"source":${q(input.source)},"type":${q(input.type)}` +
      `,"subject":${q(input.subject)},"time":${q(input.time)},"datacontenttype":"application/json"` +
      `,"data":{"chunk":${n},"chunks":${N}${omitted ? `,"omitted":${omitted}` : ''}${head ? `,${head}` : ''}${first ? `,${first}` : ''}` +
      (input.container ? `,${q(input.container)}:{` : ',');
    return [start, input.container ? '}}}' : '}}'];
  };
  const sectionOverhead = sections.reduce(
    (n, s, i) => n + (i ? 1 : 0) + Buffer.byteLength(`${q(s.key)}:[]`),
    0,
  );
  // Worst case widths of chunk numbers and the omitted counter: the plan below never exceeds them.
  const wide = '9'.repeat(digits);
  const overhead = (withFirst: boolean): number => {
    const [a, b] = envelope(wide, wide, wide, withFirst);
    return Buffer.byteLength(a) + Buffer.byteLength(b) + sectionOverhead;
  };
  const base0 = overhead(true);
  const baseN = overhead(false);
  if (base0 >= input.maxBytes || baseN >= input.maxBytes)
    throw new ExportBudgetError(
      `a ${input.type} chunk needs ${Math.max(base0, baseN)} bytes before any item; the budget is ${input.maxBytes}`,
    );

  // Plan: per chunk, the [from, to) range of every section.
  type Range = [number, number][];
  const plan: Range[] = [];
  const keep = sections.map((s) => new Uint8Array(s.items.length).fill(1));
  let omitted = 0;
  let cur: Range = sections.map(() => [0, 0]);
  let started = sections.map(() => false);
  let size = base0;
  let count = 0;
  for (let si = 0; si < sections.length; si++) {
    const lens = sections[si]!.lens;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i]! + 1;
      if (len + Math.max(base0, baseN) > input.maxBytes) {
        keep[si]![i] = 0;
        omitted++;
        continue;
      }
      if (count > 0 && size + len > input.maxBytes) {
        plan.push(cur);
        cur = sections.map(() => [0, 0]);
        started = sections.map(() => false);
        size = baseN;
        count = 0;
      }
      if (!started[si]) {
        cur[si] = [i, i];
        started[si] = true;
      }
      cur[si]![1] = i + 1;
      size += len;
      count++;
    }
  }
  plan.push(cur);
  const chunks = plan.length;

  return {
    chunks,
    omitted,
    *bodies() {
      for (let n = 0; n < chunks; n++) {
        const [start, end] = envelope(String(n), String(chunks), omitted ? String(omitted) : '', n === 0);
        const parts = sections.map((s, si) => {
          const [from, to] = plan[n]![si]!;
          const picked: string[] = [];
          for (let i = from; i < to; i++) if (keep[si]![i]) picked.push(json(s.items[i]));
          return `${q(s.key)}:[${picked.join(',')}]`;
        });
        yield { id: `${input.eventId}.${n}`, body: `${start}${parts.join(',')}${end}`, chunk: n };
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------
// What each export carries (and how a provider puts it back together: see README)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An SBOMSPDXv2p3 as chunk input: chunk 0 has the object's apiVersion/kind/metadata, the SPDX meta
 * (`spec.metadata`) and the document without its arrays; every top-level array of the SPDX
 * document (packages, files, relationships ...) is a section under `data.spdx`.
 */
export function sbomParts(sbom: Obj): {
  first: Obj;
  sections: ChunkSection[];
} {
  const spec = isObj(sbom.spec) ? sbom.spec : {};
  const spdx = isObj(spec.spdx) ? spec.spdx : {};
  const document: Obj = {};
  const sections: ChunkSection[] = [];
  for (const [k, v] of Object.entries(spdx)) {
    if (Array.isArray(v)) sections.push({ key: k, items: v });
    else document[k] = v;
  }
  return {
    first: {
      object: { apiVersion: sbom.apiVersion, kind: sbom.kind, metadata: sbom.metadata },
      metadata: spec.metadata ?? {},
      document,
    },
    sections,
  };
}

/**
 * A VulnerabilityManifest and its summaries as chunk input: chunk 0 has the manifest without
 * `spec.payload.matches`; sections `summaries` (VulnerabilityManifestSummary objects) and
 * `matches` (the manifest's matches, in order).
 */
export function vulnerabilityParts(
  manifest: Obj | undefined,
  summaries: readonly Obj[],
): { first: Obj; sections: ChunkSection[] } {
  let matches: unknown[] = [];
  let shell: Obj | null = null;
  if (manifest) {
    const spec = isObj(manifest.spec) ? manifest.spec : {};
    const payload = isObj(spec.payload) ? spec.payload : {};
    if (Array.isArray(payload.matches)) matches = payload.matches;
    const { matches: _dropped, ...rest } = payload;
    shell = { ...manifest, spec: { ...spec, payload: rest } };
  }
  return {
    first: { manifest: shell },
    sections: [
      { key: 'summaries', items: summaries },
      { key: 'matches', items: matches },
    ],
  };
}

/**
 * `kscape scan [files|dirs|-]`: scan manifests (YAML/JSON, multi-document, `List` kinds) with the
 * posture engine, locally, without a cluster.
 *
 * Output formats: `pretty` (table, coloured on a TTY unless NO_COLOR), `json` (the engine's report:
 * summaryDetails + results[], streamed through a temp file so it is never held whole), `sarif` (2.1.0) and `junit` (XML), the last two with one
 * result/testcase per failed control × resource.
 *
 * Exit codes: 0 done; 1 a failed control at or above `--severity-threshold`, or an input file could
 * not be read/parsed (it is reported with file:line and the other files are still scanned);
 * 2 usage errors (unknown framework or control — the message lists the valid ones —, bad format,
 * unreadable exceptions or controls-config file).
 */
import { createWriteStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { UsageError } from '../../cli/errors.js';
import { ManifestError, parseManifests } from '../../storage-api/registry/manifests.js';
import type { KubeObject } from './engine/types.js';
import { JsonReportSpool, type ChunkSink } from './json-stream.js';
import {
  catalogEntry,
  DEFAULT_CONTROL_INPUTS,
  implementedControl,
  parseControlInputs,
  parseExceptions,
  resolveSelection,
  scanResources,
  ScanSelectionError,
  type ControlInputs,
  type PostureExceptionPolicy,
  type ReportPath,
  type ReportResult,
  type ScanReport,
  type Severity,
} from './index.js';

export const FORMATS = ['pretty', 'json', 'sarif', 'junit'] as const;
export type Format = (typeof FORMATS)[number];
const SEVERITY_RANK: Record<string, number> = { unknown: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface ScanCliOptions {
  framework?: string[] | string;
  control?: string[] | string;
  exceptions?: string;
  controlsConfig?: string;
  format?: string;
  output?: string;
  severityThreshold?: string;
}

export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  readStdin: () => Promise<string>;
  /** stdout is a terminal (colours). */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

export class ScanUsageError extends Error {
  override name = 'ScanUsageError';
}

const EXT = /\.(ya?ml|json)$/i;
const KUSTOMIZE_FILES = /^(kustomization\.ya?ml|Kustomization)$/;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    // kustomize's own files (Kustomization, Component) configure a build; they are not resources.
    else if (e.isFile() && EXT.test(e.name) && !KUSTOMIZE_FILES.test(e.name)) out.push(p);
  }
  return out.sort();
}

function list(v: string[] | string | undefined): string[] {
  const arr = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return arr
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Every document is a PostureExceptionPolicy (`policyType: postureExceptionPolicy`). */
function isExceptionsFile(text: string): boolean {
  try {
    const policies = parseExceptions(text);
    return policies.length > 0 && policies.every((p) => p.policyType === 'postureExceptionPolicy');
  } catch {
    return false;
  }
}

export interface LoadedInput {
  objects: KubeObject[];
  /** resourceID-independent: which file each object came from. */
  sources: Map<KubeObject, string>;
  errors: ManifestError[];
  files: number;
}

/** Read every manifest of the paths; a malformed file is recorded and skipped. */
export async function loadInputs(
  paths: readonly string[],
  io: Pick<CliIO, 'readStdin' | 'stderr'>,
): Promise<LoadedInput> {
  const objects: KubeObject[] = [];
  const sources = new Map<KubeObject, string>();
  const errors: ManifestError[] = [];
  const files: string[] = [];
  const walked = new Set<string>();
  for (const p of paths) {
    if (p === '-') {
      files.push('-');
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new ScanUsageError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const found = await walk(p);
      found.forEach((f) => walked.add(f));
      files.push(...found);
    } else files.push(p);
  }
  let done = 0;
  for (const file of files) {
    const name = file === '-' ? '<stdin>' : file;
    let text: string | undefined;
    try {
      text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
      for (const o of parseManifests(text, name)) {
        objects.push(o);
        sources.set(o, name);
      }
    } catch (e) {
      // An exceptions file kept next to the manifests (knative/kscape-exceptions.json) configures
      // the scan; it is not a resource, like the kustomization files walk() leaves out.
      if (!(text !== undefined && walked.has(file) && isExceptionsFile(text)))
        errors.push(
          e instanceof ManifestError
            ? e
            : new ManifestError(name, 1, e instanceof Error ? e.message : String(e)),
        );
    }
    done++;
    if (files.length >= 200 && done % 100 === 0)
      io.stderr.write(`kscape: read ${done}/${files.length} files (${objects.length} objects)\n`);
  }
  return { objects, sources, errors, files: files.length };
}

// ---- formats -----------------------------------------------------------------------------------

const pathText = (p: ReportPath): string =>
  'fixPath' in p
    ? `${p.fixPath}=${p.value}`
    : 'failedPath' in p
      ? p.failedPath
      : 'reviewPath' in p
        ? p.reviewPath
        : p.deletePath;

interface Failure {
  resourceID: string;
  controlID: string;
  name: string;
  severity: Severity;
  paths: string[];
  file?: string;
}

function failures(
  results: readonly ReportResult[],
  fileOf: (resourceID: string) => string | undefined,
): Failure[] {
  const out: Failure[] = [];
  for (const r of results) {
    for (const c of r.controls) {
      if (c.status.status !== 'failed') continue;
      const paths = c.rules.filter((x) => x.status === 'failed').flatMap((x) => x.paths.map(pathText));
      const file = fileOf(r.resourceID);
      out.push({
        resourceID: r.resourceID,
        controlID: c.controlID,
        name: c.name,
        severity: c.severity,
        paths,
        ...(file ? { file } : {}),
      });
    }
  }
  return out;
}

const xml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

const sarifLevel = (s: Severity): 'error' | 'warning' | 'note' =>
  s === 'Critical' || s === 'High' ? 'error' : s === 'Medium' ? 'warning' : 'note';

export function toSarif(report: ScanReport, fails: readonly Failure[]): string {
  const ids = [...new Set(fails.map((f) => f.controlID))].sort();
  const rules = ids.map((id) => {
    const c = report.summaryDetails.controls[id];
    const name = c?.name ?? implementedControl(id)?.name ?? catalogEntry(id)?.name ?? id;
    const severity = c?.severity ?? 'Unknown';
    return {
      id,
      name:
        name
          .replace(/[^A-Za-z0-9]+/g, ' ')
          .trim()
          .replace(/ (\w)/g, (_m, ch: string) => ch.toUpperCase()) || id,
      shortDescription: { text: name },
      helpUri: `https://hub.armosec.io/docs/${id.toLowerCase()}`,
      defaultConfiguration: { level: sarifLevel(severity) },
      properties: { severity, baseScore: c?.baseScore ?? 0, tags: ['security', 'kubernetes'] },
    };
  });
  const results = fails.map((f) => ({
    ruleId: f.controlID,
    ruleIndex: ids.indexOf(f.controlID),
    level: sarifLevel(f.severity),
    message: {
      text: `${f.name} (${f.severity}) failed on ${f.resourceID}${f.paths.length ? `: ${f.paths.join(', ')}` : ''}`,
    },
    locations: [
      {
        ...(f.file && f.file !== '<stdin>'
          ? { physicalLocation: { artifactLocation: { uri: f.file.split('\\').join('/') } } }
          : {}),
        logicalLocations: [{ fullyQualifiedName: f.resourceID, kind: 'resource' }],
      },
    ],
    partialFingerprints: { resourceControl: `${f.resourceID}#${f.controlID}` },
  }));
  return `${JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: { name: 'kscape', informationUri: 'https://github.com/kubescape/kubescape', rules },
          },
          results,
        },
      ],
    },
    null,
    2,
  )}\n`;
}

export function toJunit(fails: readonly Failure[]): string {
  const byControl = new Map<string, Failure[]>();
  for (const f of fails) {
    const l = byControl.get(f.controlID);
    if (l) l.push(f);
    else byControl.set(f.controlID, [f]);
  }
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="kscape" tests="${fails.length}" failures="${fails.length}">`,
  ];
  for (const id of [...byControl.keys()].sort()) {
    const list = byControl.get(id) as Failure[];
    const first = list[0] as Failure;
    lines.push(
      `  <testsuite name="${xml(`${id} ${first.name}`)}" tests="${list.length}" failures="${list.length}">`,
    );
    for (const f of list) {
      lines.push(
        `    <testcase classname="${xml(f.resourceID)}" name="${xml(`${f.controlID} ${f.name}`)}"${f.file ? ` file="${xml(f.file)}"` : ''}>`,
      );
      lines.push(
        `      <failure message="${xml(`${f.name} failed on ${f.resourceID}`)}" type="${xml(f.severity)}">${xml(f.paths.join('\n'))}</failure>`,
      );
      lines.push(`    </testcase>`);
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`);
  return `${lines.join('\n')}\n`;
}

export function toPretty(report: ScanReport, fails: readonly Failure[], color: boolean): string {
  const c = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const sevColor: Record<string, string> = {
    Critical: '1;31',
    High: '31',
    Medium: '33',
    Low: '36',
    Unknown: '2',
  };
  const out: string[] = [];
  const controls = Object.values(report.summaryDetails.controls)
    .filter((x) => x.status === 'failed')
    .sort((a, b) => b.scoreFactor - a.scoreFactor || a.controlID.localeCompare(b.controlID));
  const rows = controls.map((x) => [
    x.severity,
    x.controlID,
    x.name,
    `${x.ResourceCounters.failedResources}/${x.ResourceCounters.failedResources + x.ResourceCounters.passedResources + x.ResourceCounters.skippedResources}`,
    `${x.complianceScore.toFixed(0)}%`,
  ]);
  const head = ['SEVERITY', 'CONTROL', 'NAME', 'FAILED', 'COMPLIANCE'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(width[i] as number))
      .join('  ')
      .trimEnd();
  if (rows.length === 0) out.push(c('32', 'No failed controls.'));
  else {
    out.push(c('1', fmt(head)));
    for (const r of rows) {
      const line = fmt(r);
      const sev = r[0] as string;
      out.push(c(sevColor[sev] ?? '0', sev) + line.slice(sev.length));
    }
  }
  if (fails.length > 0) {
    out.push('', c('1', 'Failed resources:'));
    const byRes = new Map<string, Failure[]>();
    for (const f of fails) {
      const l = byRes.get(f.resourceID);
      if (l) l.push(f);
      else byRes.set(f.resourceID, [f]);
    }
    for (const [rid, list] of byRes) {
      out.push(`  ${rid}${list[0]?.file ? c('2', `  (${list[0].file})`) : ''}`);
      for (const f of list)
        out.push(`    ${c(sevColor[f.severity] ?? '0', f.severity.padEnd(8))} ${f.controlID} ${f.name}`);
    }
  }
  const rc = report.summaryDetails.ResourceCounters;
  out.push('');
  for (const fw of report.summaryDetails.frameworks)
    out.push(`Framework ${c('1', fw.name)}: compliance ${fw.complianceScore.toFixed(2)}%`);
  out.push(
    `Resources: ${rc.passedResources + rc.failedResources + rc.skippedResources} scanned, ${c(rc.failedResources ? '31' : '32', `${rc.failedResources} failed`)}, ${rc.passedResources} passed, ${rc.skippedResources} skipped; overall compliance ${report.summaryDetails.complianceScore.toFixed(2)}%`,
  );
  return `${out.join('\n')}\n`;
}

// ---- command -----------------------------------------------------------------------------------

async function readOptional<T>(
  path: string | undefined,
  what: string,
  parse: (text: string) => T,
  fallback: T,
): Promise<T> {
  if (!path) return fallback;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ScanUsageError(`${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return parse(text);
  } catch (e) {
    throw new ScanUsageError(`${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Write to --output (a file stream, with backpressure) or to stdout. */
async function writeOutput(
  output: string | undefined,
  io: CliIO,
  produce: (out: ChunkSink) => unknown,
): Promise<void> {
  if (!output) {
    await produce(io.stdout);
    return;
  }
  const ws = createWriteStream(output);
  const failed = new Promise<never>((_, reject) => ws.on('error', reject));
  await Promise.race([Promise.resolve(produce(ws)), failed]);
  await Promise.race([new Promise<void>((resolve) => ws.end(() => resolve())), failed]);
}

/** Run a scan; returns the exit code. Usage problems throw ScanUsageError (exit 2). */
export async function runScan(paths: readonly string[], opts: ScanCliOptions, io: CliIO): Promise<number> {
  const format = (opts.format ?? 'pretty') as Format;
  if (!FORMATS.includes(format))
    throw new ScanUsageError(`unknown format "${opts.format}"; valid formats: ${FORMATS.join(', ')}`);
  const threshold = opts.severityThreshold?.toLowerCase();
  if (threshold !== undefined && !(threshold in SEVERITY_RANK && threshold !== 'unknown')) {
    throw new ScanUsageError(
      `unknown severity "${opts.severityThreshold}"; valid: low, medium, high, critical`,
    );
  }
  if (paths.length === 0)
    throw new ScanUsageError('nothing to scan: give manifest files, directories, or - for stdin');
  const frameworks = list(opts.framework);
  const controls = list(opts.control);
  try {
    resolveSelection({ frameworks, controls });
  } catch (e) {
    if (e instanceof ScanSelectionError) throw new ScanUsageError(e.message);
    throw e;
  }
  const exceptions = await readOptional<PostureExceptionPolicy[]>(
    opts.exceptions,
    'exceptions',
    parseExceptions,
    [],
  );
  const inputs = await readOptional<ControlInputs>(
    opts.controlsConfig,
    'controls config',
    (t) => parseControlInputs(t),
    DEFAULT_CONTROL_INPUTS,
  );

  const loaded = await loadInputs(paths, io);
  for (const e of loaded.errors) io.stderr.write(`kscape: ${e.file}:${e.line}: ${e.reason}\n`);
  if (loaded.objects.length >= 1000)
    io.stderr.write(`kscape: scanning ${loaded.objects.length} objects from ${loaded.files} files\n`);

  const options = { frameworks, controls, exceptions, inputs };
  let fails: Failure[];
  if (format === 'json') {
    // Streamed: the results are spooled as they complete instead of held (see json-stream.ts);
    // only what --severity-threshold needs is kept.
    fails = [];
    const spool = new JsonReportSpool();
    try {
      const report = scanResources(loaded.objects, {
        ...options,
        onResult: (r, position) => {
          spool.add(r, position);
          if (threshold) for (const f of failures([r], () => undefined)) fails.push({ ...f, paths: [] });
        },
      });
      await writeOutput(opts.output, io, (out) => spool.writeTo(report, out));
    } finally {
      spool.close();
    }
  } else {
    const report = scanResources(loaded.objects, options);
    const fileById = new Map<string, string>();
    for (const [o, file] of loaded.sources) {
      const id = `${o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : ''}/${o.apiVersion.slice(o.apiVersion.lastIndexOf('/') + 1)}/${o.metadata.namespace ?? ''}/${o.kind}/${o.metadata.name}`;
      if (!fileById.has(id)) fileById.set(id, file);
    }
    fails = failures(report.results, (id) => fileById.get(id));
    const color = format === 'pretty' && !opts.output && io.isTTY && !io.env.NO_COLOR;
    const text =
      format === 'sarif'
        ? toSarif(report, fails)
        : format === 'junit'
          ? toJunit(fails)
          : toPretty(report, fails, color);
    await writeOutput(opts.output, io, (out) => out.write(text));
  }

  let code = loaded.errors.length > 0 ? 1 : 0;
  if (threshold) {
    const min = SEVERITY_RANK[threshold] as number;
    const over = fails.filter((f) => (SEVERITY_RANK[f.severity.toLowerCase()] ?? 0) >= min);
    if (over.length > 0) {
      io.stderr.write(`kscape: ${over.length} failed control(s) at or above severity ${threshold}\n`);
      code = 1;
    }
  }
  return code;
}

/** Process I/O for the real command. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin)
        chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** The `kscape scan` action: usage errors → UsageError (exit 2), other non-zero codes → CommanderError. */
export async function scanCommand(
  paths: string[],
  opts: Record<string, unknown>,
  io: CliIO = processIO(),
): Promise<void> {
  let code: number;
  try {
    code = await runScan(paths, opts as ScanCliOptions, io);
  } catch (e) {
    if (e instanceof ScanUsageError) throw new UsageError(e.message);
    throw e;
  }
  // main() maps a CommanderError to its exit code without printing anything more.
  if (code !== 0)
    throw new CommanderError(code, 'kscape.scan.failed', `scan finished with exit code ${code}`);
}

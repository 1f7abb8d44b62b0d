/**
 * `kscape db import|update|status`: the OSV vulnerability database the `vuln` command and the vuln
 * function match against (functions/vuln/osv). Imports stream (zip entries, NDJSON lines) into a
 * new generation that replaces the current one atomically; progress goes to stderr.
 */
import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { logToStderr, openCliVulnDb } from './db-open.js';
import { table } from './sbom.js';

export interface DbIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

const defaultIO = (): DbIO => ({ stdout: process.stdout, stderr: process.stderr, isTTY: process.stderr.isTTY === true, env: process.env });

type SourceKind = 'zip' | 'ndjson' | 'json';

function kindOf(path: string): SourceKind {
  const p = path.toLowerCase();
  if (p.endsWith('.zip')) return 'zip';
  if (p.endsWith('.ndjson') || p.endsWith('.jsonl')) return 'ndjson';
  if (p.endsWith('.json')) return 'json';
  throw new UsageError(`${path}: unknown file type (expected an OSV .zip such as all.zip, .ndjson/.jsonl, or .json)`);
}

/** Counts records as they stream by and reports every `every` records (a rewritten line on a terminal). */
async function* withProgress(records: AsyncIterable<unknown>, io: DbIO, every = 5000): AsyncGenerator<unknown> {
  let n = 0;
  const started = Date.now();
  const report = (final: boolean): void => {
    const rate = Math.round(n / Math.max(0.001, (Date.now() - started) / 1000));
    const line = `read ${n.toLocaleString('en-US')} records (${rate.toLocaleString('en-US')}/s)`;
    if (io.isTTY) io.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || n % (every * 10) === 0) io.stderr.write(`${line}\n`);
  };
  for await (const r of records) {
    n++;
    if (n % every === 0) report(false);
    yield r;
  }
  report(true);
}

export async function dbImport(files: string[], opts: { mode?: string }, io: DbIO = defaultIO()): Promise<number> {
  if (files.length === 0) throw new UsageError('kscape db import needs at least one file (OSV all.zip, .ndjson or .json)');
  const mode = opts.mode ?? 'full';
  if (mode !== 'full' && mode !== 'incremental') throw new UsageError(`--mode must be full or incremental, got ${mode}`);
  const kinds = files.map((f) => {
    if (!existsSync(f) || !statSync(f).isFile()) throw new UsageError(`${f}: no such file`);
    return kindOf(f);
  });
  await logToStderr();
  const { concatSources, readOsvJsonFiles, readOsvNdjson, readOsvZip } = await import('../../functions/vuln/osv/sources.js');
  const db = await openCliVulnDb(io.env);
  try {
    const sources = files.map((f, i) => () => (kinds[i] === 'zip' ? readOsvZip(f) : kinds[i] === 'ndjson' ? readOsvNdjson(f) : readOsvJsonFiles([f])));
    io.stderr.write(`importing ${files.length} file(s) into ${db.where} (${mode})\n`);
    const r = await db.store.import(withProgress(concatSources(sources), io), { mode, sources: files });
    io.stdout.write(
      `imported ${r.imported} advisories (${r.affectedRows} affected packages) into generation ${r.generation}; ` +
        `${r.invalid} invalid, ${r.skippedNotNewer} not newer; version ${r.contentHash} in ${(r.durationMs / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

export async function dbUpdate(opts: { ecosystem?: string[]; baseUrl?: string; mode?: string }, io: DbIO = defaultIO()): Promise<number> {
  await logToStderr();
  const [{ loadVulnDbConfig, updateVulnDb, DownloadError }, { ConfigError }] = await Promise.all([import('../../functions/vuln/osv/update.js'), import('../../lib/config/env.js')]);
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (opts.baseUrl) env.KSCAPE_VULNDB_BASE_URL = opts.baseUrl;
  let cfg: ReturnType<typeof loadVulnDbConfig>;
  try {
    cfg = loadVulnDbConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message.replace(/KSCAPE_VULNDB_BASE_URL/g, '--base-url / KSCAPE_VULNDB_BASE_URL'));
    throw e;
  }
  const wanted = (opts.ecosystem ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
  // Ecosystems outside the configured list are added to it: a subset request stays incremental, so the others are kept.
  if (wanted.some((e) => !cfg.KSCAPE_VULNDB_ECOSYSTEMS.includes(e))) cfg = { ...cfg, KSCAPE_VULNDB_ECOSYSTEMS: [...new Set([...cfg.KSCAPE_VULNDB_ECOSYSTEMS, ...wanted])] };
  const mode = opts.mode;
  if (mode !== undefined && mode !== 'full' && mode !== 'incremental') throw new UsageError(`--mode must be full or incremental, got ${mode}`);
  const db = await openCliVulnDb(io.env);
  try {
    const list = wanted.length ? wanted : cfg.KSCAPE_VULNDB_ECOSYSTEMS;
    io.stderr.write(`downloading ${list.join(', ')} from ${cfg.KSCAPE_VULNDB_BASE_URL} into ${db.where}\n`);
    const r = await updateVulnDb(db.store, cfg, { ...(wanted.length ? { sources: wanted } : {}), ...(mode ? { mode } : {}) }).catch((e: unknown) => {
      if (e instanceof DownloadError) throw new DbCommandError(`download failed: ${e.message}`);
      throw e;
    });
    for (const d of r.downloads) io.stderr.write(`  ${d.ecosystem}: ${d.bytes.toLocaleString('en-US')} bytes from ${d.url}\n`);
    io.stdout.write(`updated: generation ${r.generation} (${r.mode}), ${r.imported} advisories imported, ${r.invalid} invalid; version ${r.contentHash}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

export async function dbStatus(opts: { json?: boolean }, io: DbIO = defaultIO()): Promise<number> {
  await logToStderr();
  const db = await openCliVulnDb(io.env);
  try {
    const s = await db.store.status();
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ location: db.where, ...s }, null, 2)}\n`);
      return 0;
    }
    if (s.generation === null) {
      io.stdout.write(`vulnerability database at ${db.where}: empty (run kscape db update or kscape db import)\n`);
      return 0;
    }
    const age = s.ageSeconds === null ? '?' : s.ageSeconds < 3600 ? `${Math.round(s.ageSeconds / 60)} min` : s.ageSeconds < 172_800 ? `${(s.ageSeconds / 3600).toFixed(1)} h` : `${Math.round(s.ageSeconds / 86_400)} days`;
    const lines = [
      `location:    ${db.where}`,
      `version:     ${s.contentHash}`,
      `generation:  ${s.generation}`,
      `built:       ${s.builtAt} (${age} ago)`,
      `advisories:  ${s.advisories} (${s.withdrawn} withdrawn)`,
      '',
      table([['ECOSYSTEM', 'ADVISORIES', 'AFFECTED'], ...s.ecosystems.map((e) => [e.ecosystem, String(e.advisories), String(e.affected)])]),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

/** A failure of the command that is neither a usage error nor a bug: one line, exit 1. */
export class DbCommandError extends Error {
  override name = 'DbCommandError';
}


/**
 * `io.kubescape.vulndb.update.requested`: download `<base>/<ecosystem>/all.zip` for the configured
 * ecosystems (OSV's bucket, or an air-gapped mirror with the same layout), then import them all
 * into ONE new generation and flip to it. Downloads go to a temp file (bounded size, retries with
 * backoff on network errors / 429 / 5xx) so the zip can be read with random access and the
 * process never holds a dump in memory.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  duration,
  int,
  list,
  loadConfig,
  oneOf,
  str,
  type ConfigOf,
  type Env,
} from '../../../lib/config/env.js';
import { abortableSleep } from '../../../lib/async/sleep.js';
import { logger } from '../../../lib/log/index.js';
import { concatSources, readOsvZip } from './sources.js';
import type { ImportMode, ImportResult, VulnDbStore } from './store/index.js';

const log = logger('vuln.vulndb.update');

export const vulnDbConfigSpec = {
  KSCAPE_VULNDB_BASE_URL: str({
    doc: 'Base URL of OSV per-ecosystem dumps (<base>/<ecosystem>/all.zip); point it at a mirror when air-gapped.',
    default: 'https://osv-vulnerabilities.storage.googleapis.com',
    pattern: /^https?:\/\/\S+$/,
  }),
  KSCAPE_VULNDB_ECOSYSTEMS: list({
    doc: 'OSV ecosystems to download.',
    default: [
      'Debian',
      'Ubuntu',
      'Alpine',
      'npm',
      'PyPI',
      'Maven',
      'Go',
      'RubyGems',
      'NuGet',
      'Packagist',
      'crates.io',
    ],
  }),
  KSCAPE_VULNDB_MAX_DOWNLOAD_BYTES: int({
    doc: 'Largest accepted all.zip.',
    default: 2 * 1024 * 1024 * 1024,
    min: 1024,
  }),
  KSCAPE_VULNDB_RETRIES: int({
    doc: 'Retries per download after the first attempt.',
    default: 3,
    min: 0,
    max: 20,
  }),
  KSCAPE_VULNDB_TIMEOUT: duration({ doc: 'Timeout of one download attempt.', default: 10 * 60_000 }),
  KSCAPE_VULNDB_MODE: oneOf(['full', 'incremental'] as const, {
    doc: 'full: the new DB is exactly the downloaded dumps; incremental: current DB plus records whose `modified` is newer.',
    default: 'full',
  }),
};
export type VulnDbConfig = ConfigOf<typeof vulnDbConfigSpec>;

export function loadVulnDbConfig(env: Env = process.env): VulnDbConfig {
  return loadConfig(vulnDbConfigSpec, env);
}

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  maxBytes: number;
  retries: number;
  timeoutMs: number;
  /** First backoff; doubles per attempt. */
  backoffMs?: number;
  fetch?: typeof fetch;
  /** Aborts the download and the back-off between attempts (a function host shutting down). */
  signal?: AbortSignal;
  log?: { warn(obj: object, msg: string): void };
}

export function allZipUrl(baseUrl: string, ecosystem: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(ecosystem)}/all.zip`;
}

async function downloadOnce(url: string, dest: string, opts: DownloadOptions): Promise<number> {
  const ctl = new AbortController();
  const timer = setTimeout(
    () => ctl.abort(new DownloadError(`timeout after ${opts.timeoutMs} ms`, true)),
    opts.timeoutMs,
  );
  try {
    let res: Response;
    try {
      res = await (opts.fetch ?? fetch)(url, { signal: opts.signal ? AbortSignal.any([ctl.signal, opts.signal]) : ctl.signal });
    } catch (e) {
      throw new DownloadError(`${url}: ${(e as Error).message}`, true);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new DownloadError(`${url}: HTTP ${res.status}`, res.status === 429 || res.status >= 500);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new DownloadError(`${url}: ${declared} bytes exceeds the limit of ${opts.maxBytes}`, false);
    }
    let n = 0;
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => {
      n += c.length;
      if (n > opts.maxBytes)
        body.destroy(new DownloadError(`${url}: more than ${opts.maxBytes} bytes`, false));
    });
    try {
      await pipeline(body, createWriteStream(dest));
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      throw new DownloadError(`${url}: ${(e as Error).message}`, true);
    }
    return n;
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads one URL to `dest` with retries; returns the byte count. */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<number> {
  let attempt = 0;
  for (;;) {
    try {
      return await downloadOnce(url, dest, opts);
    } catch (e) {
      opts.signal?.throwIfAborted();
      const err = e instanceof DownloadError ? e : new DownloadError(String(e), true);
      if (!err.retryable || attempt >= opts.retries) throw err;
      const wait = (opts.backoffMs ?? 1000) * 2 ** attempt;
      (opts.log ?? log).warn({ url, attempt, wait, err: err.message }, 'download failed, retrying');
      await abortableSleep(wait, opts.signal);
      attempt++;
    }
  }
}

export interface UpdateRequest {
  /** Ecosystems to fetch (subset of the configured ones); default: all configured. */
  sources?: readonly string[];
  mode?: ImportMode;
  /** Aborts downloads and retry back-offs; checked again before the import starts. */
  signal?: AbortSignal;
  log?: { warn(obj: object, msg: string): void };
}

export interface UpdateResult extends ImportResult {
  downloads: { ecosystem: string; url: string; bytes: number }[];
}

export async function updateVulnDb(
  store: VulnDbStore,
  cfg: VulnDbConfig,
  req: UpdateRequest = {},
  fetchImpl?: typeof fetch,
): Promise<UpdateResult> {
  const configured = cfg.KSCAPE_VULNDB_ECOSYSTEMS;
  const wanted = req.sources?.length ? [...req.sources] : [...configured];
  const unknown = wanted.filter((e) => !configured.includes(e));
  if (unknown.length > 0) throw new DownloadError(`ecosystems not configured: ${unknown.join(', ')}`, false);
  // A partial refresh must not drop the other ecosystems: it is incremental by construction.
  const mode: ImportMode =
    req.mode ?? (wanted.length < configured.length ? 'incremental' : cfg.KSCAPE_VULNDB_MODE);
  const dir = await mkdtemp(join(tmpdir(), 'kscape-vulndb-'));
  try {
    const downloads: UpdateResult['downloads'] = [];
    for (const eco of wanted) {
      const url = allZipUrl(cfg.KSCAPE_VULNDB_BASE_URL, eco);
      const dest = join(dir, `${downloads.length}.zip`);
      const bytes = await downloadFile(url, dest, {
        maxBytes: cfg.KSCAPE_VULNDB_MAX_DOWNLOAD_BYTES,
        retries: cfg.KSCAPE_VULNDB_RETRIES,
        timeoutMs: cfg.KSCAPE_VULNDB_TIMEOUT,
        ...(fetchImpl ? { fetch: fetchImpl, backoffMs: 10 } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.log ? { log: req.log } : {}),
      });
      downloads.push({ ecosystem: eco, url, bytes });
    }
    req.signal?.throwIfAborted();
    const result = await store.import(
      concatSources(downloads.map((_, i) => () => readOsvZip(join(dir, `${i}.zip`)))),
      { mode, sources: downloads.map((d) => d.url) },
    );
    return { ...result, downloads };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The function's DB update: osv/update.ts's semantics (configured ecosystems, subset requests are
 * incremental, all dumps into one generation) with the downloads tied to an AbortSignal, so a
 * shutting-down function host is not kept alive by a multi-GB download or a retry back-off
 * (`updateVulnDb` takes no signal). Each attempt is one `downloadFile` call without its own
 * retries; the back-off between attempts here is abortable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatSources, readOsvZip } from './osv/sources.js';
import type { ImportMode, VulnDbStore } from './osv/store/index.js';
import { allZipUrl, DownloadError, downloadFile, type UpdateResult, type VulnDbConfig } from './osv/update.js';
import { abortableSleep } from '../../lib/async/sleep.js';

export interface UpdateOptions {
  sources?: readonly string[];
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** First back-off between attempts (doubles); default 1 s. */
  backoffMs?: number;
  log?: { warn(obj: object, msg: string): void };
}


async function download(url: string, dest: string, cfg: VulnDbConfig, opts: UpdateOptions): Promise<number> {
  const base = opts.fetch ?? fetch;
  const tied: typeof fetch = (input, init) => base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, opts.signal]) : opts.signal });
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadFile(url, dest, { maxBytes: cfg.KSCAPE_VULNDB_MAX_DOWNLOAD_BYTES, retries: 0, timeoutMs: cfg.KSCAPE_VULNDB_TIMEOUT, fetch: tied });
    } catch (e) {
      opts.signal.throwIfAborted();
      const err = e instanceof DownloadError ? e : new DownloadError(String(e), true);
      if (!err.retryable || attempt >= cfg.KSCAPE_VULNDB_RETRIES) throw err;
      const wait = (opts.backoffMs ?? 1000) * 2 ** attempt;
      opts.log?.warn({ url, attempt, wait, err: err.message }, 'download failed, retrying');
      await abortableSleep(wait, opts.signal);
    }
  }
}

export async function updateDatabase(store: VulnDbStore, cfg: VulnDbConfig, opts: UpdateOptions): Promise<UpdateResult> {
  const configured = cfg.KSCAPE_VULNDB_ECOSYSTEMS;
  const wanted = opts.sources?.length ? [...opts.sources] : [...configured];
  const unknown = wanted.filter((e) => !configured.includes(e));
  if (unknown.length > 0) throw new DownloadError(`ecosystems not configured: ${unknown.join(', ')}`, false);
  // A partial refresh must not drop the other ecosystems: it is incremental by construction.
  const mode: ImportMode = wanted.length < configured.length ? 'incremental' : cfg.KSCAPE_VULNDB_MODE;
  const dir = await mkdtemp(join(tmpdir(), 'kscape-vulndb-'));
  try {
    const downloads: UpdateResult['downloads'] = [];
    for (const eco of wanted) {
      const url = allZipUrl(cfg.KSCAPE_VULNDB_BASE_URL, eco);
      const bytes = await download(url, join(dir, `${downloads.length}.zip`), cfg, opts);
      downloads.push({ ecosystem: eco, url, bytes });
    }
    opts.signal.throwIfAborted();
    const result = await store.import(
      concatSources(downloads.map((_, i) => () => readOsvZip(join(dir, `${i}.zip`)))),
      { mode, sources: downloads.map((d) => d.url) },
    );
    return { ...result, downloads };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

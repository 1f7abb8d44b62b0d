import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadFile } from './update.js';

const dir = mkdtempSync(join(tmpdir(), 'kscape-osv-update-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failing: typeof fetch = () => Promise.resolve(new Response('busy', { status: 503 }));
const quiet = { warn: () => undefined };

describe('downloadFile', () => {
  it('retries a retryable failure, then gives up with the last error', async () => {
    let calls = 0;
    const counting: typeof fetch = (...a) => (calls++, failing(...a));
    const p = downloadFile('http://osv.test/x.zip', join(dir, 'a'), { maxBytes: 100, retries: 2, timeoutMs: 1000, backoffMs: 1, fetch: counting, log: quiet });
    await expect(p).rejects.toThrow(/HTTP 503/);
    expect(calls).toBe(3);
  });

  it('an abort during the back-off ends it at once with the abort reason, not after the wait', async () => {
    const ctl = new AbortController();
    const p = downloadFile('http://osv.test/x.zip', join(dir, 'b'), {
      maxBytes: 100,
      retries: 5,
      timeoutMs: 1000,
      backoffMs: 60_000,
      fetch: failing,
      signal: ctl.signal,
      log: { warn: () => ctl.abort(new Error('shutting down')) },
    });
    // Without the abort the 60 s back-off would outlast the test's timeout.
    await expect(p).rejects.toThrow('shutting down');
  });

  it('an abort during the request is the abort reason, never retried', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const hanging: typeof fetch = (_u, init) =>
      new Promise((_res, rej) => {
        calls++;
        init?.signal?.addEventListener('abort', () => rej(new DownloadError('aborted', true)));
        ctl.abort(new Error('shutting down'));
      });
    const p = downloadFile('http://osv.test/x.zip', join(dir, 'c'), { maxBytes: 100, retries: 5, timeoutMs: 1000, backoffMs: 1, fetch: hanging, signal: ctl.signal, log: quiet });
    await expect(p).rejects.toThrow('shutting down');
    expect(calls).toBe(1);
  });
});

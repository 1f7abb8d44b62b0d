/**
 * Streaming readers for OSV dumps. Memory stays bounded by one record (or one zip entry) at a
 * time whatever the dump size: per-ecosystem `all.zip` files (npm's has >200k entries, zip64),
 * NDJSON (one record per line, as @renovatebot/osv-offline), and plain JSON files (one record or
 * an array).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export class OsvSourceError extends Error {
  override name = 'OsvSourceError';
}

/** Default cap for a single zip entry: OSV records are kilobytes; a 16 MiB entry is not a record. */
export const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true },
      (err, zf) => {
        if (err || !zf) reject(err ?? new OsvSourceError(`cannot open ${path}`));
        else resolve(zf);
      },
    );
  });
}

function readEntry(zf: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > max) {
      reject(
        new OsvSourceError(`zip entry ${entry.fileName} is ${entry.uncompressedSize} bytes (limit ${max})`),
      );
      return;
    }
    zf.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        reject(err ?? new OsvSourceError(`cannot read ${entry.fileName}`));
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n > max) {
          stream.destroy(new OsvSourceError(`zip entry ${entry.fileName} exceeds ${max} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks, n)));
    });
  });
}

/** Yields the parsed JSON of every `*.json` entry of an OSV `all.zip`, one at a time. */
export async function* readOsvZip(
  path: string,
  opts: { maxEntryBytes?: number } = {},
): AsyncGenerator<unknown> {
  const max = opts.maxEntryBytes ?? MAX_ENTRY_BYTES;
  const zf = await openZip(path);
  const next = (): Promise<yauzl.Entry | undefined> =>
    new Promise((resolve, reject) => {
      const onEntry = (e: yauzl.Entry): void => {
        cleanup();
        resolve(e);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(undefined);
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(e);
      };
      const cleanup = (): void => {
        zf.off('entry', onEntry);
        zf.off('end', onEnd);
        zf.off('error', onError);
      };
      zf.on('entry', onEntry);
      zf.on('end', onEnd);
      zf.on('error', onError);
      zf.readEntry();
    });
  try {
    for (let e = await next(); e; e = await next()) {
      if (!e.fileName.endsWith('.json') || e.fileName.endsWith('/')) continue;
      const buf = await readEntry(zf, e, max);
      try {
        yield JSON.parse(buf.toString('utf8')) as unknown;
      } catch (err) {
        throw new OsvSourceError(`${path}: ${e.fileName}: invalid JSON: ${(err as Error).message}`);
      }
    }
  } finally {
    zf.close();
  }
}

/** One OSV record per line; blank lines are skipped. */
export async function* readOsvNdjson(input: Readable | string): AsyncGenerator<unknown> {
  const stream = typeof input === 'string' ? createReadStream(input) : input;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const l of rl) {
    line++;
    const t = l.trim();
    if (t.length === 0) continue;
    try {
      yield JSON.parse(t) as unknown;
    } catch (err) {
      throw new OsvSourceError(`NDJSON line ${line}: ${(err as Error).message}`);
    }
  }
}

/** Plain `.json` files: one record each, or an array of records. */
export async function* readOsvJsonFiles(paths: readonly string[]): AsyncGenerator<unknown> {
  for (const p of paths) {
    const v = JSON.parse(await readFile(p, 'utf8')) as unknown;
    if (Array.isArray(v)) yield* v;
    else yield v;
  }
}

/** Concatenates several sources into one stream (one generation built from many dumps). */
export async function* concatSources(
  sources: readonly (() => AsyncIterable<unknown>)[],
): AsyncGenerator<unknown> {
  for (const s of sources) yield* s();
}

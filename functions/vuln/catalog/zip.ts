/**
 * Bounded, read-only zip access for catalogers (yauzl): entries are streamed one at a time and
 * only small ones are read, each capped by its declared AND its actual inflated size (yauzl checks
 * they agree, which is what stops a bomb whose header lies). Nothing is ever written to disk, so
 * entry names (`../../x`, absolute) are only strings; yauzl rejects such names when decoding, which
 * ends that archive with ZipError and is reported by the caller.
 */
import yauzl from 'yauzl';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** Read the entry (≤ max bytes inflated, else ZipError). */
  read(max: number): Promise<Buffer>;
}

const OPTIONS: yauzl.Options = { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true, decodeStrings: true };

function open(source: string | Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, zf?: yauzl.ZipFile): void => {
      if (err || !zf) reject(new ZipError(err?.message ?? 'cannot open zip'));
      else resolve(zf);
    };
    if (typeof source === 'string') yauzl.open(source, OPTIONS, cb);
    else yauzl.fromBuffer(source, OPTIONS, cb);
  });
}

function readEntry(zf: yauzl.ZipFile, entry: yauzl.Entry, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > max) {
      reject(new ZipError(`${entry.fileName}: ${entry.uncompressedSize} bytes > ${max}`));
      return;
    }
    zf.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        reject(new ZipError(`${entry.fileName}: ${err?.message ?? 'unreadable'}`));
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n > max) stream.destroy(new ZipError(`${entry.fileName}: inflates past ${max} bytes`));
        else chunks.push(c);
      });
      stream.on('error', (e: Error) => reject(e instanceof ZipError ? e : new ZipError(`${entry.fileName}: ${e.message}`)));
      stream.on('end', () => resolve(Buffer.concat(chunks, n)));
    });
  });
}

/**
 * Visit the entries of a zip (file path or in-memory bytes) in central-directory order. The visitor
 * may read the entry before returning; at most `maxEntries` are visited.
 */
export async function forEachZipEntry(source: string | Buffer, visit: (e: ZipEntry) => Promise<void>, maxEntries = 200_000): Promise<void> {
  const zf = await open(source);
  try {
    if (zf.entryCount > maxEntries) throw new ZipError(`${zf.entryCount} entries > ${maxEntries}`);
    await new Promise<void>((resolve, reject) => {
      zf.on('error', (e: Error) => reject(new ZipError(e.message)));
      zf.on('end', () => resolve());
      zf.on('entry', (e: yauzl.Entry) => {
        const entry: ZipEntry = {
          name: e.fileName,
          compressedSize: e.compressedSize,
          uncompressedSize: e.uncompressedSize,
          read: (max) => readEntry(zf, e, max),
        };
        visit(entry).then(
          () => zf.readEntry(),
          (err: unknown) => reject(err instanceof Error ? err : new ZipError(String(err))),
        );
      });
      zf.readEntry();
    });
  } finally {
    zf.close();
  }
}

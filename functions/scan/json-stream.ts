/**
 * `kscape scan --format json` without holding the report: results are serialized as the engine
 * hands them over (`onResult`) and spilled to a private temporary file, then the report is written
 * in the held report's exact layout — byte-identical to `JSON.stringify(report, null, 2)` — with
 * the results copied back from the file in their held order. Memory stays flat in the number of
 * resources (one offset per result); the summary, which needs the whole scan, is written first.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportResult, ScanReport } from './report.js';

/** Where chunks go; `write` may return false to ask for a drain (stream backpressure). */
export interface ChunkSink {
  write(chunk: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

// Array elements of `results` sit two levels deep in the pretty-printed report.
const ELEMENT_INDENT = '    ';
const RESULTS_MARK = '\n  "results": [],\n';

export class JsonReportSpool {
  private readonly dir = mkdtempSync(join(tmpdir(), 'kscape-report-'));
  private readonly fd = openSync(join(this.dir, 'results.json'), 'w+', 0o600);
  private offset = 0;
  /** Per held position: byte offset and length of the serialized result in the spool file. */
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];

  /** The engine's onResult. */
  readonly add = (result: ReportResult, position: number): void => {
    // JSON strings never contain a raw newline, so re-indenting at newlines is exact.
    const text = JSON.stringify(result, null, 2).replaceAll('\n', `\n${ELEMENT_INDENT}`);
    const bytes = Buffer.from(text, 'utf8');
    writeSync(this.fd, bytes, 0, bytes.length, this.offset);
    this.starts[position] = this.offset;
    this.lengths[position] = bytes.length;
    this.offset += bytes.length;
  };

  /** Write the whole report (`report.results` empty: the results are the spooled ones). */
  async writeTo(report: ScanReport, out: ChunkSink): Promise<void> {
    const text = `${JSON.stringify(report, null, 2)}\n`;
    const n = this.starts.length;
    const at = text.indexOf(RESULTS_MARK);
    if (n === 0 || at < 0) return write(out, text);
    await write(out, `${text.slice(0, at)}\n  "results": [\n${ELEMENT_INDENT}`);
    // Batch results into ~1 MiB writes: few syscalls, bounded buffer.
    let batch: string[] = [];
    let size = 0;
    for (let i = 0; i < n; i++) {
      const len = this.lengths[i];
      const start = this.starts[i];
      if (len === undefined || start === undefined) throw new Error(`result ${i} missing from the stream`);
      const buf = Buffer.allocUnsafe(len);
      let read = 0;
      while (read < len) read += readSync(this.fd, buf, read, len - read, start + read);
      batch.push(i === 0 ? buf.toString('utf8') : `,\n${ELEMENT_INDENT}${buf.toString('utf8')}`);
      size += len;
      if (size >= 1 << 20) {
        await write(out, batch.join(''));
        batch = [];
        size = 0;
      }
    }
    batch.push(`\n  ],\n${text.slice(at + RESULTS_MARK.length)}`);
    await write(out, batch.join(''));
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function write(out: ChunkSink, chunk: string): Promise<void> {
  if (out.write(chunk) !== false || !out.once) return Promise.resolve();
  return new Promise((resolve) => out.once?.('drain', resolve));
}

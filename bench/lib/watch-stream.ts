/**
 * The bench's watch client, at the byte level: one HTTP/1.1 watch response (status line, headers,
 * chunked framing) parsed incrementally from whatever slices the socket hands over, and every
 * event line in it reported with the `bench/t0` annotation the writer stamped ("<POST start ms>|
 * <object index>").
 *
 * Why not node's http client: with 1,000 streams at 200 writes/s the bench's own client was the
 * largest CPU consumer on the machine (llhttp, a Readable stream and a Buffer per read, a pattern
 * search over every byte), competing with the server it measures. This parser allocates nothing
 * per read (the caller reads into one static buffer), finds line ends with memchr and searches for
 * the annotation only from a line's start to the annotation (it sits in the metadata, before the
 * spec). It still checks the framing and sees every line: an event line without the annotation,
 * an ERROR line, a bad status or broken framing is reported, never skipped silently.
 */

/** What a parsed stream reports. */
export interface WatchStreamSink {
  /** The response head was accepted (200, chunked): the watch is established. */
  ready?(): void;
  /** One event line carrying the annotation: the writer's POST start and the object index. */
  event(postStart: number, index: number): void;
  /** An ERROR event line, a line without the annotation that is not a BOOKMARK, or a protocol error. */
  error(text: string): void;
}

const MARK = Buffer.from('bench/t0":"');
const LF = 0x0a;
const CR = 0x0d;
const ERROR_LINE = Buffer.from('{"type":"ERROR"');
const BOOKMARK_LINE = Buffer.from('{"type":"BOOKMARK"');

const enum Phase {
  Head,
  Size,
  Data,
  DataEnd,
  Done,
}

export class WatchStreamParser {
  private phase = Phase.Head;
  private head = '';
  private size = 0;
  private sizeDigits = 0;
  private inExtension = false;
  private left = 0;
  /** Bytes of a line that did not end in the previous slice (copied: the read buffer is reused). */
  private carry: Buffer | undefined;
  /** Lines seen (event or not), for tests and sanity checks. */
  lines = 0;

  constructor(private readonly sink: WatchStreamSink) {}

  get ended(): boolean {
    return this.phase === Phase.Done;
  }

  /** Parse buf[start, end). The bytes may be overwritten once this returns. */
  feed(buf: Buffer, start: number, end: number): void {
    let p = start;
    while (p < end) {
      switch (this.phase) {
        case Phase.Head: {
          const text = this.head + buf.toString('latin1', p, end);
          const stop = text.indexOf('\r\n\r\n');
          if (stop < 0) {
            this.head = text;
            if (text.length > 16 * 1024) this.fail('response head too long');
            return;
          }
          const consumed = stop + 4 - this.head.length;
          this.head = '';
          p += consumed;
          const h = text.slice(0, stop);
          if (!/^HTTP\/1\.1 200 /.test(h)) return this.fail(`watch response: ${h.split('\r\n')[0]}`);
          if (!/\r\ntransfer-encoding: *chunked/i.test(h)) return this.fail('watch response is not chunked');
          this.phase = Phase.Size;
          this.sink.ready?.();
          break;
        }
        case Phase.Size:
          for (; p < end; p++) {
            const c = buf[p]!;
            if (c === LF) {
              p++;
              if (this.sizeDigits === 0) return this.fail('chunk size missing');
              this.left = this.size;
              this.phase = this.size === 0 ? Phase.Done : Phase.Data;
              this.size = this.sizeDigits = 0;
              this.inExtension = false;
              break;
            }
            if (this.inExtension || c === CR) continue;
            if (c === 0x3b) {
              this.inExtension = true;
              continue;
            }
            const v = hexValue(c);
            if (v < 0) return this.fail(`bad chunk size byte 0x${c.toString(16)}`);
            this.size = this.size * 16 + v;
            this.sizeDigits++;
          }
          break;
        case Phase.Data: {
          const take = Math.min(this.left, end - p);
          this.lines_(buf, p, p + take);
          p += take;
          this.left -= take;
          if (this.left === 0) this.phase = Phase.DataEnd;
          break;
        }
        case Phase.DataEnd: {
          // The CRLF after a chunk's data.
          const c = buf[p++]!;
          if (c === LF) this.phase = Phase.Size;
          else if (c !== CR) return this.fail('chunk data longer than its size');
          break;
        }
        case Phase.Done:
          return;
      }
    }
  }

  /** The event lines of buf[s, e) (chunk data; a line may span slices and chunks). */
  private lines_(buf: Buffer, s: number, e: number): void {
    if (this.carry) {
      const nl = buf.indexOf(LF, s);
      if (nl < 0 || nl >= e) {
        this.carry = Buffer.concat([this.carry, buf.subarray(s, e)]);
        return;
      }
      const line = Buffer.concat([this.carry, buf.subarray(s, nl)]);
      this.carry = undefined;
      this.line(line, 0, line.length);
      s = nl + 1;
    }
    while (s < e) {
      const nl = buf.indexOf(LF, s);
      if (nl < 0 || nl >= e) {
        this.carry = Buffer.from(buf.subarray(s, e));
        return;
      }
      this.line(buf, s, nl);
      s = nl + 1;
    }
  }

  /** One line, buf[s, e) without its LF. */
  private line(buf: Buffer, s: number, e: number): void {
    this.lines++;
    const m = buf.indexOf(MARK, s);
    if (m < 0 || m + MARK.length > e) {
      if (startsWith(buf, s, e, BOOKMARK_LINE)) return;
      this.sink.error(startsWith(buf, s, e, ERROR_LINE) ? buf.toString('utf8', s, Math.min(e, s + 300)) : `line without bench/t0: ${buf.toString('utf8', s, Math.min(e, s + 200))}`);
      return;
    }
    // "<float>|<int>" then the closing quote.
    let p = m + MARK.length;
    let t0 = 0;
    let scale = 0;
    for (; p < e; p++) {
      const c = buf[p]!;
      if (c >= 0x30 && c <= 0x39) {
        t0 = t0 * 10 + (c - 0x30);
        if (scale) scale *= 10;
      } else if (c === 0x2e && !scale) scale = 1;
      else break;
    }
    if (scale) t0 /= scale;
    let index = 0;
    let digits = 0;
    if (buf[p] === 0x7c)
      for (p++; p < e; p++) {
        const c = buf[p]!;
        if (c < 0x30 || c > 0x39) break;
        index = index * 10 + (c - 0x30);
        digits++;
      }
    if (digits === 0 || buf[p] !== 0x22) {
      this.sink.error(`malformed bench/t0: ${buf.toString('utf8', m, Math.min(e, m + 60))}`);
      return;
    }
    this.sink.event(t0, index);
  }

  private fail(msg: string): void {
    this.phase = Phase.Done;
    this.sink.error(msg);
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function startsWith(buf: Buffer, s: number, e: number, prefix: Buffer): boolean {
  return e - s >= prefix.length && buf.compare(prefix, 0, prefix.length, s, s + prefix.length) === 0;
}

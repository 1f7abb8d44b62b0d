/**
 * Watch delivery metrics of one engine: how long an event takes from the moment the store learned
 * of its commit (StoredEvent.observedAt) to its bytes being handed to each watcher's socket.
 * A fixed histogram (0.1 ms buckets up to 5 s) so recording 200,000 deliveries a second costs an
 * array increment each and memory stays constant.
 */
const BUCKET_MS = 0.1;
const BUCKETS = 50_000;

export interface WatchStatsSnapshot {
  /** Events written to sockets (one per watcher that received it). */
  events: number;
  /** Socket writes (a burst of events to one watcher is one write). */
  writes: number;
  bytes: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class WatchStats {
  private hist = new Uint32Array(BUCKETS + 1);
  private count = 0;
  private max = 0;
  private events = 0;
  private writes = 0;
  private bytes = 0;

  write(bytes: number, events: number): void {
    this.writes++;
    this.events += events;
    this.bytes += bytes;
  }

  /** `n` deliveries that each took `ms` (a burst's events observed together). */
  latency(ms: number, n = 1): void {
    const b = Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.hist[b]! += n;
    this.count += n;
    if (ms > this.max) this.max = ms;
  }

  private pct(p: number): number {
    if (this.count === 0) return NaN;
    const want = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.hist[i]!;
      if (seen >= want) return i === BUCKETS ? this.max : Math.round((i + 1) * BUCKET_MS * 100) / 100;
    }
    return this.max;
  }

  snapshot(): WatchStatsSnapshot {
    return {
      events: this.events,
      writes: this.writes,
      bytes: this.bytes,
      p50Ms: this.pct(50),
      p90Ms: this.pct(90),
      p99Ms: this.pct(99),
      maxMs: Math.round(this.max * 100) / 100,
    };
  }

  reset(): void {
    this.hist.fill(0);
    this.count = this.max = this.events = this.writes = this.bytes = 0;
  }
}

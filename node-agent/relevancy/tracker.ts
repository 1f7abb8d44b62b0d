/**
 * The learning lifecycle per container (Kubescape node-agent, reference operator.md §5.2), applied
 * to procfs scans instead of eBPF events:
 *
 *   first seen ──initialDelay──► first report ──updatePeriod──► report … ──maxLearning──► final report (complete=true)
 *
 * Each duration gets ±jitter per container. Files accumulate between reports (union of every scan)
 * up to `maxFiles`; past the cap new files are dropped and reports say `truncated` (Kubescape's
 * `too-large`). Each report carries the full file set so far, so a consumer can take the latest
 * one as the truth and a redelivered event changes nothing. A periodic report is skipped when
 * nothing was added since the last one that was sent; the first and the final are always sent.
 *
 * `completion` says whether the profile can be trusted as exhaustive: `complete` when we saw the
 * container from (close to) its start, `partial` when it was already running before we first saw
 * it (agent restart, late scan) or when it was truncated — as Kubescape does.
 *
 * A container that disappears (exited, pod deleted) before its learning ends gets one last report
 * with complete=false and status `incomplete`, then is forgotten. Containers whose learning is over
 * are remembered by ID only (no files) so they are not learned again, until they disappear.
 */
import type { ContainerIdentity } from './pods.js';
import type { ScanResult } from './collector.js';

export interface LearningOptions {
  initialDelayMs: number;
  updatePeriodMs: number;
  maxLearningMs: number;
  jitterPercent: number;
  maxFiles: number;
  /** A container started at most this long before we first saw it counts as observed from its start. */
  startGraceMs: number;
  /** Scans in a row a learning container may be absent before it is considered gone. */
  goneAfterScans?: number;
  random?: () => number;
}

export type LearningStatus = 'learning' | 'completed' | 'incomplete';

export interface RelevancyReport {
  containerId: string;
  /** Undefined while no pod on this node is known to run this container. */
  identity: ContainerIdentity | undefined;
  files: string[];
  /** True on the report that ends the learning period. */
  complete: boolean;
  status: LearningStatus;
  completion: 'complete' | 'partial';
  truncated: boolean;
  firstSeen: string;
}

interface Tracked {
  id: string;
  identity: ContainerIdentity | undefined;
  firstSeen: number;
  files: Set<string>;
  truncated: boolean;
  /** Files count at the last successfully sent report; -1 before the first. */
  sentSize: number;
  nextReportAt: number;
  endAt: number;
  updatePeriodMs: number;
  missing: number;
  /** A report was produced but not acknowledged as sent: produce it again on the next tick. */
  retry: boolean;
  final: boolean;
  finalStatus?: LearningStatus;
}

export class RelevancyTracker {
  private readonly tracked = new Map<string, Tracked>();
  /** IDs whose learning is over; kept while the container still runs. */
  private readonly done = new Set<string>();
  private readonly random: () => number;

  constructor(private readonly opts: LearningOptions) {
    this.random = opts.random ?? Math.random;
  }

  /** Whether the collector should read this container's processes. */
  want = (containerId: string): boolean => !this.done.has(containerId);

  get size(): number {
    return this.tracked.size;
  }

  private jitter(ms: number): number {
    const f = 1 + ((this.random() * 2 - 1) * this.opts.jitterPercent) / 100;
    return Math.max(0, Math.round(ms * f));
  }

  /**
   * Merge one scan. `scan.present` lists every container seen in procfs (including those not read
   * because their learning is over); `identities` the pod identity of the scanned containers.
   */
  observe(
    scan: ScanResult,
    identities: ReadonlyMap<string, ContainerIdentity | undefined>,
    now: number,
  ): void {
    const present = scan.present;
    for (const [id, c] of scan.containers) {
      if (this.done.has(id)) continue;
      let t = this.tracked.get(id);
      const identity = identities.get(id);
      if (!t) {
        const maxLearning = identity?.maxLearningMs ?? this.opts.maxLearningMs;
        t = {
          id,
          identity,
          firstSeen: now,
          files: new Set(),
          truncated: false,
          sentSize: -1,
          nextReportAt: now + this.jitter(this.opts.initialDelayMs),
          endAt: now + this.jitter(maxLearning),
          updatePeriodMs: this.opts.updatePeriodMs,
          missing: 0,
          retry: false,
          final: false,
        };
        this.tracked.set(id, t);
      } else if (identity) {
        // Learn the identity late (pod listed after the container started) or refresh it.
        if (!t.identity && identity.maxLearningMs !== undefined)
          t.endAt = t.firstSeen + this.jitter(identity.maxLearningMs);
        t.identity = identity;
      }
      t.missing = 0;
      if (t.final) continue;
      for (const f of c.files) {
        if (t.files.has(f)) continue;
        if (t.files.size >= this.opts.maxFiles) {
          t.truncated = true;
          break;
        }
        t.files.add(f);
      }
    }
    for (const t of this.tracked.values()) {
      if (present.has(t.id) || t.final) continue;
      if (++t.missing >= (this.opts.goneAfterScans ?? 2)) {
        t.final = true;
        t.finalStatus = 'incomplete';
        t.retry = true; // report now, whatever the schedule
      }
    }
    // Forget finished containers that are gone, so a reused ID (never in practice) or memory do not leak.
    for (const id of this.done) if (!present.has(id)) this.done.delete(id);
  }

  /** Reports due at `now`. Call `ack` for each with whether it was delivered. */
  due(now: number): RelevancyReport[] {
    const out: RelevancyReport[] = [];
    for (const t of this.tracked.values()) {
      if (!t.final && now >= t.endAt) {
        t.final = true;
        t.finalStatus = 'completed';
      }
      const scheduled = t.final || now >= t.nextReportAt;
      if (!scheduled && !t.retry) continue;
      if (!t.final && now >= t.nextReportAt) t.nextReportAt = now + this.jitter(t.updatePeriodMs);
      const changed = t.files.size !== t.sentSize;
      if (!t.final && !t.retry && !changed) continue;
      out.push(this.report(t));
    }
    return out;
  }

  private report(t: Tracked): RelevancyReport {
    const startedAt = t.identity?.startedAt ? Date.parse(t.identity.startedAt) : NaN;
    const fromStart = Number.isFinite(startedAt) && t.firstSeen - startedAt <= this.opts.startGraceMs;
    return {
      containerId: t.id,
      identity: t.identity,
      files: [...t.files].sort(),
      complete: t.final && t.finalStatus === 'completed',
      status: t.final ? (t.finalStatus ?? 'completed') : 'learning',
      completion: fromStart && !t.truncated ? 'complete' : 'partial',
      truncated: t.truncated,
      firstSeen: new Date(t.firstSeen).toISOString(),
    };
  }

  /**
   * Record the outcome of sending a report. Undeliverable reports (no pod identity yet, sink down)
   * are retried on the next tick; a final report is retried until delivered, then the container's
   * files are released.
   */
  ack(containerId: string, delivered: boolean, filesSent: number): void {
    const t = this.tracked.get(containerId);
    if (!t) return;
    if (!delivered) {
      t.retry = true;
      return;
    }
    t.retry = false;
    t.sentSize = filesSent;
    if (t.final) {
      this.tracked.delete(containerId);
      if (t.finalStatus === 'completed') this.done.add(containerId);
    }
  }

  /** Current state of every tracked container (for `--once --print` and debugging). */
  snapshot(): RelevancyReport[] {
    return [...this.tracked.values()]
      .map((t) => this.report(t))
      .sort((a, b) => (a.containerId < b.containerId ? -1 : 1));
  }
}

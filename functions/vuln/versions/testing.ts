/**
 * Test support for the comparator suites: a seeded PRNG (so a failing pair is reproducible from
 * the seed printed by the test) and a runner that feeds all pairs to an oracle process in ONE
 * invocation (stdin: `a<TAB>b` lines; stdout: one -1/0/1 per line).
 */
import { spawnSync } from 'node:child_process';
import { mulberry32 } from '../../../lib/random/mulberry32.js';

export class Prng {
  /** mulberry32: tiny, fast, good enough for test-case generation. */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** A small number most of the time (versions cluster around 0-10), sometimes a big one. */
  num(): string {
    const r = this.next();
    if (r < 0.6) return String(this.int(0, 3));
    if (r < 0.85) return String(this.int(0, 20));
    if (r < 0.95) return String(this.int(0, 2000));
    return this.pick(['20240131', '0010', '00', '007', '18446744073709551617', '4294967296']);
  }
}

/**
 * Derives a "near" version from `v` so many pairs differ by one detail (the interesting cases):
 * bump or zero-pad a digit run, drop the tail, append one of the ecosystem's suffixes.
 */
export function mutate(rng: Prng, v: string, suffixes: readonly string[]): string {
  const op = rng.int(0, 5);
  const runs = [...v.matchAll(/\d+/g)];
  if (op === 0 && runs.length > 0) {
    const m = rng.pick(runs);
    const n = BigInt(m[0]) + BigInt(rng.pick([1, -1, 10]));
    const rep = n < 0n ? '0' : n.toString();
    return v.slice(0, m.index) + rep + v.slice(m.index! + m[0].length);
  }
  if (op === 1 && runs.length > 0) {
    const m = rng.pick(runs);
    return v.slice(0, m.index) + '0' + v.slice(m.index);
  }
  if (op === 2 && v.length > 2) return v.slice(0, rng.int(1, v.length - 1));
  if (op === 3) return v;
  return v + rng.pick(suffixes);
}

export interface OracleRun {
  results: number[];
  error?: string;
}

/** Runs `cmd args` once with all pairs on stdin; returns the parsed -1/0/1 per pair. */
export function runOracle(
  cmd: string,
  args: string[],
  pairs: readonly (readonly [string, string])[],
): OracleRun {
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join('');
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { results: [], error: r.error.message };
  if (r.status !== 0) return { results: [], error: `${cmd} exited ${r.status}: ${r.stderr.slice(0, 2000)}` };
  const results = r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Math.sign(Number(l.trim())));
  return { results };
}

/** True when `cmd` can be executed (oracle suites skip with a message otherwise). */
export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

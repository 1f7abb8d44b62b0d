/**
 * OSV affected-range evaluation, exactly as the schema's reference pseudo-code
 * (ossf/osv-schema docs/schema.md "Evaluation"):
 *
 *   affected ⇔ v ∈ versions[]  ∨  ∃ range (not GIT): includedInRange(v, range)
 *   includedInRange: walk the events sorted by version ("0" before everything), starting not
 *     vulnerable: v ≥ introduced → vulnerable; v ≥ fixed → not; v > last_affected → not.
 *   limit: events only count for versions below a limit ("*" = no limit).
 *
 * SEMVER ranges use SemVer precedence whatever the ecosystem; ECOSYSTEM ranges the ecosystem's
 * comparator; GIT ranges need the commit graph and never match a package version.
 */
import { semver } from '../versions/semver.js';
import type { VersionComparator } from '../versions/types.js';
import type { OsvEvent, OsvRange } from './schema.js';

export interface AffectedLike {
  ranges?: readonly OsvRange[] | undefined;
  versions?: readonly string[] | undefined;
}

interface FlatEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

const KIND_ORDER = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 } as const;

function flatten(e: OsvEvent): FlatEvent | undefined {
  if (e.introduced !== undefined) return { kind: 'introduced', version: e.introduced };
  if (e.fixed !== undefined) return { kind: 'fixed', version: e.fixed };
  if (e.last_affected !== undefined) return { kind: 'last_affected', version: e.last_affected };
  if (e.limit !== undefined) return { kind: 'limit', version: e.limit };
  return undefined;
}

/** "0" (introduced) sorts before every version; "*" (limit) after every version. */
function compareEventVersions(a: string, b: string, cmp: VersionComparator): number {
  if (a === b) return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  if (a === '*') return 1;
  if (b === '*') return -1;
  return cmp.compare(a, b);
}

export function sortEvents(events: readonly OsvEvent[], cmp: VersionComparator): FlatEvent[] {
  const flat = events.map(flatten).filter((e): e is FlatEvent => e !== undefined);
  // Ties (same version) keep introduced first so "introduced X, fixed X" affects nothing.
  return flat.sort(
    (x, y) => compareEventVersions(x.version, y.version, cmp) || KIND_ORDER[x.kind] - KIND_ORDER[y.kind],
  );
}

function geq(v: string, bound: string, cmp: VersionComparator): boolean {
  return bound === '0' || cmp.compare(v, bound) >= 0;
}

export function includedInRange(version: string, range: OsvRange, ecosystemCmp: VersionComparator): boolean {
  if (range.type === 'GIT') return false;
  const cmp = range.type === 'SEMVER' ? semver : ecosystemCmp;
  const events = sortEvents(range.events, cmp);
  const limits = events.filter((e) => e.kind === 'limit' && e.version !== '*');
  if (limits.length > 0 && !limits.some((l) => cmp.compare(version, l.version) < 0)) return false;
  let vulnerable = false;
  for (const e of events) {
    if (e.kind === 'introduced') {
      if (geq(version, e.version, cmp)) vulnerable = true;
    } else if (e.kind === 'fixed') {
      if (cmp.compare(version, e.version) >= 0) vulnerable = false;
    } else if (e.kind === 'last_affected') {
      if (cmp.compare(version, e.version) > 0) vulnerable = false;
    }
  }
  return vulnerable;
}

export function isAffected(version: string, affected: AffectedLike, cmp: VersionComparator): boolean {
  if (affected.versions?.includes(version)) return true;
  for (const r of affected.ranges ?? []) if (includedInRange(version, r, cmp)) return true;
  return false;
}

export type FixState = 'fixed' | 'not-fixed' | 'wont-fix' | 'unknown';

/**
 * Fix versions that apply to `version`: the `fixed` events of ranges containing it, in order
 * (several ranges may each close a branch). `last_affected` alone means no fix is known.
 */
export function fixVersionsFor(version: string, affected: AffectedLike, cmp: VersionComparator): string[] {
  const out: string[] = [];
  for (const r of affected.ranges ?? []) {
    if (r.type === 'GIT' || !includedInRange(version, r, cmp)) continue;
    const c = r.type === 'SEMVER' ? semver : cmp;
    for (const e of sortEvents(r.events, c)) {
      if (e.kind === 'fixed' && c.compare(version, e.version) < 0 && !out.includes(e.version)) {
        out.push(e.version);
        break;
      }
    }
  }
  return out;
}

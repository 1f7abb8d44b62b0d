/**
 * OSV record → database rows. Done once at import so lookups need no parsing: the package name
 * is normalised the way the ecosystem compares names (PEP 503 for PyPI), and each affected[]
 * entry gets its effective severity (highest CVSS v2/v3.x/v4 score of the entry or the record,
 * else the database's own rating word).
 */
import { SEVERITY_RANK, severityOfWord, tryParseCvss, type CvssScore, type Severity } from './cvss.js';
import type { OsvAffected, OsvRecord, OsvSeverity } from './schema.js';

export interface AdvisoryRow {
  id: string;
  modified: string;
  published: string | null;
  withdrawn: string | null;
  summary: string | null;
  aliases: string[];
  raw: OsvRecord;
}

export interface AffectedRow {
  advisoryId: string;
  ecosystem: string;
  name: string;
  ranges: unknown[];
  versions: string[];
  severity: Severity;
  score: number | null;
  vector: string | null;
  fixHint: 'wont-fix' | null;
}

/**
 * Sources that decided not to fix say so in ecosystem_specific / database_specific (wording
 * varies: "wont-fix", "will_not_fix", "ignored", Debian's "no-dsa"/"postponed" are *not* a
 * refusal, so only explicit refusals count).
 */
export function fixHintOf(a: OsvAffected): 'wont-fix' | null {
  const words = [
    a.ecosystem_specific?.fix_state,
    a.ecosystem_specific?.status,
    a.database_specific?.fix_state,
    a.database_specific?.status,
  ];
  for (const w of words) {
    if (typeof w !== 'string') continue;
    const n = w.toLowerCase().replace(/[^a-z]/g, '');
    if (n === 'wontfix' || n === 'willnotfix' || n === 'ignored' || n === 'notfixing') return 'wont-fix';
  }
  return null;
}

/** PEP 503 for PyPI; other ecosystems compare names exactly. */
export function normalizePackageName(ecosystem: string, name: string): string {
  if (ecosystem === 'PyPI' || ecosystem.startsWith('PyPI:'))
    return name.toLowerCase().replace(/[-_.]+/g, '-');
  return name;
}

export interface EffectiveSeverity {
  severity: Severity;
  score: number | null;
  vector: string | null;
}

function wordOf(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  return undefined;
}

export function effectiveSeverity(record: OsvRecord, affected: OsvAffected | undefined): EffectiveSeverity {
  const entries: OsvSeverity[] = [...(affected?.severity ?? []), ...(record.severity ?? [])];
  let best: CvssScore | undefined;
  let word: Severity = 'Unknown';
  for (const s of entries) {
    if (s.type === 'Ubuntu') {
      const w = severityOfWord(s.score);
      if (SEVERITY_RANK[w] > SEVERITY_RANK[word]) word = w;
      continue;
    }
    const c = tryParseCvss(s.score);
    if (!c) continue;
    if (!best || c.baseScore > best.baseScore) best = c;
  }
  if (best) return { severity: best.severity, score: best.baseScore, vector: best.vector };
  if (word === 'Unknown') {
    // GHSA: database_specific.severity (LOW/MODERATE/HIGH/CRITICAL); distros: per-package ratings.
    const candidates = [
      wordOf(affected?.ecosystem_specific?.severity),
      wordOf(affected?.database_specific?.severity),
      wordOf(record.database_specific?.severity),
    ];
    for (const c of candidates) {
      const w = severityOfWord(c);
      if (SEVERITY_RANK[w] > SEVERITY_RANK[word]) word = w;
    }
  }
  return { severity: word, score: null, vector: null };
}

export function toRows(record: OsvRecord): { advisory: AdvisoryRow; affected: AffectedRow[] } {
  const advisory: AdvisoryRow = {
    id: record.id,
    modified: record.modified,
    published: record.published ?? null,
    withdrawn: record.withdrawn ?? null,
    summary: record.summary ?? null,
    aliases: [...new Set(record.aliases ?? [])],
    raw: record,
  };
  const affected: AffectedRow[] = [];
  for (const a of record.affected ?? []) {
    if (!a.package) continue; // affected entries without a package (GIT-only) cannot match SBOM packages
    const ranges = (a.ranges ?? []).filter((r) => r.type !== 'GIT');
    const versions = a.versions ?? [];
    if (ranges.length === 0 && versions.length === 0) continue;
    const sev = effectiveSeverity(record, a);
    affected.push({
      advisoryId: record.id,
      ecosystem: a.package.ecosystem,
      name: normalizePackageName(a.package.ecosystem, a.package.name),
      ranges,
      versions,
      severity: sev.severity,
      score: sev.score,
      vector: sev.vector,
      fixHint: fixHintOf(a),
    });
  }
  return { advisory, affected };
}

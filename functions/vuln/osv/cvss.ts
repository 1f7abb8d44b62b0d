/**
 * CVSS vectors → base score → severity.
 *
 * - v2 (FIRST CVSS v2 guide §3.2.1) and v3.0 / v3.1 (FIRST spec §7, Appendix A "Roundup" for 3.1)
 *   base scores are computed exactly.
 * - v4.0 scores are FIRST's official algorithm (macrovector lookup table + severity-distance
 *   interpolation) via ae-cvss-calculator, after our own strict validation of the vector.
 */
import cvssCalculator from 'ae-cvss-calculator';

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Negligible' | 'Unknown';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  Critical: 5,
  High: 4,
  Medium: 3,
  Low: 2,
  Negligible: 1,
  Unknown: 0,
};

export interface CvssScore {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  baseScore: number;
  severity: Severity;
}

export class InvalidCvssError extends Error {
  override name = 'InvalidCvssError';
}

function metrics(
  parts: string[],
  allowed: Record<string, readonly string[]>,
  required: readonly string[],
  vector: string,
  strict = false,
): Record<string, string> {
  const m: Record<string, string> = {};
  for (const p of parts) {
    const [k, v, extra] = p.split(':');
    if (!k || v === undefined || extra !== undefined)
      throw new InvalidCvssError(`malformed metric ${JSON.stringify(p)} in ${vector}`);
    if (Object.hasOwn(m, k)) throw new InvalidCvssError(`duplicate metric ${k} in ${vector}`);
    const vals = Object.hasOwn(allowed, k) ? allowed[k] : undefined;
    if (!vals && strict) throw new InvalidCvssError(`unknown metric ${k} in ${vector}`);
    if (vals && !vals.includes(v)) throw new InvalidCvssError(`invalid value ${k}:${v} in ${vector}`);
    m[k] = v;
  }
  for (const k of required)
    if (!Object.hasOwn(m, k)) throw new InvalidCvssError(`missing metric ${k} in ${vector}`);
  return m;
}

// ---------------------------------------------------------------------------------------- v2

const V2 = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  CIA: { N: 0, P: 0.275, C: 0.66 },
} as const;
const V2_ALLOWED: Record<string, readonly string[]> = {
  AV: ['L', 'A', 'N'],
  AC: ['H', 'M', 'L'],
  Au: ['M', 'S', 'N'],
  C: ['N', 'P', 'C'],
  I: ['N', 'P', 'C'],
  A: ['N', 'P', 'C'],
  E: ['U', 'POC', 'F', 'H', 'ND'],
  RL: ['OF', 'TF', 'W', 'U', 'ND'],
  RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
  TD: ['N', 'L', 'M', 'H', 'ND'],
  CR: ['L', 'M', 'H', 'ND'],
  IR: ['L', 'M', 'H', 'ND'],
  AR: ['L', 'M', 'H', 'ND'],
};

function round1(x: number): number {
  return Math.round(x * 10 + 1e-9) / 10;
}

export function cvss2BaseScore(vector: string): number {
  const v = vector.replace(/^\(|\)$/g, '').replace(/^CVSS:2\.0\//, '');
  const m = metrics(v.split('/'), V2_ALLOWED, ['AV', 'AC', 'Au', 'C', 'I', 'A'], vector);
  const cia = (k: string): number => V2.CIA[m[k] as keyof typeof V2.CIA];
  const impact = 10.41 * (1 - (1 - cia('C')) * (1 - cia('I')) * (1 - cia('A')));
  const expl =
    20 *
    V2.AV[m.AV as keyof typeof V2.AV] *
    V2.AC[m.AC as keyof typeof V2.AC] *
    V2.Au[m.Au as keyof typeof V2.Au];
  const f = impact === 0 ? 0 : 1.176;
  return round1((0.6 * impact + 0.4 * expl - 1.5) * f);
}

// ---------------------------------------------------------------------------------------- v3

const V3_ALLOWED: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
  E: ['X', 'U', 'P', 'F', 'H'],
  RL: ['X', 'O', 'T', 'W', 'U'],
  RC: ['X', 'U', 'R', 'C'],
  CR: ['X', 'L', 'M', 'H'],
  IR: ['X', 'L', 'M', 'H'],
  AR: ['X', 'L', 'M', 'H'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'H', 'L', 'N'],
  MI: ['X', 'H', 'L', 'N'],
  MA: ['X', 'H', 'L', 'N'],
};
const V3_REQUIRED = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];

/** CVSS 3.1 Appendix A: round up to one decimal, robust to floating-point error. */
export function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** CVSS 3.0 §7.4: smallest number with one decimal ≥ x. */
function roundup30(x: number): number {
  return Math.ceil(x * 10 - 1e-9) / 10;
}

interface V3Metrics {
  AV: string;
  AC: string;
  PR: string;
  UI: string;
  S: string;
  C: string;
  I: string;
  A: string;
}

function v3Score(m: V3Metrics, roundup: (x: number) => number): number {
  const cia = (x: string): number => (x === 'H' ? 0.56 : x === 'L' ? 0.22 : 0);
  const changed = m.S === 'C';
  const av = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 }[m.AV] ?? 0;
  const ac = m.AC === 'L' ? 0.77 : 0.44;
  const pr = m.PR === 'N' ? 0.85 : m.PR === 'L' ? (changed ? 0.68 : 0.62) : changed ? 0.5 : 0.27;
  const ui = m.UI === 'N' ? 0.85 : 0.62;
  const iss = 1 - (1 - cia(m.C)) * (1 - cia(m.I)) * (1 - cia(m.A));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const expl = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return changed ? roundup(Math.min(1.08 * (impact + expl), 10)) : roundup(Math.min(impact + expl, 10));
}

export function cvss3BaseScore(vector: string): { version: '3.0' | '3.1'; score: number } {
  const m = /^CVSS:3\.([01])\/(.*)$/.exec(vector.trim());
  if (!m) throw new InvalidCvssError(`not a CVSS v3 vector: ${vector}`);
  const mm = metrics(m[2]!.split('/'), V3_ALLOWED, V3_REQUIRED, vector) as unknown as V3Metrics;
  const version = m[1] === '1' ? '3.1' : '3.0';
  return { version, score: v3Score(mm, version === '3.1' ? roundup31 : roundup30) };
}

// ---------------------------------------------------------------------------------------- v4

const HLN = ['H', 'L', 'N'];
const V4_ALLOWED: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  AT: ['N', 'P'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'P', 'A'],
  VC: HLN,
  VI: HLN,
  VA: HLN,
  SC: HLN,
  SI: HLN,
  SA: HLN,
  // threat
  E: ['X', 'A', 'P', 'U'],
  // environmental
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MAT: ['X', 'N', 'P'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'P', 'A'],
  MVC: ['X', ...HLN],
  MVI: ['X', ...HLN],
  MVA: ['X', ...HLN],
  MSC: ['X', ...HLN],
  MSI: ['X', 'S', ...HLN],
  MSA: ['X', 'S', ...HLN],
  // supplemental (no effect on the score)
  S: ['X', 'N', 'P'],
  AU: ['X', 'N', 'Y'],
  R: ['X', 'A', 'U', 'I'],
  V: ['X', 'D', 'C'],
  RE: ['X', 'L', 'M', 'H'],
  U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
};
const V4_REQUIRED = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];

/**
 * The CVSS v4.0 score of the vector as given (CVSS-B, -BT, -BE or -BTE, depending on the metrics
 * present). The score is FIRST's macrovector lookup plus severity-distance interpolation, computed by
 * ae-cvss-calculator, a port of the official FIRST calculator. We validate the vector strictly
 * first, because the library fills a missing metric with a default instead of rejecting it.
 */
export function cvss4Score(vector: string): number {
  const m = /^CVSS:4\.0\/(.*)$/.exec(vector.trim());
  if (!m) throw new InvalidCvssError(`not a CVSS v4 vector: ${vector}`);
  metrics(m[1]!.split('/'), V4_ALLOWED, V4_REQUIRED, vector, true);
  const score = new cvssCalculator.Cvss4P0(vector.trim()).calculateScores().overall;
  if (typeof score !== 'number' || !Number.isFinite(score))
    throw new InvalidCvssError(`no score for ${vector}`);
  return score;
}

// ---------------------------------------------------------------------------------- severity

/** Qualitative rating: v3/v4 scale (None → Negligible), or the NVD v2 scale. */
export function severityOfScore(score: number, version: CvssScore['version']): Severity {
  if (version === '2.0') return score >= 7 ? 'High' : score >= 4 ? 'Medium' : 'Low';
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  if (score >= 0.1) return 'Low';
  return 'Negligible';
}

/** Parses any supported vector (v2 with or without the `CVSS:2.0/` prefix, v3.x, v4.0). */
export function parseCvss(vector: string): CvssScore {
  const v = vector.trim();
  if (v.startsWith('CVSS:3.')) {
    const { version, score } = cvss3BaseScore(v);
    return { version, vector: v, baseScore: score, severity: severityOfScore(score, version) };
  }
  if (v.startsWith('CVSS:4.0/')) {
    const score = cvss4Score(v);
    return { version: '4.0', vector: v, baseScore: score, severity: severityOfScore(score, '4.0') };
  }
  const score = cvss2BaseScore(v);
  return { version: '2.0', vector: v, baseScore: score, severity: severityOfScore(score, '2.0') };
}

/**
 * Import scores every record, and the same few thousand vectors repeat across hundreds of
 * thousands of records (a v4 score costs ~0.2 ms). The cache is bounded: it is cleared when full.
 */
const CACHE_MAX = 8192;
const cache = new Map<string, CvssScore | null>();

export function tryParseCvss(vector: string): CvssScore | undefined {
  let hit = cache.get(vector);
  if (hit === undefined) {
    try {
      hit = parseCvss(vector);
    } catch {
      hit = null;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(vector, hit);
  }
  return hit ?? undefined;
}

/** Ubuntu's priority words (OSV severity type "Ubuntu") and distro/GHSA database_specific ratings. */
export function severityOfWord(word: string | undefined): Severity {
  switch (word?.trim().toLowerCase()) {
    case 'critical':
      return 'Critical';
    case 'high':
    case 'important':
      return 'High';
    case 'medium':
    case 'moderate':
      return 'Medium';
    case 'low':
      return 'Low';
    case 'negligible':
    case 'unimportant':
    case 'none':
      return 'Negligible';
    default:
      return 'Unknown';
  }
}

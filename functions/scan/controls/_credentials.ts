/**
 * Credentials in configuration (rule-credentials-in-env-var, rule-credentials-configmap) for C-0012
 * and C-0259. A key matches when its name contains a sensitiveKeyNames entry (case-insensitive
 * substring); a value matches a sensitiveValues regex (case-insensitive). The *Allowed inputs exempt
 * keys (substring) and values (regex).
 */
import { at, indexed } from '../engine/paths.js';
import type { ControlInputs } from '../engine/inputs.js';
import { stringMap } from '../engine/objects.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { containersOf, POD_CONTAINERS } from '../engine/workload.js';
import { objectRule, remove, workloadRule } from './_lib.js';

const INPUTS = ['sensitiveKeyNames', 'sensitiveValues', 'sensitiveKeyNamesAllowed', 'sensitiveValuesAllowed'];

interface Matchers {
  keys: string[];
  values: RegExp[];
  allowedKeys: string[];
  allowedValues: RegExp[];
}

// Inputs objects are frozen and reused for a whole scan: compile their regexes once.
const cache = new WeakMap<ControlInputs, Matchers>();

/**
 * Compile patterns into one alternation (one regex test per value instead of one per pattern).
 * Invalid user patterns are dropped: Rego's regex.match would not match them either.
 */
function compile(patterns: readonly string[]): RegExp[] {
  const valid: string[] = [];
  for (const p of patterns) {
    try {
      new RegExp(p, 'i');
      valid.push(`(?:${p})`);
    } catch {
      // skipped, see above
    }
  }
  return valid.length === 0 ? [] : [new RegExp(valid.join('|'), 'i')];
}

function matchers(inputs: ControlInputs): Matchers {
  let m = cache.get(inputs);
  if (!m) {
    m = {
      keys: (inputs.sensitiveKeyNames ?? []).map((k) => k.toLowerCase()),
      values: compile(inputs.sensitiveValues ?? []),
      allowedKeys: (inputs.sensitiveKeyNamesAllowed ?? []).map((k) => k.toLowerCase()),
      allowedValues: compile(inputs.sensitiveValuesAllowed ?? []),
    };
    cache.set(inputs, m);
  }
  return m;
}

// Env vars repeat across workloads (PORT=8080 on every container): decide each (name, value)
// once per matchers object (bounded).
const decided = new WeakMap<Matchers, Map<string, Map<string, boolean>>>();
const DECIDED_LIMIT = 10_000;

function sensitiveEnv(m: Matchers, key: string, value: string): boolean {
  let byKey = decided.get(m);
  if (!byKey) decided.set(m, (byKey = new Map()));
  let byValue = byKey.get(key);
  if (!byValue) {
    if (byKey.size >= DECIDED_LIMIT) return sensitive(m, key, value);
    byKey.set(key, (byValue = new Map()));
  }
  let hit = byValue.get(value);
  if (hit === undefined) {
    hit = sensitive(m, key, value);
    if (byValue.size < DECIDED_LIMIT) byValue.set(value, hit);
  }
  return hit;
}

function sensitive(m: Matchers, key: string, value: string): boolean {
  if (value === '') return false;
  if (m.allowedValues.some((r) => r.test(value))) return false;
  const lower = key.toLowerCase();
  const keyHit =
    m.keys.some((k) => lower.includes(k)) &&
    !m.allowedKeys.some((k) => lower.includes(k)) &&
    !value.startsWith('/');
  return keyHit || m.values.some((r) => r.test(value));
}

export const credentialsInEnvRule: RuleDefinition = workloadRule(
  'rule-credentials-in-env-var',
  (wl, ctx) => {
    const m = matchers(ctx.inputs);
    const out: Finding[] = [];
    for (const c of containersOf(wl, POD_CONTAINERS)) {
      const env = Array.isArray(c.container.env) ? c.container.env : [];
      for (let j = 0; j < env.length; j++) {
        const e = env[j];
        if (typeof e?.name !== 'string' || typeof e.value !== 'string') continue;
        if (sensitiveEnv(m, e.name, e.value)) out.push(remove(at(indexed(at(c.path, '.env'), j), '.name')));
      }
    }
    return out;
  },
  { inputs: INPUTS },
);

function decodeBase64(value: string): string | undefined {
  if (value.length < 8 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  // Only keep decodings that are printable text; random strings decode to garbage.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 9 && c !== 10 && c !== 13 && (c < 0x20 || c > 0x7e)) return undefined;
  }
  return text;
}

export const credentialsInConfigMapRule: RuleDefinition = objectRule(
  'rule-credentials-configmap',
  ['ConfigMap'],
  (cm, ctx) => {
    const m = matchers(ctx.inputs);
    const out: Finding[] = [];
    for (const [key, value] of Object.entries(stringMap(cm.data))) {
      const decoded = decodeBase64(value);
      if (sensitive(m, key, value) || (decoded !== undefined && m.values.some((r) => r.test(decoded)))) {
        out.push(remove(`data[${key}]`));
      }
    }
    return out;
  },
  { inputs: INPUTS },
);

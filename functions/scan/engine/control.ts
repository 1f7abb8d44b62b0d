/**
 * Control definition helper: a control module declares its ID, category and rules; name and base
 * score come from the reference catalog (so they cannot drift from Kubescape's), severity is
 * derived from the base score, framework membership from frameworks.ts.
 */
import { catalogEntry } from '../controls/catalog.js';
import { frameworksOfControl } from '../frameworks.js';
import type {
  ActionRequired,
  ControlDefinition,
  EvalContext,
  Finding,
  RuleDefinition,
  RuleResult,
  ScanResource,
  Severity,
  Status,
  SubStatus,
} from './types.js';

/** opa-utils `apis.ControlSeverityToString`: ≥9 Critical, ≥7 High, ≥4 Medium, ≥1 Low, else Unknown. */
export function severityOf(baseScore: number): Severity {
  if (baseScore >= 9) return 'Critical';
  if (baseScore >= 7) return 'High';
  if (baseScore >= 4) return 'Medium';
  if (baseScore >= 1) return 'Low';
  return 'Unknown';
}

/** opa-utils `apis.Compare`: failed > skipped > passed. */
export function worse(a: Status, b: Status): Status {
  if (a === 'failed' || b === 'failed') return 'failed';
  if (a === 'skipped' || b === 'skipped') return 'skipped';
  return 'passed';
}

/** Kubescape categories (regolibrary `categories/mapCategoryNameToID.json`). */
export type Category =
  | 'Control plane'
  | 'Access control'
  | 'Secrets'
  | 'Network'
  | 'Workload'
  | 'Supply chain'
  | 'Resource management'
  | 'Storage'
  | 'Node escape';

export interface ControlSpec {
  id: string;
  category: Category;
  actionRequired?: ActionRequired;
  rules: readonly RuleDefinition[];
}

const NONE: readonly never[] = Object.freeze([]);

function concat<T>(
  findings: readonly Finding[],
  pick: (f: Finding) => readonly T[] | undefined,
): readonly T[] {
  let out: T[] | undefined;
  for (const f of findings) {
    const xs = pick(f);
    if (!xs || xs.length === 0) continue;
    if (!out) out = [];
    for (const x of xs) out.push(x);
  }
  return out ?? NONE;
}

function resultOf(
  name: string,
  status: Status,
  subStatus: SubStatus,
  findings: readonly Finding[],
  configurations: Readonly<Record<string, readonly string[]>> | undefined,
  info?: string,
): RuleResult {
  let r: RuleResult;
  if (findings.length === 0) {
    r = {
      name,
      status,
      subStatus,
      failedPaths: NONE,
      reviewPaths: NONE,
      deletePaths: NONE,
      fixPaths: NONE,
      relatedResourcesIDs: NONE,
    };
  } else if (findings.length === 1) {
    const f = findings[0] as Finding;
    r = {
      name,
      status,
      subStatus,
      failedPaths: f.failedPaths ?? NONE,
      reviewPaths: f.reviewPaths ?? NONE,
      deletePaths: f.deletePaths ?? NONE,
      fixPaths: f.fixPaths ?? NONE,
      relatedResourcesIDs: f.relatedResourcesIDs ?? NONE,
    };
  } else {
    const related = concat(findings, (f) => f.relatedResourcesIDs);
    r = {
      name,
      status,
      subStatus,
      failedPaths: concat(findings, (f) => f.failedPaths),
      reviewPaths: concat(findings, (f) => f.reviewPaths),
      deletePaths: concat(findings, (f) => f.deletePaths),
      fixPaths: concat(findings, (f) => f.fixPaths),
      relatedResourcesIDs: related.length > 1 ? [...new Set(related)] : related,
    };
  }
  // Optional fields are only set when present: reports serialize objects as they are.
  if (configurations) r.controlConfigurations = configurations;
  if (info) r.info = info;
  return r;
}

/**
 * Rules used by several controls (C-0211 bundles the security-context rules of C-0013, C-0016,
 * C-0017, C-0057...; C-0012 and C-0259 share the env-var rule): the scan evaluates every control
 * on one resource before the next, so the findings of a shared rule are kept for the resource at
 * hand and the other controls reuse them (findings are immutable).
 */
const ruleUses = new Map<RuleDefinition, number>();
interface LastFindings {
  resource: ScanResource | undefined;
  findings: readonly Finding[];
}

function sharedFindings(rule: RuleDefinition, resource: ScanResource, ctx: EvalContext): readonly Finding[] {
  // Kept in the scan's index (not in module state): nothing outlives the scan.
  const perRule = ctx.index.memo('engine:last-findings', () => new Map<RuleDefinition, LastFindings>());
  let last = perRule.get(rule);
  if (!last) perRule.set(rule, (last = { resource: undefined, findings: NONE }));
  if (last.resource === resource) return last.findings;
  // Cleared first: a throwing rule must not leave the previous resource's findings behind.
  last.resource = undefined;
  const findings = rule.evaluate(resource, ctx);
  last.resource = resource;
  last.findings = findings;
  return findings;
}

export function defineControl(spec: ControlSpec): ControlDefinition {
  const entry = catalogEntry(spec.id);
  if (!entry) throw new Error(`control ${spec.id} is not in the workload control catalog`);
  for (const r of new Set(spec.rules)) ruleUses.set(r, (ruleUses.get(r) ?? 0) + 1);
  // Which rules are shared is only known once every control is defined: resolved on first use.
  let sharedFlags: boolean[] | undefined;
  const kinds = [...new Set(spec.rules.flatMap((r) => r.kinds))];
  const kindSet = new Set(kinds);
  /** Rule indexes per match kind, so evaluation does not scan every rule's kind list. */
  const rulesByKind = new Map<string, number[]>();
  spec.rules.forEach((r, i) => {
    for (const k of new Set(r.kinds)) {
      const list = rulesByKind.get(k);
      if (list) list.push(i);
      else rulesByKind.set(k, [i]);
    }
  });
  const inputs = [...new Set(spec.rules.flatMap((r) => r.inputs ?? []))];
  const { actionRequired } = spec;

  /**
   * Everything that depends only on the inputs (not on the resource) is computed once per inputs
   * object: the configurations each rule reports, whether the control lacks configuration, and the
   * passed/skipped results, which are immutable and shared by every resource. With ~100 controls
   * on ~15k resources this keeps the scan allocation-light.
   */
  interface PerInputs {
    configurations: (Record<string, readonly string[]> | undefined)[];
    missingConfig: boolean;
    passed: RuleResult[];
    skippedManual: RuleResult[];
    skippedConfig: RuleResult[];
    /** All-passed rule lists keyed by the bitmask of the rules that applied. */
    allPassed: Map<number, RuleResult[]>;
  }
  const perInputs = new WeakMap<object, PerInputs>();

  // A scan uses one inputs object for every resource: remember the last one (no WeakMap lookup
  // per resource × control).
  let lastInputs: object | undefined;
  let lastPrepared: PerInputs | undefined;

  function prepared(ctx: EvalContext): PerInputs {
    if (ctx.inputs === lastInputs && lastPrepared) return lastPrepared;
    let p = perInputs.get(ctx.inputs);
    if (p) {
      lastInputs = ctx.inputs;
      lastPrepared = p;
      return p;
    }
    const configurations = spec.rules.map((rule) => {
      if (!rule.inputs || rule.inputs.length === 0) return undefined;
      const out: Record<string, readonly string[]> = {};
      for (const k of rule.inputs) out[k] = ctx.inputs[k] ?? NONE;
      return Object.freeze(out);
    });
    const freeze = (r: RuleResult) => Object.freeze(r);
    p = {
      configurations,
      missingConfig:
        actionRequired === 'configuration' &&
        inputs.length > 0 &&
        inputs.every((k) => (ctx.inputs[k] ?? NONE).length === 0),
      passed: spec.rules.map((r, i) => freeze(resultOf(r.name, 'passed', '', NONE, configurations[i]))),
      skippedManual: spec.rules.map((r, i) =>
        freeze(resultOf(r.name, 'skipped', 'manual review', NONE, configurations[i])),
      ),
      skippedConfig: spec.rules.map((r, i) =>
        freeze(
          resultOf(
            r.name,
            'skipped',
            'configuration',
            NONE,
            configurations[i],
            'Control configurations are empty',
          ),
        ),
      ),
      allPassed: new Map(),
    };
    perInputs.set(ctx.inputs, p);
    lastInputs = ctx.inputs;
    lastPrepared = p;
    return p;
  }

  /** One rule on one resource; undefined when the resource is outside the rule's population. */
  function evalRule(
    i: number,
    resource: ScanResource,
    ctx: EvalContext,
    p: PerInputs,
  ): RuleResult | undefined {
    const rule = spec.rules[i] as RuleDefinition;
    const configurations = p.configurations[i];
    try {
      if (rule.relevant && !rule.relevant(resource, ctx)) return undefined;
      if (actionRequired === 'manual review') return p.skippedManual[i];
      // opa-utils controlMissingAllConfigurations: a control that needs configuration and has
      // none at all is reported skipped/configuration instead of failing everything.
      if (p.missingConfig) return p.skippedConfig[i];
      sharedFlags ??= spec.rules.map((r) => (ruleUses.get(r) ?? 0) > 1);
      const findings = sharedFlags[i] ? sharedFindings(rule, resource, ctx) : rule.evaluate(resource, ctx);
      if (findings.length === 0) return p.passed[i];
      if (actionRequired === 'requires review') {
        return resultOf(rule.name, 'skipped', 'requires review', findings, configurations);
      }
      return resultOf(rule.name, 'failed', '', findings, configurations);
    } catch (err) {
      // A malformed object must not abort the whole scan: the rule is reported skipped with the
      // reason, which is what Kubescape does with a Rego evaluation error on one resource.
      const message = err instanceof Error ? err.message : String(err);
      return resultOf(
        rule.name,
        'skipped',
        'notEvaluated',
        NONE,
        configurations,
        `evaluation error: ${message}`,
      );
    }
  }

  function sharedPassed(p: PerInputs, mask: number, build: () => RuleResult[]): RuleResult[] {
    // One frozen array per combination of applicable rules: lets the report reuse its entries.
    let cached = p.allPassed.get(mask);
    if (!cached) {
      cached = Object.freeze(build()) as RuleResult[];
      p.allPassed.set(mask, cached);
    }
    return cached;
  }

  // Consecutive resources mostly share a kind: skip the Map lookup when it repeats.
  let lastKind: string | undefined;
  let lastApplicable: number[] | undefined;

  function evaluate(resource: ScanResource, ctx: EvalContext): RuleResult[] {
    let applicable: number[] | undefined;
    if (resource.matchKind === lastKind) applicable = lastApplicable;
    else {
      applicable = rulesByKind.get(resource.matchKind);
      lastKind = resource.matchKind;
      lastApplicable = applicable;
    }
    if (!applicable) return [];
    const p = prepared(ctx);
    if (applicable.length === 1) {
      // Fast path (most controls have one rule): no intermediate array.
      const i = applicable[0] as number;
      const r = evalRule(i, resource, ctx, p);
      if (!r) return [];
      return r === p.passed[i] ? sharedPassed(p, 1 << i, () => [r]) : [r];
    }
    const out: RuleResult[] = [];
    let mask = 0;
    let allPassed = spec.rules.length <= 30;
    for (const i of applicable) {
      const r = evalRule(i, resource, ctx, p);
      if (!r) continue;
      out.push(r);
      if (r === p.passed[i]) mask |= 1 << i;
      else allPassed = false;
    }
    return allPassed && out.length > 0 ? sharedPassed(p, mask, () => out) : out;
  }

  return {
    id: spec.id,
    name: entry.name,
    baseScore: entry.baseScore,
    severity: severityOf(entry.baseScore),
    category: spec.category,
    frameworks: frameworksOfControl(spec.id),
    kinds,
    inputs,
    ...(actionRequired ? { actionRequired } : {}),
    rules: spec.rules,
    appliesTo: (matchKind: string) => kindSet.has(matchKind),
    evaluate,
  };
}

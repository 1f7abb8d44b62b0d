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
  FixPath,
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

function resultOf(
  name: string,
  status: Status,
  subStatus: SubStatus,
  findings: readonly Finding[],
  configurations: Readonly<Record<string, readonly string[]>> | undefined,
  info?: string,
): RuleResult {
  let failedPaths: readonly string[] = NONE;
  let reviewPaths: readonly string[] = NONE;
  let deletePaths: readonly string[] = NONE;
  let fixPaths: readonly FixPath[] = NONE;
  let related: readonly string[] = NONE;
  if (findings.length === 1) {
    const f = findings[0] as Finding;
    failedPaths = f.failedPaths ?? NONE;
    reviewPaths = f.reviewPaths ?? NONE;
    deletePaths = f.deletePaths ?? NONE;
    fixPaths = f.fixPaths ?? NONE;
    related = f.relatedResourcesIDs ?? NONE;
  } else if (findings.length > 1) {
    failedPaths = findings.flatMap((f) => f.failedPaths ?? NONE);
    reviewPaths = findings.flatMap((f) => f.reviewPaths ?? NONE);
    deletePaths = findings.flatMap((f) => f.deletePaths ?? NONE);
    fixPaths = findings.flatMap((f) => f.fixPaths ?? NONE);
    related = [...new Set(findings.flatMap((f) => f.relatedResourcesIDs ?? NONE))];
  }
  return {
    name,
    status,
    subStatus,
    failedPaths,
    reviewPaths,
    deletePaths,
    fixPaths,
    relatedResourcesIDs: related,
    ...(configurations ? { controlConfigurations: configurations } : {}),
    ...(info ? { info } : {}),
  };
}

export function defineControl(spec: ControlSpec): ControlDefinition {
  const entry = catalogEntry(spec.id);
  if (!entry) throw new Error(`control ${spec.id} is not in the workload control catalog`);
  const kinds = [...new Set(spec.rules.flatMap((r) => r.kinds))];
  const kindSet = new Set(kinds);
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

  function prepared(ctx: EvalContext): PerInputs {
    let p = perInputs.get(ctx.inputs);
    if (p) return p;
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
        actionRequired === 'configuration' && inputs.length > 0 && inputs.every((k) => (ctx.inputs[k] ?? NONE).length === 0),
      passed: spec.rules.map((r, i) => freeze(resultOf(r.name, 'passed', '', NONE, configurations[i]))),
      skippedManual: spec.rules.map((r, i) => freeze(resultOf(r.name, 'skipped', 'manual review', NONE, configurations[i]))),
      skippedConfig: spec.rules.map((r, i) =>
        freeze(resultOf(r.name, 'skipped', 'configuration', NONE, configurations[i], 'Control configurations are empty')),
      ),
      allPassed: new Map(),
    };
    perInputs.set(ctx.inputs, p);
    return p;
  }

  function evaluate(resource: ScanResource, ctx: EvalContext): RuleResult[] {
    if (!kindSet.has(resource.matchKind)) return [];
    const p = prepared(ctx);
    const out: RuleResult[] = [];
    let mask = 0;
    let allPassed = true;
    for (let i = 0; i < spec.rules.length; i++) {
      const rule = spec.rules[i] as RuleDefinition;
      if (!rule.kinds.includes(resource.matchKind)) continue;
      const configurations = p.configurations[i];
      try {
        if (rule.relevant && !rule.relevant(resource, ctx)) continue;
        if (actionRequired === 'manual review') {
          out.push(p.skippedManual[i] as RuleResult);
          allPassed = false;
          continue;
        }
        // opa-utils controlMissingAllConfigurations: a control that needs configuration and has
        // none at all is reported skipped/configuration instead of failing everything.
        if (p.missingConfig) {
          out.push(p.skippedConfig[i] as RuleResult);
          allPassed = false;
          continue;
        }
        const findings = rule.evaluate(resource, ctx);
        if (findings.length === 0) {
          out.push(p.passed[i] as RuleResult);
          mask |= 1 << i;
          continue;
        }
        allPassed = false;
        if (actionRequired === 'requires review') {
          out.push(resultOf(rule.name, 'skipped', 'requires review', findings, configurations));
        } else {
          out.push(resultOf(rule.name, 'failed', '', findings, configurations));
        }
      } catch (err) {
        // A malformed object must not abort the whole scan: the rule is reported skipped with the
        // reason, which is what Kubescape does with a Rego evaluation error on one resource.
        allPassed = false;
        const message = err instanceof Error ? err.message : String(err);
        out.push(resultOf(rule.name, 'skipped', 'notEvaluated', NONE, configurations, `evaluation error: ${message}`));
      }
    }
    if (allPassed && out.length > 0 && spec.rules.length <= 30) {
      // Share one frozen array per combination of applicable rules (lets the report reuse entries).
      const cached = p.allPassed.get(mask);
      if (cached) return cached;
      Object.freeze(out);
      p.allPassed.set(mask, out);
    }
    return out;
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

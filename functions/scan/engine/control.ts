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

  function configurationsOf(rule: RuleDefinition, ctx: EvalContext): Record<string, readonly string[]> | undefined {
    if (!rule.inputs || rule.inputs.length === 0) return undefined;
    const out: Record<string, readonly string[]> = {};
    for (const k of rule.inputs) out[k] = ctx.inputs[k] ?? NONE;
    return out;
  }

  function evaluate(resource: ScanResource, ctx: EvalContext): RuleResult[] {
    if (!kindSet.has(resource.matchKind)) return [];
    // opa-utils controlMissingAllConfigurations: a control that needs configuration and has none
    // at all is reported skipped/configuration instead of failing everything.
    const missingConfig =
      actionRequired === 'configuration' && inputs.length > 0 && inputs.every((k) => (ctx.inputs[k] ?? NONE).length === 0);
    const out: RuleResult[] = [];
    for (const rule of spec.rules) {
      if (!rule.kinds.includes(resource.matchKind)) continue;
      const configurations = configurationsOf(rule, ctx);
      try {
        if (rule.relevant && !rule.relevant(resource, ctx)) continue;
        if (actionRequired === 'manual review') {
          out.push(resultOf(rule.name, 'skipped', 'manual review', NONE, configurations));
          continue;
        }
        if (missingConfig) {
          out.push(
            resultOf(rule.name, 'skipped', 'configuration', NONE, configurations, 'Control configurations are empty'),
          );
          continue;
        }
        const findings = rule.evaluate(resource, ctx);
        if (findings.length === 0) {
          out.push(resultOf(rule.name, 'passed', '', NONE, configurations));
        } else if (actionRequired === 'requires review') {
          out.push(resultOf(rule.name, 'skipped', 'requires review', findings, configurations));
        } else {
          out.push(resultOf(rule.name, 'failed', '', findings, configurations));
        }
      } catch (err) {
        // A malformed object must not abort the whole scan: the rule is reported skipped with the
        // reason, which is what Kubescape does with a Rego evaluation error on one resource.
        const message = err instanceof Error ? err.message : String(err);
        out.push(resultOf(rule.name, 'skipped', 'notEvaluated', NONE, configurations, `evaluation error: ${message}`));
      }
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

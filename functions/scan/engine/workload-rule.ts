/**
 * Rules over the pod spec of workloads (`workloadRule` in controls/_lib.ts) in a form the engine
 * can recognise: their population is "resources with a pod spec" and their evaluation is a function
 * of the pod-spec view. Knowing that, the engine checks the population inline and calls the
 * pod-spec function directly — two calls fewer per workload and rule (~800k per 10k workloads).
 *
 * A rule counts as such only while it still has both parts this module made (a spread
 * `{ ...workloadRule(...), relevant }` that narrows the population is an ordinary rule again).
 */
import type { EvalContext, Finding, RuleDefinition, ScanResource } from './types.js';
import { workloadView, type WorkloadView } from './workload.js';

export type PodSpecEval = (wl: WorkloadView, ctx: EvalContext, resource: ScanResource) => readonly Finding[];

const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/** The population of a pod-spec rule: resources with a readable pod spec. */
export function hasPodSpec(r: ScanResource): boolean {
  return (r.workload ?? workloadView(r.object)) !== undefined;
}

/** The pod-spec function behind each rule `evaluate` made here. */
const podSpecOf = new WeakMap<RuleDefinition['evaluate'], PodSpecEval>();

/** A rule whose population is `hasPodSpec` and whose findings are `evaluate(view)`. */
export function podSpecRule(
  name: string,
  kinds: readonly string[],
  evaluate: PodSpecEval,
  inputs: readonly string[] | undefined,
): RuleDefinition {
  const wrapped = (r: ScanResource, ctx: EvalContext): readonly Finding[] => {
    const wl = r.workload ?? workloadView(r.object);
    return wl ? evaluate(wl, ctx, r) : NO_FINDINGS;
  };
  podSpecOf.set(wrapped, evaluate);
  return { name, kinds, ...(inputs ? { inputs } : {}), relevant: hasPodSpec, evaluate: wrapped };
}

/** The pod-spec function of a rule made by `podSpecRule` and still unchanged, else undefined. */
export function podSpecEvaluator(rule: RuleDefinition): PodSpecEval | undefined {
  return rule.relevant === hasPodSpec ? podSpecOf.get(rule.evaluate) : undefined;
}

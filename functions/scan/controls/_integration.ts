/**
 * Controls whose data no Kubernetes object carries (image-vulnerability results, registry
 * signatures, Kubescape's network-scanner results). Kubescape reports such a control skipped with
 * subStatus `integration` on the resources it would evaluate; so does this engine, with `info`
 * naming the missing data source.
 */
import { catalogEntry } from './catalog.js';
import { defineControl, type Category } from '../engine/control.js';
import type { ControlDefinition, EvalContext, RuleResult, ScanResource } from '../engine/types.js';

const NONE: readonly never[] = Object.freeze([]);

export interface IntegrationRule {
  name: string;
  kinds: readonly string[];
  relevant?(resource: ScanResource, ctx: EvalContext): boolean;
}

export function defineIntegrationControl(spec: {
  id: string;
  category: Category;
  rules: readonly IntegrationRule[];
  info: string;
  inputs?: readonly string[];
}): ControlDefinition {
  if (!catalogEntry(spec.id)) throw new Error(`${spec.id} is not in the control catalog`);
  const base = defineControl({
    id: spec.id,
    category: spec.category,
    rules: spec.rules.map((r) => ({
      name: r.name,
      kinds: r.kinds,
      ...(spec.inputs ? { inputs: spec.inputs } : {}),
      ...(r.relevant ? { relevant: r.relevant } : {}),
      evaluate: () => NONE,
    })),
  });
  const skipped = new Map<string, RuleResult>(
    spec.rules.map((r) => [
      r.name,
      Object.freeze({
        name: r.name,
        status: 'skipped' as const,
        subStatus: 'integration' as const,
        failedPaths: NONE,
        reviewPaths: NONE,
        deletePaths: NONE,
        fixPaths: NONE,
        relatedResourcesIDs: NONE,
        info: spec.info,
      }),
    ]),
  );
  const toSkipped = (r: RuleResult) => skipped.get(r.name) ?? r;
  // The base control's shared (frozen) lists map to shared lists, which the report reuses entries for.
  const sharedLists = new WeakMap<readonly RuleResult[], RuleResult[]>();
  return {
    ...base,
    evaluate(resource, ctx) {
      // The base control decides which rules consider the resource; each becomes skipped.
      const rules = base.evaluate(resource, ctx);
      if (!Object.isFrozen(rules)) return rules.map(toSkipped);
      let list = sharedLists.get(rules);
      if (!list) sharedLists.set(rules, (list = Object.freeze(rules.map(toSkipped)) as RuleResult[]));
      return list;
    },
  };
}

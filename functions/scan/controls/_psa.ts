/**
 * Pod Security Admission rules (C-0192..C-0204). Rule -1 fails Namespaces whose
 * `pod-security.kubernetes.io/enforce` label is below the wanted level when no third-party policy
 * engine is installed; rule -2 fails the policy engine's webhook configuration (for review) when
 * one is installed but some namespace still lacks the label.
 */
import type { ClusterIndex } from '../engine/cluster-index.js';
import type { KubeObject, RuleDefinition } from '../engine/types.js';
import { ALERT, externalPolicyWebhooks, fix, nsLabels, objectRule, PSA_ENFORCE } from './_lib.js';

export type PsaLevel = 'any' | 'baseline' | 'restricted';

function enforced(ns: KubeObject, level: PsaLevel): boolean {
  const labels = nsLabels(ns);
  if (level === 'any') return Object.keys(labels).some((k) => k.startsWith(PSA_ENFORCE));
  const v = labels[PSA_ENFORCE];
  return level === 'baseline' ? v === 'baseline' || v === 'restricted' : v === 'restricted';
}

function hasExternal(index: ClusterIndex): boolean {
  return externalPolicyWebhooks(index).length > 0;
}

export function psaRules(prefix: string, level: PsaLevel): RuleDefinition[] {
  const fixValue = level === 'restricted' ? 'restricted' : 'baseline';
  return [
    objectRule(`${prefix}-1`, ['Namespace'], (ns, ctx) =>
      enforced(ns, level) || hasExternal(ctx.index) ? [] : [fix(`metadata.labels[${PSA_ENFORCE}]`, fixValue)],
    ),
    objectRule(
      `${prefix}-2`,
      ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'],
      (_w, ctx) => (ctx.index.ofKind('Namespace').some((ns) => !enforced(ns, level)) ? [ALERT] : []),
      { relevant: (r, ctx) => externalPolicyWebhooks(ctx.index).includes(r.object) },
    ),
  ];
}

/**
 * PodSecurityPolicy rules (C-0213..C-0220): the control fails only when EVERY PSP in the input
 * allows the setting (one restrictive PSP is enough for pods that can use it); then each PSP fails.
 */
import { get } from '../engine/objects.js';
import type { Finding, KubeObject, RuleDefinition } from '../engine/types.js';
import { objectRule } from './_lib.js';

export function pspRule(name: string, bad: (psp: KubeObject) => Finding | undefined): RuleDefinition {
  return objectRule(name, ['PodSecurityPolicy'], (psp, ctx) => {
    const all = ctx.index.ofKind('PodSecurityPolicy');
    if (!all.every((p) => bad(p) !== undefined)) return [];
    const f = bad(psp);
    return f ? [f] : [];
  });
}

export function pspSpec(psp: KubeObject, field: string): unknown {
  return get(psp, 'spec', field);
}

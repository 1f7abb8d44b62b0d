/** "X in the default namespace" rules (C-0061, C-0212). */
import type { RuleDefinition } from '../engine/types.js';
import { fix, objectRule, review } from './_lib.js';

/** Fails objects in `default`: explicit namespace → review metadata.namespace; none → fixPath. */
export function inDefaultNamespaceRule(name: string, kinds: readonly string[]): RuleDefinition {
  return objectRule(name, kinds, (obj) => {
    const ns = obj.metadata.namespace;
    if (ns === undefined || ns === '') return [fix('metadata.namespace', 'YOUR_NAMESPACE')];
    return ns === 'default' ? [review('metadata.namespace')] : [];
  });
}

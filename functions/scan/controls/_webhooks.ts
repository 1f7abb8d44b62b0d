import type { RuleDefinition } from '../engine/types.js';
import { ALERT, objectRule } from './_lib.js';

/** Every webhook configuration is listed (informational, for review). */
export function listWebhooksRule(name: string, kind: string): RuleDefinition {
  return objectRule(name, [kind], () => [ALERT]);
}

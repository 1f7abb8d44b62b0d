import { defineControl } from '../engine/control.js';
import { get, str } from '../engine/objects.js';
import { fix, objectRule, review } from './_lib.js';
import { SANDBOX_KINDS, SANDBOX_SPEC } from './_sandbox.js';

/** Agent Sandbox hardened runtime class: the sandbox pods run under a hardened RuntimeClass (default gvisor). */
export default defineControl({
  id: 'C-0297',
  category: 'Workload',
  rules: [
    objectRule(
      'agent-sandbox-hardened-runtime-class',
      SANDBOX_KINDS,
      (o, ctx) => {
        const allowed = ctx.inputs.hardenedSandboxRuntimeClasses ?? [];
        const rc = str(get(o, 'spec', 'podTemplate', 'spec', 'runtimeClassName'));
        if (rc === undefined) return [fix(`${SANDBOX_SPEC}.runtimeClassName`, allowed[0] ?? 'YOUR_VALUE')];
        return allowed.includes(rc) ? [] : [review(`${SANDBOX_SPEC}.runtimeClassName`)];
      },
      { inputs: ['hardenedSandboxRuntimeClasses'] },
    ),
  ],
});

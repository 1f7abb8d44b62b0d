import { defineControl } from '../engine/control.js';
import { get } from '../engine/objects.js';
import { cpuMillis, memoryBytes } from '../engine/quantity.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { fix, objectRule, review } from './_lib.js';
import { SANDBOX_KINDS, sandboxContainers } from './_sandbox.js';

function limitRule(
  name: string,
  resource: 'cpu' | 'memory',
  input: string,
  parse: (v: unknown) => number | undefined,
): RuleDefinition {
  return objectRule(
    name,
    SANDBOX_KINDS,
    (o, ctx) => {
      const maxRaw = (ctx.inputs[input] ?? [])[0];
      const max = maxRaw === undefined ? undefined : parse(maxRaw);
      const out: Finding[] = [];
      for (const c of sandboxContainers(o, ['containers', 'initContainers'])) {
        const v = get(c.container, 'resources', 'limits', resource);
        const path = `${c.path}.resources.limits.${resource}`;
        if (v === undefined) out.push(fix(path, 'YOUR_VALUE'));
        else if (max !== undefined && (parse(v) ?? Infinity) > max) out.push(review(path));
      }
      return out;
    },
    { inputs: [input] },
  );
}

/** Agent Sandbox resource ceilings: every sandbox container has CPU and memory limits within the configured maxima. */
export default defineControl({
  id: 'C-0303',
  category: 'Resource management',
  rules: [
    limitRule('resources-sandbox-cpu-limits', 'cpu', 'sandbox_cpu_limit_max', cpuMillis),
    limitRule('resources-sandbox-memory-limits', 'memory', 'sandbox_memory_limit_max', memoryBytes),
  ],
});

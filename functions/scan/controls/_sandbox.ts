/**
 * Agent Sandbox `SandboxTemplate` (extensions.agents.x-k8s.io/v1beta1): a pod template under
 * `spec.podTemplate` (spec at `spec.podTemplate.spec`) plus sandbox network policy settings.
 */
import { arr, get, rec } from '../engine/objects.js';
import type { KubeObject } from '../engine/types.js';

export const SANDBOX_KINDS: readonly string[] = ['SandboxTemplate'];
export const SANDBOX_SPEC = 'spec.podTemplate.spec';

export interface SandboxContainer {
  container: Record<string, unknown>;
  path: string;
}

export function sandboxContainers(
  o: KubeObject,
  types: readonly ('containers' | 'initContainers')[] = ['containers'],
): SandboxContainer[] {
  const out: SandboxContainer[] = [];
  for (const t of types) {
    arr(get(o, 'spec', 'podTemplate', 'spec', t)).forEach((c, i) => {
      const r = rec(c);
      if (r) out.push({ container: r, path: `${SANDBOX_SPEC}.${t}[${i}]` });
    });
  }
  return out;
}

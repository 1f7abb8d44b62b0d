/**
 * The resource registry: every kind storage-api serves, and lookups over it.
 */
import { builtinResources } from './builtin.js';
import { kubescapeResources } from './kubescape.js';
import type { ResourceDefinition } from './types.js';

export * from './types.js';
export { builtinResources } from './builtin.js';
export { kubescapeResources } from './kubescape.js';
export { KUBE_YAML_OPTIONS, ManifestError, loadManifests, parseManifests } from './manifests.js';

/** Every kind: the API's nine result kinds, plus the sandbox built-ins when `sandbox` is set. */
export function allResources(opts: { sandbox: boolean }): ResourceDefinition[] {
  return opts.sandbox ? [...kubescapeResources(), ...builtinResources()] : kubescapeResources();
}

/** The definition served at `/apis/<group>/<version>/<plural>` ('' group = core `/api/v1`). */
export function findResource(
  defs: readonly ResourceDefinition[],
  group: string,
  version: string,
  plural: string,
): ResourceDefinition | undefined {
  return defs.find((d) => d.group === group && d.version === version && d.plural === plural);
}

/** Lookup by apiVersion + kind, as found in a request body or a manifest. */
export function findByKind(
  defs: readonly ResourceDefinition[],
  apiVersion: string,
  kind: string,
): ResourceDefinition | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  return defs.find((d) => d.group === group && d.version === version && d.kind === kind);
}

/**
 * Resolve what a user typed (`kubectl get <x>`): plural, singular, short name or kind
 * (case-insensitive), optionally qualified `name.group`. First match in registry order.
 */
export function resolveResource(
  defs: readonly ResourceDefinition[],
  name: string,
): ResourceDefinition | undefined {
  const lower = name.toLowerCase();
  const candidates = (n: string, group?: string): ResourceDefinition | undefined =>
    defs.find(
      (d) =>
        (group === undefined || d.group === group) &&
        (d.plural === n || d.singular === n || d.shortNames.includes(n) || d.kind.toLowerCase() === n),
    );
  const direct = candidates(lower);
  if (direct) return direct;
  const dot = lower.indexOf('.');
  return dot > 0 ? candidates(lower.slice(0, dot), lower.slice(dot + 1)) : undefined;
}

/** The apiVersion string of a definition: `v1` for core, `group/version` otherwise. */
export const apiVersionOf = (d: Pick<ResourceDefinition, 'group' | 'version'>): string =>
  d.group ? `${d.group}/${d.version}` : d.version;

/** Kinds with a virtual source reading `resource` (`<group>/<plural>`), to recompute on its writes. */
export function virtualsFedBy(defs: readonly ResourceDefinition[], resource: string): ResourceDefinition[] {
  return defs.filter((d) => d.virtual?.from === resource);
}

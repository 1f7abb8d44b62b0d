/**
 * Garbage collection after a full (unscoped) scan: results whose resource is gone are deleted.
 * A stored result is deleted only when it is *in the scan's reach* and *not produced by any object
 * that exists*:
 *
 * - resource results (labels `kubescape.io/workload-kind` ...): its kind was listed by this scan and
 *   its namespace is in the scan's namespace scope, and no listed object (including objects that got
 *   no result, e.g. Pods folded into their Deployment) has that result name and namespace;
 * - RBAC triplets (`kubescape.io/rbac-resource=true`): the RBAC kinds were listed, the binding's
 *   namespace is in scope, and no current (subject, role, binding) triplet has that name.
 *
 * Results of kinds the cluster does not serve, of excluded namespaces, of user-managed objects
 * (`kubescape.io/managed-by: User`) or without our labels are never touched.
 */
import { LABELS } from '../../../lib/api/index.js';
import type { KubeObject } from '../engine/types.js';
import { namespaceAllowed, type NamespaceFilter } from '../cluster/reader.js';
import { RBAC_KINDS } from '../cluster/kinds.js';
import { resultLocation, tripletLocations } from './build.js';
import type { StoredRef } from './writer.js';

export interface GcInput {
  objects: readonly KubeObject[];
  listedKinds: readonly string[];
  namespaces: NamespaceFilter;
  operatorNamespace: string;
}

/** Which stored results to delete (pure). */
export function staleResults(stored: readonly StoredRef[], input: GcInput): StoredRef[] {
  const listed = new Set(input.listedKinds);
  const existing = new Set(input.objects.map((o) => resultLocation(o, input.operatorNamespace)));
  const rbacListed = RBAC_KINDS.every((k) => listed.has(k));
  const triplets = rbacListed ? tripletLocations(input.objects, input.operatorNamespace) : new Set<string>();
  return stored.filter((s) => {
    const loc = `${s.namespace}/${s.name}`;
    if (s.labels[LABELS.rbacResource] === 'true') {
      if (!rbacListed) return false;
      const bindingNs = s.labels[LABELS.roleBindingNamespace];
      if (bindingNs && !namespaceAllowed(input.namespaces, bindingNs)) return false;
      return !triplets.has(loc);
    }
    const kind = s.labels[LABELS.workloadKind];
    if (!kind || !listed.has(kind)) return false;
    const ns = s.labels[LABELS.workloadNamespace];
    if (!namespaceAllowed(input.namespaces, ns)) return false;
    if (kind === 'Namespace' && !namespaceAllowed(input.namespaces, s.labels[LABELS.workloadName]))
      return false;
    return !existing.has(loc);
  });
}

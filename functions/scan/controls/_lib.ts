/**
 * Building blocks shared by control modules: rule constructors for workload and RBAC rules, path
 * helpers in Kubescape's path syntax, and the small predicates several regolibrary rules share
 * (image parsing, network-policy selection, token automount, Pod Security Admission labels).
 */
import { at } from '../engine/paths.js';
import type { ClusterIndex } from '../engine/cluster-index.js';
import { PairMemo, SequenceInterner } from '../engine/intern.js';
import { arr, get, labelsOf, objectId, rec, selectorMatches, str, strings } from '../engine/objects.js';
import type { EvalContext, Finding, KubeObject, RuleDefinition, ScanResource } from '../engine/types.js';
import { WORKLOAD_KINDS, type WorkloadView } from '../engine/workload.js';
import { podSpecRule } from '../engine/workload-rule.js';

export const WL: readonly string[] = WORKLOAD_KINDS;
export const SUBJECT: readonly string[] = ['Subject'];

// ---- findings --------------------------------------------------------------------------------

// Single-path findings are interned (frozen, shared): with interned path strings (engine/paths.ts)
// the same finding recurs on thousands of workloads, and an interned finding lets the engine reuse
// the rule result and report entry built for it (engine/control.ts, report.ts).
const reviews = new PairMemo<Finding>(20_000);
const removals = new PairMemo<Finding>(20_000);
const fixes = new PairMemo<Finding>(20_000);
const relatedReviews = new PairMemo<Finding>(20_000);

// Builders of interned findings: module-level, so that a cache hit allocates nothing.
const buildReview = (p: string): Finding => {
  const paths = frozen([p]);
  return Object.freeze({ failedPaths: paths, reviewPaths: paths });
};
const buildRemoval = (p: string): Finding => {
  const paths = frozen([p]);
  return Object.freeze({ failedPaths: paths, deletePaths: paths });
};
const buildFix = (path: string, value: string): Finding =>
  Object.freeze({ fixPaths: Object.freeze([Object.freeze({ path, value })]) });

/** A field to look at (Kubescape fills the deprecated failedPaths with the same value). */
export function review(...paths: string[]): Finding {
  if (paths.length === 1) {
    const p = paths[0] as string;
    return reviews.get(p, '', buildReview);
  }
  if (paths.length > 1) {
    const parts = new Array<Finding>(paths.length);
    for (let i = 0; i < paths.length; i++) parts[i] = reviews.get(paths[i] as string, '', buildReview);
    return merged(parts);
  }
  return { failedPaths: paths, reviewPaths: paths };
}

/** A field whose removal fixes the problem. */
export function remove(...paths: string[]): Finding {
  if (paths.length === 1) {
    const p = paths[0] as string;
    return removals.get(p, '', buildRemoval);
  }
  if (paths.length > 1) {
    const parts = new Array<Finding>(paths.length);
    for (let i = 0; i < paths.length; i++) parts[i] = removals.get(paths[i] as string, '', buildRemoval);
    return merged(parts);
  }
  return { failedPaths: paths, deletePaths: paths };
}

/** A field to set (the problem is a missing or wrong value; failedPaths stay empty). */
export function fix(path: string, value: string): Finding {
  return fixes.get(path, value, buildFix);
}

/** A field to look at because of a related object (a mounted ConfigMap, say). */
export function reviewRelated(path: string, relatedId: string): Finding {
  return relatedReviews.get(path, relatedId, buildRelatedReview);
}

const buildRelatedReview = (path: string, relatedId: string): Finding => {
  const paths = frozen([path]);
  return Object.freeze({ failedPaths: paths, reviewPaths: paths, relatedResourcesIDs: frozen([relatedId]) });
};

const mergedFindings = new SequenceInterner<Finding, Finding>(20_000);

/**
 * One finding with the paths of the parts, in order (`merged([fix(a, 'false'), fix(b, 'false')])`
 * = one finding with both fix paths); interned by the parts' identities.
 */
export function merged(parts: readonly Finding[]): Finding {
  // A module-level builder: a closure capturing `parts` was an allocation per call.
  return mergedFindings.internFirst(parts, parts.length, buildMerged);
}

function buildMerged(parts: readonly Finding[], n: number): Finding {
  if (n !== parts.length) parts = parts.slice(0, n);
  const failedPaths = concatOf(parts, (f) => f.failedPaths);
  // Keep review()/remove()'s shape (failedPaths and review/delete paths are one array): the
  // report then skips de-duplicating the deprecated failedPaths.
  const same = (pick: (f: Finding) => readonly string[] | undefined) =>
    parts.every((f) => f.failedPaths === pick(f) || (!f.failedPaths && !pick(f)));
  const reviewPaths = same((f) => f.reviewPaths) ? failedPaths : concatOf(parts, (f) => f.reviewPaths);
  const deletePaths = same((f) => f.deletePaths) ? failedPaths : concatOf(parts, (f) => f.deletePaths);
  const fixPaths = concatOf(parts, (f) => f.fixPaths);
  const related = concatOf(parts, (f) => f.relatedResourcesIDs);
  const out: Finding = {};
  if (failedPaths) out.failedPaths = failedPaths;
  if (reviewPaths) out.reviewPaths = reviewPaths;
  if (deletePaths) out.deletePaths = deletePaths;
  if (fixPaths) out.fixPaths = fixPaths;
  if (related) out.relatedResourcesIDs = related;
  return Object.freeze(out);
}

function concatOf<T>(
  parts: readonly Finding[],
  pick: (f: Finding) => readonly T[] | undefined,
): readonly T[] | undefined {
  let out: T[] | undefined;
  for (const f of parts) {
    const xs = pick(f);
    if (xs) (out ??= []).push(...xs);
  }
  return out && Object.freeze(out);
}

function frozen<T>(xs: T[]): readonly T[] {
  return Object.freeze(xs);
}

/**
 * The finding one rule site builds on a base path (a container's `…containers[1]`, a pod-spec
 * prefix), memoized by the base: `fix(at(base, suffix), value)` is four map lookups per failing
 * container, a site memo one. `make` must build from the interned helpers (`fix`, `review`, `at`,
 * ...), so the finding is the very object any other route to it returns.
 */
export class PathFindings {
  private readonly byBase = new Map<string, Finding>();

  constructor(private readonly make: (base: string) => Finding) {}

  get(base: string): Finding {
    let f = this.byBase.get(base);
    if (f === undefined) {
      f = this.make(base);
      // Bases are few (pod-spec prefixes × container slots); the bound is for hostile input.
      if (this.byBase.size < 10_000) this.byBase.set(base, f);
    }
    return f;
  }
}

const relatedFindings = new SequenceInterner<unknown, Finding>(20_000);
let relatedKeys: unknown[] = [];

const buildWithRelated = (keys: readonly unknown[], n: number): Finding =>
  Object.freeze({
    ...(keys[0] as Finding),
    relatedResourcesIDs: Object.freeze(keys.slice(1, n) as string[]),
  });

/**
 * `{ ...base, relatedResourcesIDs: ids }` (base: an interned finding, or none for an alert without
 * paths), interned by base identity and the IDs: workloads related to the same objects (the
 * namespace's network policies, the ServiceAccount's bindings) then share one finding, and with
 * it one rule result and one report entry, instead of one of each per workload.
 */
export function withRelated(base: Finding | undefined, ids: readonly string[]): Finding {
  const n = ids.length + 1;
  if (relatedKeys.length < n) relatedKeys = new Array<unknown>(n);
  relatedKeys[0] = base ?? ALERT;
  for (let i = 0; i < ids.length; i++) relatedKeys[i + 1] = ids[i];
  const f = relatedFindings.internFirst(relatedKeys, n, buildWithRelated);
  relatedKeys.fill(undefined, 0, n);
  return f;
}

/** No findings (shared: rules return it on the passed path instead of a new empty array). */
export const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/** An alert without paths (the object as a whole is the problem, or is listed for review). */
export const ALERT: Finding = Object.freeze({});

// ---- rule constructors -----------------------------------------------------------------------

type WorkloadEval = (wl: WorkloadView, ctx: EvalContext, resource: ScanResource) => readonly Finding[];

/** A rule over the pod spec of workloads (Pod, Deployment, ..., CronJob). */
export function workloadRule(
  name: string,
  evaluate: WorkloadEval,
  opts: { kinds?: readonly string[]; inputs?: readonly string[] } = {},
): RuleDefinition {
  // A workload without a readable pod spec is not part of the rule's population.
  return podSpecRule(name, opts.kinds ?? WL, evaluate, opts.inputs);
}

/** A rule over whole objects of the given kinds. */
export function objectRule(
  name: string,
  kinds: readonly string[],
  evaluate: (obj: KubeObject, ctx: EvalContext, resource: ScanResource) => Finding[],
  opts: { inputs?: readonly string[]; relevant?: (r: ScanResource, ctx: EvalContext) => boolean } = {},
): RuleDefinition {
  return {
    name,
    kinds,
    ...(opts.inputs ? { inputs: opts.inputs } : {}),
    ...(opts.relevant ? { relevant: opts.relevant } : {}),
    evaluate: (r, ctx) => evaluate(r.object, ctx, r),
  };
}

// ---- RBAC ------------------------------------------------------------------------------------

export interface RbacMatch {
  verbs: readonly string[];
  apiGroups: readonly string[];
  resources: readonly string[];
  /** Extra condition on the policy rule (e.g. resourceNames for C-0037). */
  rule?: (policyRule: Record<string, unknown>) => boolean;
  /** Extra condition on the (binding, role) pair (e.g. only cluster-admin for C-0185). */
  pair?: (binding: KubeObject, role: KubeObject) => boolean;
  /** Extra condition on the subject (e.g. only system:authenticated for C-0265). */
  subject?: (s: { kind: string; name: string }) => boolean;
  /** Which of resources/verbs/apiGroups paths to report (default all three). */
  report?: readonly ('resources' | 'verbs' | 'apiGroups')[];
}

function indexesOf(list: readonly string[], wanted: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) if (wanted.includes(list[i] as string)) out.push(i);
  return out;
}

function subjectIndexIn(binding: KubeObject, s: { kind: string; name: string; namespace?: string }): number {
  const subjects = arr(binding.subjects);
  for (let k = 0; k < subjects.length; k++) {
    const x = rec(subjects[k]);
    if (!x || x.kind !== s.kind || x.name !== s.name) continue;
    if (s.kind === 'ServiceAccount') {
      const ns = str(x.namespace) ?? binding.metadata.namespace;
      if (ns !== s.namespace) continue;
    }
    return k;
  }
  return -1;
}

/**
 * The `*-v1` RBAC rule shape of regolibrary: for every (binding j, role i) of the subject vector and
 * every policy rule p of the role whose verbs, apiGroups and resources intersect the wanted sets,
 * one alert with paths resources, verbs, apiGroups of that rule, then the binding's subject and
 * roleRef.name, e.g. `relatedObjects[1].rules[0].resources[0]`, `relatedObjects[0].subjects[0]`.
 */
export function rbacFindings(resource: ScanResource, m: RbacMatch): Finding[] {
  const s = resource.subject;
  if (!s) return [];
  if (m.subject && !m.subject(s)) return [];
  const out: Finding[] = [];
  const report = m.report ?? ['resources', 'verbs', 'apiGroups'];
  for (let j = 0; j + 1 < s.relatedObjects.length; j += 2) {
    const binding = s.relatedObjects[j] as KubeObject;
    const role = s.relatedObjects[j + 1] as KubeObject;
    if (m.pair && !m.pair(binding, role)) continue;
    const k = subjectIndexIn(binding, s);
    if (k < 0) continue;
    const rules = arr(role.rules);
    for (let p = 0; p < rules.length; p++) {
      const rule = rec(rules[p]);
      if (!rule) continue;
      const verbs = indexesOf(strings(rule.verbs), m.verbs);
      if (verbs.length === 0) continue;
      const groups = indexesOf(strings(rule.apiGroups), m.apiGroups);
      if (groups.length === 0) continue;
      const resources = indexesOf(strings(rule.resources), m.resources);
      if (resources.length === 0) continue;
      if (m.rule && !m.rule(rule)) continue;
      const base = `relatedObjects[${j + 1}].rules[${p}]`;
      const paths: string[] = [];
      if (report.includes('resources')) for (const i of resources) paths.push(`${base}.resources[${i}]`);
      if (report.includes('verbs')) for (const i of verbs) paths.push(`${base}.verbs[${i}]`);
      if (report.includes('apiGroups')) for (const i of groups) paths.push(`${base}.apiGroups[${i}]`);
      paths.push(`relatedObjects[${j}].subjects[${k}]`, `relatedObjects[${j}].roleRef.name`);
      out.push(withRelated(review(...paths), [objectId(binding), objectId(role)]));
    }
  }
  return out;
}

export function rbacRule(name: string, m: RbacMatch): RuleDefinition {
  return { name, kinds: SUBJECT, evaluate: (r) => rbacFindings(r, m) };
}

/** Whether any of a role's policy rules grants one of the verbs on one of the resources. */
export function roleAllows(
  role: KubeObject,
  verbs: readonly string[],
  resources: readonly string[],
  apiGroups: readonly string[] = ['', '*'],
): boolean {
  for (const r of arr(role.rules)) {
    const rule = rec(r);
    if (!rule) continue;
    if (!strings(rule.verbs).some((v) => verbs.includes(v))) continue;
    if (!strings(rule.resources).some((v) => resources.includes(v))) continue;
    if (!strings(rule.apiGroups).some((v) => apiGroups.includes(v))) continue;
    return true;
  }
  return false;
}

// ---- service account token -------------------------------------------------------------------

export function serviceAccountNameOf(wl: WorkloadView): string {
  return str(wl.spec.serviceAccountName) ?? str(wl.spec.serviceAccount) ?? 'default';
}

/**
 * The `automount-service-account` logic: the token is mounted when the pod spec says true, or says
 * nothing while the ServiceAccount does not say false (or is not in the input).
 * Returns the finding for the workload, or undefined when the token is not mounted.
 */
export function automountFinding(wl: WorkloadView, index: ClusterIndex): Finding | undefined {
  const path = at(wl.prefix, 'automountServiceAccountToken');
  const podValue = wl.spec.automountServiceAccountToken;
  if (podValue === false) return undefined;
  if (podValue === true) return review(path);
  const sa = index.find(
    'ServiceAccount',
    wl.object.metadata.namespace ?? 'default',
    serviceAccountNameOf(wl),
  );
  if (sa && get(sa, 'automountServiceAccountToken') === false) return undefined;
  return fix(path, 'false');
}

// ---- network policies ------------------------------------------------------------------------

/** NetworkPolicies / CiliumNetworkPolicies of the namespace and cluster-wide CCNPs selecting these pod labels. */
export function selectingPolicies(
  index: ClusterIndex,
  namespace: string,
  podLabels: Record<string, string>,
): KubeObject[] {
  let out: KubeObject[] | undefined;
  const nps = index.inNamespace('NetworkPolicy', namespace);
  for (let i = 0; i < nps.length; i++) {
    const np = nps[i] as KubeObject;
    if (selectorMatches(get(np, 'spec', 'podSelector'), podLabels)) (out ??= []).push(np);
  }
  const cnps = index.inNamespace('CiliumNetworkPolicy', namespace);
  for (let i = 0; i < cnps.length; i++) {
    const sel = get(cnps[i], 'spec', 'endpointSelector');
    if (sel !== undefined && selectorMatches(sel, podLabels)) (out ??= []).push(cnps[i] as KubeObject);
  }
  const ccnps = index.ofKind('CiliumClusterwideNetworkPolicy');
  for (let i = 0; i < ccnps.length; i++) {
    const sel = get(ccnps[i], 'spec', 'endpointSelector');
    if (sel !== undefined && selectorMatches(sel, podLabels)) (out ??= []).push(ccnps[i] as KubeObject);
  }
  return out ?? [];
}

/** `selectingPolicies` for a workload's pods, computed once per workload view (shared: read-only). */
export function policiesOf(wl: WorkloadView, index: ClusterIndex): readonly KubeObject[] {
  return (wl.lists.policies ??= selectingPolicies(
    index,
    wl.object.metadata.namespace ?? 'default',
    wl.podLabels,
  ));
}

// ---- images ----------------------------------------------------------------------------------

export interface ImageRef {
  /** Registry host (`docker.io` when none given). */
  registry: string;
  /** Repository path without registry (`library/nginx`). */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository[:tag][@digest]` with Docker Hub defaults filled in. */
  normalized: string;
}

// A cluster repeats a few images thousands of times, and several controls parse each container's
// image: memoize (bounded; results are frozen and shared).
const imageMemo = new Map<string, ImageRef>();
const IMAGE_MEMO_LIMIT = 10_000;

/** Parse an image reference as the Docker distribution reference grammar does (docker.io/library defaults). */
export function parseImage(image: string): ImageRef {
  let ref = imageMemo.get(image);
  if (!ref) {
    ref = Object.freeze(parseImageUncached(image));
    if (imageMemo.size < IMAGE_MEMO_LIMIT) imageMemo.set(image, ref);
  }
  return ref;
}

function parseImageUncached(image: string): ImageRef {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let registry = 'docker.io';
  let repository = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  const normalized = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), normalized };
}

/** Numeric version components of a tag (`v1.2.3-beta` → [1,2,3]); undefined when not a version. */
export function versionOf(tag: string | undefined): number[] | undefined {
  if (!tag) return undefined;
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(tag);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ---- namespaces / PSA --------------------------------------------------------------------------

export const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';

/**
 * Third-party admission policy engines: with one installed, a namespace without PSA labels may
 * still be protected, so the PSA rules move the finding to the webhook configuration (rule -2).
 */
export function externalPolicyWebhooks(index: ClusterIndex): KubeObject[] {
  const out: KubeObject[] = [];
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    for (const w of index.ofKind(kind)) {
      const names = [w.metadata.name, ...arr(w.webhooks).map((x) => str(rec(x)?.name) ?? '')];
      if (names.some((n) => /kyverno|gatekeeper|kubewarden|polaris|jspolicy/i.test(n))) out.push(w);
    }
  }
  return out;
}

export function nsLabels(ns: KubeObject): Record<string, string> {
  return labelsOf(ns);
}

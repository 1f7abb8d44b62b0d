/**
 * Posture exceptions in Kubescape's PostureExceptionPolicy format (armoapi-go
 * `armotypes.PostureExceptionPolicy`; matching as opa-utils `exceptions/exceptionprocessor.go` and
 * `comparator.go`, summarised in shared/reference/controls.md §4).
 *
 * Only `alertOnly` is supported (as in the Kubescape CLI): a matching exception turns a failed rule
 * into passed with subStatus `w/exceptions` and records the policy on the rule.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { annotationsOf, labelsOf } from './engine/objects.js';
import type { ScanResource } from './engine/types.js';
import { workloadView } from './engine/workload.js';

const PosturePolicySchema = z
  .object({
    frameworkName: z.string().optional(),
    controlName: z.string().optional(),
    controlID: z.string().optional(),
    ruleName: z.string().optional(),
    severityScore: z.number().optional(),
  })
  .loose();

const DesignatorSchema = z
  .object({
    designatorType: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
  })
  .loose();

export const PostureExceptionPolicySchema = z
  .object({
    name: z.string().default(''),
    policyType: z.string().optional(),
    actions: z.array(z.string()).default([]),
    resources: z.array(DesignatorSchema).default([]),
    posturePolicies: z.array(PosturePolicySchema).default([]),
    reason: z.string().optional(),
    expirationDate: z.string().optional(),
    creationTime: z.string().optional(),
    createdBy: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export type PostureExceptionPolicy = z.infer<typeof PostureExceptionPolicySchema>;

export class ExceptionsError extends Error {
  override name = 'ExceptionsError';
}

/** Parse a JSON/YAML document holding one policy or a list of policies. */
export function parseExceptions(text: string): PostureExceptionPolicy[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ExceptionsError(`exceptions: cannot parse document: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  const list = Array.isArray(doc) ? doc : [doc];
  return list.map((item, i) => {
    const r = PostureExceptionPolicySchema.safeParse(item);
    if (!r.success) {
      throw new ExceptionsError(
        `exceptions[${i}]: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    }
    return r.data;
  });
}

// ---- comparison ------------------------------------------------------------------------------

const regexCache = new Map<string, RegExp | null>();

function anchored(pattern: string, flags: string): RegExp | null {
  const key = `${flags}\u0000${pattern}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`, flags);
    } catch {
      re = null; // not a valid regex: only literal comparison applies
    }
    regexCache.set(key, re);
  }
  return re;
}

/** opa-utils `compareCaseInsensitive`: case-insensitive equality or anchored case-insensitive regex. */
export function matchesInsensitive(pattern: string, value: string): boolean {
  if (pattern.toLowerCase() === value.toLowerCase()) return true;
  return anchored(pattern, 'i')?.test(value) ?? false;
}

/** Attribute comparison for designators: anchored, case-sensitive regex (or equality). */
export function matchesSensitive(pattern: string, value: string): boolean {
  if (pattern === value) return true;
  return anchored(pattern, '')?.test(value) ?? false;
}

// ---- matching --------------------------------------------------------------------------------

export interface ExceptionTarget {
  controlID: string;
  controlName: string;
  /** Frameworks the control is evaluated under in this scan (or all frameworks containing it). */
  frameworks: readonly string[];
}

/** Does one posturePolicies entry select this control (and optionally a rule)? */
function policyMatches(
  p: z.infer<typeof PosturePolicySchema>,
  target: ExceptionTarget,
  ruleName: string,
): boolean {
  if (p.controlID && !matchesInsensitive(p.controlID, target.controlID)) return false;
  if (p.controlName && !matchesInsensitive(p.controlName, target.controlName)) return false;
  if (p.ruleName && !matchesInsensitive(p.ruleName, ruleName)) return false;
  if (p.frameworkName) {
    const fw = p.frameworkName;
    if (!target.frameworks.some((f) => matchesInsensitive(fw, f))) return false;
  }
  return true;
}

function postureMatches(policy: PostureExceptionPolicy, target: ExceptionTarget, ruleName: string): boolean {
  if (policy.posturePolicies.length === 0) return true;
  return policy.posturePolicies.some((p) => policyMatches(p, target, ruleName));
}

const CONTAINER_PATH = /(?:^|\.)(containers|initContainers|ephemeralContainers)\[(\d+)\]/;

/** Names of the containers the failing paths point at. */
function containersInPaths(resource: ScanResource, paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  const wl = resource.workload ?? workloadView(resource.object);
  if (!wl) return out;
  for (const p of paths) {
    const m = CONTAINER_PATH.exec(p);
    if (!m) continue;
    const list = wl.spec[m[1] as 'containers'];
    const c = Array.isArray(list) ? list[Number(m[2])] : undefined;
    if (typeof c?.name === 'string') out.add(c.name);
  }
  return out;
}

export interface MatchObject {
  kind: string;
  name: string;
  namespace: string | undefined;
  resourceID: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function attributesMatch(
  attrs: Record<string, string>,
  obj: MatchObject,
  resource: ScanResource,
  paths: readonly string[],
  clusterName: string | undefined,
): boolean {
  const entries = Object.entries(attrs);
  if (entries.length === 0) return false; // a designator without attributes matches nothing
  for (const [key, pattern] of entries) {
    switch (key) {
      case 'kind':
        if (!matchesSensitive(pattern, obj.kind)) return false;
        break;
      case 'name':
        if (!matchesSensitive(pattern, obj.name)) return false;
        break;
      case 'namespace': {
        // For a Namespace object the namespace attribute is matched against its own name.
        const ns = obj.kind === 'Namespace' ? obj.name : (obj.namespace ?? '');
        if (!matchesSensitive(pattern, ns)) return false;
        break;
      }
      case 'cluster':
        if (clusterName === undefined || !matchesSensitive(pattern, clusterName)) return false;
        break;
      case 'resourceID':
        if (!matchesSensitive(pattern, obj.resourceID)) return false;
        break;
      case 'path':
        // File-scan source path: resources from the cluster have none.
        return false;
      case 'containerName': {
        const names = containersInPaths(resource, paths);
        if (![...names].some((n) => matchesSensitive(pattern, n))) return false;
        break;
      }
      default: {
        // Any other key is a label (or annotation) whose value is matched as a regex.
        const v = obj.labels[key] ?? obj.annotations[key];
        if (v === undefined || !matchesSensitive(pattern, v)) return false;
      }
    }
  }
  return true;
}

function matchObjectOf(resource: ScanResource): MatchObject[] {
  const o = resource.object;
  const self: MatchObject = {
    kind: o.kind,
    name: o.metadata.name,
    namespace: o.metadata.namespace,
    resourceID: resource.id,
    labels: labelsOf(o),
    annotations: annotationsOf(o),
  };
  if (!resource.subject) return [self];
  // Subject vectors: designators are matched against the related bindings/roles (Kubescape), and,
  // as a convenience, against the subject itself (kind User/Group/ServiceAccount and its name).
  return [
    self,
    ...resource.subject.relatedObjects.map((r) => ({
      kind: r.kind,
      name: r.metadata.name,
      namespace: r.metadata.namespace,
      resourceID: '',
      labels: labelsOf(r),
      annotations: annotationsOf(r),
    })),
  ];
}

function resourceMatches(
  policy: PostureExceptionPolicy,
  resource: ScanResource,
  paths: readonly string[],
  clusterName: string | undefined,
): boolean {
  const objs = matchObjectOf(resource);
  return policy.resources.some((d) => {
    if (d.designatorType && d.designatorType.toLowerCase() !== 'attributes') return false;
    const attrs = d.attributes ?? {};
    return objs.some((o) => attributesMatch(attrs, o, resource, paths, clusterName));
  });
}

export interface ExceptionMatcherOptions {
  clusterName?: string;
  /** Policies whose expirationDate is before this instant are ignored. */
  now?: Date;
}

/**
 * Pre-filtered exception set: drops policies that cannot apply (no alertOnly action, expired) so
 * the per-resource check stays cheap when there are none.
 */
export class ExceptionMatcher {
  private readonly policies: PostureExceptionPolicy[];
  private readonly clusterName: string | undefined;

  constructor(policies: readonly PostureExceptionPolicy[], opts: ExceptionMatcherOptions = {}) {
    const now = (opts.now ?? new Date()).getTime();
    this.clusterName = opts.clusterName;
    this.policies = policies.filter((p) => {
      if (!p.actions.some((a) => a.toLowerCase() === 'alertonly')) return false;
      if (p.expirationDate) {
        const t = Date.parse(p.expirationDate);
        if (Number.isFinite(t) && t < now) return false;
      }
      return true;
    });
  }

  get size(): number {
    return this.policies.length;
  }

  /** Policies excepting this failed rule of this control on this resource. */
  match(
    resource: ScanResource,
    target: ExceptionTarget,
    ruleName: string,
    paths: readonly string[],
  ): PostureExceptionPolicy[] {
    const out: PostureExceptionPolicy[] = [];
    for (const p of this.policies) {
      if (postureMatches(p, target, ruleName) && resourceMatches(p, resource, paths, this.clusterName))
        out.push(p);
    }
    return out;
  }
}

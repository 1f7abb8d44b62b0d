/**
 * Object-name derivation, as Kubescape's k8s-interface does it (`names/slugs.go`,
 * `instanceidhandler/v1/containerinstance`; reference/storage-api.md §1.10). The names must match
 * Kubescape's exactly: the functions write objects under these names and consumers (and our own
 * garbage collection) find them again by recomputing them.
 */
import { createHash } from 'node:crypto';
import type { ContainerType } from './constants.js';

export class InvalidSlugError extends Error {
  override name = 'InvalidSlugError';
}

const DNS1123_SUBDOMAIN_MAX = 253;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const isDns1123Subdomain = (s: string): boolean =>
  s.length > 0 && s.length <= DNS1123_SUBDOMAIN_MAX && dns1123SubdomainRe.test(s);

const IMAGE_HASH_SUFFIX = 6;

/**
 * `ImageInfoToSlug(image, imageHash)`: the image reference with `://`, `:`, `/`, `_`, `@` replaced
 * by `-` (cut to 253-6-1 characters), then `-` and the last 6 characters of the image hash, all
 * lower-cased. Throws InvalidSlugError when the result is not a DNS subdomain (Kubescape errors too).
 *
 *   imageSlug('nginx:1.25', 'sha256:…7c9d2e') === 'nginx-1.25-7c9d2e'
 */
export function imageSlug(image: string, imageHash: string): string {
  if (imageHash.length < IMAGE_HASH_SUFFIX)
    throw new InvalidSlugError(`image hash too short: "${imageHash}"`);
  // One left-to-right pass trying `://` before `:`, as Go's strings.NewReplacer does.
  const sanitized = image.replace(/:\/\/|[:/_@]/g, '-');
  const prefix = sanitized.slice(0, DNS1123_SUBDOMAIN_MAX - IMAGE_HASH_SUFFIX - 1);
  const slug = `${prefix}-${imageHash.slice(-IMAGE_HASH_SUFFIX)}`.toLowerCase();
  if (!isDns1123Subdomain(slug)) throw new InvalidSlugError(`"${slug}" is not a valid DNS subdomain`);
  return slug;
}

/** What identifies one container of a workload instance. */
export interface InstanceRef {
  /** apiVersion of the owning workload: `v1` for a Pod, `apps/v1` for a ReplicaSet ... */
  apiVersion: string;
  namespace: string;
  /**
   * Kind of the owner as seen from the pod: pods owned by a ReplicaSet use `ReplicaSet` and the RS
   * name (not the Deployment); bare pods use `Pod`; Jobs, StatefulSets, DaemonSets their own kind.
   */
  kind: string;
  name: string;
  containerType?: ContainerType;
  containerName: string;
}

/** `apiVersion-<v>/namespace-<ns>/kind-<Kind>/name-<name>/<type>Name-<container>` */
export function instanceId(ref: InstanceRef): string {
  const type = ref.containerType ?? 'container';
  return `apiVersion-${ref.apiVersion}/namespace-${ref.namespace}/kind-${ref.kind}/name-${ref.name}/${type}Name-${ref.containerName}`;
}

/** sha256 hex of the instance-ID string. */
export const instanceIdHash = (ref: InstanceRef): string =>
  createHash('sha256').update(instanceId(ref)).digest('hex');

const INSTANCE_SLUG_MAX = DNS1123_SUBDOMAIN_MAX - 10;

/**
 * `InstanceID.GetSlug(noContainer)`: `<kind>-<name>` lower-cased; with the container,
 * `-<container>-<hash[:4]>-<hash[-4:]>` is appended. When the name part reaches 253-10 characters it
 * is cut so the hash fragments (which keep it unique) always fit.
 */
export function instanceSlug(ref: InstanceRef, noContainer = false): string {
  const base = `${ref.kind}-${ref.name}`.toLowerCase();
  if (noContainer) {
    if (!isDns1123Subdomain(base)) throw new InvalidSlugError(`"${base}" is not a valid DNS subdomain`);
    return base;
  }
  const h = instanceIdHash(ref);
  let head = `${base}-${ref.containerName.toLowerCase()}`;
  if (head.length >= INSTANCE_SLUG_MAX) head = head.slice(0, INSTANCE_SLUG_MAX).replace(/[-.]+$/, '');
  const slug = `${head}-${h.slice(0, 4)}-${h.slice(-4)}`;
  if (!isDns1123Subdomain(slug)) throw new InvalidSlugError(`"${slug}" is not a valid DNS subdomain`);
  return slug;
}

/**
 * `StringToSlug`: sanitise any string into a DNS subdomain: lower-case, runs of invalid characters
 * to `-`, leading/trailing separators trimmed; too long → cut and suffixed with a short hash of the
 * full input so distinct long inputs stay distinct.
 */
export function stringToSlug(s: string): string {
  let slug = s
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-?\.-?/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
  if (slug.length > DNS1123_SUBDOMAIN_MAX) {
    const h = createHash('sha256').update(s).digest('hex');
    slug = `${slug.slice(0, DNS1123_SUBDOMAIN_MAX - 9).replace(/[-.]+$/, '')}-${h.slice(0, 4)}${h.slice(-4)}`;
  }
  if (!isDns1123Subdomain(slug)) throw new InvalidSlugError(`cannot make a DNS subdomain of "${s}"`);
  return slug;
}

/** Name of the WorkloadConfigurationScan(Summary) of one resource: slug of `<Kind>-<Name>`, e.g. `deployment-nginx`. */
export const workloadScanName = (kind: string, name: string): string => stringToSlug(`${kind}-${name}`);

/** Name of the scan of an RBAC triplet (subject, role, binding). */
export function rbacScanName(t: {
  subjectKind: string;
  subjectName: string;
  roleKind: string;
  roleName: string;
  bindingKind: string;
  bindingName: string;
}): string {
  return stringToSlug(
    `${t.subjectKind}-${t.subjectName}-${t.roleKind}-${t.roleName}-${t.bindingKind}-${t.bindingName}`,
  );
}

/**
 * Name of a VulnerabilityManifestSummary: `<kind>-<name>-<container>` lower-cased (kubevuln
 * `vulnSummaryContNameFormat`). Kubescape degrades to `--` when everything is empty (kubevuln#325);
 * we refuse instead.
 */
export function vulnerabilitySummaryName(kind: string, name: string, container: string): string {
  if (!kind || !name || !container) throw new InvalidSlugError('kind, name and container are required');
  const n = `${kind}-${name}-${container}`.toLowerCase();
  return isDns1123Subdomain(n) ? n : stringToSlug(n);
}

/** Workload ID: `wlid://cluster-<cluster>/namespace-<ns>/<kind>-<name>` (kind lower-cased). */
export function wlid(cluster: string, namespace: string, kind: string, name: string): string {
  return `wlid://cluster-${cluster}/namespace-${namespace}/${kind.toLowerCase()}-${name}`;
}

/** Inverse of `wlid` for well-formed IDs; undefined otherwise. `kind` comes back lower-cased. */
export function parseWlid(
  id: string,
): { cluster: string; namespace: string; kind: string; name: string } | undefined {
  const m = /^wlid:\/\/cluster-([^/]+)\/namespace-([^/]*)\/([a-z0-9]+)-(.+)$/.exec(id);
  if (!m) return undefined;
  return { cluster: m[1]!, namespace: m[2]!, kind: m[3]!, name: m[4]! };
}

const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * The label value to write (and to select on) for a raw value: the value itself when it is a valid
 * label value (case and dots preserved: `Deployment`, `my.app`), otherwise sanitised (`:`, `/`,
 * `@` and other invalid characters → `-`, cut to 63, trimmed to alphanumeric ends). Undefined when
 * nothing valid remains. Writers and selectors must use the same function so they agree.
 */
export function labelValue(raw: string): string | undefined {
  if (raw.length <= 63 && LABEL_VALUE_RE.test(raw)) return raw;
  const v = raw
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return v !== '' && LABEL_VALUE_RE.test(v) ? v : undefined;
}

/**
 * Kubescape's stricter form for the image labels (`kubescape.io/image-id`, `image-name`,
 * `image-tag`): `:`, `/`, `_`, `@` → `-`, lower-cased, kept only if the result is a DNS-1123
 * label (reference §3); the raw value goes to the annotation of the same key.
 */
export function imageLabelValue(raw: string): string | undefined {
  const v = raw.replace(/[:/_@]/g, '-').toLowerCase();
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? v : undefined;
}

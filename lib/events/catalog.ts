/**
 * The event catalog of DESIGN.md §4: every CloudEvent type the operator produces or consumes, with
 * its zod schema. Functions declare which of these they consume; the function host validates the
 * `data` of an incoming event against the schema here before the handler ever sees it.
 *
 * Schemas are deliberately strict on what a consumer relies on and tolerant (`.loose()`) of extra
 * fields, so a newer producer can add fields without breaking an older consumer during a rollout.
 */
import { z } from 'zod';

const dns1123 = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name');
const labelName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label');

export const ObjectRefSchema = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    namespace: labelName.optional(),
    name: dns1123,
    uid: z.string().optional(),
  })
  .loose();
export type ObjectRef = z.infer<typeof ObjectRefSchema>;

/** A container of a workload that runs an image: what vulnerability summaries are keyed by. */
export const WorkloadContainerSchema = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    namespace: labelName,
    name: dns1123,
    container: z.string().min(1),
    containerType: z.enum(['containers', 'initContainers', 'ephemeralContainers']).default('containers'),
  })
  .loose();
export type WorkloadContainer = z.infer<typeof WorkloadContainerSchema>;

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex>');
const count = z.number().int().nonnegative();

export const SeverityCountsSchema = z.object({
  critical: count,
  high: count,
  medium: count,
  low: count,
  negligible: count,
  unknown: count,
});
export type SeverityCounts = z.infer<typeof SeverityCountsSchema>;

export const PingJob = z.enum(['posture', 'vulnerability', 'vulndb', 'tick']);
export type PingJob = z.infer<typeof PingJob>;

/** A Kubernetes object as ApiServerSource sends it (mode Resource). */
export const KubernetesObjectSchema = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }).loose(),
  })
  .loose();
export type KubernetesObject = z.infer<typeof KubernetesObjectSchema>;

export const EVENT_TYPES = {
  ping: 'dev.knative.sources.ping',
  resourceAdd: 'dev.knative.apiserver.resource.add',
  resourceUpdate: 'dev.knative.apiserver.resource.update',
  resourceDelete: 'dev.knative.apiserver.resource.delete',
  configScanRequested: 'io.kubescape.configscan.requested',
  configScanCompleted: 'io.kubescape.configscan.completed',
  vulnScanRequested: 'io.kubescape.vulnscan.requested',
  vulnScanCompleted: 'io.kubescape.vulnscan.completed',
  vulnDbUpdateRequested: 'io.kubescape.vulndb.update.requested',
  hostReported: 'io.kubescape.host.reported',
  relevancyReported: 'io.kubescape.relevancy.reported',
  clusterInventoried: 'io.kubescape.cluster.inventoried',
} as const;

export const CATALOG = {
  [EVENT_TYPES.ping]: z.object({ job: PingJob }).loose(),
  [EVENT_TYPES.resourceAdd]: KubernetesObjectSchema,
  [EVENT_TYPES.resourceUpdate]: KubernetesObjectSchema,
  [EVENT_TYPES.resourceDelete]: KubernetesObjectSchema,
  [EVENT_TYPES.configScanRequested]: z
    .object({
      scanId: z.string().min(1).max(128).optional(),
      scope: z
        .object({
          namespaces: z.array(labelName).optional(),
          excludeNamespaces: z.array(labelName).optional(),
          objects: z.array(ObjectRefSchema).max(10_000).optional(),
        })
        .default({}),
      frameworks: z.array(z.string().min(1).max(128)).max(64).optional(),
      controls: z.array(z.string().regex(/^C-\d{4}$/, 'must be a control ID such as C-0017')).max(1000).optional(),
      reason: z.string().max(256).optional(),
    })
    .loose(),
  [EVENT_TYPES.configScanCompleted]: z
    .object({
      scanId: z.string().min(1),
      frameworks: z.array(
        z.object({ name: z.string(), complianceScore: z.number().min(0).max(100), riskScore: z.number().min(0).max(100) }).loose(),
      ),
      counts: z.object({ resources: count, passed: count, failed: count, skipped: count, excluded: count }).loose(),
      results: z.array(ObjectRefSchema).max(100_000).default([]),
    })
    .loose(),
  [EVENT_TYPES.vulnScanRequested]: z
    .object({
      image: z.string().min(1).max(1024),
      digest: digest.optional(),
      imageID: z.string().max(1024).optional(),
      workloads: z.array(WorkloadContainerSchema).max(10_000).default([]),
      pullSecrets: z.array(z.object({ namespace: labelName, name: dns1123 })).max(100).default([]),
      reason: z.string().max(256).optional(),
    })
    .loose(),
  [EVENT_TYPES.vulnScanCompleted]: z
    .object({
      image: z.string().min(1),
      digest: digest.optional(),
      sbom: ObjectRefSchema.optional(),
      manifest: ObjectRefSchema.optional(),
      summaries: z.array(ObjectRefSchema).default([]),
      severities: SeverityCountsSchema,
      status: z.enum(['ready', 'incomplete', 'too-large', 'unauthorized', 'failed']).default('ready'),
    })
    .loose(),
  [EVENT_TYPES.vulnDbUpdateRequested]: z
    .object({ sources: z.array(z.string().min(1).max(64)).max(64).optional() })
    .loose(),
  [EVENT_TYPES.hostReported]: z
    .object({
      nodeName: dns1123,
      collectedAt: z.string().datetime(),
      facts: z.record(z.string(), z.unknown()),
    })
    .loose(),
  [EVENT_TYPES.relevancyReported]: z
    .object({
      nodeName: dns1123,
      container: z.object({
        namespace: labelName,
        pod: dns1123,
        container: z.string().min(1),
        containerID: z.string().min(1),
        workload: ObjectRefSchema.optional(),
      }),
      image: z.string().optional(),
      imageDigest: digest.optional(),
      files: z.array(z.string().startsWith('/')).max(200_000),
      complete: z.boolean().default(false),
    })
    .loose(),
  [EVENT_TYPES.clusterInventoried]: z
    .object({
      clusterName: z.string().min(1),
      collectedAt: z.string().datetime(),
      nodes: z.array(z.record(z.string(), z.unknown())),
      namespaces: z.array(z.string()),
      workloads: z.array(ObjectRefSchema),
      images: z.array(z.object({ image: z.string(), digest: z.string().optional() }).loose()),
    })
    .loose(),
} as const satisfies Record<string, z.ZodType>;

export type EventType = keyof typeof CATALOG;
export type EventData<T extends EventType> = z.output<(typeof CATALOG)[T]>;
/** What a producer must supply (defaults may be omitted). */
export type EventDataInput<T extends EventType> = z.input<(typeof CATALOG)[T]>;

export function isCatalogType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(CATALOG, type);
}

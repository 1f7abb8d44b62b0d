/**
 * Schema-less built-in kinds for the sandbox cluster (dev mode and tests without a real cluster).
 * Discovery data (short names, singular, scope, verbs, categories) matches kube-apiserver 1.30+,
 * so kubectl resolves `po`, `deploy`, `kubectl get all` ... the same way as against a real cluster.
 *
 * No schema: objects are stored as given (OpenAPI advertises preserve-unknown-fields). A few kinds
 * get a `summarize()` so their Table columns mimic kubectl's most useful ones without reading
 * bodies (pods READY/STATUS/RESTARTS, deployments READY/UP-TO-DATE/AVAILABLE ...).
 */
import type { KubeObject, PrinterColumn, ResourceDefinition, RowSource } from './types.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** kube-apiserver does not offer deletecollection on namespaces. */
const NS_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const MiB = 1024 * 1024;
/** kube-apiserver's (etcd's) practical object limit is ~1.5 MiB; allow a little more. */
const BUILTIN_MAX_BODY = 3 * MiB;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function fromSummary(src: RowSource, summarize: (o: KubeObject) => Json): Json {
  if (src.summary) return src.summary;
  return src.object ? summarize(src.object) : {};
}

function col(
  name: string,
  type: PrinterColumn['type'],
  description: string,
  summarize: (o: KubeObject) => Json,
  key: string,
  priority = 0,
): PrinterColumn {
  return {
    name,
    type,
    description,
    priority,
    value: (s) => {
      const v = fromSummary(s, summarize)[key];
      return type === 'integer' ? num(v) : v === undefined || v === null ? '' : v;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Summaries (what kubectl's built-in printers show).

export function summarizePod(o: KubeObject): Json {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const statuses = arr(status.containerStatuses).map(obj);
  const total = arr(spec.containers).length;
  const ready = statuses.filter((c) => c.ready === true).length;
  const restarts = statuses.reduce((n, c) => n + num(c.restartCount), 0);
  // kubectl shows a waiting/terminated reason (CrashLoopBackOff, Completed ...) over the phase.
  let reason = str(status.reason) || str(status.phase) || 'Pending';
  for (const c of statuses) {
    const st = obj(c.state);
    const r = str(obj(st.waiting).reason) || str(obj(st.terminated).reason);
    if (r) reason = r;
  }
  if (obj(o.metadata).deletionTimestamp) reason = 'Terminating';
  return {
    ready: `${ready}/${total}`,
    status: reason,
    restarts,
    ip: str(status.podIP),
    node: str(spec.nodeName),
  };
}

export function summarizeDeployment(o: KubeObject): Json {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const desired = spec.replicas === undefined ? 1 : num(spec.replicas);
  return {
    ready: `${num(status.readyReplicas)}/${desired}`,
    upToDate: num(status.updatedReplicas),
    available: num(status.availableReplicas),
  };
}

function summarizeStatefulSet(o: KubeObject): Json {
  const spec = obj(o.spec);
  const desired = spec.replicas === undefined ? 1 : num(spec.replicas);
  return { ready: `${num(obj(o.status).readyReplicas)}/${desired}` };
}

function summarizeReplicaSet(o: KubeObject): Json {
  const spec = obj(o.spec);
  const status = obj(o.status);
  return {
    desired: spec.replicas === undefined ? 1 : num(spec.replicas),
    current: num(status.replicas),
    ready: num(status.readyReplicas),
  };
}

function summarizeDaemonSet(o: KubeObject): Json {
  const s = obj(o.status);
  return {
    desired: num(s.desiredNumberScheduled),
    current: num(s.currentNumberScheduled),
    ready: num(s.numberReady),
    upToDate: num(s.updatedNumberScheduled),
    available: num(s.numberAvailable),
  };
}

function summarizeJob(o: KubeObject): Json {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const completions = spec.completions === undefined ? 1 : num(spec.completions);
  const conds = arr(status.conditions).map(obj);
  const done = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
  const state = done('Complete')
    ? 'Complete'
    : done('Failed')
      ? 'Failed'
      : num(status.active) > 0
        ? 'Running'
        : 'Pending';
  return { status: state, completions: `${num(status.succeeded)}/${completions}` };
}

function summarizeCronJob(o: KubeObject): Json {
  const spec = obj(o.spec);
  const status = obj(o.status);
  return {
    schedule: str(spec.schedule),
    suspend: spec.suspend === true ? 'True' : 'False',
    active: arr(status.active).length,
    lastSchedule: str(status.lastScheduleTime),
  };
}

function summarizeService(o: KubeObject): Json {
  const spec = obj(o.spec);
  const ports = arr(spec.ports)
    .map(obj)
    .map((p) => `${num(p.port)}${p.nodePort ? `:${num(p.nodePort)}` : ''}/${str(p.protocol) || 'TCP'}`)
    .join(',');
  const ingress = arr(obj(obj(o.status).loadBalancer).ingress).map(obj);
  const external = ingress
    .map((i) => str(i.ip) || str(i.hostname))
    .filter(Boolean)
    .join(',');
  return {
    type: str(spec.type) || 'ClusterIP',
    clusterIP: str(spec.clusterIP) || '<none>',
    externalIP: external || (str(spec.type) === 'LoadBalancer' ? '<pending>' : '<none>'),
    ports: ports || '<none>',
  };
}

export function summarizeNode(o: KubeObject): Json {
  const status = obj(o.status);
  const ready = arr(status.conditions)
    .map(obj)
    .find((c) => c.type === 'Ready');
  const labels = obj(obj(o.metadata).labels);
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort()
    .join(',');
  let state = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if (obj(o.spec).unschedulable === true) state += ',SchedulingDisabled';
  return { status: state, roles: roles || '<none>', version: str(obj(status.nodeInfo).kubeletVersion) };
}

function summarizeNamespace(o: KubeObject): Json {
  return { status: str(obj(o.status).phase) || 'Active' };
}

const dataCount = (o: KubeObject): Json => ({
  data:
    Object.keys(obj(o.data)).length +
    Object.keys(obj(o.binaryData)).length +
    Object.keys(obj(o.stringData)).length,
});

function summarizeSecret(o: KubeObject): Json {
  return { type: str(o.type) || 'Opaque', ...dataCount(o) };
}

function summarizeServiceAccount(o: KubeObject): Json {
  return { secrets: arr(o.secrets).length };
}

function summarizeBinding(o: KubeObject): Json {
  const ref = obj(o.roleRef);
  return { role: `${str(ref.kind)}/${str(ref.name)}` };
}

function summarizeWebhookConfig(o: KubeObject): Json {
  return { webhooks: arr(o.webhooks).length };
}

function summarizeIngress(o: KubeObject): Json {
  const spec = obj(o.spec);
  const hosts = arr(spec.rules)
    .map((r) => str(obj(r).host))
    .filter(Boolean)
    .join(',');
  return { className: str(spec.ingressClassName) || '<none>', hosts: hosts || '*' };
}

function summarizeNetworkPolicy(o: KubeObject): Json {
  const sel = obj(obj(o.spec).podSelector);
  const ml = obj(sel.matchLabels);
  const s = Object.entries(ml)
    .map(([k, v]) => `${k}=${str(v)}`)
    .join(',');
  return { podSelector: s || (arr(sel.matchExpressions).length ? '<expressions>' : '<none>') };
}

// ---------------------------------------------------------------------------------------------

interface Spec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  summarize?: (o: KubeObject) => Json;
  columns?: (s: (o: KubeObject) => Json) => PrinterColumn[];
}

function def(s: Spec): ResourceDefinition {
  const d: ResourceDefinition = {
    group: s.group,
    version: s.version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    maxBodyBytes: BUILTIN_MAX_BODY,
    printerColumns: s.summarize && s.columns ? s.columns(s.summarize) : [],
    verbs: s.verbs ?? ALL_VERBS,
  };
  if (s.summarize) d.summarize = s.summarize;
  return d;
}

export function builtinResources(): ResourceDefinition[] {
  const all = ['all'];
  return [
    // core/v1
    def({
      group: '',
      version: 'v1',
      kind: 'Pod',
      plural: 'pods',
      namespaced: true,
      shortNames: ['po'],
      categories: all,
      summarize: summarizePod,
      columns: (s) => [
        col('READY', 'string', 'Ready containers / containers', s, 'ready'),
        col('STATUS', 'string', 'Phase or container state reason', s, 'status'),
        col('RESTARTS', 'integer', 'Container restarts', s, 'restarts'),
        col('IP', 'string', 'Pod IP', s, 'ip', 1),
        col('NODE', 'string', 'Node', s, 'node', 1),
      ],
    }),
    def({
      group: '',
      version: 'v1',
      kind: 'Namespace',
      plural: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      verbs: NS_VERBS,
      summarize: summarizeNamespace,
      columns: (s) => [col('STATUS', 'string', 'Phase', s, 'status')],
    }),
    def({
      group: '',
      version: 'v1',
      kind: 'Service',
      plural: 'services',
      namespaced: true,
      shortNames: ['svc'],
      categories: all,
      summarize: summarizeService,
      columns: (s) => [
        col('TYPE', 'string', 'Service type', s, 'type'),
        col('CLUSTER-IP', 'string', 'Cluster IP', s, 'clusterIP'),
        col('EXTERNAL-IP', 'string', 'External IPs', s, 'externalIP'),
        col('PORT(S)', 'string', 'Ports', s, 'ports'),
      ],
    }),
    def({
      group: '',
      version: 'v1',
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      namespaced: true,
      shortNames: ['sa'],
      summarize: summarizeServiceAccount,
      columns: (s) => [col('SECRETS', 'integer', 'Secrets', s, 'secrets')],
    }),
    def({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespaced: true,
      shortNames: ['cm'],
      summarize: dataCount,
      columns: (s) => [col('DATA', 'integer', 'Keys', s, 'data')],
    }),
    def({
      group: '',
      version: 'v1',
      kind: 'Secret',
      plural: 'secrets',
      namespaced: true,
      summarize: summarizeSecret,
      columns: (s) => [
        col('TYPE', 'string', 'Secret type', s, 'type'),
        col('DATA', 'integer', 'Keys', s, 'data'),
      ],
    }),
    def({
      group: '',
      version: 'v1',
      kind: 'Node',
      plural: 'nodes',
      namespaced: false,
      shortNames: ['no'],
      summarize: summarizeNode,
      columns: (s) => [
        col('STATUS', 'string', 'Ready condition', s, 'status'),
        col('ROLES', 'string', 'node-role labels', s, 'roles'),
        col('VERSION', 'string', 'Kubelet version', s, 'version'),
      ],
    }),
    def({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }),
    // apps/v1
    def({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      plural: 'deployments',
      namespaced: true,
      shortNames: ['deploy'],
      categories: all,
      summarize: summarizeDeployment,
      columns: (s) => [
        col('READY', 'string', 'Ready replicas / desired', s, 'ready'),
        col('UP-TO-DATE', 'integer', 'Updated replicas', s, 'upToDate'),
        col('AVAILABLE', 'integer', 'Available replicas', s, 'available'),
      ],
    }),
    def({
      group: 'apps',
      version: 'v1',
      kind: 'StatefulSet',
      plural: 'statefulsets',
      namespaced: true,
      shortNames: ['sts'],
      categories: all,
      summarize: summarizeStatefulSet,
      columns: (s) => [col('READY', 'string', 'Ready replicas / desired', s, 'ready')],
    }),
    def({
      group: 'apps',
      version: 'v1',
      kind: 'DaemonSet',
      plural: 'daemonsets',
      namespaced: true,
      shortNames: ['ds'],
      categories: all,
      summarize: summarizeDaemonSet,
      columns: (s) => [
        col('DESIRED', 'integer', 'Desired pods', s, 'desired'),
        col('CURRENT', 'integer', 'Scheduled pods', s, 'current'),
        col('READY', 'integer', 'Ready pods', s, 'ready'),
        col('UP-TO-DATE', 'integer', 'Updated pods', s, 'upToDate'),
        col('AVAILABLE', 'integer', 'Available pods', s, 'available'),
      ],
    }),
    def({
      group: 'apps',
      version: 'v1',
      kind: 'ReplicaSet',
      plural: 'replicasets',
      namespaced: true,
      shortNames: ['rs'],
      categories: all,
      summarize: summarizeReplicaSet,
      columns: (s) => [
        col('DESIRED', 'integer', 'Desired replicas', s, 'desired'),
        col('CURRENT', 'integer', 'Current replicas', s, 'current'),
        col('READY', 'integer', 'Ready replicas', s, 'ready'),
      ],
    }),
    // batch/v1
    def({
      group: 'batch',
      version: 'v1',
      kind: 'Job',
      plural: 'jobs',
      namespaced: true,
      categories: all,
      summarize: summarizeJob,
      columns: (s) => [
        col('STATUS', 'string', 'Job state', s, 'status'),
        col('COMPLETIONS', 'string', 'Succeeded / completions', s, 'completions'),
      ],
    }),
    def({
      group: 'batch',
      version: 'v1',
      kind: 'CronJob',
      plural: 'cronjobs',
      namespaced: true,
      shortNames: ['cj'],
      categories: all,
      summarize: summarizeCronJob,
      columns: (s) => [
        col('SCHEDULE', 'string', 'Cron schedule', s, 'schedule'),
        col('SUSPEND', 'string', 'Suspended', s, 'suspend'),
        col('ACTIVE', 'integer', 'Active jobs', s, 'active'),
        col('LAST SCHEDULE', 'date', 'Last schedule time', s, 'lastSchedule'),
      ],
    }),
    // rbac.authorization.k8s.io/v1
    def({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind: 'Role',
      plural: 'roles',
      namespaced: true,
    }),
    def({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind: 'RoleBinding',
      plural: 'rolebindings',
      namespaced: true,
      summarize: summarizeBinding,
      columns: (s) => [col('ROLE', 'string', 'Bound role', s, 'role')],
    }),
    def({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind: 'ClusterRole',
      plural: 'clusterroles',
      namespaced: false,
    }),
    def({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind: 'ClusterRoleBinding',
      plural: 'clusterrolebindings',
      namespaced: false,
      summarize: summarizeBinding,
      columns: (s) => [col('ROLE', 'string', 'Bound role', s, 'role')],
    }),
    // networking.k8s.io/v1
    def({
      group: 'networking.k8s.io',
      version: 'v1',
      kind: 'NetworkPolicy',
      plural: 'networkpolicies',
      namespaced: true,
      shortNames: ['netpol'],
      summarize: summarizeNetworkPolicy,
      columns: (s) => [col('POD-SELECTOR', 'string', 'Selected pods', s, 'podSelector')],
    }),
    def({
      group: 'networking.k8s.io',
      version: 'v1',
      kind: 'Ingress',
      plural: 'ingresses',
      namespaced: true,
      shortNames: ['ing'],
      summarize: summarizeIngress,
      columns: (s) => [
        col('CLASS', 'string', 'Ingress class', s, 'className'),
        col('HOSTS', 'string', 'Hosts', s, 'hosts'),
      ],
    }),
    // admissionregistration.k8s.io/v1
    def({
      group: 'admissionregistration.k8s.io',
      version: 'v1',
      kind: 'ValidatingWebhookConfiguration',
      plural: 'validatingwebhookconfigurations',
      namespaced: false,
      categories: ['api-extensions'],
      summarize: summarizeWebhookConfig,
      columns: (s) => [col('WEBHOOKS', 'integer', 'Webhooks', s, 'webhooks')],
    }),
    def({
      group: 'admissionregistration.k8s.io',
      version: 'v1',
      kind: 'MutatingWebhookConfiguration',
      plural: 'mutatingwebhookconfigurations',
      namespaced: false,
      categories: ['api-extensions'],
      summarize: summarizeWebhookConfig,
      columns: (s) => [col('WEBHOOKS', 'integer', 'Webhooks', s, 'webhooks')],
    }),
  ];
}

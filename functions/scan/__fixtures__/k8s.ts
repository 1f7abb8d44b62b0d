/** Object builders for tests: terse, explicit, no defaults hidden behind flags. */
import type { KubeObject } from '../engine/types.js';

type Obj = Record<string, unknown>;

export function meta(name: string, namespace?: string, extra: Obj = {}): KubeObject['metadata'] {
  return { name, ...(namespace !== undefined ? { namespace } : {}), ...extra };
}

export function pod(name: string, spec: Obj, namespace = 'prod', extraMeta: Obj = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta(name, namespace, extraMeta), spec };
}

export function deployment(
  name: string,
  podSpec: Obj,
  namespace = 'prod',
  opts: { labels?: Obj; replicas?: number; podLabels?: Obj } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, namespace, opts.labels ? { labels: opts.labels } : {}),
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      selector: { matchLabels: opts.podLabels ?? { app: name } },
      template: { metadata: { labels: opts.podLabels ?? { app: name } }, spec: podSpec },
    },
  };
}

export function cronJob(name: string, podSpec: Obj, namespace = 'prod'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(name, namespace),
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(name, undefined, { labels }) };
}

export function serviceAccount(name: string, ns = 'prod', extra: Obj = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, ns), ...extra };
}

export function configMap(name: string, data: Record<string, string>, ns = 'prod'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name, ns), data };
}

export function service(name: string, spec: Obj, ns = 'prod'): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(name, ns), spec };
}

export function networkPolicy(name: string, spec: Obj, ns = 'prod'): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name, ns), spec };
}

export function clusterRole(name: string, rules: Obj[]): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(name), rules };
}

export function role(name: string, ns: string, rules: Obj[]): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(name, ns), rules };
}

export function clusterRoleBinding(name: string, roleName: string, subjects: Obj[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

export function roleBinding(
  name: string,
  ns: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: Obj[],
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name, ns),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects,
  };
}

export const user = (name: string): Obj => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' });
export const group = (name: string): Obj => ({ kind: 'Group', name, apiGroup: 'rbac.authorization.k8s.io' });
export const saSubject = (name: string, ns: string): Obj => ({ kind: 'ServiceAccount', name, namespace: ns });

/** IDs of RBAC subject results. */
export const userId = (name: string): string => `rbac.authorization.k8s.io/v1//User/${name}`;
export const groupId = (name: string): string => `rbac.authorization.k8s.io/v1//Group/${name}`;
export const saId = (name: string, ns: string): string => `/v1/${ns}/ServiceAccount/${name}`;

/** A container that passes every container-level control of the engine. */
export function hardenedContainer(name = 'app', extra: Obj = {}): Obj {
  return {
    name,
    image:
      'registry.example.com/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    imagePullPolicy: 'Always',
    securityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
      seLinuxOptions: { level: 's0:c123,c456' },
    },
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
    readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
    livenessProbe: { httpGet: { path: '/live', port: 8080 } },
    ...extra,
  };
}

/** A pod spec that passes every workload control of the engine. */
export function hardenedPodSpec(extra: Obj = {}): Obj {
  return {
    automountServiceAccountToken: false,
    securityContext: {
      fsGroup: 2000,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [hardenedContainer()],
    ...extra,
  };
}

/** A bare container (nothing set) for failing fixtures. */
export function bareContainer(name = 'app', extra: Obj = {}): Obj {
  return { name, image: 'nginx:1.25', ...extra };
}

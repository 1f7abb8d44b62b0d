/**
 * Deterministic synthetic cluster (seeded PRNG): N workloads of every kind plus namespaces, RBAC,
 * services, network policies and config maps. Used by bench/scan.ts (10,000 workloads) and by the
 * report regression snapshot (engine/snapshot.test.ts), so the benchmarked input is the tested one.
 */
import { mulberry32 } from '../../../lib/random/mulberry32.js';

type Obj = Record<string, unknown>;

export function syntheticCluster(workloads: number): Obj[] {
  const rnd = mulberry32(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const chance = (p: number) => rnd() < p;
  const namespaces = Math.max(1, Math.round(workloads / 100));
  const out: Obj[] = [];
  const images = [
    'nginx:1.25',
    'nginx',
    'redis:7',
    'registry.example.com/team/api:2.3.1',
    'quay.io/prometheus/node-exporter:v1.8.0',
    'ghcr.io/org/worker@sha256:' + 'a'.repeat(64),
    'registry.k8s.io/ingress-nginx/controller:v1.9.0',
    'k8s.gcr.io/pause:3.2',
  ];

  for (let n = 0; n < namespaces; n++) {
    const ns = `team-${n}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: chance(0.3)
          ? { 'pod-security.kubernetes.io/enforce': pick(['baseline', 'restricted', 'privileged']) }
          : {},
      },
    });
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
    if (chance(0.5)) {
      out.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny', namespace: ns },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      });
    }
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: ns },
      data: {
        LOG_LEVEL: 'info',
        DB_PASSWORD: chance(0.2) ? 'hunter2' : '',
        'app.yaml': 'port: 8080\nfeatures: [a, b]\n',
      },
    });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'deployer', namespace: ns },
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'update', 'patch'] },
        { apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: pick([['get'], ['create'], ['*']]) },
      ],
    });
  }

  const clusterRoles = ['view', 'edit', 'admin', 'cluster-admin', 'secret-reader', 'pod-creator'];
  out.push(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin' },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'admin' },
      rules: [
        {
          apiGroups: ['', 'apps', 'batch'],
          resources: ['pods', 'deployments', 'secrets', 'services', 'jobs'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'edit' },
      rules: [
        {
          apiGroups: ['', 'apps'],
          resources: ['pods', 'deployments', 'configmaps'],
          verbs: ['get', 'list', 'create', 'update', 'patch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'view' },
      rules: [
        {
          apiGroups: ['', 'apps'],
          resources: ['pods', 'deployments', 'configmaps'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'pod-creator' },
      rules: [{ apiGroups: [''], resources: ['pods', 'pods/portforward'], verbs: ['create'] }],
    },
  );
  for (let i = 0; i < 50; i++) {
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `crb-${i}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: pick(clusterRoles) },
      subjects: [
        {
          kind: pick(['User', 'Group']),
          name: `${pick(['alice', 'bob', 'ops', 'dev', 'ci', 'system:authenticated'])}-${i % 7}`,
          apiGroup: 'rbac.authorization.k8s.io',
        },
      ],
    });
  }

  const kinds = [
    'Deployment',
    'Deployment',
    'Deployment',
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    'Job',
    'CronJob',
    'Pod',
    'Pod',
  ];
  for (let w = 0; w < workloads; w++) {
    const ns = `team-${w % namespaces}`;
    const name = `app-${w}`;
    const sa = `sa-${Math.floor(w / 10)}`;
    if (w % 10 === 0) {
      out.push({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: sa, namespace: ns },
        ...(chance(0.5) ? { automountServiceAccountToken: false } : {}),
      });
      out.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `rb-${sa}`, namespace: ns },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: chance(0.5) ? 'Role' : 'ClusterRole',
          name: chance(0.5) ? 'deployer' : pick(clusterRoles),
        },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      });
    }
    const containers: Obj[] = [];
    const count = 1 + Math.floor(rnd() * 3);
    for (let c = 0; c < count; c++) {
      const hardened = chance(0.4);
      containers.push({
        name: `c${c}`,
        image: pick(images),
        ...(chance(0.5) ? { imagePullPolicy: pick(['Always', 'IfNotPresent']) } : {}),
        ports: [{ containerPort: 8080, ...(chance(0.05) ? { hostPort: 8080 } : {}) }],
        env: [
          { name: 'PORT', value: '8080' },
          ...(chance(0.1) ? [{ name: 'API_TOKEN', value: 'abc123' }] : []),
          ...(chance(0.2)
            ? [{ name: 'DB_PASS', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }]
            : []),
        ],
        resources: chance(0.7)
          ? {
              requests: { cpu: '100m', memory: '128Mi' },
              ...(chance(0.6) ? { limits: { cpu: '500m', memory: '512Mi' } } : {}),
            }
          : {},
        ...(chance(0.6) ? { readinessProbe: { httpGet: { path: '/ready', port: 8080 } } } : {}),
        ...(chance(0.6) ? { livenessProbe: { httpGet: { path: '/live', port: 8080 } } } : {}),
        securityContext: hardened
          ? {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            }
          : {
              ...(chance(0.05) ? { privileged: true } : {}),
              ...(chance(0.1) ? { capabilities: { add: [pick(['NET_ADMIN', 'SYS_ADMIN', 'CHOWN'])] } } : {}),
            },
        volumeMounts: [
          { name: 'config', mountPath: '/etc/app' },
          ...(chance(0.05) ? [{ name: 'host', mountPath: '/host' }] : []),
        ],
      });
    }
    const podSpec: Obj = {
      serviceAccountName: sa,
      ...(chance(0.3) ? { automountServiceAccountToken: false } : {}),
      ...(chance(0.02) ? { hostNetwork: true } : {}),
      ...(chance(0.01) ? { hostPID: true } : {}),
      ...(chance(0.3)
        ? { securityContext: { fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } } }
        : {}),
      containers,
      volumes: [
        { name: 'config', configMap: { name: 'app-config' } },
        { name: 'host', hostPath: { path: pick(['/var/log', '/var/run/docker.sock', '/etc']) } },
      ],
    };
    const labels = { app: name, ...(chance(0.5) ? { 'app.kubernetes.io/name': name, tier: 'backend' } : {}) };
    const kind = pick(kinds);
    const metadata = { name, namespace: ns, labels };
    const template = { metadata: { labels }, spec: podSpec };
    switch (kind) {
      case 'Pod':
        out.push({ apiVersion: 'v1', kind, metadata, spec: podSpec });
        break;
      case 'CronJob':
        out.push({
          apiVersion: 'batch/v1',
          kind,
          metadata,
          spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } },
        });
        break;
      case 'Job':
        out.push({ apiVersion: 'batch/v1', kind, metadata, spec: { template } });
        break;
      case 'DaemonSet':
        out.push({
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: { selector: { matchLabels: { app: name } }, template },
          status: { desiredNumberScheduled: 5 },
        });
        break;
      default:
        out.push({
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: { replicas: 1 + Math.floor(rnd() * 4), selector: { matchLabels: { app: name } }, template },
        });
    }
    if (w % 5 === 0) {
      out.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns },
        spec: {
          type: pick(['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer']),
          selector: { app: name },
          ports: [{ port: 80, targetPort: 8080 }],
        },
      });
    }
  }
  return out;
}

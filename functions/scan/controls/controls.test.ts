/**
 * One passing and one failing fixture per implemented control, checking status and exact paths.
 * The last test asserts that every registered control has a case here, so a new control module
 * cannot land without its fixtures.
 */
import { describe, expect, it } from 'vitest';
import { ClusterIndex } from '../engine/cluster-index.js';
import { DEFAULT_CONTROL_INPUTS, mergeInputs, type ControlInputs } from '../engine/inputs.js';
import type { FixPath, KubeObject, RuleResult } from '../engine/types.js';
import {
  bareContainer,
  clusterRole,
  clusterRoleBinding,
  configMap,
  cronJob,
  deployment,
  group,
  groupId,
  hardenedContainer,
  hardenedPodSpec,
  meta,
  namespace,
  networkPolicy,
  pod,
  role,
  roleBinding,
  saId,
  saSubject,
  service,
  serviceAccount,
  user,
  userId,
} from '../__fixtures__/k8s.js';
import { WORKLOAD_CONTROL_CATALOG } from './catalog.js';
import { CONTROLS, implementedControl } from './index.js';

interface Expect {
  rule?: string;
  failedPaths?: string[];
  reviewPaths?: string[];
  deletePaths?: string[];
  fixPaths?: FixPath[];
  relatedResourcesIDs?: string[];
}

interface Case {
  /** Set for controls that alert on every resource they consider: the pass fixture is then a resource outside their population. */
  alwaysAlerts?: true;
  pass: [KubeObject[], string];
  fail: [KubeObject[], string, Expect];
  inputs?: ControlInputs;
}

function run(id: string, objects: KubeObject[], target: string, inputs: ControlInputs): RuleResult[] {
  const control = implementedControl(id);
  if (!control) throw new Error(`${id} not implemented`);
  const index = new ClusterIndex(objects);
  const res = [...index.resources()].find(
    (r) => r.id === target || `${r.object.kind}/${r.object.metadata.name}` === target,
  );
  if (!res) throw new Error(`target ${target} not among resources`);
  return control.evaluate(res, { index, inputs });
}

const BINDING_PATHS = (rule: string[], j = 0, k = 0) => [
  ...rule,
  `relatedObjects[${j}].subjects[${k}]`,
  `relatedObjects[${j}].roleRef.name`,
];

const secretsReader = clusterRole('secret-reader', [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
]);
const podReader = clusterRole('pod-reader', [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
]);

function rbacCase(
  ruleSpec: Record<string, unknown>,
  paths: string[],
  passRule: Record<string, unknown> = { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
): Case {
  return {
    pass: [[clusterRole('r', [passRule]), clusterRoleBinding('b', 'r', [user('jane')])], userId('jane')],
    fail: [
      [
        clusterRole('r', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }, ruleSpec]),
        clusterRoleBinding('b', 'r', [user('jane')]),
      ],
      userId('jane'),
      { reviewPaths: BINDING_PATHS(paths), failedPaths: BINDING_PATHS(paths) },
    ],
  };
}

const D = 'spec.template.spec.';
const C0 = `${D}containers[0]`;
const dep = (spec: Record<string, unknown>, opts = {}) => deployment('web', spec, 'prod', opts);
const withContainer = (c: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  hardenedPodSpec({ containers: [c], ...extra });
const sc = (over: Record<string, unknown>) => ({
  ...(hardenedContainer().securityContext as Record<string, unknown>),
  ...over,
});
const psaNs = (level?: string) =>
  namespace('team', level ? { 'pod-security.kubernetes.io/enforce': level } : {});

const CASES: Record<string, Case> = {
  'C-0001': {
    inputs: mergeInputs(DEFAULT_CONTROL_INPUTS, { untrustedRegistries: ['quay.io/evil'] }),
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { image: 'quay.io/evil/miner:1' })))],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0002': rbacCase({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0004': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { resources: { limits: { memory: '1Gi' } } })))],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.resources.requests.memory`, value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0007': rbacCase({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['delete'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0009': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { resources: { limits: { cpu: '1' } } })))],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.resources.limits.memory`, value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0012': {
    pass: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              env: [
                { name: 'LOG_LEVEL', value: 'debug' },
                { name: 'KEY_FILE', value: '/etc/key' },
              ],
            }),
          ),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              env: [
                { name: 'LOG_LEVEL', value: 'debug' },
                { name: 'DB_PASSWORD', value: 'hunter2' },
              ],
            }),
          ),
        ),
      ],
      'Deployment/web',
      { deletePaths: [`${C0}.env[1].name`], failedPaths: [`${C0}.env[1].name`] },
    ],
  },
  'C-0013': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              securityContext: sc({ runAsNonRoot: undefined, runAsUser: undefined }),
            }),
          ),
        ),
      ],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.securityContext.runAsNonRoot`, value: 'true' }] },
    ],
  },
  'C-0014': {
    pass: [[dep(hardenedPodSpec({ serviceAccountName: 'web' }))], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec({ serviceAccountName: 'kubernetes-dashboard' }))],
      'Deployment/web',
      { reviewPaths: [`${D}serviceAccountName`], failedPaths: [`${D}serviceAccountName`] },
    ],
  },
  'C-0015': rbacCase({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0016': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { securityContext: { runAsNonRoot: true } })))],
      'Deployment/web',
      {
        fixPaths: [
          { path: `${C0}.securityContext.allowPrivilegeEscalation`, value: 'false' },
          { path: `${C0}.securityContext.privileged`, value: 'false' },
        ],
      },
    ],
  },
  'C-0017': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { securityContext: sc({ readOnlyRootFilesystem: false }) }),
            { initContainers: [bareContainer('init')] },
          ),
        ),
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.securityContext.readOnlyRootFilesystem`],
        failedPaths: [`${C0}.securityContext.readOnlyRootFilesystem`],
        fixPaths: [{ path: `${D}initContainers[0].securityContext.readOnlyRootFilesystem`, value: 'true' }],
      },
    ],
  },
  'C-0018': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { readinessProbe: undefined })))],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.readinessProbe`, value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0026': {
    alwaysAlerts: true,
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [[cronJob('nightly', hardenedPodSpec())], 'CronJob/nightly', {}],
  },
  'C-0030': {
    pass: [
      [dep(hardenedPodSpec()), networkPolicy('deny', { podSelector: {}, policyTypes: ['Ingress'] })],
      'Deployment/web',
    ],
    fail: [
      [
        dep(hardenedPodSpec()),
        networkPolicy('other', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] }),
      ],
      'Deployment/web',
      {},
    ],
  },
  'C-0031': rbacCase({ apiGroups: ['*'], resources: ['events'], verbs: ['deletecollection'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0034': {
    pass: [
      [
        dep(hardenedPodSpec({ automountServiceAccountToken: undefined, serviceAccountName: 'web' })),
        serviceAccount('web', 'prod', { automountServiceAccountToken: false }),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(hardenedPodSpec({ automountServiceAccountToken: undefined, serviceAccountName: 'web' })),
        serviceAccount('web'),
      ],
      'Deployment/web',
      { fixPaths: [{ path: `${D}automountServiceAccountToken`, value: 'false' }] },
    ],
  },
  'C-0035': rbacCase({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0036': {
    alwaysAlerts: true,
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingWebhookConfiguration',
          metadata: meta('vwc'),
        },
      ],
      'ValidatingWebhookConfiguration/vwc',
      {},
    ],
  },
  'C-0037': {
    pass: [
      [
        clusterRole('r', [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['update'], resourceNames: ['app-config'] },
        ]),
        clusterRoleBinding('b', 'r', [user('jane')]),
      ],
      userId('jane'),
    ],
    fail: [
      [
        clusterRole('r', [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['patch'], resourceNames: ['coredns'] },
        ]),
        clusterRoleBinding('b', 'r', [user('jane')]),
      ],
      userId('jane'),
      {
        reviewPaths: BINDING_PATHS([
          'relatedObjects[1].rules[0].resources[0]',
          'relatedObjects[1].rules[0].verbs[0]',
          'relatedObjects[1].rules[0].apiGroups[0]',
        ]),
        failedPaths: BINDING_PATHS([
          'relatedObjects[1].rules[0].resources[0]',
          'relatedObjects[1].rules[0].verbs[0]',
          'relatedObjects[1].rules[0].apiGroups[0]',
        ]),
      },
    ],
  },
  'C-0038': {
    pass: [[dep(hardenedPodSpec({ hostPID: false }))], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec({ hostPID: true, hostIPC: true }))],
      'Deployment/web',
      { deletePaths: [`${D}hostPID`, `${D}hostIPC`], failedPaths: [`${D}hostPID`, `${D}hostIPC`] },
    ],
  },
  'C-0039': {
    alwaysAlerts: true,
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          metadata: meta('mwc'),
        },
      ],
      'MutatingWebhookConfiguration/mwc',
      {},
    ],
  },
  'C-0041': {
    pass: [[pod('p', hardenedPodSpec())], 'Pod/p'],
    fail: [
      [pod('p', hardenedPodSpec({ hostNetwork: true }))],
      'Pod/p',
      { deletePaths: ['spec.hostNetwork'], failedPaths: ['spec.hostNetwork'] },
    ],
  },
  'C-0044': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { ports: [{ containerPort: 80 }] })))],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 8081 }],
            }),
          ),
        ),
      ],
      'Deployment/web',
      { deletePaths: [`${C0}.ports[1].hostPort`], failedPaths: [`${C0}.ports[1].hostPort`] },
    ],
  },
  'C-0045': {
    pass: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { volumeMounts: [{ name: 'h', mountPath: '/h', readOnly: true }] }),
            { volumes: [{ name: 'h', hostPath: { path: '/var/log' } }] },
          ),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'h', mountPath: '/h' },
              ],
            }),
            {
              volumes: [
                { name: 'tmp', emptyDir: {} },
                { name: 'h', hostPath: { path: '/var/log' } },
              ],
            },
          ),
        ),
      ],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.volumeMounts[1].readOnly`, value: 'true' }] },
    ],
  },
  'C-0046': {
    pass: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              securityContext: sc({ capabilities: { add: ['CHOWN'], drop: ['ALL'] } }),
            }),
          ),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              securityContext: sc({ capabilities: { add: ['CHOWN', 'NET_ADMIN'] } }),
            }),
          ),
        ),
      ],
      'Deployment/web',
      {
        deletePaths: [`${C0}.securityContext.capabilities.add[1]`],
        failedPaths: [`${C0}.securityContext.capabilities.add[1]`],
      },
    ],
  },
  'C-0048': {
    pass: [
      [dep(withContainer(hardenedContainer(), { volumes: [{ name: 'tmp', emptyDir: {} }] }))],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(hardenedContainer('app', { volumeMounts: [{ name: 'h', mountPath: '/h' }] }), {
            volumes: [
              { name: 'tmp', emptyDir: {} },
              { name: 'h', hostPath: { path: '/etc' } },
            ],
          }),
        ),
      ],
      'Deployment/web',
      {
        deletePaths: [`${D}volumes[1].hostPath.path`, `${C0}.volumeMounts[0]`],
        failedPaths: [`${D}volumes[1].hostPath.path`, `${C0}.volumeMounts[0]`],
      },
    ],
  },
  'C-0049': {
    pass: [[namespace('team'), networkPolicy('np', { podSelector: {} }, 'team')], 'Namespace/team'],
    fail: [[namespace('team'), networkPolicy('np', { podSelector: {} }, 'other')], 'Namespace/team', {}],
  },
  'C-0050': {
    inputs: mergeInputs(DEFAULT_CONTROL_INPUTS, { cpu_limit_max: ['500m'] }),
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { resources: { requests: { cpu: '100m' }, limits: { cpu: '2' } } }),
          ),
        ),
      ],
      'Deployment/web',
      { reviewPaths: [`${C0}.resources.limits.cpu`], failedPaths: [`${C0}.resources.limits.cpu`] },
    ],
  },
  'C-0053': {
    pass: [[podReader, clusterRoleBinding('b', 'pod-reader', [user('jane')])], userId('jane')],
    fail: [
      [
        podReader,
        roleBinding('b', 'prod', { kind: 'ClusterRole', name: 'pod-reader' }, [saSubject('ci', 'prod')]),
      ],
      saId('ci', 'prod'),
      {
        reviewPaths: ['relatedObjects[0].roleRef.name'],
        failedPaths: ['relatedObjects[0].roleRef.name'],
        relatedResourcesIDs: [
          'rbac.authorization.k8s.io/v1/prod/RoleBinding/b',
          'rbac.authorization.k8s.io/v1//ClusterRole/pod-reader',
        ],
      },
    ],
  },
  'C-0054': {
    pass: [[namespace('team'), networkPolicy('np', { podSelector: {} }, 'team')], 'Namespace/team'],
    fail: [[namespace('team')], 'Namespace/team', {}],
  },
  'C-0055': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { securityContext: sc({ seccompProfile: undefined }) })))],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(hardenedContainer('app', { securityContext: sc({ seccompProfile: undefined }) }), {
            securityContext: {},
          }),
        ),
      ],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.securityContext.seccompProfile.type`, value: 'RuntimeDefault' }] },
    ],
  },
  'C-0056': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { livenessProbe: undefined })))],
      'Deployment/web',
      { fixPaths: [{ path: `${C0}.livenessProbe`, value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0057': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              securityContext: sc({ privileged: true, capabilities: { add: ['SYS_ADMIN'] } }),
            }),
          ),
        ),
      ],
      'Deployment/web',
      {
        deletePaths: [`${C0}.securityContext.capabilities.add[0]`, `${C0}.securityContext.privileged`],
        failedPaths: [`${C0}.securityContext.capabilities.add[0]`, `${C0}.securityContext.privileged`],
      },
    ],
  },
  'C-0058': {
    pass: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { volumeMounts: [{ name: 'c', mountPath: '/c', subPath: 'x' }] }),
          ),
        ),
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: meta('n1'),
          status: { nodeInfo: { kubeletVersion: 'v1.22.2' } },
        },
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { volumeMounts: [{ name: 'c', mountPath: '/c', subPath: 'x' }] }),
          ),
        ),
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: meta('n1'),
          status: { nodeInfo: { kubeletVersion: 'v1.21.4' } },
        },
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.volumeMounts[0].subPath`],
        failedPaths: [`${C0}.volumeMounts[0].subPath`],
        relatedResourcesIDs: ['/v1//Node/n1'],
      },
    ],
  },
  'C-0059': {
    pass: [
      [
        dep(
          withContainer(hardenedContainer('app', { image: 'k8s.gcr.io/ingress-nginx/controller:v0.48.0' })),
        ),
        configMap('ingress-nginx-controller', { 'allow-snippet-annotations': 'false' }),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(hardenedContainer('app', { image: 'k8s.gcr.io/ingress-nginx/controller:v0.48.0' })),
        ),
      ],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0061': {
    pass: [[deployment('web', hardenedPodSpec(), 'prod')], 'Deployment/web'],
    fail: [
      [deployment('web', hardenedPodSpec(), 'default')],
      'Deployment/web',
      { reviewPaths: ['metadata.namespace'], failedPaths: ['metadata.namespace'] },
    ],
  },
  'C-0062': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { command: ['/app', '--serve'] })))],
      'Deployment/web',
    ],
    fail: [
      [dep(withContainer(hardenedContainer('app', { command: ['sh', 'sudo /app'] })))],
      'Deployment/web',
      { reviewPaths: [`${C0}.command[1]`], failedPaths: [`${C0}.command[1]`] },
    ],
  },
  'C-0063': rbacCase({ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0065': rbacCase({ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].resources[1]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0073': {
    pass: [
      [
        pod('p', hardenedPodSpec(), 'prod', {
          ownerReferences: [{ kind: 'ReplicaSet', name: 'gone', controller: true }],
        }),
      ],
      'Pod/p',
    ],
    fail: [[pod('p', hardenedPodSpec())], 'Pod/p', {}],
  },
  'C-0074': {
    pass: [
      [dep(hardenedPodSpec({ volumes: [{ name: 'h', hostPath: { path: '/var/log' } }] }))],
      'Deployment/web',
    ],
    fail: [
      [dep(hardenedPodSpec({ volumes: [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }] }))],
      'Deployment/web',
      { deletePaths: [`${D}volumes[0].hostPath.path`], failedPaths: [`${D}volumes[0].hostPath.path`] },
    ],
  },
  'C-0075': {
    pass: [
      [
        dep(
          withContainer(hardenedContainer('app', { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent' })),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [dep(withContainer(hardenedContainer('app', { image: 'nginx', imagePullPolicy: 'IfNotPresent' })))],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.image`, `${C0}.imagePullPolicy`],
        failedPaths: [`${C0}.image`, `${C0}.imagePullPolicy`],
      },
    ],
  },
  'C-0076': {
    pass: [[dep(hardenedPodSpec(), { podLabels: { app: 'web' } })], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec(), { podLabels: { name: 'web' } })],
      'Deployment/web',
      { fixPaths: [{ path: 'spec.template.metadata.labels[YOUR_LABEL]', value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0077': {
    pass: [[dep(hardenedPodSpec(), { labels: { 'app.kubernetes.io/name': 'web' } })], 'Deployment/web'],
    fail: [
      [pod('p', hardenedPodSpec())],
      'Pod/p',
      { fixPaths: [{ path: 'metadata.labels[YOUR_LABEL]', value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0078': {
    inputs: mergeInputs(DEFAULT_CONTROL_INPUTS, { imageRepositoryAllowList: ['registry.example.com/'] }),
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(hardenedContainer(), {
            initContainers: [bareContainer('init', { image: 'busybox' })],
          }),
        ),
      ],
      'Deployment/web',
      { reviewPaths: [`${D}initContainers[0].image`], failedPaths: [`${D}initContainers[0].image`] },
    ],
  },
  'C-0081': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { image: 'quay.io/argoproj/argocd:v2.2.4' })))],
      'Deployment/web',
    ],
    fail: [
      [dep(withContainer(hardenedContainer('app', { image: 'quay.io/argoproj/argocd:v2.1.8' })))],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0090': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { image: 'grafana/grafana:9.2.4' })))],
      'Deployment/web',
    ],
    fail: [
      [dep(withContainer(hardenedContainer('app', { image: 'grafana/grafana:9.2.3' })))],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0091': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { image: 'ghcr.io/kyverno/kyverno:v1.8.5' })))],
      'Deployment/web',
    ],
    fail: [
      [dep(withContainer(hardenedContainer('app', { image: 'ghcr.io/kyverno/kyverno:v1.8.3' })))],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0185': {
    pass: [
      [
        clusterRole('admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
        clusterRoleBinding('b', 'admin', [user('jane')]),
      ],
      userId('jane'),
    ],
    fail: [
      [
        clusterRole('cluster-admin', [
          { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
          { nonResourceURLs: ['*'], verbs: ['*'] },
        ]),
        clusterRoleBinding('b', 'cluster-admin', [group('ops')]),
      ],
      groupId('ops'),
      {
        reviewPaths: BINDING_PATHS([
          'relatedObjects[1].rules[0].resources[0]',
          'relatedObjects[1].rules[0].verbs[0]',
          'relatedObjects[1].rules[0].apiGroups[0]',
        ]),
        failedPaths: BINDING_PATHS([
          'relatedObjects[1].rules[0].resources[0]',
          'relatedObjects[1].rules[0].verbs[0]',
          'relatedObjects[1].rules[0].apiGroups[0]',
        ]),
      },
    ],
  },
  'C-0186': rbacCase({ apiGroups: ['*'], resources: ['*'], verbs: ['watch'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0187': rbacCase({ apiGroups: [''], resources: ['*'], verbs: ['*'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0188': rbacCase({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'create'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[1]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0189': {
    pass: [
      [serviceAccount('default', 'prod', { automountServiceAccountToken: false })],
      'ServiceAccount/default',
    ],
    fail: [
      [serviceAccount('default', 'prod')],
      'ServiceAccount/default',
      { fixPaths: [{ path: 'automountServiceAccountToken', value: 'false' }] },
    ],
  },
  'C-0190': {
    pass: [[pod('p', hardenedPodSpec())], 'Pod/p'],
    fail: [
      [pod('p', hardenedPodSpec({ automountServiceAccountToken: true }))],
      'Pod/p',
      {
        reviewPaths: ['spec.automountServiceAccountToken'],
        failedPaths: ['spec.automountServiceAccountToken'],
      },
    ],
  },
  'C-0191': rbacCase(
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate'] },
    [
      'relatedObjects[1].rules[1].resources[0]',
      'relatedObjects[1].rules[1].verbs[0]',
      'relatedObjects[1].rules[1].apiGroups[0]',
    ],
  ),
  'C-0192': {
    pass: [[psaNs('privileged')], 'Namespace/team'],
    fail: [
      [psaNs()],
      'Namespace/team',
      { fixPaths: [{ path: 'metadata.labels[pod-security.kubernetes.io/enforce]', value: 'baseline' }] },
    ],
  },
  'C-0193': {
    pass: [[psaNs('baseline')], 'Namespace/team'],
    fail: [
      [psaNs('privileged')],
      'Namespace/team',
      { fixPaths: [{ path: 'metadata.labels[pod-security.kubernetes.io/enforce]', value: 'baseline' }] },
    ],
  },
  'C-0197': {
    pass: [[psaNs('restricted')], 'Namespace/team'],
    fail: [
      [psaNs('baseline')],
      'Namespace/team',
      { fixPaths: [{ path: 'metadata.labels[pod-security.kubernetes.io/enforce]', value: 'restricted' }] },
    ],
  },
  'C-0206': {
    pass: [
      [namespace('team'), networkPolicy('np', { podSelector: { matchLabels: { app: 'x' } } }, 'team')],
      'Namespace/team',
    ],
    fail: [[namespace('team'), networkPolicy('np', { podSelector: {} }, 'prod')], 'Namespace/team', {}],
  },
  'C-0207': {
    pass: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c', key: 'a' } } }],
            }),
          ),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              env: [
                { name: 'A', value: 'x' },
                { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 't' } } },
              ],
              envFrom: [{ secretRef: { name: 's' } }],
            }),
          ),
        ),
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.env[1].name`, `${C0}.envFrom[0].secretRef`],
        failedPaths: [`${C0}.env[1].name`, `${C0}.envFrom[0].secretRef`],
      },
    ],
  },
  'C-0209': {
    alwaysAlerts: true,
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [[namespace('team')], 'Namespace/team', {}],
  },
  'C-0210': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { securityContext: sc({ seccompProfile: undefined }) })))],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { securityContext: sc({ seccompProfile: { type: 'Unconfined' } }) }),
          ),
        ),
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.securityContext.seccompProfile.type`],
        failedPaths: [`${C0}.securityContext.seccompProfile.type`],
      },
    ],
  },
  'C-0211': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { securityContext: sc({ capabilities: { drop: ['CHOWN'] } }) }),
          ),
        ),
      ],
      'Deployment/web',
      {
        rule: 'drop-capability-netraw',
        fixPaths: [{ path: `${C0}.securityContext.capabilities.drop[1]`, value: 'NET_RAW' }],
      },
    ],
  },
  'C-0212': {
    pass: [[service('svc', { selector: { app: 'web' } }, 'prod')], 'Service/svc'],
    fail: [
      [service('svc', { selector: { app: 'web' } }, 'default')],
      'Service/svc',
      { reviewPaths: ['metadata.namespace'], failedPaths: ['metadata.namespace'] },
    ],
  },
  'C-0253': {
    pass: [
      [
        deployment(
          'dns',
          withContainer(hardenedContainer('app', { image: 'registry.k8s.io/coredns/coredns:v1.11.1' })),
          'kube-system',
        ),
      ],
      'Deployment/dns',
    ],
    fail: [
      [
        deployment(
          'dns',
          withContainer(hardenedContainer('app', { image: 'k8s.gcr.io/coredns:1.7.0' })),
          'kube-system',
        ),
      ],
      'Deployment/dns',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0255': {
    pass: [
      [
        dep(
          withContainer(hardenedContainer('app', { volumeMounts: [{ name: 's', mountPath: '/s' }] }), {
            volumes: [{ name: 's', secret: { secretName: 'missing' } }],
          }),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(hardenedContainer('app', { volumeMounts: [{ name: 's', mountPath: '/s' }] }), {
            volumes: [{ name: 's', secret: { secretName: 'tls' } }],
          }),
        ),
        { apiVersion: 'v1', kind: 'Secret', metadata: meta('tls', 'prod') },
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.volumeMounts[0]`],
        failedPaths: [`${C0}.volumeMounts[0]`],
        relatedResourcesIDs: ['/v1/prod/Secret/tls'],
      },
    ],
  },
  'C-0256': {
    pass: [
      [dep(hardenedPodSpec()), service('web', { type: 'ClusterIP', selector: { app: 'web' } })],
      'Deployment/web',
    ],
    fail: [
      [dep(hardenedPodSpec()), service('web', { type: 'LoadBalancer', selector: { app: 'web' } })],
      'Deployment/web',
      { relatedResourcesIDs: ['/v1/prod/Service/web'] },
    ],
  },
  'C-0257': {
    pass: [[dep(hardenedPodSpec({ volumes: [{ name: 'd', emptyDir: {} }] }))], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(hardenedContainer('app', { volumeMounts: [{ name: 'd', mountPath: '/d' }] }), {
            volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
          }),
        ),
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data', 'prod') },
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.volumeMounts[0]`],
        failedPaths: [`${C0}.volumeMounts[0]`],
        relatedResourcesIDs: ['/v1/prod/PersistentVolumeClaim/data'],
      },
    ],
  },
  'C-0258': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(hardenedContainer('app', { volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }), {
            volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
          }),
        ),
        configMap('settings', { a: 'b' }),
      ],
      'Deployment/web',
      {
        reviewPaths: [`${C0}.volumeMounts[0]`],
        failedPaths: [`${C0}.volumeMounts[0]`],
        relatedResourcesIDs: ['/v1/prod/ConfigMap/settings'],
      },
    ],
  },
  'C-0259': {
    pass: [
      [dep(withContainer(hardenedContainer('app', { env: [{ name: 'MODE', value: 'fast' }] })))],
      'Deployment/web',
    ],
    fail: [
      [dep(withContainer(hardenedContainer('app', { env: [{ name: 'MODE', value: 'Bearer abc.def' }] })))],
      'Deployment/web',
      { deletePaths: [`${C0}.env[0].name`], failedPaths: [`${C0}.env[0].name`] },
    ],
  },
  'C-0260': {
    pass: [
      [
        dep(hardenedPodSpec()),
        networkPolicy('np', {
          podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
        }),
      ],
      'Deployment/web',
    ],
    fail: [
      [dep(hardenedPodSpec()), networkPolicy('np', { podSelector: { matchLabels: { app: 'db' } } })],
      'Deployment/web',
      {},
    ],
  },
  'C-0261': {
    pass: [
      [
        dep(hardenedPodSpec({ automountServiceAccountToken: undefined, serviceAccountName: 'web' })),
        serviceAccount('web'),
        podReader,
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(hardenedPodSpec({ automountServiceAccountToken: undefined, serviceAccountName: 'web' })),
        serviceAccount('web'),
        podReader,
        roleBinding('rb', 'prod', { kind: 'ClusterRole', name: 'pod-reader' }, [saSubject('web', 'prod')]),
      ],
      'Deployment/web',
      {
        fixPaths: [{ path: `${D}automountServiceAccountToken`, value: 'false' }],
        relatedResourcesIDs: ['rbac.authorization.k8s.io/v1/prod/RoleBinding/rb'],
      },
    ],
  },
  'C-0262': {
    pass: [[clusterRoleBinding('b', 'view', [user('jane')])], 'ClusterRoleBinding/b'],
    fail: [
      [clusterRoleBinding('b', 'view', [user('jane'), group('system:unauthenticated')])],
      'ClusterRoleBinding/b',
      { deletePaths: ['subjects[1]'], failedPaths: ['subjects[1]'] },
    ],
  },
  'C-0263': {
    pass: [
      [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: meta('i', 'prod'),
          spec: { tls: [{ hosts: ['a.example.com'] }] },
        },
      ],
      'Ingress/i',
    ],
    fail: [
      [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: meta('i', 'prod'),
          spec: { rules: [] },
        },
      ],
      'Ingress/i',
      { fixPaths: [{ path: 'spec.tls', value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0264': {
    pass: [
      [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: meta('pv'),
          spec: { storageClassName: 'enc' },
        },
        {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: meta('enc'),
          provisioner: 'ebs.csi.aws.com',
          parameters: { encrypted: 'true' },
        },
      ],
      'PersistentVolume/pv',
    ],
    fail: [
      [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: meta('pv'),
          spec: { storageClassName: 'plain' },
        },
        {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: meta('plain'),
          provisioner: 'ebs.csi.aws.com',
        },
      ],
      'PersistentVolume/pv',
      {
        reviewPaths: ['spec.storageClassName'],
        failedPaths: ['spec.storageClassName'],
        relatedResourcesIDs: ['storage.k8s.io/v1//StorageClass/plain'],
      },
    ],
  },
  'C-0265': {
    pass: [
      [secretsReader, clusterRoleBinding('b', 'secret-reader', [group('system:masters')])],
      groupId('system:masters'),
    ],
    fail: [
      [secretsReader, clusterRoleBinding('b', 'secret-reader', [group('system:authenticated')])],
      groupId('system:authenticated'),
      {
        reviewPaths: BINDING_PATHS(['relatedObjects[1].rules[0].resources[0]']),
        failedPaths: BINDING_PATHS(['relatedObjects[1].rules[0].resources[0]']),
      },
    ],
  },
  'C-0267': {
    pass: [
      [
        dep(hardenedPodSpec({ serviceAccountName: 'web' })),
        secretsReader,
        roleBinding('rb', 'prod', { kind: 'ClusterRole', name: 'secret-reader' }, [saSubject('web', 'prod')]),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(hardenedPodSpec({ serviceAccountName: 'web', automountServiceAccountToken: true })),
        secretsReader,
        roleBinding('rb', 'prod', { kind: 'ClusterRole', name: 'secret-reader' }, [saSubject('web', 'prod')]),
      ],
      'Deployment/web',
      {
        reviewPaths: [`${D}automountServiceAccountToken`],
        failedPaths: [`${D}automountServiceAccountToken`],
        relatedResourcesIDs: [
          'rbac.authorization.k8s.io/v1/prod/RoleBinding/rb',
          'rbac.authorization.k8s.io/v1//ClusterRole/secret-reader',
        ],
      },
    ],
  },
  'C-0268': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        cronJob(
          'job',
          withContainer(hardenedContainer('app', { resources: { requests: { memory: '1Gi' } } })),
        ),
      ],
      'CronJob/job',
      {
        fixPaths: [
          {
            path: 'spec.jobTemplate.spec.template.spec.containers[0].resources.requests.cpu',
            value: 'YOUR_VALUE',
          },
        ],
      },
    ],
  },
  'C-0269': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [pod('p', withContainer(hardenedContainer('app', { resources: {} })))],
      'Pod/p',
      { fixPaths: [{ path: 'spec.containers[0].resources.requests.memory', value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0270': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep({ containers: [hardenedContainer(), bareContainer('sidecar')] })],
      'Deployment/web',
      { fixPaths: [{ path: `${D}containers[1].resources.limits.cpu`, value: 'YOUR_VALUE' }] },
    ],
  },
  'C-0271': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep({ containers: [bareContainer('a'), bareContainer('b')] })],
      'Deployment/web',
      {
        fixPaths: [
          { path: `${D}containers[0].resources.limits.memory`, value: 'YOUR_VALUE' },
          { path: `${D}containers[1].resources.limits.memory`, value: 'YOUR_VALUE' },
        ],
      },
    ],
  },
  'C-0272': {
    pass: [
      [
        dep(hardenedPodSpec({ serviceAccountName: 'web', automountServiceAccountToken: true })),
        podReader,
        roleBinding('rb', 'prod', { kind: 'ClusterRole', name: 'pod-reader' }, [saSubject('web', 'prod')]),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(hardenedPodSpec({ serviceAccountName: 'web', automountServiceAccountToken: undefined })),
        clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
        clusterRoleBinding('crb', 'cluster-admin', [saSubject('web', 'prod')]),
      ],
      'Deployment/web',
      {
        fixPaths: [{ path: `${D}automountServiceAccountToken`, value: 'false' }],
        relatedResourcesIDs: [
          'rbac.authorization.k8s.io/v1//ClusterRoleBinding/crb',
          'rbac.authorization.k8s.io/v1//ClusterRole/cluster-admin',
        ],
      },
    ],
  },
  'C-0275': {
    pass: [[dep(hardenedPodSpec({ hostIPC: true }))], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec({ hostPID: true }))],
      'Deployment/web',
      { deletePaths: [`${D}hostPID`], failedPaths: [`${D}hostPID`] },
    ],
  },
  'C-0276': {
    pass: [[dep(hardenedPodSpec({ hostPID: true }))], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec({ hostIPC: true }))],
      'Deployment/web',
      { deletePaths: [`${D}hostIPC`], failedPaths: [`${D}hostIPC`] },
    ],
  },
  'C-0278': rbacCase({ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['create'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0279': rbacCase({ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0280': rbacCase(
    {
      apiGroups: ['certificates.k8s.io'],
      resources: ['certificatesigningrequests/approval'],
      verbs: ['update'],
    },
    [
      'relatedObjects[1].rules[1].resources[0]',
      'relatedObjects[1].rules[1].verbs[0]',
      'relatedObjects[1].rules[1].apiGroups[0]',
    ],
  ),
  'C-0281': rbacCase(
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['mutatingwebhookconfigurations'],
      verbs: ['update'],
    },
    [
      'relatedObjects[1].rules[1].resources[0]',
      'relatedObjects[1].rules[1].verbs[0]',
      'relatedObjects[1].rules[1].apiGroups[0]',
    ],
  ),
  'C-0282': rbacCase({ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] }, [
    'relatedObjects[1].rules[1].resources[0]',
    'relatedObjects[1].rules[1].verbs[0]',
    'relatedObjects[1].rules[1].apiGroups[0]',
  ]),
  'C-0292': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', { image: 'registry.k8s.io/ingress-nginx/controller:v1.11.2' }),
          ),
        ),
      ],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0305': {
    pass: [
      [
        {
          ...dep(hardenedPodSpec()),
          spec: { strategy: { type: 'RollingUpdate' }, template: { spec: hardenedPodSpec() } },
        },
      ],
      'Deployment/web',
    ],
    fail: [
      [
        {
          ...dep(hardenedPodSpec()),
          spec: { strategy: { type: 'Recreate' }, template: { spec: hardenedPodSpec() } },
        },
      ],
      'Deployment/web',
      { reviewPaths: ['spec.strategy.type'], failedPaths: ['spec.strategy.type'] },
    ],
  },
  'C-0306': {
    inputs: mergeInputs(DEFAULT_CONTROL_INPUTS, { imageDigestExemptRepositories: ['registry.internal/'] }),
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [dep(withContainer(hardenedContainer('app', { image: 'nginx:1.25' })))],
      'Deployment/web',
      { reviewPaths: [`${C0}.image`], failedPaths: [`${C0}.image`] },
    ],
  },
  'C-0307': {
    pass: [[dep(hardenedPodSpec({ serviceAccountName: 'web' })), serviceAccount('web')], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec({ serviceAccountName: 'web' })), serviceAccount('web', 'other')],
      'Deployment/web',
      { reviewPaths: [`${D}serviceAccountName`], failedPaths: [`${D}serviceAccountName`] },
    ],
  },
};

const psp = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'policy/v1beta1',
  kind: 'PodSecurityPolicy',
  metadata: meta(name),
  spec,
});
const hpa = (target: string): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: meta('h', 'prod'),
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target } },
});
const ingress = (svc: string): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: meta('i', 'prod'),
  spec: {
    rules: [
      {
        http: {
          paths: [
            { path: '/', backend: { service: { name: 'web', port: { number: 80 } } } },
            { path: '/b', backend: { service: { name: svc, port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
});
const route = (svc: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: meta('r', 'prod'),
  spec: { rules: [{ backendRefs: [{ name: svc, port: 80 }] }] },
});

function pspCase(field: string): Case {
  return {
    pass: [[psp('a', { [field]: true }), psp('b', { [field]: false })], 'PodSecurityPolicy/a'],
    fail: [
      [psp('a', { [field]: true }), psp('b', { [field]: true })],
      'PodSecurityPolicy/a',
      { reviewPaths: [`spec.${field}`], failedPaths: [`spec.${field}`] },
    ],
  };
}

const MORE_CASES: Record<string, Case> = {
  'C-0213': pspCase('privileged'),
  'C-0214': pspCase('hostPID'),
  'C-0215': pspCase('hostIPC'),
  'C-0216': pspCase('hostNetwork'),
  'C-0217': pspCase('allowPrivilegeEscalation'),
  'C-0218': {
    pass: [
      [
        psp('a', { runAsUser: { rule: 'RunAsAny' } }),
        psp('b', { runAsUser: { rule: 'MustRunAs', ranges: [{ min: 1000, max: 2000 }] } }),
      ],
      'PodSecurityPolicy/a',
    ],
    fail: [
      [
        psp('a', { runAsUser: { rule: 'RunAsAny' } }),
        psp('b', { runAsUser: { rule: 'MustRunAs', ranges: [{ min: 0, max: 2000 }] } }),
      ],
      'PodSecurityPolicy/a',
      { reviewPaths: ['spec.runAsUser.rule'], failedPaths: ['spec.runAsUser.rule'] },
    ],
  },
  'C-0219': {
    pass: [[psp('a', { allowedCapabilities: ['NET_ADMIN'] }), psp('b', {})], 'PodSecurityPolicy/a'],
    fail: [
      [psp('a', { allowedCapabilities: ['NET_ADMIN'] })],
      'PodSecurityPolicy/a',
      { reviewPaths: ['spec.allowedCapabilities'], failedPaths: ['spec.allowedCapabilities'] },
    ],
  },
  'C-0220': {
    pass: [[psp('a', { requiredDropCapabilities: ['ALL'] })], 'PodSecurityPolicy/a'],
    fail: [
      [psp('a', {})],
      'PodSecurityPolicy/a',
      { fixPaths: [{ path: 'spec.requiredDropCapabilities[0]', value: 'ALL' }] },
    ],
  },
  'C-0234': {
    pass: [
      [
        dep(
          hardenedPodSpec({
            volumes: [
              {
                name: 's',
                csi: {
                  driver: 'secrets-store.csi.k8s.io',
                  volumeAttributes: { secretProviderClass: 'vault' },
                },
              },
            ],
          }),
        ),
      ],
      'Deployment/web',
    ],
    fail: [[dep(hardenedPodSpec())], 'Deployment/web', {}],
  },
  'C-0293': {
    pass: [[dep(hardenedPodSpec()), service('web', { selector: { app: 'web' } })], 'Service/web'],
    fail: [
      [dep(hardenedPodSpec()), service('web', { selector: { app: 'api' } })],
      'Service/web',
      { reviewPaths: ['spec.selector'], failedPaths: ['spec.selector'] },
    ],
  },
  'C-0294': {
    pass: [[dep(hardenedPodSpec({ serviceAccount: 'web', serviceAccountName: 'web' }))], 'Deployment/web'],
    fail: [
      [dep(hardenedPodSpec({ serviceAccount: 'web' }))],
      'Deployment/web',
      { reviewPaths: [`${D}serviceAccount`], failedPaths: [`${D}serviceAccount`] },
    ],
  },
  'C-0295': {
    pass: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            }),
          ),
        ),
      ],
      'Deployment/web',
    ],
    fail: [
      [
        dep(
          withContainer(
            hardenedContainer('app', {
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
                { name: 'A', value: '3' },
              ],
            }),
          ),
        ),
      ],
      'Deployment/web',
      { reviewPaths: [`${C0}.env[2].name`], failedPaths: [`${C0}.env[2].name`] },
    ],
  },
  'C-0296': {
    pass: [[dep(hardenedPodSpec())], 'Deployment/web'],
    fail: [
      [
        {
          ...dep(hardenedPodSpec()),
          spec: {
            selector: { matchLabels: { app: 'other' } },
            template: { metadata: { labels: { app: 'web' } }, spec: hardenedPodSpec() },
          },
        },
      ],
      'Deployment/web',
      { reviewPaths: ['spec.selector'], failedPaths: ['spec.selector'] },
    ],
  },
  'C-0298': {
    pass: [[ingress('web'), service('web', { selector: { app: 'web' } })], 'Ingress/i'],
    fail: [
      [ingress('gone'), service('web', { selector: { app: 'web' } })],
      'Ingress/i',
      {
        reviewPaths: ['spec.rules[0].http.paths[1].backend.service.name'],
        failedPaths: ['spec.rules[0].http.paths[1].backend.service.name'],
      },
    ],
  },
  'C-0299': {
    pass: [
      [dep(hardenedPodSpec()), networkPolicy('np', { podSelector: { matchLabels: { app: 'web' } } })],
      'NetworkPolicy/np',
    ],
    fail: [
      [dep(hardenedPodSpec()), networkPolicy('np', { podSelector: { matchLabels: { app: 'gone' } } })],
      'NetworkPolicy/np',
      { reviewPaths: ['spec.podSelector'], failedPaths: ['spec.podSelector'] },
    ],
  },
  'C-0300': {
    pass: [[dep(hardenedPodSpec()), hpa('web')], 'HorizontalPodAutoscaler/h'],
    fail: [
      [dep(hardenedPodSpec()), hpa('gone')],
      'HorizontalPodAutoscaler/h',
      { reviewPaths: ['spec.scaleTargetRef.name'], failedPaths: ['spec.scaleTargetRef.name'] },
    ],
  },
  'C-0302': {
    pass: [[route('web'), service('web', { selector: { app: 'web' } })], 'HTTPRoute/r'],
    fail: [
      [route('gone')],
      'HTTPRoute/r',
      {
        reviewPaths: ['spec.rules[0].backendRefs[0].name'],
        failedPaths: ['spec.rules[0].backendRefs[0].name'],
      },
    ],
  },
};
Object.assign(CASES, MORE_CASES);

const awsNode: KubeObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: meta('n1'),
  spec: { providerID: 'aws:///eu-west-1a/i-0abc' },
};
const azureNode: KubeObject = {
  ...awsNode,
  spec: {
    providerID: 'azure:///subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/n1',
  },
};
const hostPathSpec = (path: string) => hardenedPodSpec({ volumes: [{ name: 'h', hostPath: { path } }] });
const annotatedService = (
  name: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string>,
) => ({
  ...service(name, spec),
  metadata: meta(name, 'prod', { annotations }),
});
const lb443 = { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 443 }] };
const sandbox = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxTemplate',
  metadata: meta('agent', 'prod'),
  spec,
});
const sandboxPod = (extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  podTemplate: {
    spec: {
      runtimeClassName: 'gvisor',
      containers: [
        {
          name: 'agent',
          image: 'ghcr.io/acme/agent:1.4.2',
          resources: { limits: { cpu: '1', memory: '1Gi' } },
          ...container,
        },
      ],
      ...extra,
    },
  },
});
const managedEgress = (cidr: string) => ({
  ...sandboxPod(),
  networkPolicyManagement: 'Managed',
  networkPolicy: { egress: [{ to: [{ ipBlock: { cidr } }] }] },
});

const LAST_CASES: Record<string, Case> = {
  'C-0020': {
    pass: [[awsNode, dep(hostPathSpec('/var/log'))], 'Deployment/web'],
    fail: [
      [awsNode, dep(hostPathSpec('/home/ec2-user/.aws'))],
      'Deployment/web',
      {
        reviewPaths: ['spec.template.spec.volumes[0].hostPath.path'],
        failedPaths: ['spec.template.spec.volumes[0].hostPath.path'],
      },
    ],
  },
  'C-0021': {
    pass: [
      [deployment('jenkins', hardenedPodSpec()), service('jenkins', { selector: { app: 'jenkins' } })],
      'Deployment/jenkins',
    ],
    fail: [
      [
        deployment('jenkins', hardenedPodSpec()),
        service('jenkins', { type: 'NodePort', selector: { app: 'jenkins' } }),
      ],
      'Deployment/jenkins',
      { relatedResourcesIDs: ['/v1/prod/Service/jenkins'] },
    ],
  },
  'C-0042': {
    pass: [
      [dep(hardenedPodSpec()), service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] })],
      'Deployment/web',
    ],
    fail: [
      [
        dep(hardenedPodSpec()),
        service('ssh', { selector: { app: 'web' }, ports: [{ port: 2222, targetPort: 22 }] }),
      ],
      'Deployment/web',
      { relatedResourcesIDs: ['/v1/prod/Service/ssh'] },
    ],
  },
  'C-0225': {
    pass: [
      [awsNode, roleBinding('rb', 'prod', { kind: 'Role', name: 'r' }, [saSubject('web', 'prod')])],
      'RoleBinding/rb',
    ],
    fail: [
      [
        awsNode,
        roleBinding('rb', 'prod', { kind: 'Role', name: 'r' }, [user('jane'), saSubject('default', 'prod')]),
      ],
      'RoleBinding/rb',
      {
        rule: 'ensure-default-service-accounts-has-only-default-roles',
        deletePaths: ['subjects[1]'],
        failedPaths: ['subjects[1]'],
      },
    ],
  },
  'C-0239': {
    pass: [
      [
        azureNode,
        {
          ...clusterRoleBinding('system:basic', 'system:basic-user', [saSubject('default', 'prod')]),
          metadata: meta('system:basic', undefined, {
            labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
          }),
        },
      ],
      'ClusterRoleBinding/system:basic',
    ],
    fail: [
      [azureNode, clusterRoleBinding('crb', 'view', [saSubject('default', 'prod')])],
      'ClusterRoleBinding/crb',
      { deletePaths: ['subjects[0]'], failedPaths: ['subjects[0]'] },
    ],
  },
  'C-0231': {
    pass: [
      [
        awsNode,
        annotatedService('web', lb443, {
          'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': 'arn:aws:acm:x',
        }),
      ],
      'Service/web',
    ],
    fail: [
      [awsNode, service('web', lb443)],
      'Service/web',
      {
        fixPaths: [
          {
            path: "metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']",
            value: 'YOUR_VALUE',
          },
        ],
      },
    ],
  },
  'C-0232': {
    alwaysAlerts: true,
    // Outside EKS the control has no population (Kubescape's scanningScope).
    pass: [[role('r', 'prod', [])], 'Role/r'],
    fail: [[awsNode, role('r', 'prod', [])], 'Role/r', {}],
  },
  'C-0245': {
    pass: [
      [
        azureNode,
        annotatedService('web', lb443, { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' }),
      ],
      'Service/web',
    ],
    fail: [
      [azureNode, service('web', lb443)],
      'Service/web',
      {
        fixPaths: [
          {
            path: "metadata.annotations['service.beta.kubernetes.io/azure-load-balancer-internal']",
            value: 'true',
          },
        ],
      },
    ],
  },
  'C-0266': {
    pass: [
      [dep(hardenedPodSpec()), service('web', { selector: { app: 'web' } }), route('other')],
      'Deployment/web',
    ],
    fail: [
      [dep(hardenedPodSpec()), service('web', { selector: { app: 'web' } }), route('web')],
      'Deployment/web',
      {
        rule: 'exposure-to-internet-via-gateway-api',
        relatedResourcesIDs: ['gateway.networking.k8s.io/v1/prod/HTTPRoute/r', '/v1/prod/Service/web'],
      },
    ],
  },
  'C-0297': {
    pass: [[sandbox(sandboxPod())], 'SandboxTemplate/agent'],
    fail: [
      [sandbox(sandboxPod({ runtimeClassName: undefined }))],
      'SandboxTemplate/agent',
      { fixPaths: [{ path: 'spec.podTemplate.spec.runtimeClassName', value: 'gvisor' }] },
    ],
  },
  'C-0301': {
    pass: [[sandbox(managedEgress('10.20.0.0/16'))], 'SandboxTemplate/agent'],
    fail: [
      [sandbox(managedEgress('0.0.0.0/0'))],
      'SandboxTemplate/agent',
      {
        reviewPaths: ['spec.networkPolicy.egress[0].to[0]'],
        failedPaths: ['spec.networkPolicy.egress[0].to[0]'],
      },
    ],
  },
  'C-0303': {
    pass: [[sandbox(sandboxPod())], 'SandboxTemplate/agent'],
    fail: [
      [sandbox(sandboxPod({}, { resources: { limits: { cpu: '1' } } }))],
      'SandboxTemplate/agent',
      {
        rule: 'resources-sandbox-memory-limits',
        fixPaths: [
          { path: 'spec.podTemplate.spec.containers[0].resources.limits.memory', value: 'YOUR_VALUE' },
        ],
      },
    ],
  },
  'C-0304': {
    pass: [[sandbox(sandboxPod())], 'SandboxTemplate/agent'],
    fail: [
      [sandbox(sandboxPod({}, { image: 'python:latest' }))],
      'SandboxTemplate/agent',
      {
        rule: 'agent-sandbox-image-tag-provenance',
        reviewPaths: ['spec.podTemplate.spec.containers[0].image'],
        failedPaths: ['spec.podTemplate.spec.containers[0].image'],
      },
    ],
  },
};
Object.assign(CASES, LAST_CASES);

/**
 * Controls whose data no cluster object carries: skipped/integration on the resources they would
 * evaluate (with the missing source in `info`), nothing on the others.
 */
const INTEGRATION_CASES: Record<
  string,
  { relevant: [KubeObject[], string]; irrelevant?: [KubeObject[], string]; info: RegExp }
> = {
  'C-0083': {
    relevant: [
      [
        pod('p', hardenedPodSpec(), 'prod', { labels: { app: 'p' } }),
        service('p', { type: 'NodePort', selector: { app: 'p' } }),
      ],
      'Pod/p',
    ],
    irrelevant: [
      [
        pod('p', hardenedPodSpec(), 'prod', { labels: { app: 'p' } }),
        service('p', { selector: { app: 'p' } }),
      ],
      'Pod/p',
    ],
    info: /image vulnerability data/,
  },
  'C-0084': {
    relevant: [
      [
        pod('p', hardenedPodSpec(), 'prod', { labels: { app: 'p' } }),
        service('p', { type: 'LoadBalancer', selector: { app: 'p' } }),
      ],
      'Pod/p',
    ],
    irrelevant: [[pod('p', hardenedPodSpec())], 'Pod/p'],
    info: /image vulnerability data/,
  },
  'C-0085': { relevant: [[pod('p', hardenedPodSpec())], 'Pod/p'], info: /image vulnerability data/ },
  'C-0236': { relevant: [[dep(hardenedPodSpec())], 'Deployment/web'], info: /registry access/ },
  'C-0237': { relevant: [[dep(hardenedPodSpec())], 'Deployment/web'], info: /registry access/ },
  'C-0274': {
    relevant: [[dep(hardenedPodSpec()), service('web', { selector: { app: 'web' } })], 'Deployment/web'],
    irrelevant: [[dep(hardenedPodSpec())], 'Deployment/web'],
    info: /network-scanner/,
  },
};

describe('controls needing an integration', () => {
  for (const [id, c] of Object.entries(INTEGRATION_CASES)) {
    it(`${id}: skipped/integration where it applies, absent elsewhere`, () => {
      const rules = run(id, ...c.relevant, DEFAULT_CONTROL_INPUTS);
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules) {
        expect([r.status, r.subStatus]).toEqual(['skipped', 'integration']);
        expect(r.info).toMatch(c.info);
      }
      if (c.irrelevant) expect(run(id, ...c.irrelevant, DEFAULT_CONTROL_INPUTS)).toEqual([]);
    });
  }
});

// PSA controls sharing a rule: same fixtures as their representative.
for (const id of ['C-0194', 'C-0195', 'C-0196', 'C-0199', 'C-0202', 'C-0203', 'C-0204'])
  CASES[id] = CASES['C-0193'] as Case;
for (const id of ['C-0198', 'C-0200', 'C-0201']) CASES[id] = CASES['C-0197'] as Case;

function collect(rules: RuleResult[], rule?: string) {
  const failed = rules.filter((r) => r.status === 'failed' && (!rule || r.name === rule));
  return {
    failedPaths: failed.flatMap((r) => r.failedPaths),
    reviewPaths: failed.flatMap((r) => r.reviewPaths),
    deletePaths: failed.flatMap((r) => r.deletePaths),
    fixPaths: failed.flatMap((r) => r.fixPaths),
    relatedResourcesIDs: failed.flatMap((r) => r.relatedResourcesIDs),
  };
}

describe('controls: passing and failing fixtures', () => {
  for (const [id, c] of Object.entries(CASES).sort(([a], [b]) => a.localeCompare(b))) {
    const inputs = c.inputs ?? DEFAULT_CONTROL_INPUTS;
    describe(id, () => {
      it('passes the compliant fixture', () => {
        const rules = run(id, ...c.pass, inputs);
        // Controls that alert on everything they consider are checked on a resource outside their
        // population (no results at all); for all others the fixture must be evaluated and pass.
        if (c.alwaysAlerts) expect(rules).toEqual([]);
        else expect(rules.length).toBeGreaterThan(0);
        for (const r of rules)
          expect({ rule: r.name, status: r.status }).toEqual({ rule: r.name, status: 'passed' });
      });
      it('fails the non-compliant fixture with exact paths', () => {
        const [objects, target, want] = c.fail;
        const rules = run(id, objects, target, inputs);
        expect(rules.some((r) => r.status === 'failed' && (!want.rule || r.name === want.rule))).toBe(true);
        const got = collect(rules, want.rule);
        expect(got.failedPaths).toEqual(want.failedPaths ?? []);
        expect(got.reviewPaths).toEqual(want.reviewPaths ?? []);
        expect(got.deletePaths).toEqual(want.deletePaths ?? []);
        expect(got.fixPaths).toEqual(want.fixPaths ?? []);
        if (want.relatedResourcesIDs) expect(got.relatedResourcesIDs).toEqual(want.relatedResourcesIDs);
      });
    });
  }

  it('covers every implemented workload-level control (host controls: host.test.ts)', () => {
    const workload = CONTROLS.filter((c) => WORKLOAD_CONTROL_CATALOG.some((e) => e.id === c.id));
    expect(workload.map((c) => c.id).filter((id) => !(id in CASES) && !(id in INTEGRATION_CASES))).toEqual(
      [],
    );
    // All 139 workload-level controls of the reference table are implemented.
    expect(workload.length).toBe(WORKLOAD_CONTROL_CATALOG.length);
  });
});

/**
 * Metadata of the host, node and control-plane controls this engine evaluates (reference
 * controls.md §2b): kubelet settings and files, control-plane static-pod flags and files, CNI, and
 * the native (API-server flag) variants of the NSA/MITRE controls.
 *
 * §2b lists these controls by ID and check only. Names are the CIS Kubernetes Benchmark
 * recommendation titles that regolibrary uses for its CIS controls (and regolibrary's own names for
 * C-0005, C-0066–C-0070, C-0088); base scores of C-0005, C-0069 and C-0070 are from §2b, the others
 * are reconstructed (see the README's fidelity notes) and must be checked against regolibrary
 * `controls/*.json` when it is reachable. Rule names are reconstructed the same way.
 */
import type { CatalogEntry } from './catalog.js';

type Row = readonly [id: string, baseScore: number, name: string, rule?: string];

const slug = (name: string): string =>
  name
    .replace(/--/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

const NODE: Row[] = [
  [
    'C-0069',
    10,
    'Disable anonymous access to Kubelet service',
    'anonymous-requests-to-kubelet-service-updated',
  ],
  [
    'C-0070',
    9,
    'Enforce Kubelet client TLS authentication',
    'enforce-kubelet-client-tls-authentication-updated',
  ],
  ['C-0162', 6, 'Ensure that the kubelet service file permissions are set to 600 or more restrictive'],
  ['C-0163', 6, 'Ensure that the kubelet service file ownership is set to root:root'],
  ['C-0164', 6, 'If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive'],
  ['C-0165', 6, 'If proxy kubeconfig file exists ensure ownership is set to root:root'],
  [
    'C-0166',
    6,
    'Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive',
  ],
  ['C-0167', 6, 'Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root'],
  [
    'C-0168',
    7,
    'Ensure that the certificate authorities file permissions are set to 600 or more restrictive',
  ],
  ['C-0169', 7, 'Ensure that the client certificate authorities file ownership is set to root:root'],
  [
    'C-0170',
    7,
    'If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive',
  ],
  [
    'C-0171',
    7,
    'If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root',
  ],
  ['C-0172', 7, 'Ensure that the --anonymous-auth argument is set to false'],
  ['C-0173', 6, 'Ensure that the --authorization-mode argument is not set to AlwaysAllow'],
  ['C-0174', 6, 'Ensure that the --client-ca-file argument is set as appropriate'],
  ['C-0175', 4, 'Verify that the --read-only-port argument is set to 0'],
  ['C-0176', 3, 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0'],
  ['C-0177', 2, 'Ensure that the --protect-kernel-defaults argument is set to true'],
  ['C-0178', 3, 'Ensure that the --make-iptables-util-chains argument is set to true'],
  ['C-0179', 3, 'Ensure that the --hostname-override argument is not set'],
  [
    'C-0180',
    2,
    'Ensure that the --event-qps argument is set to 0 or a level which ensures appropriate event capture',
  ],
  [
    'C-0181',
    7,
    'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate',
  ],
  ['C-0182', 6, 'Ensure that the --rotate-certificates argument is not set to false'],
  ['C-0183', 6, 'Verify that the RotateKubeletServerCertificate argument is set to true'],
  ['C-0184', 5, 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers'],
  ['C-0235', 6, 'Ensure that the kubelet configuration file has permissions set to 644 or more restrictive'],
  ['C-0238', 6, 'Ensure that the kubeconfig file permissions are set to 644 or more restrictive'],
  ['C-0284', 4, 'Ensure that a limit is set on pod PIDs'],
  [
    'C-0100',
    6,
    'Ensure that the Container Network Interface file permissions are set to 600 or more restrictive',
  ],
  ['C-0101', 6, 'Ensure that the Container Network Interface file ownership is set to root:root'],
  ['C-0205', 4, 'Ensure that the CNI in use supports Network Policies'],
  // Node objects (status.nodeInfo), no host facts needed.
  ['C-0079', 4, 'CVE-2022-0185-linux-kernel-container-escape', 'CVE-2022-0185'],
  ['C-0087', 7, 'CVE-2022-23648-containerd-fs-escape', 'CVE-2022-23648'],
  ['C-0273', 2, 'Outdated Kubernetes version', 'outdated-k8s-version'],
];

const CONTROL_PLANE: Row[] = [
  ['C-0005', 9, 'API server insecure port is enabled', 'insecure-port-flag'],
  ['C-0066', 6, 'Secret/etcd encryption enabled', 'secret-etcd-encryption-native'],
  ['C-0067', 5, 'Audit logs enabled', 'k8s-audit-logs-enabled-native'],
  ['C-0068', 1, 'PSP enabled', 'psp-enabled-native'],
  ['C-0088', 7, 'RBAC enabled', 'rbac-enabled-native'],
  [
    'C-0092',
    6,
    'Ensure that the API server pod specification file permissions are set to 600 or more restrictive',
  ],
  ['C-0093', 6, 'Ensure that the API server pod specification file ownership is set to root:root'],
  [
    'C-0094',
    6,
    'Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive',
  ],
  ['C-0095', 6, 'Ensure that the controller manager pod specification file ownership is set to root:root'],
  [
    'C-0096',
    6,
    'Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive',
  ],
  ['C-0097', 6, 'Ensure that the scheduler pod specification file ownership is set to root:root'],
  ['C-0098', 6, 'Ensure that the etcd pod specification file permissions are set to 600 or more restrictive'],
  ['C-0099', 6, 'Ensure that the etcd pod specification file ownership is set to root:root'],
  ['C-0102', 7, 'Ensure that the etcd data directory permissions are set to 700 or more restrictive'],
  ['C-0103', 7, 'Ensure that the etcd data directory ownership is set to etcd:etcd'],
  ['C-0104', 7, 'Ensure that the admin.conf file permissions are set to 600'],
  ['C-0105', 7, 'Ensure that the admin.conf file ownership is set to root:root'],
  ['C-0106', 6, 'Ensure that the scheduler.conf file permissions are set to 600 or more restrictive'],
  ['C-0107', 6, 'Ensure that the scheduler.conf file ownership is set to root:root'],
  [
    'C-0108',
    6,
    'Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive',
  ],
  ['C-0109', 6, 'Ensure that the controller-manager.conf file ownership is set to root:root'],
  ['C-0110', 8, 'Ensure that the Kubernetes PKI directory and file ownership is set to root:root'],
  [
    'C-0111',
    8,
    'Ensure that the Kubernetes PKI certificate file permissions are set to 600 or more restrictive',
  ],
  ['C-0112', 8, 'Ensure that the Kubernetes PKI key file permissions are set to 600'],
  ['C-0113', 8, 'Ensure that the API Server --anonymous-auth argument is set to false'],
  ['C-0114', 8, 'Ensure that the API Server --token-auth-file parameter is not set'],
  ['C-0115', 4, 'Ensure that the API Server --DenyServiceExternalIPs is not set'],
  [
    'C-0116',
    7,
    'Ensure that the API Server --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate',
  ],
  ['C-0117', 8, 'Ensure that the API Server --kubelet-certificate-authority argument is set as appropriate'],
  ['C-0118', 7, 'Ensure that the API Server --authorization-mode argument is not set to AlwaysAllow'],
  ['C-0119', 7, 'Ensure that the API Server --authorization-mode argument includes Node'],
  ['C-0120', 7, 'Ensure that the API Server --authorization-mode argument includes RBAC'],
  ['C-0121', 4, 'Ensure that the admission control plugin EventRateLimit is set'],
  ['C-0122', 8, 'Ensure that the admission control plugin AlwaysAdmit is not set'],
  ['C-0123', 4, 'Ensure that the admission control plugin AlwaysPullImages is set'],
  [
    'C-0124',
    4,
    'Ensure that the admission control plugin SecurityContextDeny is set if PodSecurityPolicy is not used',
  ],
  ['C-0125', 3, 'Ensure that the admission control plugin ServiceAccount is set'],
  ['C-0126', 3, 'Ensure that the admission control plugin NamespaceLifecycle is set'],
  ['C-0127', 4, 'Ensure that the admission control plugin NodeRestriction is set'],
  ['C-0128', 8, 'Ensure that the API Server --secure-port argument is not set to 0'],
  ['C-0129', 3, 'Ensure that the API Server --profiling argument is set to false'],
  ['C-0130', 6, 'Ensure that the API Server --audit-log-path argument is set'],
  ['C-0131', 6, 'Ensure that the API Server --audit-log-maxage argument is set to 30 or as appropriate'],
  ['C-0132', 6, 'Ensure that the API Server --audit-log-maxbackup argument is set to 10 or as appropriate'],
  ['C-0133', 6, 'Ensure that the API Server --audit-log-maxsize argument is set to 100 or as appropriate'],
  ['C-0134', 4, 'Ensure that the API Server --request-timeout argument is set as appropriate'],
  ['C-0135', 5, 'Ensure that the API Server --service-account-lookup argument is set to true'],
  ['C-0136', 5, 'Ensure that the API Server --service-account-key-file argument is set as appropriate'],
  [
    'C-0137',
    8,
    'Ensure that the API Server --etcd-certfile and --etcd-keyfile arguments are set as appropriate',
  ],
  [
    'C-0138',
    8,
    'Ensure that the API Server --tls-cert-file and --tls-private-key-file arguments are set as appropriate',
  ],
  ['C-0139', 8, 'Ensure that the API Server --client-ca-file argument is set as appropriate'],
  ['C-0140', 8, 'Ensure that the API Server --etcd-cafile argument is set as appropriate'],
  ['C-0141', 6, 'Ensure that the API Server --encryption-provider-config argument is set as appropriate'],
  ['C-0143', 5, 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers'],
  [
    'C-0144',
    3,
    'Ensure that the Controller Manager --terminated-pod-gc-threshold argument is set as appropriate',
  ],
  ['C-0145', 3, 'Ensure that the Controller Manager --profiling argument is set to false'],
  [
    'C-0146',
    6,
    'Ensure that the Controller Manager --use-service-account-credentials argument is set to true',
  ],
  [
    'C-0147',
    6,
    'Ensure that the Controller Manager --service-account-private-key-file argument is set as appropriate',
  ],
  ['C-0148', 7, 'Ensure that the Controller Manager --root-ca-file argument is set as appropriate'],
  ['C-0149', 6, 'Ensure that the Controller Manager RotateKubeletServerCertificate argument is set to true'],
  ['C-0150', 5, 'Ensure that the Controller Manager --bind-address argument is set to 127.0.0.1'],
  ['C-0151', 3, 'Ensure that the Scheduler --profiling argument is set to false'],
  ['C-0152', 5, 'Ensure that the Scheduler --bind-address argument is set to 127.0.0.1'],
  ['C-0153', 8, 'Ensure that the --cert-file and --key-file arguments are set as appropriate'],
  ['C-0154', 8, 'Ensure that the --client-cert-auth argument is set to true'],
  ['C-0155', 6, 'Ensure that the --auto-tls argument is not set to true'],
  ['C-0156', 7, 'Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate'],
  ['C-0157', 7, 'Ensure that the --peer-client-cert-auth argument is set to true'],
  ['C-0158', 6, 'Ensure that the --peer-auto-tls argument is not set to true'],
  ['C-0159', 8, 'Ensure that a unique Certificate Authority is used for etcd'],
  ['C-0160', 5, 'Ensure that a minimal audit policy is created'],
  ['C-0277', 5, 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers'],
  ['C-0283', 4, 'Ensure that the API Server --DenyServiceExternalIPs is set'],
  ['C-0290', 5, 'Ensure that the --service-account-extend-token-expiration parameter is set to false'],
  ['C-0291', 5, 'Ensure that the --metrics-bind-address argument is set to 127.0.0.1'],
];

/** CIS controls Kubescape leaves to people (`rule-manual`, actionRequired "manual review"). */
const MANUAL: Row[] = [
  ['C-0246', 5, 'Avoid use of system:masters group', 'rule-manual'],
  ['C-0286', 5, 'Client certificate authentication should not be used for users', 'rule-manual'],
  ['C-0287', 5, 'Service account token authentication should not be used for users', 'rule-manual'],
  ['C-0288', 5, 'Bootstrap token authentication should not be used for users', 'rule-manual'],
  ['C-0289', 5, 'Configure Image Provenance using ImagePolicyWebhook admission controller', 'rule-manual'],
];

const entry =
  (kinds: string) =>
  ([id, baseScore, name, rule]: Row): CatalogEntry => ({
    id,
    name,
    baseScore,
    kinds,
    scope: 'c',
    rules: [rule ?? slug(name)],
  });

/** Host/node controls (evaluated on Node resources: node-agent host facts, or the Node object itself). */
export const HOST_CONTROL_CATALOG: readonly CatalogEntry[] = [
  ...NODE.map(entry('Node')),
  ...CONTROL_PLANE.map(entry('Node, Pod')),
  ...MANUAL.map(entry('')),
].sort((a, b) => a.id.localeCompare(b.id));

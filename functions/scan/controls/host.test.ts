/**
 * Host and control-plane controls on realistic node-agent facts: the node-agent collector runs on
 * its fixture host roots (a kubeadm-like control-plane node `cp-1` and a worker `worker-1`), and
 * each control gets a passing and a failing case (the fixture as collected, or a focused change to
 * it) with exact paths. Control-plane flag controls are also checked on the static pod manifest
 * (Kubescape's own input). The last tests assert every host control has a case, and what a node
 * without a report gets.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureHost } from '../../../node-agent/__fixtures__/hosts.js';
import { collectHostFacts } from '../../../node-agent/host/collect.js';
import type {
  ControlPlaneComponent,
  ControlPlaneInfo,
  FileInfoFact,
  KubeletInfo,
  KubeProxyInfo,
  CniInfo,
} from '../../../node-agent/host/facts.js';
import { ClusterIndex } from '../engine/cluster-index.js';
import { DEFAULT_CONTROL_INPUTS } from '../engine/inputs.js';
import type { FixPath, KubeObject, RuleResult } from '../engine/types.js';
import { hostFactsObject, type HostFacts } from '../host/facts.js';
import { scanResources } from '../report.js';
import { STRONG_CIPHERS_VALUE } from './_flags.js';
import { NO_HOST_FACTS_INFO } from './_hostfacts.js';
import { HOST_CONTROL_CATALOG } from './host-catalog.js';
import { CONTROLS, implementedControl } from './index.js';

const log = pino({ level: 'silent' });
let tmp: string;
let CP: HostFacts;
let WORKER: HostFacts;
let MANIFESTS: Record<string, KubeObject>;

const ROOT = { uid: 0, gid: 0, username: 'root', groupname: 'root' };
const USER = { uid: 1000, gid: 1000 };

/** Without CAP_CHOWN the fixture keeps the runner's uid: give the facts the owners a root run gets. */
function ownersAsRoot(f: HostFacts, kind: 'control-plane' | 'worker'): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.ownership && typeof o.path === 'string') o.ownership = { ...ROOT };
      Object.values(o).forEach(visit);
    }
  };
  visit(f);
  if (kind === 'control-plane')
    cpOf(f).etcdDataDir!.ownership = { uid: 998, gid: 998, username: 'etcd', groupname: 'etcd' };
  else kubeletOf(f).kubeConfigFile!.ownership = { ...USER };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-hostctl-'));
  const cp = await buildFixtureHost('control-plane', tmp);
  const worker = await buildFixtureHost('worker', tmp);
  CP = await collectHostFacts({ nodeName: 'cp-1', hostRoot: cp.root, procRoot: cp.proc, log });
  WORKER = await collectHostFacts({
    nodeName: 'worker-1',
    hostRoot: worker.root,
    procRoot: worker.proc,
    log,
  });
  if (process.getuid?.() !== 0) {
    ownersAsRoot(CP, 'control-plane');
    ownersAsRoot(WORKER, 'worker');
  }
  const dir = path.join(cp.root, 'etc/kubernetes/manifests');
  MANIFESTS = {};
  for (const f of await fs.readdir(dir))
    MANIFESTS[f] = parse(await fs.readFile(path.join(dir, f), 'utf8')) as KubeObject;
}, 60_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

// ---- accessors for mutations --------------------------------------------------------------------

const cpOf = (f: HostFacts) => f.controlPlane as ControlPlaneInfo;
const comp = (f: HostFacts, c: 'apiServer' | 'controllerManager' | 'scheduler' | 'etcd') =>
  cpOf(f)[c] as ControlPlaneComponent;
const kubeletOf = (f: HostFacts) => f.kubelet as KubeletInfo;
const kubeletConfig = (f: HostFacts) => kubeletOf(f).configFile!.content as Record<string, unknown>;
const proxyOf = (f: HostFacts) => f.kubeProxy as KubeProxyInfo;
const cniOf = (f: HostFacts) => f.cni as CniInfo;
const push = (c: { cmdLine: string[] }, ...args: string[]) => c.cmdLine.push(...args);
const file = (p: string, mode: number, ownership: FileInfoFact['ownership'] = ROOT): FileInfoFact => ({
  path: p,
  exists: true,
  type: 'file',
  permissions: mode,
  mode: `0${mode.toString(8)}`,
  ownership,
});

// ---- harness -----------------------------------------------------------------------------------

const cpNode = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'cp-1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
});
const workerNode = (): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1' } });

type Which = 'cp' | 'worker';
type Mutation = (f: HostFacts) => void;

interface Expect {
  failedPaths?: string[];
  reviewPaths?: string[];
  deletePaths?: string[];
  fixPaths?: FixPath[];
}

interface HostCase {
  pass: [Which, Mutation?];
  fail: [Which, Mutation | undefined, Expect];
}

function evaluateOn(id: string, which: Which, mutate?: Mutation): RuleResult[] {
  const control = implementedControl(id);
  if (!control) throw new Error(`${id} not implemented`);
  const facts = structuredClone(which === 'cp' ? CP : WORKER);
  mutate?.(facts);
  const node = which === 'cp' ? cpNode() : workerNode();
  const index = new ClusterIndex([
    node,
    hostFactsObject(node.metadata.name, '2026-11-27T00:00:00.000Z', facts),
  ]);
  const res = [...index.resources()].find((r) => r.object.kind === 'Node');
  if (!res) throw new Error('node not scanned');
  return control.evaluate(res, { index, inputs: DEFAULT_CONTROL_INPUTS });
}

function collect(rules: RuleResult[]) {
  const failed = rules.filter((r) => r.status === 'failed');
  return {
    failedPaths: failed.flatMap((r) => r.failedPaths),
    reviewPaths: failed.flatMap((r) => r.reviewPaths),
    deletePaths: failed.flatMap((r) => r.deletePaths),
    fixPaths: failed.flatMap((r) => r.fixPaths),
  };
}

// ---- cases -------------------------------------------------------------------------------------

const A = (i: number) => `controlPlane.apiServer.cmdLine[${i}]`;
const CM = (i: number) => `controlPlane.controllerManager.cmdLine[${i}]`;
const S = (i: number) => `controlPlane.scheduler.cmdLine[${i}]`;
const E = (i: number) => `controlPlane.etcd.cmdLine[${i}]`;
const K = (i: number) => `kubelet.process.cmdLine[${i}]`;
const KC = (p: string) => `kubelet.configFile.content.${p}`;

const replaced = (p: string, value: string): Expect => ({ failedPaths: [p], fixPaths: [{ path: p, value }] });
const added = (...fixes: [string, string][]): Expect => ({
  fixPaths: fixes.map(([path, value]) => ({ path, value })),
});
const removed = (p: string): Expect => ({ failedPaths: [p], deletePaths: [p] });
const perm = (p: string, value: string): Expect => replaced(`${p}.permissions`, value);
const owner = (p: string, value = 'root:root'): Expect => replaced(`${p}.ownership`, value);

/** cp-1's apiserver runs with 5 args (live process): new flags land at index 5. */
const apiAdd =
  (...args: string[]): Mutation =>
  (f) =>
    push(comp(f, 'apiServer'), ...args);
const apiOnly =
  (...args: string[]): Mutation =>
  (f) => {
    comp(f, 'apiServer').cmdLine = ['kube-apiserver', ...args];
  };
const apiMissing = (flag: string, value = 'YOUR_VALUE'): HostCase => ({
  pass: ['cp', apiAdd(`--${flag}=${value === 'YOUR_VALUE' ? '/etc/kubernetes/pki/x' : value}`)],
  fail: ['cp', undefined, added([A(5), `--${flag}=${value}`])],
});

const CASES: Record<string, HostCase> = {
  // ---- kernel (cp-1 runs 5.15.0, in CVE-2022-0185's range by version; the fixture does not set
  // kernel.unprivileged_userns_clone)
  'C-0079': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) =>
        f.kernelVariables.push({
          key: 'kernel.unprivileged_userns_clone',
          value: '1',
          source: '/proc/sys/kernel/unprivileged_userns_clone',
        }),
      {
        failedPaths: ['kernel.release', `kernelVariables[5].value`],
        reviewPaths: ['kernel.release', `kernelVariables[5].value`],
      },
    ],
  },
  // ---- kube-apiserver flags
  'C-0005': {
    pass: ['cp'],
    fail: ['cp', apiAdd('--insecure-port=8080'), replaced(A(5), '--insecure-port=0')],
  },
  'C-0066': {
    pass: ['cp'],
    fail: ['cp', apiOnly('--audit-policy-file=/p'), added([A(2), '--encryption-provider-config=YOUR_VALUE'])],
  },
  'C-0067': { pass: ['cp'], fail: ['cp', apiOnly(), added([A(1), '--audit-policy-file=YOUR_VALUE'])] },
  'C-0068': {
    pass: ['cp', apiAdd('--enable-admission-plugins=NodeRestriction,PodSecurityPolicy')],
    fail: ['cp', undefined, added([A(5), '--enable-admission-plugins=PodSecurityPolicy'])],
  },
  'C-0088': {
    pass: ['cp', apiAdd('--authorization-mode=Node,RBAC')],
    fail: ['cp', apiAdd('--authorization-mode=Node'), replaced(A(5), '--authorization-mode=Node,RBAC')],
  },
  'C-0113': {
    pass: ['cp', (f) => (comp(f, 'apiServer').cmdLine[2] = '--anonymous-auth=false')],
    fail: ['cp', undefined, replaced(A(2), '--anonymous-auth=false')],
  },
  'C-0114': { pass: ['cp'], fail: ['cp', apiAdd('--token-auth-file=/etc/tokens.csv'), removed(A(5))] },
  'C-0115': {
    pass: ['cp'],
    fail: ['cp', apiAdd('--enable-admission-plugins=DenyServiceExternalIPs'), removed(A(5))],
  },
  'C-0116': {
    pass: ['cp', apiAdd('--kubelet-client-certificate=/a.crt', '--kubelet-client-key=/a.key')],
    fail: [
      'cp',
      undefined,
      added([A(5), '--kubelet-client-certificate=YOUR_VALUE'], [A(6), '--kubelet-client-key=YOUR_VALUE']),
    ],
  },
  'C-0117': apiMissing('kubelet-certificate-authority'),
  'C-0118': {
    pass: ['cp', apiAdd('--authorization-mode=Node,RBAC')],
    fail: ['cp', undefined, added([A(5), '--authorization-mode=Node,RBAC'])],
  },
  'C-0119': {
    pass: ['cp', apiAdd('--authorization-mode=Node,RBAC')],
    fail: ['cp', apiAdd('--authorization-mode=RBAC'), replaced(A(5), '--authorization-mode=RBAC,Node')],
  },
  'C-0120': {
    pass: ['cp', apiAdd('--authorization-mode=Node,RBAC')],
    fail: ['cp', undefined, added([A(5), '--authorization-mode=RBAC'])],
  },
  'C-0121': {
    pass: ['cp', apiAdd('--enable-admission-plugins=NodeRestriction,EventRateLimit')],
    fail: [
      'cp',
      apiAdd('--enable-admission-plugins=NodeRestriction'),
      replaced(A(5), '--enable-admission-plugins=NodeRestriction,EventRateLimit'),
    ],
  },
  'C-0122': {
    pass: ['cp'],
    fail: [
      'cp',
      apiAdd('--enable-admission-plugins=AlwaysAdmit,NodeRestriction'),
      replaced(A(5), '--enable-admission-plugins=NodeRestriction'),
    ],
  },
  'C-0123': {
    pass: ['cp', apiAdd('--enable-admission-plugins=AlwaysPullImages')],
    fail: ['cp', undefined, added([A(5), '--enable-admission-plugins=AlwaysPullImages'])],
  },
  'C-0124': {
    pass: ['cp', apiAdd('--enable-admission-plugins=NodeRestriction,PodSecurityPolicy')],
    fail: [
      'cp',
      apiAdd('--enable-admission-plugins=NodeRestriction'),
      replaced(A(5), '--enable-admission-plugins=NodeRestriction,SecurityContextDeny'),
    ],
  },
  'C-0125': {
    pass: ['cp'],
    fail: ['cp', apiAdd('--disable-admission-plugins=ServiceAccount'), removed(A(5))],
  },
  'C-0126': {
    pass: ['cp'],
    fail: [
      'cp',
      apiAdd('--disable-admission-plugins=NamespaceLifecycle,PodSecurity'),
      replaced(A(5), '--disable-admission-plugins=PodSecurity'),
    ],
  },
  'C-0127': {
    pass: ['cp', apiAdd('--enable-admission-plugins=NodeRestriction')],
    fail: ['cp', undefined, added([A(5), '--enable-admission-plugins=NodeRestriction'])],
  },
  'C-0128': { pass: ['cp'], fail: ['cp', apiAdd('--secure-port=0'), replaced(A(5), '--secure-port=6443')] },
  'C-0129': {
    pass: ['cp', apiAdd('--profiling=false')],
    fail: ['cp', undefined, added([A(5), '--profiling=false'])],
  },
  'C-0130': apiMissing('audit-log-path'),
  'C-0131': {
    pass: ['cp', apiAdd('--audit-log-maxage=30')],
    fail: ['cp', apiAdd('--audit-log-maxage=7'), replaced(A(5), '--audit-log-maxage=30')],
  },
  'C-0132': {
    pass: ['cp', apiAdd('--audit-log-maxbackup=10')],
    fail: ['cp', undefined, added([A(5), '--audit-log-maxbackup=10'])],
  },
  'C-0133': {
    pass: ['cp', apiAdd('--audit-log-maxsize=200')],
    fail: ['cp', undefined, added([A(5), '--audit-log-maxsize=100'])],
  },
  'C-0134': {
    pass: ['cp'],
    fail: ['cp', apiAdd('--request-timeout=0s'), replaced(A(5), '--request-timeout=60s')],
  },
  'C-0135': {
    pass: ['cp'],
    fail: ['cp', apiAdd('--service-account-lookup=false'), replaced(A(5), '--service-account-lookup=true')],
  },
  'C-0136': apiMissing('service-account-key-file'),
  'C-0137': {
    pass: ['cp', apiAdd('--etcd-certfile=/c', '--etcd-keyfile=/k')],
    fail: ['cp', undefined, added([A(5), '--etcd-certfile=YOUR_VALUE'], [A(6), '--etcd-keyfile=YOUR_VALUE'])],
  },
  'C-0138': {
    pass: ['cp', apiAdd('--tls-cert-file=/c', '--tls-private-key-file=/k')],
    fail: ['cp', apiAdd('--tls-private-key-file=/k'), added([A(6), '--tls-cert-file=YOUR_VALUE'])],
  },
  'C-0139': apiMissing('client-ca-file'),
  'C-0140': apiMissing('etcd-cafile'),
  'C-0141': {
    pass: ['cp'],
    fail: ['cp', apiOnly(), added([A(1), '--encryption-provider-config=YOUR_VALUE'])],
  },
  'C-0143': {
    pass: ['cp', apiAdd('--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')],
    fail: [
      'cp',
      apiAdd('--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'),
      replaced(A(5), `--tls-cipher-suites=${STRONG_CIPHERS_VALUE}`),
    ],
  },
  'C-0277': {
    pass: [
      'cp',
      apiAdd('--tls-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'),
    ],
    fail: ['cp', undefined, added([A(5), `--tls-cipher-suites=${STRONG_CIPHERS_VALUE}`])],
  },
  'C-0283': {
    pass: ['cp', apiAdd('--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs')],
    fail: ['cp', undefined, added([A(5), '--enable-admission-plugins=DenyServiceExternalIPs'])],
  },
  'C-0290': {
    pass: ['cp', apiAdd('--service-account-extend-token-expiration=false')],
    fail: ['cp', undefined, added([A(5), '--service-account-extend-token-expiration=false'])],
  },
  'C-0160': { pass: ['cp'], fail: ['cp', apiOnly(), added([A(1), '--audit-policy-file=YOUR_VALUE'])] },
  // ---- kube-controller-manager (6 args), kube-scheduler (4), etcd (6)
  'C-0144': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => void comp(f, 'controllerManager').cmdLine.pop(),
      added([CM(5), '--terminated-pod-gc-threshold=YOUR_VALUE']),
    ],
  },
  'C-0145': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'controllerManager').cmdLine[3] = '--profiling=true'),
      replaced(CM(3), '--profiling=false'),
    ],
  },
  'C-0146': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'controllerManager').cmdLine[4] = '--use-service-account-credentials=false'),
      replaced(CM(4), '--use-service-account-credentials=true'),
    ],
  },
  'C-0147': {
    pass: ['cp', (f) => push(comp(f, 'controllerManager'), '--service-account-private-key-file=/sa.key')],
    fail: ['cp', undefined, added([CM(6), '--service-account-private-key-file=YOUR_VALUE'])],
  },
  'C-0148': {
    pass: ['cp', (f) => push(comp(f, 'controllerManager'), '--root-ca-file=/ca.crt')],
    fail: ['cp', undefined, added([CM(6), '--root-ca-file=YOUR_VALUE'])],
  },
  'C-0149': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => push(comp(f, 'controllerManager'), '--feature-gates=RotateKubeletServerCertificate=false'),
      replaced(CM(6), '--feature-gates=RotateKubeletServerCertificate=true'),
    ],
  },
  'C-0150': {
    pass: ['cp', (f) => push(comp(f, 'controllerManager'), '--bind-address=127.0.0.1')],
    fail: ['cp', undefined, added([CM(6), '--bind-address=127.0.0.1'])],
  },
  'C-0151': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'scheduler').cmdLine[3] = '--profiling=true'),
      replaced(S(3), '--profiling=false'),
    ],
  },
  'C-0152': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'scheduler').cmdLine[2] = '--bind-address=0.0.0.0'),
      replaced(S(2), '--bind-address=127.0.0.1'),
    ],
  },
  'C-0153': {
    pass: ['cp'],
    fail: ['cp', (f) => void comp(f, 'etcd').cmdLine.splice(3, 1), added([E(5), '--key-file=YOUR_VALUE'])],
  },
  'C-0154': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'etcd').cmdLine[4] = '--client-cert-auth=false'),
      replaced(E(4), '--client-cert-auth=true'),
    ],
  },
  'C-0155': {
    pass: ['cp'],
    fail: ['cp', (f) => (comp(f, 'etcd').cmdLine[5] = '--auto-tls=true'), replaced(E(5), '--auto-tls=false')],
  },
  'C-0156': {
    pass: ['cp', (f) => push(comp(f, 'etcd'), '--peer-cert-file=/p.crt', '--peer-key-file=/p.key')],
    fail: [
      'cp',
      undefined,
      added([E(6), '--peer-cert-file=YOUR_VALUE'], [E(7), '--peer-key-file=YOUR_VALUE']),
    ],
  },
  'C-0157': {
    pass: ['cp', (f) => push(comp(f, 'etcd'), '--peer-client-cert-auth=true')],
    fail: ['cp', undefined, added([E(6), '--peer-client-cert-auth=true'])],
  },
  'C-0158': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => push(comp(f, 'etcd'), '--peer-auto-tls=true'),
      replaced(E(6), '--peer-auto-tls=false'),
    ],
  },
  'C-0159': {
    pass: [
      'cp',
      (f) => {
        push(comp(f, 'etcd'), '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt');
        push(comp(f, 'apiServer'), '--client-ca-file=/etc/kubernetes/pki/ca.crt');
      },
    ],
    fail: [
      'cp',
      (f) => {
        push(comp(f, 'etcd'), '--trusted-ca-file=/etc/kubernetes/pki/ca.crt');
        push(comp(f, 'apiServer'), '--client-ca-file=/etc/kubernetes/pki/ca.crt');
      },
      { failedPaths: [E(6)], reviewPaths: [E(6)] },
    ],
  },
  // ---- control-plane files (kubeadm modes from node-agent's fixture; etcd.yaml is 0644 there)
  'C-0092': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'apiServer').specsFile!.permissions = 0o644),
      perm('controlPlane.apiServer.specsFile', '0600'),
    ],
  },
  'C-0093': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'apiServer').specsFile!.ownership = USER),
      owner('controlPlane.apiServer.specsFile'),
    ],
  },
  'C-0094': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'controllerManager').specsFile!.permissions = 0o660),
      perm('controlPlane.controllerManager.specsFile', '0600'),
    ],
  },
  'C-0095': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'controllerManager').specsFile!.ownership = USER),
      owner('controlPlane.controllerManager.specsFile'),
    ],
  },
  'C-0096': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'scheduler').specsFile!.permissions = 0o700),
      perm('controlPlane.scheduler.specsFile', '0600'),
    ],
  },
  'C-0097': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'scheduler').specsFile!.ownership = USER),
      owner('controlPlane.scheduler.specsFile'),
    ],
  },
  'C-0098': {
    pass: ['cp', (f) => (comp(f, 'etcd').specsFile!.permissions = 0o600)],
    fail: ['cp', undefined, perm('controlPlane.etcd.specsFile', '0600')],
  },
  'C-0099': {
    pass: ['cp'],
    fail: ['cp', (f) => (comp(f, 'etcd').specsFile!.ownership = USER), owner('controlPlane.etcd.specsFile')],
  },
  'C-0100': {
    pass: ['cp', (f) => cniOf(f).configFiles.forEach((c) => (c.permissions = 0o600))],
    fail: ['cp', undefined, perm('cni.configFiles[1]', '0600')],
  },
  'C-0101': {
    pass: ['cp'],
    fail: ['cp', (f) => (cniOf(f).configFiles[0]!.ownership = USER), owner('cni.configFiles[0]')],
  },
  'C-0102': {
    pass: ['cp'],
    fail: ['cp', (f) => (cpOf(f).etcdDataDir!.permissions = 0o755), perm('controlPlane.etcdDataDir', '0700')],
  },
  'C-0103': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (cpOf(f).etcdDataDir!.ownership = ROOT),
      owner('controlPlane.etcdDataDir', 'etcd:etcd'),
    ],
  },
  'C-0104': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (cpOf(f).adminConfigFile!.permissions = 0o644),
      perm('controlPlane.adminConfigFile', '0600'),
    ],
  },
  'C-0105': {
    pass: ['cp'],
    fail: ['cp', (f) => (cpOf(f).adminConfigFile!.ownership = USER), owner('controlPlane.adminConfigFile')],
  },
  'C-0106': {
    pass: ['cp', (f) => (comp(f, 'scheduler').files.kubeconfig!.permissions = 0o600)],
    fail: ['cp', undefined, perm('controlPlane.scheduler.files[kubeconfig]', '0600')],
  },
  'C-0107': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'scheduler').files.kubeconfig!.ownership = USER),
      owner('controlPlane.scheduler.files[kubeconfig]'),
    ],
  },
  'C-0108': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'controllerManager').files.kubeconfig!.permissions = 0o666),
      perm('controlPlane.controllerManager.files[kubeconfig]', '0600'),
    ],
  },
  'C-0109': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (comp(f, 'controllerManager').files.kubeconfig!.ownership = USER),
      owner('controlPlane.controllerManager.files[kubeconfig]'),
    ],
  },
  'C-0110': {
    pass: ['cp'],
    fail: ['cp', (f) => (cpOf(f).pkiFiles[3]!.ownership = USER), owner('controlPlane.pkiFiles[3]')],
  },
  'C-0111': {
    pass: ['cp', (f) => cpOf(f).pkiFiles.forEach((p) => (p.permissions = 0o600))],
    // kubeadm's certificates are 0644: every *.crt (ca-link.crt is a symlink resolved to a file).
    fail: [
      'cp',
      undefined,
      {
        failedPaths: [0, 2, 3, 7, 9, 11].map((i) => `controlPlane.pkiFiles[${i}].permissions`),
        fixPaths: [0, 2, 3, 7, 9, 11].map((i) => ({
          path: `controlPlane.pkiFiles[${i}].permissions`,
          value: '0600',
        })),
      },
    ],
  },
  'C-0112': {
    pass: ['cp', (f) => (cpOf(f).pkiFiles[10]!.permissions = 0o600)],
    // etcd/server.key is 0644 in the fixture; the escape.key symlink (unresolvable) is not a file.
    fail: ['cp', undefined, perm('controlPlane.pkiFiles[10]', '0600')],
  },
  // ---- kubelet and worker files
  'C-0162': {
    pass: ['cp', (f) => kubeletOf(f).serviceFiles.forEach((s) => (s.permissions = 0o600))],
    fail: [
      'cp',
      undefined,
      {
        failedPaths: ['kubelet.serviceFiles[0].permissions', 'kubelet.serviceFiles[1].permissions'],
        fixPaths: [
          { path: 'kubelet.serviceFiles[0].permissions', value: '0600' },
          { path: 'kubelet.serviceFiles[1].permissions', value: '0600' },
        ],
      },
    ],
  },
  'C-0163': {
    pass: ['cp'],
    fail: ['cp', (f) => (kubeletOf(f).serviceFiles[0]!.ownership = USER), owner('kubelet.serviceFiles[0]')],
  },
  'C-0164': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (proxyOf(f).kubeConfigFile = file('/var/lib/kube-proxy/kubeconfig.conf', 0o644)),
      perm('kubeProxy.kubeConfigFile', '0600'),
    ],
  },
  'C-0165': {
    pass: ['cp', (f) => (proxyOf(f).kubeConfigFile = file('/var/lib/kube-proxy/kubeconfig.conf', 0o600))],
    fail: [
      'cp',
      (f) => (proxyOf(f).kubeConfigFile = file('/var/lib/kube-proxy/kubeconfig.conf', 0o600, USER)),
      owner('kubeProxy.kubeConfigFile'),
    ],
  },
  'C-0166': { pass: ['cp'], fail: ['worker', undefined, perm('kubelet.kubeConfigFile', '0600')] },
  'C-0167': { pass: ['cp'], fail: ['worker', undefined, owner('kubelet.kubeConfigFile')] },
  'C-0168': {
    pass: ['cp', (f) => (kubeletOf(f).clientCAFile!.permissions = 0o600)],
    fail: ['cp', undefined, perm('kubelet.clientCAFile', '0600')],
  },
  'C-0169': {
    pass: ['worker'],
    fail: ['worker', (f) => (kubeletOf(f).clientCAFile!.ownership = USER), owner('kubelet.clientCAFile')],
  },
  'C-0170': { pass: ['worker'], fail: ['cp', undefined, perm('kubelet.configFile', '0600')] },
  'C-0171': {
    pass: ['cp'],
    fail: ['cp', (f) => (kubeletOf(f).configFile!.ownership = USER), owner('kubelet.configFile')],
  },
  'C-0235': {
    pass: ['cp'],
    fail: ['cp', (f) => (kubeletOf(f).configFile!.permissions = 0o666), perm('kubelet.configFile', '0644')],
  },
  'C-0238': {
    pass: ['worker'],
    fail: [
      'worker',
      (f) => (kubeletOf(f).kubeConfigFile!.permissions = 0o664),
      perm('kubelet.kubeConfigFile', '0644'),
    ],
  },
  // ---- kubelet settings: cp-1 runs kubeadm's hardened config, worker-1 a weak one
  'C-0069': {
    pass: ['cp'],
    fail: ['worker', undefined, replaced(KC('authentication.anonymous.enabled'), 'false')],
  },
  'C-0172': {
    pass: ['cp'],
    fail: ['worker', undefined, replaced(KC('authentication.anonymous.enabled'), 'false')],
  },
  'C-0070': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => delete (kubeletConfig(f).authentication as Record<string, unknown>).x509,
      added([KC('authentication.x509.clientCAFile'), 'YOUR_VALUE']),
    ],
  },
  'C-0174': {
    pass: ['worker', (f) => delete (kubeletConfig(f).authentication as Record<string, unknown>).x509],
    fail: [
      'cp',
      (f) => {
        kubeletOf(f).configFile = undefined as never;
        delete kubeletOf(f).configFile;
      },
      added([K(7), '--client-ca-file=YOUR_VALUE']),
    ],
  },
  'C-0173': { pass: ['cp'], fail: ['worker', undefined, replaced(KC('authorization.mode'), 'Webhook')] },
  'C-0175': { pass: ['cp'], fail: ['worker', undefined, replaced(KC('readOnlyPort'), '0')] },
  'C-0176': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (kubeletConfig(f).streamingConnectionIdleTimeout = '0s'),
      replaced(KC('streamingConnectionIdleTimeout'), '5m'),
    ],
  },
  'C-0177': { pass: ['cp'], fail: ['worker', undefined, added([KC('protectKernelDefaults'), 'true'])] },
  'C-0178': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => push(kubeletOf(f).process, '--make-iptables-util-chains=false'),
      replaced(K(7), '--make-iptables-util-chains=true'),
    ],
  },
  'C-0179': {
    pass: ['cp'],
    fail: ['cp', (f) => push(kubeletOf(f).process, '--hostname-override=cp-1'), removed(K(7))],
  },
  'C-0180': {
    pass: ['cp'],
    fail: ['cp', (f) => (kubeletConfig(f).eventRecordQPS = 0), replaced(KC('eventRecordQPS'), '5')],
  },
  'C-0181': {
    pass: [
      'cp',
      (f) =>
        Object.assign(kubeletConfig(f), {
          tlsCertFile: '/var/lib/kubelet/pki/kubelet.crt',
          tlsPrivateKeyFile: '/k',
        }),
    ],
    fail: [
      'cp',
      undefined,
      added([KC('tlsCertFile'), 'YOUR_VALUE'], [KC('tlsPrivateKeyFile'), 'YOUR_VALUE']),
    ],
  },
  'C-0182': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (kubeletConfig(f).rotateCertificates = false),
      replaced(KC('rotateCertificates'), 'true'),
    ],
  },
  'C-0183': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => (kubeletConfig(f).featureGates = { RotateKubeletServerCertificate: false }),
      replaced(KC('featureGates.RotateKubeletServerCertificate'), 'true'),
    ],
  },
  'C-0184': {
    pass: ['cp', (f) => (kubeletConfig(f).tlsCipherSuites = ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'])],
    fail: ['cp', undefined, added([KC('tlsCipherSuites'), STRONG_CIPHERS_VALUE])],
  },
  'C-0284': {
    pass: ['cp', (f) => (kubeletConfig(f).podPidsLimit = 1024)],
    fail: ['cp', undefined, added([KC('podPidsLimit'), '4096'])],
  },
  // ---- CNI and kube-proxy
  'C-0205': {
    pass: ['cp'],
    fail: ['worker', undefined, { failedPaths: ['cni.names'], reviewPaths: ['cni.names'] }],
  },
  'C-0291': {
    pass: ['cp'],
    fail: [
      'cp',
      (f) => push(proxyOf(f).process, '--metrics-bind-address=0.0.0.0:10249'),
      replaced('kubeProxy.process.cmdLine[3]', '--metrics-bind-address=127.0.0.1:10249'),
    ],
  },
};

/** Controls on the Node object itself (status.nodeInfo), with or without facts. */
const nodeInfo = (info: Record<string, string>): KubeObject => ({
  ...workerNode(),
  status: { nodeInfo: info },
});
const NODE_OBJECT_CASES: Record<string, { pass: KubeObject; fail: KubeObject; path: string }> = {
  'C-0087': {
    pass: nodeInfo({ containerRuntimeVersion: 'containerd://1.6.1' }),
    fail: nodeInfo({ containerRuntimeVersion: 'containerd://1.5.9' }),
    path: 'status.nodeInfo.containerRuntimeVersion',
  },
  'C-0273': {
    pass: nodeInfo({ kubeletVersion: 'v1.35.2' }),
    fail: nodeInfo({ kubeletVersion: 'v1.29.4' }),
    path: 'status.nodeInfo.kubeletVersion',
  },
};

describe('Node-object controls', () => {
  for (const [id, c] of Object.entries(NODE_OBJECT_CASES)) {
    it(`${id}: passes and fails on status.nodeInfo`, () => {
      const evalOn = (node: KubeObject) => {
        const index = new ClusterIndex([node]);
        return implementedControl(id)!.evaluate([...index.resources()][0]!, {
          index,
          inputs: DEFAULT_CONTROL_INPUTS,
        });
      };
      expect(evalOn(c.pass).map((r) => r.status)).toEqual(['passed']);
      expect(collect(evalOn(c.fail))).toEqual({
        failedPaths: [c.path],
        reviewPaths: [c.path],
        deletePaths: [],
        fixPaths: [],
      });
    });
  }
});

describe('host controls on node-agent facts of the fixture nodes', () => {
  for (const [id, c] of Object.entries(CASES).sort(([a], [b]) => a.localeCompare(b))) {
    describe(id, () => {
      it('passes the compliant node', () => {
        const rules = evaluateOn(id, ...c.pass);
        expect(rules.length).toBeGreaterThan(0);
        for (const r of rules)
          expect({ rule: r.name, status: r.status }).toEqual({ rule: r.name, status: 'passed' });
      });
      it('fails the non-compliant node with exact paths', () => {
        const [which, mutate, want] = c.fail;
        const rules = evaluateOn(id, which, mutate);
        expect(rules.some((r) => r.status === 'failed')).toBe(true);
        const got = collect(rules);
        expect(got.failedPaths).toEqual(want.failedPaths ?? []);
        expect(got.reviewPaths).toEqual(want.reviewPaths ?? []);
        expect(got.deletePaths).toEqual(want.deletePaths ?? []);
        expect(got.fixPaths).toEqual(want.fixPaths ?? []);
      });
    });
  }

  it('covers every implemented host control', () => {
    const host = CONTROLS.filter(
      (c) => HOST_CONTROL_CATALOG.some((e) => e.id === c.id) && c.kinds.length > 0, // manual controls: below
    ).map((c) => c.id);
    expect(host.filter((id) => !(id in CASES) && !(id in NODE_OBJECT_CASES))).toEqual([]);
    expect(host.length).toBe(Object.keys(CASES).length + Object.keys(NODE_OBJECT_CASES).length);
  });

  it('leaves control-plane controls out of a worker and kubelet controls out of a node without kubelet', () => {
    expect(evaluateOn('C-0113', 'worker')).toEqual([]);
    expect(evaluateOn('C-0092', 'worker')).toEqual([]);
    expect(evaluateOn('C-0172', 'cp', (f) => (f.kubelet = null))).toEqual([]);
  });

  it('reports a section node-agent could not collect as not evaluated, with the reason', () => {
    const rules = evaluateOn('C-0172', 'cp', (f) => (f.kubelet = { error: 'permission denied' }));
    expect(rules.map((r) => [r.status, r.subStatus, r.info])).toEqual([
      [
        'skipped',
        'notEvaluated',
        'evaluation error: node-agent could not collect kubelet: permission denied',
      ],
    ]);
  });
});

describe('nodes without a node-agent report', () => {
  const evalBare = (id: string, node: KubeObject) => {
    const index = new ClusterIndex([node]);
    const res = [...index.resources()].find((r) => r.object.kind === 'Node')!;
    return implementedControl(id)!.evaluate(res, { index, inputs: DEFAULT_CONTROL_INPUTS });
  };

  it('reports node controls skipped/integration on every node', () => {
    for (const node of [cpNode(), workerNode()]) {
      expect(evalBare('C-0172', node).map((r) => [r.status, r.subStatus, r.info])).toEqual([
        ['skipped', 'integration', NO_HOST_FACTS_INFO],
      ]);
    }
  });

  it('reports control-plane controls skipped only on control-plane nodes', () => {
    expect(evalBare('C-0113', cpNode()).map((r) => r.subStatus)).toEqual(['integration']);
    expect(evalBare('C-0113', workerNode())).toEqual([]);
  });
});

describe('control-plane flag controls on the static pod manifests (Kubescape input)', () => {
  const onPod = (id: string, manifest: string) => {
    const index = new ClusterIndex([MANIFESTS[manifest] as KubeObject]);
    const res = [...index.resources()][0]!;
    return implementedControl(id)!.evaluate(res, { index, inputs: DEFAULT_CONTROL_INPUTS });
  };

  it('passes what the manifest sets and fails what it lacks, on spec.containers[0].command', () => {
    expect(onPod('C-0113', 'kube-apiserver.yaml').map((r) => r.status)).toEqual(['passed']);
    // The manifest has 12 command entries: missing flags are appended at index 12, 13.
    expect(collect(onPod('C-0116', 'kube-apiserver.yaml')).fixPaths).toEqual([
      { path: 'spec.containers[0].command[12]', value: '--kubelet-client-certificate=YOUR_VALUE' },
      { path: 'spec.containers[0].command[13]', value: '--kubelet-client-key=YOUR_VALUE' },
    ]);
    expect(collect(onPod('C-0121', 'kube-apiserver.yaml'))).toEqual({
      failedPaths: ['spec.containers[0].command[5]'],
      reviewPaths: [],
      deletePaths: [],
      fixPaths: [
        {
          path: 'spec.containers[0].command[5]',
          value: '--enable-admission-plugins=NodeRestriction,EventRateLimit',
        },
      ],
    });
    expect(onPod('C-0154', 'etcd.yaml').map((r) => r.status)).toEqual(['passed']);
    // A control of another component does not consider the pod at all.
    expect(onPod('C-0154', 'kube-apiserver.yaml')).toEqual([]);
  });
});

describe('manual CIS controls', () => {
  it('are summarised skipped/manual review, with no resources, and left out of the CIS means', () => {
    const objects = [cpNode(), hostFactsObject('cp-1', '2026-11-27T00:00:00.000Z', CP)];
    const report = scanResources(objects, {
      frameworks: ['cis-v1.12.0'],
      now: new Date('2026-11-27T00:00:00Z'),
    });
    for (const id of ['C-0246', 'C-0286', 'C-0287', 'C-0288', 'C-0289']) {
      expect(report.summaryDetails.controls[id]).toMatchObject({
        status: 'skipped',
        subStatus: 'manual review',
        ResourceCounters: { passedResources: 0, failedResources: 0, skippedResources: 0 },
      });
    }
    const withManual = report.summaryDetails.frameworks[0]!.complianceScore;
    const without = scanResources(objects, {
      controls: report.summaryDetails.frameworks[0]!.controls.filter(
        (id) => !['C-0246', 'C-0286', 'C-0287', 'C-0288', 'C-0289'].includes(id),
      ),
      now: new Date('2026-11-27T00:00:00Z'),
    }).summaryDetails.complianceScore;
    expect(withManual).toBeCloseTo(without, 6);
  });
});

describe('host controls in a cluster scan', () => {
  it('evaluates reported nodes, skips the others, and counts them in the CIS score', () => {
    const objects = [cpNode(), workerNode(), hostFactsObject('cp-1', '2026-11-27T00:00:00.000Z', CP)];
    const report = scanResources(objects, {
      frameworks: ['cis-v1.12.0'],
      now: new Date('2026-11-27T00:00:00Z'),
    });
    const c0172 = report.summaryDetails.controls['C-0172']!;
    // cp-1 passes (anonymous auth off), worker-1 has no report.
    expect(c0172.ResourceCounters).toMatchObject({
      passedResources: 1,
      failedResources: 0,
      skippedResources: 1,
    });
    expect(c0172).toMatchObject({ status: 'skipped', subStatus: 'integration' });
    expect(c0172.complianceScore).toBe(50);
    const c0098 = report.summaryDetails.controls['C-0098']!;
    expect(c0098).toMatchObject({
      status: 'failed',
      ResourceCounters: { failedResources: 1, skippedResources: 0 },
    });
    const nodeIds = report.results.map((r) => r.resourceID).sort();
    expect(nodeIds).toEqual(['/v1//Node/cp-1', '/v1//Node/worker-1']);
    const cis = report.summaryDetails.frameworks[0]!;
    expect(cis.name).toBe('cis-v1.12.0');
    expect(cis.ResourceCounters.skippedResources).toBeGreaterThan(0);
    expect(cis.complianceScore).toBeGreaterThan(0);
    expect(cis.complianceScore).toBeLessThan(100);
  });
});

/**
 * Security-context rules. Several controls share them (C-0211 bundles the rules of C-0057, C-0017,
 * C-0013 and C-0016 with eleven more), so each rule is defined once here.
 */
import { at, indexed } from '../engine/paths.js';
import { strings } from '../engine/objects.js';
import type { Finding, KubeObject, RuleDefinition } from '../engine/types.js';
import {
  containersOf,
  workloadView,
  type ContainerRef,
  type WorkloadView,
  MAIN_CONTAINERS,
  ALL_CONTAINERS,
  POD_CONTAINERS,
} from '../engine/workload.js';
import { fix, merged, NO_FINDINGS, PathFindings, remove, review, workloadRule } from './_lib.js';

/** rule-privilege-escalation (C-0057): privileged: true, or SYS_ADMIN in capabilities.add. */
export const privilegedContainerRule: RuleDefinition = workloadRule('rule-privilege-escalation', (wl) => {
  let out: Finding[] | undefined;
  const containers = containersOf(wl, MAIN_CONTAINERS);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i] as ContainerRef;
    const sc = c.container.securityContext;
    const adds = strings(sc?.capabilities?.add);
    let paths: string[] | undefined;
    for (let k = 0; k < adds.length; k++) {
      if (adds[k] === 'SYS_ADMIN')
        (paths ??= []).push(indexed(at(c.path, '.securityContext.capabilities.add'), k));
    }
    if (sc?.privileged === true) (paths ??= []).push(at(c.path, '.securityContext.privileged'));
    if (paths) (out ??= []).push(remove(...paths));
  }
  return out ?? NO_FINDINGS;
});

const READ_ONLY_REVIEW = new PathFindings((p) => review(at(p, '.securityContext.readOnlyRootFilesystem')));
const READ_ONLY_FIX = new PathFindings((p) => fix(at(p, '.securityContext.readOnlyRootFilesystem'), 'true'));

/** immutable-container-filesystem (C-0017): readOnlyRootFilesystem must be true. */
export const immutableFilesystemRule: RuleDefinition = workloadRule(
  'immutable-container-filesystem',
  (wl) => {
    let out: Finding[] | undefined;
    const containers = containersOf(wl, POD_CONTAINERS);
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i] as ContainerRef;
      const v = c.container.securityContext?.readOnlyRootFilesystem;
      if (v === true) continue;
      (out ??= []).push((v === false ? READ_ONLY_REVIEW : READ_ONLY_FIX).get(c.path));
    }
    return out ?? NO_FINDINGS;
  },
);

type IdentityField = 'runAsNonRoot' | 'runAsUser' | 'runAsGroup';

/** The effective value of a field: the container's, else the pod's (undefined when neither sets it). */
function effective(wl: WorkloadView, c: ContainerRef, field: IdentityField): unknown {
  const cv = c.container.securityContext?.[field];
  return cv !== undefined ? cv : wl.spec.securityContext?.[field];
}

/** Path of the field that decided the effective value (container over pod); call only when defined. */
function decidingPath(wl: WorkloadView, c: ContainerRef, field: IdentityField): string {
  return c.container.securityContext?.[field] !== undefined
    ? at(at(c.path, '.securityContext.'), field)
    : at(at(wl.prefix, 'securityContext.'), field);
}

const RUN_AS_NON_ROOT_FIX = new PathFindings((p) => fix(at(p, '.securityContext.runAsNonRoot'), 'true'));
const RUN_AS_GROUP_FIX = new PathFindings((p) => fix(at(p, '.securityContext.runAsGroup'), '1000'));

/**
 * non-root-containers (C-0013): fails when the effective runAsNonRoot is not true and the effective
 * runAsUser is 0 or unset; otherwise when the effective runAsGroup is 0 or unset. The path is the
 * field that decided (container over pod), or a fixPath on the container when nothing is set.
 * Ephemeral containers are checked but get no fixPath (they cannot be patched).
 */
export const nonRootRule: RuleDefinition = workloadRule('non-root-containers', (wl) => {
  const out: Finding[] = [];
  const containers = containersOf(wl, ALL_CONTAINERS);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i] as ContainerRef;
    const canFix = c.type !== 'ephemeralContainers';
    const nonRoot = effective(wl, c, 'runAsNonRoot');
    const user = effective(wl, c, 'runAsUser');
    const group = effective(wl, c, 'runAsGroup');
    if (nonRoot !== true && (user === 0 || user === undefined)) {
      const decided: IdentityField | undefined =
        user !== undefined ? 'runAsUser' : nonRoot !== undefined ? 'runAsNonRoot' : undefined;
      if (decided) out.push(review(decidingPath(wl, c, decided)));
      else if (canFix) out.push(RUN_AS_NON_ROOT_FIX.get(c.path));
      else out.push({});
    } else if (group === 0 || group === undefined) {
      if (group !== undefined) out.push(review(decidingPath(wl, c, 'runAsGroup')));
      else if (canFix) out.push(RUN_AS_GROUP_FIX.get(c.path));
      else out.push({});
    }
  }
  return out;
});

const ESCALATION_REVIEW = new PathFindings((p) => review(at(p, '.securityContext.allowPrivilegeEscalation')));
const ESCALATION_FIX = new PathFindings((p) =>
  fix(at(p, '.securityContext.allowPrivilegeEscalation'), 'false'),
);
const ESCALATION_PRIVILEGED_FIX = new PathFindings((p) =>
  merged([
    fix(at(p, '.securityContext.allowPrivilegeEscalation'), 'false'),
    fix(at(p, '.securityContext.privileged'), 'false'),
  ]),
);

const forbidsEscalation = (p: KubeObject): boolean =>
  (p.spec as { allowPrivilegeEscalation?: unknown } | undefined)?.allowPrivilegeEscalation === false;

/**
 * rule-allow-privilege-escalation (C-0016): allowPrivilegeEscalation must be explicitly false,
 * unless a PodSecurityPolicy in the input forbids escalation.
 */
export const allowPrivilegeEscalationRule: RuleDefinition = workloadRule(
  'rule-allow-privilege-escalation',
  (wl, ctx) => {
    if (ctx.index.ofKind('PodSecurityPolicy').some(forbidsEscalation)) return [];
    let out: Finding[] | undefined;
    const containers = containersOf(wl, POD_CONTAINERS);
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i] as ContainerRef;
      const sc = c.container.securityContext;
      if (sc?.allowPrivilegeEscalation === false) continue;
      (out ??= []).push(
        (sc?.allowPrivilegeEscalation === true
          ? ESCALATION_REVIEW
          : sc?.privileged === undefined
            ? ESCALATION_PRIVILEGED_FIX
            : ESCALATION_FIX
        ).get(c.path),
      );
    }
    return out ?? NO_FINDINGS;
  },
);

/** drop-capability-netraw: NET_RAW (or ALL) must be dropped and not re-added. */
export const dropNetRawRule: RuleDefinition = workloadRule('drop-capability-netraw', (wl) => {
  const out: Finding[] = [];
  for (const c of containersOf(wl, MAIN_CONTAINERS)) {
    const caps = c.container.securityContext?.capabilities;
    const drop = strings(caps?.drop);
    const add = strings(caps?.add);
    const dropsAll = drop.includes('ALL');
    if (!drop.includes('NET_RAW') && !dropsAll) {
      out.push(fix(indexed(at(c.path, '.securityContext.capabilities.drop'), drop.length), 'NET_RAW'));
    } else if (dropsAll) {
      const readded = add.flatMap((cap, k) =>
        cap === 'NET_RAW' ? [indexed(at(c.path, '.securityContext.capabilities.add'), k)] : [],
      );
      if (readded.length > 0) out.push(remove(...readded));
    }
  }
  return out;
});

/** seLinux fix findings by container path (each path has one pod-spec prefix). */
const SELINUX_FIX = {
  byPath: new Map<string, Finding>(),
  get(path: string, prefix: string): Finding {
    let f = this.byPath.get(path);
    if (f === undefined) {
      f = merged([
        fix(at(prefix, 'securityContext.seLinuxOptions'), 'YOUR_VALUE'),
        fix(at(path, '.securityContext.seLinuxOptions'), 'YOUR_VALUE'),
      ]);
      if (this.byPath.size < 10_000) this.byPath.set(path, f);
    }
    return f;
  },
};

/** set-seLinuxOptions: neither the pod nor the container sets seLinuxOptions. */
export const seLinuxRule: RuleDefinition = workloadRule('set-seLinuxOptions', (wl) => {
  if (wl.spec.securityContext?.seLinuxOptions !== undefined) return NO_FINDINGS;
  let out: Finding[] | undefined;
  const containers = containersOf(wl, MAIN_CONTAINERS);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i] as ContainerRef;
    if (c.container.securityContext?.seLinuxOptions !== undefined) continue;
    // The container path starts with the pod-spec prefix: one memo key for both.
    (out ??= []).push(SELINUX_FIX.get(c.path, wl.prefix));
  }
  return out ?? NO_FINDINGS;
});

const SECCOMP_FIX = new PathFindings((p) => fix(at(p, '.securityContext.seccompProfile'), 'YOUR_VALUE'));

/** set-seccomp-profile: neither the pod nor the container sets a seccompProfile. */
export const seccompProfileRule: RuleDefinition = workloadRule('set-seccomp-profile', (wl) => {
  if (wl.spec.securityContext?.seccompProfile !== undefined) return NO_FINDINGS;
  let out: Finding[] | undefined;
  const containers = containersOf(wl, MAIN_CONTAINERS);
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i] as ContainerRef;
    if (c.container.securityContext?.seccompProfile !== undefined) continue;
    (out ??= []).push(SECCOMP_FIX.get(c.path));
  }
  return out ?? NO_FINDINGS;
});

/**
 * set-procmount-default: procMount other than Default. Only meaningful when the ProcMountType
 * feature gate is on, which Kubescape learns from host-scanner ControlPlaneInfo; without that
 * object the rule has no population (same as Kubescape without host sensor).
 */
export const procMountRule: RuleDefinition = {
  ...workloadRule('set-procmount-default', (wl) => {
    const out: Finding[] = [];
    for (const c of containersOf(wl, MAIN_CONTAINERS)) {
      const pm = c.container.securityContext?.procMount;
      if (pm !== undefined && pm !== 'Default') out.push(review(at(c.path, '.securityContext.procMount')));
    }
    return out;
  }),
  relevant: (r, ctx) =>
    ctx.index.hasKind('ControlPlaneInfo') && (r.workload ?? workloadView(r.object)) !== undefined,
};

/** set-fsgroup-value: the pod securityContext sets a non-negative fsGroup. */
export const fsGroupRule: RuleDefinition = workloadRule('set-fsgroup-value', (wl) => {
  const v = wl.spec.securityContext?.fsGroup;
  if (typeof v === 'number' && v >= 0) return [];
  return [fix(at(wl.prefix, 'securityContext.fsGroup'), 'YOUR_VALUE')];
});

/** set-fsgroupchangepolicy-value: fsGroupChangePolicy is Always or OnRootMismatch. */
export const fsGroupChangePolicyRule: RuleDefinition = workloadRule('set-fsgroupchangepolicy-value', (wl) => {
  const v = wl.spec.securityContext?.fsGroupChangePolicy;
  if (v === 'Always' || v === 'OnRootMismatch') return [];
  return [fix(at(wl.prefix, 'securityContext.fsGroupChangePolicy'), 'Always')];
});

/** Sysctls the Pod Security Standards (baseline) consider safe. */
export const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/** set-sysctls-params: pod sysctls outside the safe set. */
export const sysctlsRule: RuleDefinition = workloadRule('set-sysctls-params', (wl) => {
  const list = wl.spec.securityContext?.sysctls;
  if (!Array.isArray(list) || list.length === 0) return [];
  const unsafe = list.some((s) => typeof s?.name !== 'string' || !SAFE_SYSCTLS.has(s.name));
  return unsafe ? [fix(at(wl.prefix, 'securityContext.sysctls'), 'REMOVE_UNSAFE_SYSCTLS')] : [];
});

/** set-supplementalgroups-values: supplementalGroups must not contain 0 (root group). */
export const supplementalGroupsRule: RuleDefinition = workloadRule('set-supplementalgroups-values', (wl) => {
  const groups = wl.spec.securityContext?.supplementalGroups;
  if (!Array.isArray(groups)) return [];
  const paths = groups.flatMap((g, k) =>
    g === 0 ? [indexed(at(wl.prefix, 'securityContext.supplementalGroups'), k)] : [],
  );
  return paths.length > 0 ? [remove(...paths)] : [];
});

function isWindows(wl: WorkloadView): boolean {
  const os = (wl.spec.os as { name?: unknown } | undefined)?.name;
  const sel = (wl.spec.nodeSelector as Record<string, unknown> | undefined)?.['kubernetes.io/os'];
  return os === 'windows' || sel === 'windows';
}

function windowsRule(name: string, field: 'gmsaCredentialSpecName' | 'runAsUserName'): RuleDefinition {
  return {
    ...workloadRule(name, (wl) => {
      if (wl.spec.securityContext?.windowsOptions?.[field] !== undefined) return [];
      const out: Finding[] = [];
      for (const c of containersOf(wl, MAIN_CONTAINERS)) {
        if (c.container.securityContext?.windowsOptions?.[field] !== undefined) continue;
        out.push(fix(at(at(c.path, '.securityContext.windowsOptions.'), field), 'YOUR_VALUE'));
      }
      return out;
    }),
    // Windows-only settings: Linux pods are not part of these rules' population.
    relevant: (r) => {
      const wl = r.workload ?? workloadView(r.object);
      return wl !== undefined && isWindows(wl);
    },
  };
}

export const gmsaRule: RuleDefinition = windowsRule(
  'set-gmsacredentialspecname-value',
  'gmsaCredentialSpecName',
);
export const runAsUserNameRule: RuleDefinition = windowsRule('set-runasusername-value', 'runAsUserName');

/** set-hostprocess-true: Windows HostProcess containers (pod or container level) are not allowed. */
export const hostProcessRule: RuleDefinition = workloadRule('set-hostprocess-true', (wl) => {
  const paths: string[] = [];
  if (wl.spec.securityContext?.windowsOptions?.hostProcess === true) {
    paths.push(at(wl.prefix, 'securityContext.windowsOptions.hostProcess'));
  }
  for (const c of containersOf(wl, MAIN_CONTAINERS)) {
    if (c.container.securityContext?.windowsOptions?.hostProcess === true) {
      paths.push(at(c.path, '.securityContext.windowsOptions.hostProcess'));
    }
  }
  return paths.length > 0 ? [remove(...paths)] : [];
});

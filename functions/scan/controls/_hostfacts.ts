/**
 * Host-control building blocks: controls evaluated on Node resources from node-agent host facts
 * (functions/scan/host/facts.ts), plus the control-plane flag rules that also evaluate a static pod
 * (Kubescape's own input for them: the kube-system Pod whose `containers[0].command[0]` is the
 * component binary — that is what `kscape scan /etc/kubernetes/manifests` sees).
 *
 * Paths on a Node result address the node-agent facts document (node-agent/host/facts.ts), e.g.
 * `kubelet.configFile.content.authentication.anonymous.enabled`,
 * `controlPlane.apiServer.cmdLine[3]`, `controlPlane.pkiFiles[2].permissions`: the Node object has
 * no such fields, and Kubescape reports them on its host-scanner objects (with a `fixCommand`, which
 * this result format has no room for; the fix path's value is the mode or owner to set).
 */
import { catalogEntry } from './catalog.js';
import { defineControl, type Category, type ControlSpec } from '../engine/control.js';
import { arr, get, labelsOf, strings } from '../engine/objects.js';
import type {
  ControlDefinition,
  EvalContext,
  Finding,
  KubeObject,
  RuleDefinition,
  RuleResult,
  ScanResource,
} from '../engine/types.js';
import { hostFactsOf, type HostFacts } from '../host/facts.js';
import type { FileInfoFact } from '../../../node-agent/host/facts.js';
import { fix } from './_lib.js';
import { findFlag, type Args, type FlagCheck } from './_flags.js';

export type Component = 'apiServer' | 'controllerManager' | 'scheduler' | 'etcd';

const BINARY: Record<Component, string> = {
  apiServer: 'kube-apiserver',
  controllerManager: 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  etcd: 'etcd',
};

const NONE: readonly never[] = Object.freeze([]);

export const NO_HOST_FACTS_INFO =
  'no node-agent host report for this node (node-agent not running there, or its first report has not arrived)';

/** Where a host control applies: every node, or control-plane nodes only. */
export type HostScope = 'node' | 'control-plane';

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

export function isControlPlaneNode(node: KubeObject): boolean {
  const labels = labelsOf(node);
  return CONTROL_PLANE_LABELS.some((l) => l in labels);
}

/** A facts section that node-agent could not collect carries `error`: the rule cannot be evaluated. */
export function section<T extends object>(name: string, v: T | { error: string } | null): T | null {
  if (v === null) return null;
  if ('error' in v && typeof v.error === 'string' && Object.keys(v).length === 1)
    throw new Error(`node-agent could not collect ${name}: ${v.error}`);
  return v as T;
}

function factsOf(r: ScanResource, ctx: EvalContext): HostFacts {
  const f = hostFactsOf(ctx.index, r.object.metadata.name);
  // defineHostControl answers for nodes without facts before any rule runs.
  if (!f) throw new Error('host facts missing');
  return f;
}

/**
 * A control whose Node rules read host facts. Nodes without facts get every Node rule
 * skipped/`integration` (control-plane controls only on nodes labelled as control plane); other
 * resources (static pods) go through the rules as usual.
 */
export function defineHostControl(spec: ControlSpec & { scope: HostScope }): ControlDefinition {
  const base = defineControl(spec);
  const skipped: readonly RuleResult[] = Object.freeze(
    spec.rules
      .filter((r) => r.kinds.includes('Node'))
      .map((r) =>
        Object.freeze({
          name: r.name,
          status: 'skipped' as const,
          subStatus: 'integration' as const,
          failedPaths: NONE,
          reviewPaths: NONE,
          deletePaths: NONE,
          fixPaths: NONE,
          relatedResourcesIDs: NONE,
          info: NO_HOST_FACTS_INFO,
        }),
      ),
  );
  return {
    ...base,
    evaluate(resource, ctx) {
      if (resource.matchKind !== 'Node' || hostFactsOf(ctx.index, resource.object.metadata.name))
        return base.evaluate(resource, ctx);
      if (spec.scope === 'control-plane' && !isControlPlaneNode(resource.object)) return [];
      return skipped as RuleResult[];
    },
  };
}

/** The rule name the catalog gives a control (one-rule host controls). */
export function ruleNameOf(id: string): string {
  const e = catalogEntry(id);
  if (!e || e.rules.length === 0) throw new Error(`${id} is not in the control catalog`);
  return e.rules[0] as string;
}

/** A rule over a Node's host facts; `applies` decides whether the node is in its population. */
export function nodeRule(
  name: string,
  applies: (f: HostFacts) => boolean,
  evaluate: (f: HostFacts) => Finding[],
): RuleDefinition {
  return {
    name,
    kinds: ['Node'],
    relevant: (r, ctx) => applies(factsOf(r, ctx)),
    evaluate: (r, ctx) => evaluate(factsOf(r, ctx)),
  };
}

// ---- control-plane components ------------------------------------------------------------------

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** The kube-system Pod running `component` (static pod manifest or its mirror pod). */
export function isComponentPod(obj: KubeObject, component: Component): boolean {
  if (obj.kind !== 'Pod' || obj.metadata.namespace !== 'kube-system') return false;
  const cmd = podCommand(obj)[0];
  return cmd !== undefined && basename(cmd) === BINARY[component];
}

function podCommand(obj: KubeObject): readonly string[] {
  return strings(get(arr(get(obj, 'spec', 'containers'))[0], 'command'));
}

export function componentOf(f: HostFacts, component: Component) {
  const cp = section('controlPlane', f.controlPlane);
  return cp?.[component] ?? null;
}

/** argv of a component on a Node (host facts) or in its static pod, with the matching path builder. */
export function componentArgs(r: ScanResource, ctx: EvalContext, component: Component): Args | undefined {
  if (r.matchKind === 'Pod') {
    const argv = podCommand(r.object);
    return { argv, path: (i) => `spec.containers[0].command[${i}]` };
  }
  const c = componentOf(factsOf(r, ctx), component);
  if (!c || c.cmdLine.length === 0) return undefined;
  return { argv: c.cmdLine, path: (i) => `controlPlane.${component}.cmdLine[${i}]` };
}

/** A rule checking a control-plane component's flags, on Nodes (facts) and on its static Pod. */
export function componentFlagRule(
  name: string,
  component: Component,
  check: (args: Args, r: ScanResource, ctx: EvalContext) => Finding[],
): RuleDefinition {
  return {
    name,
    kinds: ['Node', 'Pod'],
    relevant: (r, ctx) =>
      r.matchKind === 'Pod'
        ? isComponentPod(r.object, component)
        : componentArgs(r, ctx, component) !== undefined,
    evaluate: (r, ctx) => {
      const args = componentArgs(r, ctx, component);
      return args ? check(args, r, ctx) : [];
    },
  };
}

/** A control made of one component flag check. */
export function componentFlagControl(id: string, component: Component, check: FlagCheck): ControlDefinition {
  return defineHostControl({
    id,
    category: 'Control plane',
    scope: 'control-plane',
    rules: [componentFlagRule(ruleNameOf(id), component, (args) => check(args))],
  });
}

// ---- files -------------------------------------------------------------------------------------

/** A host file fact with its path in the facts document. */
export interface FileAt {
  fact: FileInfoFact | undefined;
  path: string;
}

const octal = (n: number): string => n.toString(8).padStart(4, '0');

/** Mode bits beyond `max` (600, 644, 700 ...) make the file fail; the fix is the mode without them. */
export function permissionFindings(files: readonly FileAt[], max: number): Finding[] {
  const out: Finding[] = [];
  for (const { fact, path } of files) {
    if (!fact?.exists || fact.permissions === undefined) continue;
    if ((fact.permissions & ~max & 0o777) === 0) continue;
    out.push({
      failedPaths: [`${path}.permissions`],
      fixPaths: [{ path: `${path}.permissions`, value: octal(fact.permissions & max) }],
    });
  }
  return out;
}

function ownerName(id: number, name: string | undefined): string {
  return name ?? (id === 0 ? 'root' : String(id));
}

/** Files not owned by `user:group` fail; the fix path's value is the owner to set. */
export function ownershipFindings(files: readonly FileAt[], user = 'root', group = 'root'): Finding[] {
  const out: Finding[] = [];
  for (const { fact, path } of files) {
    const o = fact?.exists ? fact.ownership : undefined;
    if (!o) continue;
    if (ownerName(o.uid, o.username) === user && ownerName(o.gid, o.groupname) === group) continue;
    out.push({
      failedPaths: [`${path}.ownership`],
      fixPaths: [{ path: `${path}.ownership`, value: `${user}:${group}` }],
    });
  }
  return out;
}

export type FilesOf = (f: HostFacts) => FileAt[] | null;

export function filePermissionControl(
  id: string,
  scope: HostScope,
  files: FilesOf,
  max: number,
  category: Category = 'Control plane',
): ControlDefinition {
  return defineHostControl({
    id,
    category,
    scope,
    rules: [
      nodeRule(
        ruleNameOf(id),
        (f) => files(f) !== null,
        (f) => permissionFindings(files(f) ?? [], max),
      ),
    ],
  });
}

export function fileOwnershipControl(
  id: string,
  scope: HostScope,
  files: FilesOf,
  owner: [string, string] = ['root', 'root'],
  category: Category = 'Control plane',
): ControlDefinition {
  return defineHostControl({
    id,
    category,
    scope,
    rules: [
      nodeRule(
        ruleNameOf(id),
        (f) => files(f) !== null,
        (f) => ownershipFindings(files(f) ?? [], ...owner),
      ),
    ],
  });
}

/** The static pod manifest of a component (null when the node does not run it). */
export const manifestOf =
  (component: Component): FilesOf =>
  (f) => {
    const c = componentOf(f, component);
    return c ? [{ fact: c.specsFile, path: `controlPlane.${component}.specsFile` }] : null;
  };

/** A file a component names with a flag (its kubeconfig, say). */
export const componentFileOf =
  (component: Component, flag: string): FilesOf =>
  (f) => {
    const c = componentOf(f, component);
    return c ? [{ fact: c.files[flag], path: `controlPlane.${component}.files[${flag}]` }] : null;
  };

// ---- kubelet -----------------------------------------------------------------------------------

export function kubeletOf(f: HostFacts) {
  return section('kubelet', f.kubelet);
}

export const KUBELET_CMD = 'kubelet.process.cmdLine';
export const KUBELET_CONFIG = 'kubelet.configFile.content';

/** A kubelet file: null (not in the population) when the node runs no kubelet. */
export const kubeletFile =
  (pick: (k: NonNullable<ReturnType<typeof kubeletOf>>) => FileInfoFact | undefined, path: string): FilesOf =>
  (f) => {
    const k = kubeletOf(f);
    return k ? [{ fact: pick(k), path }] : null;
  };

export interface KubeletSetting {
  flag: string;
  /** Key path in the KubeletConfiguration file. */
  config: readonly string[];
  /** True when the (string) value is non-compliant. */
  bad(value: string): boolean;
  /** Compliant value for the flag and for the config file. */
  fixValue: string;
  /** Non-compliant when neither flag nor config sets it (the kubelet default); may depend on whether a config file is in use. */
  unsetBad: boolean | ((usesConfig: boolean) => boolean);
}

/**
 * The kubelet precedence: a command-line flag overrides the config file, which overrides the
 * default. Kubescape's kubelet rules look at the command line first, then the config file.
 */
export function kubeletSettingFindings(f: HostFacts, s: KubeletSetting): Finding[] {
  const k = kubeletOf(f);
  if (!k) return [];
  const argv = k.process.cmdLine;
  const hit = findFlag(argv, s.flag);
  if (hit) {
    if (!s.bad(hit.value)) return [];
    const p = `${KUBELET_CMD}[${hit.index}]`;
    return [{ failedPaths: [p], fixPaths: [{ path: p, value: `--${s.flag}=${s.fixValue}` }] }];
  }
  const content = k.configFile?.content;
  const usesConfig = typeof content === 'object' && content !== null;
  const configPath = `${KUBELET_CONFIG}.${s.config.join('.')}`;
  if (usesConfig) {
    const v = get(content, ...s.config);
    if (v !== undefined && v !== null) {
      return s.bad(String(v))
        ? [{ failedPaths: [configPath], fixPaths: [{ path: configPath, value: s.fixValue }] }]
        : [];
    }
  }
  const unsetBad = typeof s.unsetBad === 'function' ? s.unsetBad(usesConfig) : s.unsetBad;
  if (!unsetBad) return [];
  return [
    usesConfig
      ? fix(configPath, s.fixValue)
      : fix(`${KUBELET_CMD}[${argv.length}]`, `--${s.flag}=${s.fixValue}`),
  ];
}

/** A control made of one kubelet setting. */
export function kubeletSettingControl(id: string, s: KubeletSetting): ControlDefinition {
  return defineHostControl({
    id,
    category: 'Control plane',
    scope: 'node',
    rules: [
      nodeRule(
        ruleNameOf(id),
        (f) => kubeletOf(f) !== null,
        (f) => kubeletSettingFindings(f, s),
      ),
    ],
  });
}

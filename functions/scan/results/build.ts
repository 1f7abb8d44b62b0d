/**
 * From the engine's report to the stored result objects (pure): one WorkloadConfigurationScan and
 * one WorkloadConfigurationScanSummary per scanned resource, with Kubescape's names, namespaces,
 * labels and annotations (reference/storage-api.md §1.5, §1.6, §3).
 *
 * - Resources: name `workloadScanName(kind, name)`, in the resource's namespace; cluster-scoped
 *   resources in the operator namespace.
 * - RBAC: the engine merges one subject's (binding, role) pairs into one vector (its paths say
 *   `relatedObjects[2k]` = binding k, `[2k+1]` = role k). Kubescape stores one result per
 *   (subject, role, binding) triplet, so each pair is projected into its own result: a rule fails on
 *   a triplet when one of its paths points into that pair (or when it points into no pair at all);
 *   paths are re-indexed to `relatedObjects[0]` (binding) / `[1]` (role), as Kubescape's own
 *   one-binding vectors have them. Triplets go to the operator namespace, named by `rbacScanName`.
 *   Kubescape's triplet names carry no namespaces, so two ServiceAccounts of the same name bound by
 *   the same ClusterRoleBinding share a name: their results are merged (worst status per control).
 * - Nothing time-dependent goes into the objects: the same report gives the same objects.
 */
import {
  ANNOTATIONS,
  API_VERSION,
  KINDS,
  LABELS,
  labelValue,
  rbacScanName,
  wlid,
  workloadScanName,
  type ScannedControl,
  type WorkloadConfigurationScan,
  type WorkloadConfigurationScanSummary,
} from '../../../lib/api/index.js';
import { implementedControl } from '../controls/index.js';
import { worse } from '../engine/control.js';
import { ClusterIndex, subjectId } from '../engine/cluster-index.js';
import { splitApiVersion } from '../engine/objects.js';
import type { KubeObject, Status, SubjectVector } from '../engine/types.js';
import { catalogEntry } from '../controls/catalog.js';
import type { ReportPath, ReportResourceControl, ReportResult, ReportRule, ScanReport } from '../report.js';

export interface BuildOptions {
  /** Operator namespace: cluster-scoped resources and RBAC triplets. */
  operatorNamespace: string;
  clusterName: string;
  /** Written to the `kubescape.io/scan-id` annotation; must be stable across redeliveries. */
  scanId: string;
}

export interface ResultEntry {
  namespace: string;
  name: string;
  scan: WorkloadConfigurationScan;
  summary: WorkloadConfigurationScanSummary;
  /** Worst control status. */
  status: Status;
  /** Passed only thanks to exceptions on some control. */
  excepted: boolean;
  /** Object keys (`objectKey`) this result is about: the resource, or subject+binding+role. */
  refs: string[];
}

/** Version-independent identity of an object: group|namespace|kind|name. */
export function objectKey(
  apiVersion: string,
  namespace: string | undefined,
  kind: string,
  name: string,
): string {
  return `${splitApiVersion(apiVersion).group}|${namespace ?? ''}|${kind}|${name}`;
}

export const keyOf = (o: KubeObject): string =>
  objectKey(o.apiVersion, o.metadata.namespace, o.kind, o.metadata.name);

export function parseResourceId(id: string): {
  group: string;
  version: string;
  namespace: string;
  kind: string;
  name: string;
} {
  const [group = '', version = '', namespace = '', kind = '', ...rest] = id.split('/');
  return { group, version, namespace, kind, name: rest.join('/') };
}

const SEVERITY_KEYS: Record<string, 'critical' | 'high' | 'medium' | 'low'> = {
  Critical: 'critical',
  High: 'high',
  Medium: 'medium',
  Low: 'low',
};

type StoredPath = Record<string, string>;

function storedPath(p: ReportPath): StoredPath {
  if ('fixPath' in p) return { fixPath: p.fixPath, fixPathValue: p.value };
  if ('failedPath' in p) return { failedPath: p.failedPath };
  if ('reviewPath' in p) return { reviewPath: p.reviewPath };
  return { deletePath: p.deletePath };
}

function pathString(p: ReportPath): string {
  if ('fixPath' in p) return p.fixPath;
  if ('failedPath' in p) return p.failedPath;
  if ('reviewPath' in p) return p.reviewPath;
  return p.deletePath;
}

function storedRule(
  r: ReportRule,
  paths: readonly ReportPath[] = r.paths,
): NonNullable<ScannedControl['rules']>[number] {
  const out: NonNullable<ScannedControl['rules']>[number] = {
    name: r.name,
    status: r.subStatus ? { status: r.status, subStatus: r.subStatus } : { status: r.status },
    paths: paths.map(storedPath),
  };
  if (r.controlConfigurations && Object.keys(r.controlConfigurations).length > 0) {
    out.controlConfigurations = Object.fromEntries(
      Object.entries(r.controlConfigurations).map(([k, v]) => [k, [...v]]),
    );
  }
  if (r.exception?.length) out.appliedIgnoreRules = r.exception.map((e) => e.name ?? '').filter(Boolean);
  if (r.relatedResourcesIDs?.length) out.relatedResourcesIDs = [...r.relatedResourcesIDs];
  return out;
}

function storedControl(
  c: ReportResourceControl,
  scoreFactor: number,
  rules: ReturnType<typeof storedRule>[],
  status: { status: Status; subStatus: string; info?: string },
): ScannedControl {
  return {
    controlID: c.controlID,
    name: c.name,
    severity: { severity: c.severity, scoreFactor },
    status: {
      status: status.status,
      ...(status.subStatus ? { subStatus: status.subStatus } : {}),
      ...(status.info ? { info: status.info } : {}),
    },
    rules,
  };
}

/** Is this report entry the subject-vector part of a result (vs the object's own controls)? */
function isSubjectControl(controlID: string, objectKind: string): boolean {
  const def = implementedControl(controlID);
  return !!def && def.kinds.includes('Subject') && !def.kinds.includes(objectKind);
}

const PAIR_RE = /relatedObjects\[(\d+)\]/;

/** The control of a subject restricted to (binding, role) pair k, paths re-indexed to [0]/[1]. */
function projectPair(
  c: ReportResourceControl,
  k: number,
): { rules: ReturnType<typeof storedRule>[]; status: Status } {
  let status: Status = 'passed';
  const rules = c.rules.map((r) => {
    if (r.status !== 'failed') {
      status = worse(status, r.status);
      return storedRule(r);
    }
    const own: ReportPath[] = [];
    let otherPairs = false;
    for (const p of r.paths) {
      const m = PAIR_RE.exec(pathString(p));
      if (!m) {
        own.push(p);
        continue;
      }
      const idx = Number(m[1]);
      if (Math.floor(idx / 2) !== k) {
        otherPairs = true;
        continue;
      }
      const re = (s: string) => s.replace(PAIR_RE, `relatedObjects[${idx % 2}]`);
      if ('fixPath' in p) own.push({ fixPath: re(p.fixPath), value: p.value });
      else if ('failedPath' in p) own.push({ failedPath: re(p.failedPath) });
      else if ('reviewPath' in p) own.push({ reviewPath: re(p.reviewPath) });
      else own.push({ deletePath: re(p.deletePath) });
    }
    const failsHere = own.length > 0 || !otherPairs;
    if (!failsHere) return storedRule({ name: r.name, status: 'passed', paths: [] });
    status = 'failed';
    return storedRule(r, own);
  });
  return { rules, status };
}

function summaryOf(scan: WorkloadConfigurationScan): WorkloadConfigurationScanSummary {
  const severities = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  const controls: WorkloadConfigurationScanSummary['spec']['controls'] = {};
  for (const id of Object.keys(scan.spec.controls).sort()) {
    const c = scan.spec.controls[id] as ScannedControl;
    controls[id] = {
      controlID: id,
      ...(c.severity ? { severity: c.severity } : {}),
      ...(c.status ? { status: c.status } : {}),
    };
    if (c.status?.status === 'failed') severities[SEVERITY_KEYS[c.severity?.severity ?? ''] ?? 'unknown']++;
  }
  return {
    apiVersion: API_VERSION,
    kind: KINDS.WorkloadConfigurationScanSummary,
    metadata: structuredClone(scan.metadata),
    spec: { severities, controls },
  };
}

function setLabel(labels: Record<string, string>, key: string, raw: string | undefined): void {
  if (!raw) return;
  const v = labelValue(raw);
  if (v !== undefined) labels[key] = v;
}

function sortControls(controls: Record<string, ScannedControl>): Record<string, ScannedControl> {
  return Object.fromEntries(
    Object.keys(controls)
      .sort()
      .map((k) => [k, controls[k] as ScannedControl]),
  );
}

function entryStatus(controls: Record<string, ScannedControl>): { status: Status; excepted: boolean } {
  let status: Status = 'passed';
  let excepted = false;
  for (const c of Object.values(controls)) {
    const s = (c.status?.status ?? 'passed') as Status;
    status = worse(status, s);
    if (c.status?.subStatus === 'w/exceptions') excepted = true;
  }
  return { status, excepted: excepted && status === 'passed' };
}

interface Triplet {
  subject: SubjectVector;
  binding: KubeObject;
  role: KubeObject;
  k: number;
}

const relatedObject = (o: {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}) => {
  const { group, version } = splitApiVersion(o.apiVersion);
  return {
    ...(o.namespace ? { namespace: o.namespace } : {}),
    apiGroup: group,
    apiVersion: version,
    kind: o.kind,
    name: o.name,
  };
};

/** Build every result object of a report. `objects` are the scanned objects (for subject vectors and kinds). */
export function buildResults(
  report: ScanReport,
  objects: readonly KubeObject[],
  opts: BuildOptions,
): ResultEntry[] {
  const builder = resultBuilder(objects, opts);
  for (const result of report.results) builder.add(result);
  return builder.entries();
}

export interface ResultBuilder {
  /** Turn one report result into its stored objects (RBAC subjects: one per triplet). */
  add(result: ReportResult): void;
  /** Every entry so far, sorted by namespace and name. */
  entries(): ResultEntry[];
}

/**
 * Incremental buildResults: fed from `scanResources({ onResult })`, so that a scan holds the
 * stored objects it is going to write, not those and the whole engine report besides.
 */
export function resultBuilder(objects: readonly KubeObject[], opts: BuildOptions): ResultBuilder {
  const index = new ClusterIndex(objects);
  const subjects = new Map<string, SubjectVector>();
  for (const s of index.subjects()) subjects.set(subjectId(s), s);
  // The report's scoreFactor is the control's base score (report.ts): no need for the summary.
  const scoreFactor = (id: string): number =>
    implementedControl(id)?.baseScore ?? catalogEntry(id)?.baseScore ?? 0;
  const byName = new Map<string, ResultEntry>();

  const put = (
    namespace: string,
    name: string,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    controls: Record<string, ScannedControl>,
    refs: string[],
    relatedObjects?: ReturnType<typeof relatedObject>[],
  ) => {
    const key = `${namespace}/${name}`;
    const prev = byName.get(key);
    if (prev) {
      // Kubescape-name collision (triplets without namespaces): merge, worst status wins.
      const merged = { ...prev.scan.spec.controls };
      for (const [id, c] of Object.entries(controls)) {
        const p = merged[id];
        if (
          !p ||
          worse((p.status?.status ?? 'passed') as Status, (c.status?.status ?? 'passed') as Status) !==
            p.status?.status
        )
          merged[id] = c;
      }
      controls = merged;
      refs = [...new Set([...prev.refs, ...refs])].sort();
      const rel = [...(prev.scan.spec.relatedObjects ?? []), ...(relatedObjects ?? [])];
      const seen = new Set<string>();
      relatedObjects = rel.filter((r) => {
        const k = JSON.stringify(r);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      }) as ReturnType<typeof relatedObject>[];
    }
    const scan: WorkloadConfigurationScan = {
      apiVersion: API_VERSION,
      kind: KINDS.WorkloadConfigurationScan,
      metadata: { name, namespace, labels, annotations },
      spec: { controls: sortControls(controls), ...(relatedObjects ? { relatedObjects } : {}) },
    };
    const { status, excepted } = entryStatus(scan.spec.controls);
    byName.set(key, { namespace, name, scan, summary: summaryOf(scan), status, excepted, refs });
  };

  const add = (result: ReportResult): void => {
    const id = parseResourceId(result.resourceID);
    const apiVersion = id.group ? `${id.group}/${id.version}` : id.version;
    const own: Record<string, ScannedControl> = {};
    const subjectControls: ReportResourceControl[] = [];
    for (const c of result.controls) {
      if (isSubjectControl(c.controlID, id.kind) && subjects.has(result.resourceID)) subjectControls.push(c);
      else
        own[c.controlID] = storedControl(
          c,
          scoreFactor(c.controlID),
          c.rules.map((r) => storedRule(r)),
          c.status,
        );
    }
    const object = index.find(id.kind, id.namespace || undefined, id.name);
    if (Object.keys(own).length > 0 && (object || !subjects.has(result.resourceID))) {
      const labels: Record<string, string> = {};
      setLabel(labels, LABELS.workloadApiGroup, id.group);
      setLabel(labels, LABELS.workloadApiVersion, id.version);
      setLabel(labels, LABELS.workloadKind, id.kind);
      setLabel(labels, LABELS.workloadName, id.name);
      setLabel(labels, LABELS.workloadNamespace, id.namespace);
      const annotations = {
        [ANNOTATIONS.wlid]: wlid(opts.clusterName, id.namespace, id.kind, id.name),
        [ANNOTATIONS.scanId]: opts.scanId,
      };
      put(
        id.namespace || opts.operatorNamespace,
        workloadScanName(id.kind, id.name),
        labels,
        annotations,
        own,
        [objectKey(apiVersion, id.namespace || undefined, id.kind, id.name)],
      );
    }
    const subject = subjects.get(result.resourceID);
    if (subject && subjectControls.length > 0) {
      const triplets: Triplet[] = [];
      for (let j = 0; j + 1 < subject.relatedObjects.length; j += 2) {
        triplets.push({
          subject,
          binding: subject.relatedObjects[j] as KubeObject,
          role: subject.relatedObjects[j + 1] as KubeObject,
          k: j / 2,
        });
      }
      for (const t of triplets) {
        const controls: Record<string, ScannedControl> = {};
        for (const c of subjectControls) {
          const { rules, status } = projectPair(c, t.k);
          controls[c.controlID] = storedControl(
            c,
            scoreFactor(c.controlID),
            rules,
            status === c.status.status ? c.status : { status, subStatus: '' },
          );
        }
        const labels: Record<string, string> = { [LABELS.rbacResource]: 'true' };
        setLabel(
          labels,
          LABELS.workloadApiGroup,
          t.subject.kind === 'ServiceAccount' ? '' : 'rbac.authorization.k8s.io',
        );
        setLabel(labels, LABELS.workloadApiVersion, 'v1');
        setLabel(labels, LABELS.workloadKind, t.subject.kind);
        setLabel(labels, LABELS.workloadName, t.subject.name);
        setLabel(labels, LABELS.workloadNamespace, t.subject.namespace);
        if (t.role.kind === 'Role') {
          setLabel(labels, LABELS.roleName, t.role.metadata.name);
          setLabel(labels, LABELS.roleNamespace, t.role.metadata.namespace);
        } else setLabel(labels, LABELS.clusterRoleName, t.role.metadata.name);
        if (t.binding.kind === 'RoleBinding') {
          setLabel(labels, LABELS.roleBindingName, t.binding.metadata.name);
          setLabel(labels, LABELS.roleBindingNamespace, t.binding.metadata.namespace);
        } else setLabel(labels, LABELS.clusterRoleBindingName, t.binding.metadata.name);
        const name = rbacScanName({
          subjectKind: t.subject.kind,
          subjectName: t.subject.name,
          roleKind: t.role.kind,
          roleName: t.role.metadata.name,
          bindingKind: t.binding.kind,
          bindingName: t.binding.metadata.name,
        });
        const subjectApiVersion = t.subject.kind === 'ServiceAccount' ? 'v1' : 'rbac.authorization.k8s.io/v1';
        put(
          opts.operatorNamespace,
          name,
          labels,
          { [ANNOTATIONS.scanId]: opts.scanId },
          controls,
          [
            objectKey(subjectApiVersion, t.subject.namespace, t.subject.kind, t.subject.name),
            keyOf(t.binding),
            keyOf(t.role),
          ].sort(),
          [
            relatedObject({
              apiVersion: subjectApiVersion,
              kind: t.subject.kind,
              name: t.subject.name,
              namespace: t.subject.namespace,
            }),
            relatedObject({
              apiVersion: t.role.apiVersion,
              kind: t.role.kind,
              name: t.role.metadata.name,
              namespace: t.role.metadata.namespace,
            }),
            relatedObject({
              apiVersion: t.binding.apiVersion,
              kind: t.binding.kind,
              name: t.binding.metadata.name,
              namespace: t.binding.metadata.namespace,
            }),
          ],
        );
      }
    }
  };
  const entries = (): ResultEntry[] =>
    [...byName.values()].sort((a, b) =>
      a.namespace === b.namespace
        ? a.name < b.name
          ? -1
          : a.name > b.name
            ? 1
            : 0
        : a.namespace < b.namespace
          ? -1
          : 1,
    );
  return { add, entries };
}

/** Where the result of an object lives (for garbage collection: the results of existing objects). */
export function resultLocation(o: KubeObject, operatorNamespace: string): string {
  return `${o.metadata.namespace || operatorNamespace}/${workloadScanName(o.kind, o.metadata.name)}`;
}

/** Locations of every RBAC triplet result the objects give (whatever the controls said). */
export function tripletLocations(objects: readonly KubeObject[], operatorNamespace: string): Set<string> {
  const out = new Set<string>();
  for (const s of new ClusterIndex(objects).subjects()) {
    for (let j = 0; j + 1 < s.relatedObjects.length; j += 2) {
      const b = s.relatedObjects[j] as KubeObject;
      const r = s.relatedObjects[j + 1] as KubeObject;
      out.add(
        `${operatorNamespace}/${rbacScanName({ subjectKind: s.kind, subjectName: s.name, roleKind: r.kind, roleName: r.metadata.name, bindingKind: b.kind, bindingName: b.metadata.name })}`,
      );
    }
  }
  return out;
}

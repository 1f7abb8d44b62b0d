/**
 * `scanResources(objects, options)`: the pure posture scan. Indexes the related objects once,
 * evaluates each resource against the selected controls (one pass, controls grouped by the kinds
 * they match), applies exceptions, and builds Kubescape's `json` report: `summaryDetails`
 * (frameworks and controls with scores and counts) and `results[]` (one per resource).
 *
 * Status semantics follow opa-utils (shared/reference/controls.md §3 "Statuses"): failed > skipped
 * > passed when combining rules or resources; a control with no resources passes with subStatus
 * `irrelevant`; controls not implemented by this engine are reported skipped/`notEvaluated` with
 * info "not implemented", never dropped.
 */
import { catalogEntry } from './controls/catalog.js';
import { CONTROLS, implementedControl } from './controls/index.js';
import { batchEvaluator, severityOf, worse, type BatchEvaluate } from './engine/control.js';
import { ClusterIndex, INDEX_SHAPE } from './engine/cluster-index.js';
import { DEFAULT_CONTROL_INPUTS, type ControlInputs } from './engine/inputs.js';
import { isKubeObject } from './engine/objects.js';
import type {
  ControlDefinition,
  EvalContext,
  FixPath,
  KubeObject,
  RuleResult,
  ScanResource,
  Severity,
  Status,
  SubStatus,
} from './engine/types.js';
import { ExceptionMatcher, type PostureExceptionPolicy } from './exceptions.js';
import { FRAMEWORKS, frameworksOfControl, getFramework } from './frameworks.js';
import {
  controlComplianceScore,
  controlRiskScore,
  frameworkComplianceScore,
  frameworkRiskScore,
  resourceWeight,
  type ControlTally,
} from './scores.js';

// ---- report types ------------------------------------------------------------------------------

/** One entry of `rules[].paths`: exactly one of the path keys is set (fixPath comes with its value). */
export type ReportPath =
  | { failedPath: string }
  | { reviewPath: string }
  | { deletePath: string }
  | { fixPath: string; value: string };

export interface ReportRule {
  name: string;
  status: Status;
  subStatus?: SubStatus;
  paths: ReportPath[];
  exception?: PostureExceptionPolicy[];
  controlConfigurations?: Readonly<Record<string, readonly string[]>>;
  relatedResourcesIDs?: readonly string[];
  info?: string;
}

export interface ReportControlStatus {
  status: Status;
  subStatus: SubStatus;
  info?: string;
}

export interface ReportResourceControl {
  controlID: string;
  name: string;
  severity: Severity;
  status: ReportControlStatus;
  rules: ReportRule[];
}

export interface ReportResult {
  resourceID: string;
  controls: ReportResourceControl[];
}

export interface ResourceCounters {
  passedResources: number;
  failedResources: number;
  skippedResources: number;
  /** Passed because of an exception (also counted in passedResources). */
  excludedResources: number;
}

export interface SeverityCounters {
  criticalSeverity: number;
  highSeverity: number;
  mediumSeverity: number;
  lowSeverity: number;
}

export interface ControlSummary {
  controlID: string;
  name: string;
  severity: Severity;
  baseScore: number;
  scoreFactor: number;
  status: Status;
  subStatus: SubStatus;
  info?: string;
  /** Compliance score (%) of the control. */
  complianceScore: number;
  /** Risk score (%) of the control (legacy `score`). */
  score: number;
  category?: string;
  ResourceCounters: ResourceCounters;
}

export interface FrameworkSummary {
  name: string;
  status: Status;
  complianceScore: number;
  score: number;
  controls: string[];
  ResourceCounters: ResourceCounters;
}

export interface SummaryDetails {
  status: Status;
  complianceScore: number;
  score: number;
  frameworks: FrameworkSummary[];
  controls: Record<string, ControlSummary>;
  ResourceCounters: ResourceCounters;
  controlsSeverityCounters: SeverityCounters;
  resourcesSeverityCounters: SeverityCounters;
}

export interface ScanReport {
  generationTime: string;
  clusterName?: string;
  summaryDetails: SummaryDetails;
  results: ReportResult[];
  /** Objects not scanned because their owner is in the set (a Deployment's ReplicaSets and Pods). */
  skippedOwnedResources: number;
  /** Resources (objects and RBAC subjects) the controls were evaluated on. */
  evaluatedResources: number;
  /** Per-control evaluation time in ms (only with `profile: true`). */
  timings?: Record<string, number>;
}

export interface ScanOptions {
  /** Framework names (case-insensitive). */
  frameworks?: readonly string[];
  /** Control IDs (case-insensitive, `c-0017` works). */
  controls?: readonly string[];
  exceptions?: readonly PostureExceptionPolicy[];
  inputs?: ControlInputs;
  clusterName?: string;
  /** Reference instant for exception expiry and generationTime. */
  now?: Date;
  /** Measure evaluation time per control. */
  profile?: boolean;
  /** Include passed controls in results[] (default true, as Kubescape's json output). */
  includePassed?: boolean;
  /**
   * Evaluate only these resources (scoped scans); every object still serves as context (RBAC
   * graph, network policies, services...). Summaries then cover the evaluated resources only.
   */
  only?: (resource: ScanResource) => boolean;
  /**
   * Stream results instead of holding them: each resource's result is handed over once complete
   * and `report.results` stays empty, so memory does not grow with the cluster. Results come in
   * evaluation order, except ServiceAccounts, whose object result is merged with their RBAC
   * subject result and handed over at the end (so is every result when the input lists some
   * object twice, or User/Group objects: they are merged by ID as in the held report, which then
   * holds them all). `position` is the index the result has in the
   * held report's `results` (dense from 0), so a consumer can write the held report's exact order.
   */
  onResult?: (result: ReportResult, position: number) => void;
}

export class ScanSelectionError extends Error {
  override name = 'ScanSelectionError';
}

// ---- selection ---------------------------------------------------------------------------------

const ALL_CONTROL_IDS: ReadonlySet<string> = new Set(getFramework('AllControls').controlIDs);

export interface Selection {
  /** Every selected control ID, in framework order, deduplicated. */
  controlIDs: string[];
  /** Frameworks selected by name (empty when only controls were given). */
  frameworks: { name: string; controlIDs: readonly string[] }[];
}

/** Resolve frameworks/controls options; throws ScanSelectionError listing valid names. */
export function resolveSelection(opts: Pick<ScanOptions, 'frameworks' | 'controls'>): Selection {
  const ids: string[] = [];
  const seen = new Set<string>();
  const add = (id: string) => {
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  };
  const frameworks: Selection['frameworks'] = [];
  for (const name of opts.frameworks ?? []) {
    let fw;
    try {
      fw = getFramework(name);
    } catch (err) {
      throw new ScanSelectionError((err as Error).message);
    }
    frameworks.push({ name: fw.name, controlIDs: fw.controlIDs });
    fw.controlIDs.forEach(add);
  }
  const unknown: string[] = [];
  for (const raw of opts.controls ?? []) {
    const id = raw.trim().toUpperCase();
    if (ALL_CONTROL_IDS.has(id)) add(id);
    else unknown.push(raw);
  }
  if (unknown.length > 0) {
    throw new ScanSelectionError(
      `unknown control(s) ${unknown.map((u) => `"${u}"`).join(', ')}; valid controls are the AllControls IDs (C-0001…C-0308 except gaps); implemented: ${CONTROLS.map((c) => c.id).join(', ')}`,
    );
  }
  if (!opts.frameworks?.length && !opts.controls?.length) CONTROLS.forEach((c) => add(c.id));
  return { controlIDs: ids, frameworks };
}

// ---- scan --------------------------------------------------------------------------------------

/**
 * Path entries repeat massively across resources (`spec.template.spec.containers[0]...` on every
 * Deployment): intern them so a report holds each distinct entry once. Entries are frozen, and
 * the pool lives for one scan.
 */
const NO_PATHS: readonly string[] = Object.freeze([]);

const makeFailed = (failedPath: string): ReportPath => ({ failedPath });
const makeReview = (reviewPath: string): ReportPath => ({ reviewPath });
const makeDelete = (deletePath: string): ReportPath => ({ deletePath });

class PathPool {
  /**
   * @param pooled intern entries (a held report); a streamed report hands results over one at a
   * time, so interning would only cost a hash of every path string.
   */
  constructor(private readonly pooled: boolean) {}

  // One map per path kind (and per value for fix paths): no composite key string per lookup.
  private readonly failed = new Map<string, ReportPath>();
  private readonly review = new Map<string, ReportPath>();
  private readonly del = new Map<string, ReportPath>();
  private readonly fix = new Map<string, Map<string, ReportPath>>();

  private static entry(
    pool: Map<string, ReportPath>,
    key: string,
    make: (k: string) => ReportPath,
  ): ReportPath {
    let p = pool.get(key);
    if (!p) {
      p = Object.freeze(make(key));
      pool.set(key, p);
    }
    return p;
  }

  private fixEntry(path: string, value: string): ReportPath {
    let byValue = this.fix.get(path);
    if (!byValue) this.fix.set(path, (byValue = new Map()));
    let p = byValue.get(value);
    if (!p) {
      p = Object.freeze({ fixPath: path, value });
      byValue.set(value, p);
    }
    return p;
  }

  toPaths(r: RuleResult): ReportPath[] {
    // failedPaths is deprecated and duplicates review/delete paths in current rules: only emit
    // the ones that are not already reported in their modern form.
    // review()/remove() share one array for both: no filtering (nor allocation) then.
    const failed =
      r.failedPaths.length === 0 || r.failedPaths === r.reviewPaths || r.failedPaths === r.deletePaths
        ? NO_PATHS
        : r.failedPaths.filter((p) => !r.reviewPaths.includes(p) && !r.deletePaths.includes(p));
    // Exact size (see the rules array in scanResources).
    const out = new Array<ReportPath>(
      failed.length + r.reviewPaths.length + r.deletePaths.length + r.fixPaths.length,
    );
    let i = 0;
    // Indexed loops: for-of here allocated an iterator result per path (~4 MB per 10k scan).
    const { reviewPaths, deletePaths, fixPaths } = r;
    if (!this.pooled) {
      for (let j = 0; j < failed.length; j++) out[i++] = { failedPath: failed[j] as string };
      for (let j = 0; j < reviewPaths.length; j++) out[i++] = { reviewPath: reviewPaths[j] as string };
      for (let j = 0; j < deletePaths.length; j++) out[i++] = { deletePath: deletePaths[j] as string };
      for (let j = 0; j < fixPaths.length; j++) {
        const f = fixPaths[j] as FixPath;
        out[i++] = { fixPath: f.path, value: f.value };
      }
      return out;
    }
    for (let j = 0; j < failed.length; j++)
      out[i++] = PathPool.entry(this.failed, failed[j] as string, makeFailed);
    for (let j = 0; j < reviewPaths.length; j++)
      out[i++] = PathPool.entry(this.review, reviewPaths[j] as string, makeReview);
    for (let j = 0; j < deletePaths.length; j++)
      out[i++] = PathPool.entry(this.del, deletePaths[j] as string, makeDelete);
    for (let j = 0; j < fixPaths.length; j++) {
      const f = fixPaths[j] as FixPath;
      out[i++] = this.fixEntry(f.path, f.value);
    }
    return out;
  }
}

const STATUS_FAILED: ReportControlStatus = Object.freeze({ status: 'failed', subStatus: '' });
const STATUS_PASSED: ReportControlStatus = Object.freeze({ status: 'passed', subStatus: '' });
const STATUS_EXCEPTED: ReportControlStatus = Object.freeze({ status: 'passed', subStatus: 'w/exceptions' });

function controlStatus(status: Status, subStatus: SubStatus, info: string | undefined): ReportControlStatus {
  if (status === 'failed') return STATUS_FAILED;
  if (status === 'passed') return subStatus === 'w/exceptions' ? STATUS_EXCEPTED : STATUS_PASSED;
  return info ? { status, subStatus, info } : { status, subStatus };
}

function emptyCounters(): ResourceCounters {
  return { passedResources: 0, failedResources: 0, skippedResources: 0, excludedResources: 0 };
}

function emptySeverity(): SeverityCounters {
  return { criticalSeverity: 0, highSeverity: 0, mediumSeverity: 0, lowSeverity: 0 };
}

function bumpSeverity(c: SeverityCounters, s: Severity): void {
  if (s === 'Critical') c.criticalSeverity++;
  else if (s === 'High') c.highSeverity++;
  else if (s === 'Medium') c.mediumSeverity++;
  else if (s === 'Low') c.lowSeverity++;
}

/**
 * Resources evaluated control by control at a time (see evaluateBlock). 128 rather than 256: the
 * per-block entry table (block × widest kind list) then stays in cache, and fewer of the block's
 * views and container lists are alive (copied) when a scavenge hits — ~5-10% less scan CPU in
 * same-process A/B runs; 64 measured the same as 128.
 */
const EVALUATION_BLOCK = 128;

/** A report entry shared by every resource whose control evaluated to the same result list. */
interface SharedControl {
  status: Status;
  subStatus: SubStatus;
  entry: ReportResourceControl | undefined;
}

function freezeEntry(entry: ReportResourceControl): ReportResourceControl {
  for (const r of entry.rules) {
    Object.freeze(r.paths);
    Object.freeze(r);
  }
  Object.freeze(entry.rules);
  Object.freeze(entry.status);
  return Object.freeze(entry);
}

/** A manual control (rule-manual): no resource kinds, actionRequired "manual review". */
const isManual = (def: ControlDefinition): boolean =>
  def.actionRequired === 'manual review' && def.kinds.length === 0;

interface ControlState {
  id: string;
  def: ControlDefinition | undefined;
  tally: ControlTally;
  /** Frameworks used for exception frameworkName matching. */
  frameworks: readonly string[];
  missingConfig: boolean;
  /** Sub-status of the first skipped resource (integration for host controls without node-agent facts). */
  skippedSubStatus: SubStatus | undefined;
  timeMs: number;
  /**
   * The last shared result list seen for this control and its entry: consecutive resources mostly
   * have the same list (passed), which then costs no `sharedEntries` lookup.
   */
  lastRules: readonly RuleResult[] | undefined;
  lastShared: SharedControl | undefined;
  /** The one before (a control's results often alternate between two lists: passed and one failure). */
  /** `def`'s batch evaluation, when it has one (engine/control.ts `batchEvaluator`). */
  batch: BatchEvaluate | undefined;
  prevRules: readonly RuleResult[] | undefined;
  prevShared: SharedControl | undefined;
  /**
   * The control's shared entries by result list (lists belong to one control). One small map per
   * control rather than one for the scan: the lookup runs per (resource, control) whose list is
   * neither of the last two, and a map of one control's lists stays in cache while the block is
   * evaluated control by control.
   */
  sharedEntries: Map<readonly RuleResult[], SharedControl>;
}

/**
 * The evaluation and report step of one scan: blocks of resources evaluated control by control,
 * each result list turned into its report entry and tallied, then each resource's result handed
 * over or held.
 *
 * A module-level class rather than closures inside `scanResources`: closures are new functions on
 * every scan, and V8 recompiled them (the hottest, most inlined code of the scan) on every scan of
 * a process — ~50 optimizing compilations per 10k-workload scan on a background thread, which the
 * scan's CPU time pays for. Methods of one class keep their optimized code (with SHAPES keeping
 * the instance's hidden class alive between scans).
 */
class BlockScan {
  readonly results: ReportResult[] = [];
  /** Held-report index of each entry of `results` (streamed results take positions as they go). */
  readonly positions: number[] = [];
  nextPosition = 0;
  /** Results by resource ID, for IDs that may recur (see `mayRecur`). */
  readonly resultById = new Map<string, ReportResult>();
  readonly resourcesSeverityCounters: SeverityCounters = emptySeverity();
  /** Worst status by resource ID, for IDs that may recur (see `mayRecur`). */
  readonly resourceStatus = new Map<string, Status>();
  /** Worst status of resources whose ID occurs once (no map entry: counted directly). */
  readonly uniqueCounters: ResourceCounters = emptyCounters();
  /**
   * Resource IDs are unique except a ServiceAccount's object and RBAC subject, unless the index
   * says otherwise (`idsMayRecur`). Only IDs that may recur go through the (large, string-keyed)
   * maps.
   */
  private readonly anyIdMayRecur: boolean;
  private readonly pathPool: PathPool;

  // Frozen result lists are shared by every resource they describe (defineControl interns passed,
  // skipped and failed lists alike): so is the report entry built for one, with its status. A list
  // with a failed rule is only shared while there are no exceptions, which depend on the resource.
  private readonly passedRuleCache = new Map<RuleResult, ReportRule>();

  /**
   * Resources are evaluated in blocks, control by control within a block (then reported resource by
   * resource, in the same order as before): one control's code runs over many resources in a row,
   * which keeps its call sites monomorphic and its data in cache — about a third less evaluation
   * time than running ~100 different controls per resource — while a streamed scan still holds at
   * most one block of results.
   */
  private readonly evaluatedStates: ControlState[];
  /** Per match kind: position of each evaluated state in the kind's list (-1: not applicable). */
  private readonly positionsByKind = new Map<string, Int32Array>();
  /** Widest kind list: the stride of the per-block entry table. */
  private readonly stride: number;
  // Per-block scratch, reused block after block (no arrays per resource or per block):
  /** Report entry of resource b for the control at position p of its kind list: `[b * stride + p]`. */
  private readonly entries: (ReportResourceControl | undefined)[];
  /** Worst status of resource b over the controls that considered it (undefined: none did). */
  private readonly overallOf = new Array<Status | undefined>(EVALUATION_BLOCK).fill(undefined);
  private readonly weightOf = new Float64Array(EVALUATION_BLOCK);
  /** One control's result lists over the block (kept apart from the tallying so `profile` times evaluation only). */
  private readonly rulesOf = new Array<RuleResult[] | undefined>(EVALUATION_BLOCK).fill(undefined);

  // The block's resources grouped by match kind (a block holds a few kinds): each control then
  // visits only the groups it applies to, with one position lookup per group, not per resource.
  private readonly groupKinds: string[] = [];
  private readonly groupPositions: (Int32Array | undefined)[] = [];
  private readonly groupMembers: number[][] = [];
  private groupCount = 0;
  /** Group of each resource of the block. */
  private readonly groupOf = new Int32Array(EVALUATION_BLOCK);
  /** Per group: the position of the current control in the group kind's list (-1: not applicable). */
  private readonly positionInGroup = new Int32Array(EVALUATION_BLOCK);

  constructor(
    private readonly ctx: EvalContext,
    states: ReadonlyMap<string, ControlState>,
    private readonly byKind: ReadonlyMap<string, ControlState[]>,
    private readonly matcher: ExceptionMatcher,
    private readonly includePassed: boolean,
    private readonly profile: boolean,
    private readonly sink: ((result: ReportResult, position: number) => void) | undefined,
  ) {
    this.pathPool = new PathPool(sink === undefined);
    this.anyIdMayRecur = ctx.index.idsMayRecur;
    this.evaluatedStates = [...states.values()].filter((st) => st.def !== undefined);
    const stateIndex = new Map(this.evaluatedStates.map((st, i) => [st, i]));
    for (const [kind, list] of byKind) {
      const pos = new Int32Array(this.evaluatedStates.length).fill(-1);
      list.forEach((st, p) => (pos[stateIndex.get(st) as number] = p));
      this.positionsByKind.set(kind, pos);
    }
    let stride = 0;
    for (const list of byKind.values()) stride = Math.max(stride, list.length);
    this.stride = stride;
    this.entries = new Array<ReportResourceControl | undefined>(EVALUATION_BLOCK * stride).fill(undefined);
  }

  /** Count a (resource, control) result in the control's tally and the resource's status. */
  private tally(state: ControlState, b: number, status: Status, subStatus: SubStatus): void {
    const t = state.tally;
    const weight = this.weightOf[b] as number;
    t.allWeight += weight;
    if (status === 'failed') {
      t.failed++;
      t.failedWeight += weight;
      bumpSeverity(this.resourcesSeverityCounters, (state.def as ControlDefinition).severity);
    } else if (status === 'skipped') {
      t.skipped++;
      state.skippedSubStatus ??= subStatus;
    } else t.passed++;
    const overall = this.overallOf[b];
    this.overallOf[b] = overall === undefined ? status : worse(overall, status);
  }

  private groupBlock(block: readonly ScanResource[]): void {
    let groupCount = 0;
    const { groupKinds, groupMembers } = this;
    for (let b = 0; b < block.length; b++) {
      const r = block[b] as ScanResource;
      this.weightOf[b] = resourceWeight(r.object, r.subject !== undefined);
      this.overallOf[b] = undefined;
      let g = 0;
      while (g < groupCount && groupKinds[g] !== r.matchKind) g++;
      if (g === groupCount) {
        groupKinds[g] = r.matchKind;
        this.groupPositions[g] = this.positionsByKind.get(r.matchKind);
        if (groupMembers[g]) (groupMembers[g] as number[]).length = 0;
        else groupMembers[g] = [];
        groupCount++;
      }
      (groupMembers[g] as number[]).push(b);
      this.groupOf[b] = g;
    }
    this.groupCount = groupCount;
  }

  /** Evaluate and report the resources (those `only` accepts); returns how many were evaluated. */
  evaluateAll(resources: Iterable<ScanResource>, only: ((r: ScanResource) => boolean) | undefined): number {
    let evaluated = 0;
    let block: ScanResource[] = [];
    for (const resource of resources) {
      if (only && !only(resource)) continue;
      evaluated++;
      block.push(resource);
      if (block.length === EVALUATION_BLOCK) {
        this.evaluateBlock(block);
        block = [];
      }
    }
    this.evaluateBlock(block);
    return evaluated;
  }

  /**
   * Control by control over the block: evaluate, then turn each result list into its report entry
   * right away, while the control's state is hot — most lists are shared (passed, or a failure
   * seen on an earlier resource), which is an identity check and a few counter increments.
   */
  evaluateBlock(block: readonly ScanResource[]): void {
    this.groupBlock(block);
    const { ctx, rulesOf, entries, stride, groupPositions, groupMembers, positionInGroup, groupOf } = this;
    const groupCount = this.groupCount;
    const evaluatedStates = this.evaluatedStates;
    for (let si = 0; si < evaluatedStates.length; si++) {
      const state = evaluatedStates[si] as ControlState;
      const def = state.def as ControlDefinition;
      const batch = state.batch;
      const t0 = this.profile ? performance.now() : 0;
      for (let g = 0; g < groupCount; g++) {
        if (((groupPositions[g]?.[si] ?? -1) as number) < 0) continue;
        const members = groupMembers[g] as number[];
        if (batch) batch(block, members, ctx, rulesOf);
        else
          for (let j = 0; j < members.length; j++) {
            const b = members[j] as number;
            rulesOf[b] = def.evaluate(block[b] as ScanResource, ctx);
          }
      }
      if (this.profile) state.timeMs += performance.now() - t0;
      let any = false;
      for (let g = 0; g < groupCount; g++) {
        const p = (groupPositions[g]?.[si] ?? -1) as number;
        positionInGroup[g] = p;
        if (p >= 0) any = true;
      }
      if (!any) continue;
      // Tallied in resource order, not group by group: weights are floating-point sums, and the
      // scores must not depend on how a block groups its resources.
      for (let b = 0; b < block.length; b++) {
        const p = positionInGroup[groupOf[b] as number] as number;
        if (p < 0) continue;
        const rules = rulesOf[b] as RuleResult[];
        rulesOf[b] = undefined;
        const k = b * stride + p;
        if (rules.length === 0) {
          entries[k] = undefined;
          continue;
        }
        const shared = this.sharedOf(state, rules);
        if (shared) {
          this.tally(state, b, shared.status, shared.subStatus);
          entries[k] = shared.entry;
        } else entries[k] = this.reportEntry(state, block[b] as ScanResource, b, rules);
      }
    }
    for (let b = 0; b < block.length; b++) this.reportResource(block[b] as ScanResource, b);
  }

  /** The shared entry of a result list, if any: the control's last two lists first, then the map. */
  private sharedOf(state: ControlState, rules: readonly RuleResult[]): SharedControl | undefined {
    if (rules === state.lastRules) return state.lastShared;
    if (rules === state.prevRules) {
      const shared = state.prevShared;
      state.prevRules = state.lastRules;
      state.prevShared = state.lastShared;
      state.lastRules = rules;
      state.lastShared = shared;
      return shared;
    }
    const shared = state.sharedEntries.get(rules);
    if (shared) {
      state.prevRules = state.lastRules;
      state.prevShared = state.lastShared;
      state.lastRules = rules;
      state.lastShared = shared;
    }
    return shared;
  }

  /** The entry of a result list not shared yet (evaluated per resource with exceptions, or first seen). */
  private reportEntry(
    state: ControlState,
    resource: ScanResource,
    b: number,
    rules: readonly RuleResult[],
  ): ReportResourceControl | undefined {
    const { matcher, pathPool, passedRuleCache } = this;
    const def = state.def as ControlDefinition;
    let status: Status = 'passed';
    let subStatus: SubStatus = '';
    let info: string | undefined;
    let excepted = false;
    let anyFailed = false;
    // Exact-size arrays (index writes, not push): a pushed-to empty array reserves ~17 slots,
    // which across ~200k failed entries of a 10k-workload report was a third of its memory.
    const reportRules: ReportRule[] = new Array<ReportRule>(rules.length);
    let ri = 0;
    for (const r of rules) {
      let ruleStatus = r.status;
      let ruleSub = r.subStatus;
      let exception: PostureExceptionPolicy[] | undefined;
      const paths = ruleStatus === 'passed' ? [] : pathPool.toPaths(r);
      if (ruleStatus === 'failed') anyFailed = true;
      if (ruleStatus === 'failed' && matcher.size > 0) {
        const allPaths = [
          ...r.failedPaths,
          ...r.reviewPaths,
          ...r.deletePaths,
          ...r.fixPaths.map((f) => f.path),
        ];
        const hits = matcher.match(
          resource,
          { controlID: def.id, controlName: def.name, frameworks: state.frameworks },
          r.name,
          allPaths,
        );
        if (hits.length > 0) {
          ruleStatus = 'passed';
          ruleSub = 'w/exceptions';
          exception = hits;
          excepted = true;
        }
      }
      status = worse(status, ruleStatus);
      if (ruleStatus === 'skipped' && !subStatus) {
        subStatus = ruleSub;
        info = r.info;
      }
      if (ruleStatus === 'passed' && !exception && Object.isFrozen(r)) {
        let pr = passedRuleCache.get(r);
        if (!pr) {
          pr = { name: r.name, status: 'passed', paths: [] };
          if (r.controlConfigurations) pr.controlConfigurations = r.controlConfigurations;
          passedRuleCache.set(r, Object.freeze(pr));
        }
        reportRules[ri++] = pr;
        continue;
      }
      const rule: ReportRule = { name: r.name, status: ruleStatus, paths };
      if (ruleSub) rule.subStatus = ruleSub;
      if (exception) rule.exception = exception;
      if (r.controlConfigurations) rule.controlConfigurations = r.controlConfigurations;
      if (r.relatedResourcesIDs.length > 0) rule.relatedResourcesIDs = r.relatedResourcesIDs;
      if (r.info) rule.info = r.info;
      reportRules[ri++] = rule;
    }
    if (status === 'passed') {
      subStatus = excepted ? 'w/exceptions' : '';
      info = undefined;
    } else if (status === 'failed') {
      subStatus = '';
      info = undefined;
    }

    this.tally(state, b, status, subStatus);
    if (status === 'passed' && excepted) state.tally.excepted++;

    const share = Object.isFrozen(rules) && !excepted && !(anyFailed && matcher.size > 0);
    let entry: ReportResourceControl | undefined;
    if (status !== 'passed' || this.includePassed || excepted) {
      entry = {
        controlID: def.id,
        name: def.name,
        severity: def.severity,
        status: controlStatus(status, subStatus, info),
        rules: reportRules,
      };
    }
    if (share) state.sharedEntries.set(rules, { status, subStatus, entry: entry && freezeEntry(entry) });
    return entry;
  }

  /** Resource b's result: its entries in kind-list order, handed over or held. */
  private reportResource(resource: ScanResource, b: number): void {
    const { entries, sink } = this;
    const list = this.byKind.get(resource.matchKind);
    if (!list) return;
    const overall = this.overallOf[b];
    const mayRecur =
      this.anyIdMayRecur ||
      resource.matchKind === 'ServiceAccount' ||
      resource.subject?.kind === 'ServiceAccount';
    if (overall !== undefined) {
      if (mayRecur)
        this.resourceStatus.set(
          resource.id,
          worse(this.resourceStatus.get(resource.id) ?? 'passed', overall),
        );
      else if (overall === 'failed') this.uniqueCounters.failedResources++;
      else if (overall === 'skipped') this.uniqueCounters.skippedResources++;
      else this.uniqueCounters.passedResources++;
    }
    const base = b * this.stride;
    let count = 0;
    for (let p = 0; p < list.length; p++) if (entries[base + p] !== undefined) count++;
    if (count === 0) return;
    // Exact size (see reportEntry); the table's slots are cleared for the next block as we go.
    const controls = new Array<ReportResourceControl>(count);
    for (let p = 0, c = 0; p < list.length; p++) {
      const e = entries[base + p];
      if (e === undefined) continue;
      controls[c++] = e;
      entries[base + p] = undefined;
    }
    // A result whose ID may recur (a ServiceAccount and its subject vector; any object when the input
    // lists an ID twice) is held and merged like the held report's, and handed over at the end.
    if (sink && !mayRecur) {
      sink({ resourceID: resource.id, controls }, this.nextPosition++);
      return;
    }
    if (!mayRecur) {
      this.results.push({ resourceID: resource.id, controls });
      this.positions.push(this.nextPosition++);
      return;
    }
    // A subject vector and a real ServiceAccount share an ID: merge their controls into one result.
    const prev = this.resultById.get(resource.id);
    if (prev) prev.controls.push(...controls);
    else {
      const result = { resourceID: resource.id, controls };
      this.results.push(result);
      this.positions.push(this.nextPosition++);
      this.resultById.set(resource.id, result);
    }
  }
}

/**
 * Instances kept only for their hidden classes (see INDEX_SHAPE in engine/cluster-index.ts): the
 * report loop inlines the methods of these classes, and its optimized code would be discarded with
 * the maps of the last scan's instances when they die, then recompiled by every scan.
 */
export const REPORT_SHAPES: readonly object[] = [
  new BlockScan(
    { index: INDEX_SHAPE, inputs: DEFAULT_CONTROL_INPUTS },
    new Map(),
    new Map(),
    new ExceptionMatcher([]),
    true,
    false,
    undefined,
  ),
];

/**
 * The summary of one control (its status from its tally). Out of `scanResources`: loops there make
 * V8 compile that whole function on stack at every scan.
 */
function controlSummary(state: ControlState, controlsSeverityCounters: SeverityCounters): ControlSummary {
  const t = state.tally;
  const entry = catalogEntry(state.id);
  let status: Status;
  let subStatus: SubStatus = '';
  let info: string | undefined;
  if (!state.def) {
    status = 'skipped';
    subStatus = 'notEvaluated';
    info = entry
      ? 'not implemented by this scanner yet'
      : 'not implemented: host, control-plane or cloud control (needs node-agent or cloud data)';
  } else if (t.failed > 0) {
    status = 'failed';
  } else if (state.missingConfig) {
    status = 'skipped';
    subStatus = 'configuration';
    info = 'Control configurations are empty';
  } else if (t.skipped > 0) {
    status = 'skipped';
    subStatus =
      state.def.actionRequired === 'manual review'
        ? 'manual review'
        : state.skippedSubStatus === 'integration'
          ? 'integration'
          : 'notEvaluated';
  } else if (isManual(state.def)) {
    // Kubescape pre-marks manual controls skipped (ConvertFrameworksToSummaryDetails).
    status = 'skipped';
    subStatus = 'manual review';
    info = 'manual control: review by hand';
  } else if (t.passed === 0) {
    status = 'passed';
    subStatus = 'irrelevant';
  } else {
    status = 'passed';
    subStatus = t.excepted > 0 ? 'w/exceptions' : '';
  }
  t.status = status;
  if (status === 'failed' && state.def) bumpSeverity(controlsSeverityCounters, state.def.severity);
  const baseScore = t.baseScore;
  return {
    controlID: state.id,
    name: state.def?.name ?? entry?.name ?? '',
    severity: severityOf(baseScore),
    baseScore,
    scoreFactor: baseScore,
    status,
    subStatus,
    ...(info ? { info } : {}),
    complianceScore: controlComplianceScore(t),
    score: controlRiskScore(t),
    ...(state.def ? { category: state.def.category } : {}),
    ResourceCounters: {
      passedResources: t.passed,
      failedResources: t.failed,
      skippedResources: t.skipped,
      excludedResources: t.excepted,
    },
  };
}

/** Resources by their worst status over the selected controls. */
function countResources(
  resourceStatus: ReadonlyMap<string, Status>,
  unique: ResourceCounters,
): ResourceCounters {
  const counters = { ...unique };
  for (const s of resourceStatus.values()) {
    if (s === 'failed') counters.failedResources++;
    else if (s === 'skipped') counters.skippedResources++;
    else counters.passedResources++;
  }
  return counters;
}

/** Scan Kubernetes objects against the selected controls; pure and synchronous. */
export function scanResources(objects: readonly unknown[], options: ScanOptions = {}): ScanReport {
  const selection = resolveSelection(options);
  const inputs = options.inputs ?? DEFAULT_CONTROL_INPUTS;
  const now = options.now ?? new Date();
  const includePassed = options.includePassed ?? true;
  const matcher = new ExceptionMatcher(options.exceptions ?? [], {
    now,
    ...(options.clusterName !== undefined ? { clusterName: options.clusterName } : {}),
  });

  const valid: KubeObject[] = [];
  for (const o of objects) if (isKubeObject(o)) valid.push(o);
  const index = new ClusterIndex(valid);
  const ctx: EvalContext = { index, inputs };

  const states = new Map<string, ControlState>();
  const byKind = new Map<string, ControlState[]>();
  for (const id of selection.controlIDs) {
    const def = implementedControl(id);
    const entry = catalogEntry(id);
    const scanFrameworks = selection.frameworks.filter((f) => f.controlIDs.includes(id)).map((f) => f.name);
    const state: ControlState = {
      id,
      def,
      tally: {
        baseScore: def?.baseScore ?? entry?.baseScore ?? 0,
        status: 'passed',
        passed: 0,
        failed: 0,
        skipped: 0,
        excepted: 0,
        failedWeight: 0,
        allWeight: 0,
        // Manual controls have nothing to evaluate: out of the means, like unimplemented ones.
        evaluated: def !== undefined && !isManual(def),
      },
      frameworks: scanFrameworks.length > 0 ? scanFrameworks : frameworksOfControl(id),
      missingConfig:
        !!def &&
        def.actionRequired === 'configuration' &&
        def.inputs.length > 0 &&
        def.inputs.every((k) => (inputs[k] ?? []).length === 0),
      // Declared up front (not added on the first skipped resource): see workloadView's lists.
      skippedSubStatus: undefined,
      timeMs: 0,
      lastRules: undefined,
      lastShared: undefined,
      batch: def && batchEvaluator(def),
      prevRules: undefined,
      prevShared: undefined,
      sharedEntries: new Map(),
    };
    states.set(id, state);
    if (def) {
      for (const kind of def.kinds) {
        const list = byKind.get(kind);
        if (list) list.push(state);
        else byKind.set(kind, [state]);
      }
    }
  }

  const profile = options.profile === true;
  const sink = options.onResult;
  const run = new BlockScan(ctx, states, byKind, matcher, includePassed, profile, sink);
  const resourcesSeverityCounters = run.resourcesSeverityCounters;
  const resourceStatus = run.resourceStatus;
  const results = run.results;

  const evaluated = run.evaluateAll(index.resources(), options.only);
  if (sink) {
    for (let i = 0; i < results.length; i++) sink(results[i] as ReportResult, run.positions[i] as number);
    results.length = 0;
  }

  // ---- summary ----
  const controlSummaries: Record<string, ControlSummary> = {};
  const controlsSeverityCounters = emptySeverity();
  for (const state of states.values())
    controlSummaries[state.id] = controlSummary(state, controlsSeverityCounters);

  // Resource-level counters: a resource is failed if any selected control failed on it.
  const resourceCounters = countResources(resourceStatus, run.uniqueCounters);

  const frameworks: FrameworkSummary[] = selection.frameworks.map((f) => {
    const tallies = f.controlIDs.map((id) => (states.get(id) as ControlState).tally);
    // Per framework: control-level counters summed ((resource, control) pairs, not distinct resources).
    const counters = emptyCounters();
    for (const id of f.controlIDs) {
      const rc = controlSummaries[id]?.ResourceCounters;
      if (!rc) continue;
      counters.passedResources += rc.passedResources;
      counters.failedResources += rc.failedResources;
      counters.skippedResources += rc.skippedResources;
      counters.excludedResources += rc.excludedResources;
    }
    let status: Status = 'passed';
    for (const t of tallies) if (t.evaluated) status = worse(status, t.status);
    return {
      name: f.name,
      status,
      complianceScore: frameworkComplianceScore(tallies),
      score: frameworkRiskScore(tallies),
      controls: [...f.controlIDs],
      ResourceCounters: counters,
    };
  });

  const allTallies = [...states.values()].map((s) => s.tally);
  let overallStatus: Status = 'passed';
  for (const t of allTallies) if (t.evaluated) overallStatus = worse(overallStatus, t.status);

  const report: ScanReport = {
    generationTime: now.toISOString(),
    ...(options.clusterName ? { clusterName: options.clusterName } : {}),
    summaryDetails: {
      status: overallStatus,
      complianceScore: frameworkComplianceScore(allTallies),
      score: frameworkRiskScore(allTallies),
      frameworks,
      controls: controlSummaries,
      ResourceCounters: resourceCounters,
      controlsSeverityCounters,
      resourcesSeverityCounters,
    },
    results,
    skippedOwnedResources: index.ownedSkipped.length,
    evaluatedResources: evaluated,
  };
  if (profile) {
    report.timings = {};
    for (const s of states.values()) if (s.def) report.timings[s.id] = s.timeMs;
  }
  return report;
}

export { FRAMEWORKS };

/**
 * Control definition helper: a control module declares its ID, category and rules; name and base
 * score come from the reference catalog (so they cannot drift from Kubescape's), severity is
 * derived from the base score, framework membership from frameworks.ts.
 */
import { catalogEntry } from '../controls/catalog.js';
import { frameworksOfControl } from '../frameworks.js';
import { SequenceInterner } from './intern.js';
import { podSpecEvaluator, type PodSpecEval } from './workload-rule.js';
import { workloadView, type WorkloadView } from './workload.js';
import type {
  ActionRequired,
  ControlDefinition,
  EvalContext,
  Finding,
  RuleDefinition,
  RuleResult,
  ScanResource,
  Severity,
  Status,
  SubStatus,
} from './types.js';

/** opa-utils `apis.ControlSeverityToString`: ≥9 Critical, ≥7 High, ≥4 Medium, ≥1 Low, else Unknown. */
export function severityOf(baseScore: number): Severity {
  if (baseScore >= 9) return 'Critical';
  if (baseScore >= 7) return 'High';
  if (baseScore >= 4) return 'Medium';
  if (baseScore >= 1) return 'Low';
  return 'Unknown';
}

/** opa-utils `apis.Compare`: failed > skipped > passed. */
export function worse(a: Status, b: Status): Status {
  if (a === 'failed' || b === 'failed') return 'failed';
  if (a === 'skipped' || b === 'skipped') return 'skipped';
  return 'passed';
}

/** Kubescape categories (regolibrary `categories/mapCategoryNameToID.json`). */
export type Category =
  | 'Control plane'
  | 'Access control'
  | 'Secrets'
  | 'Network'
  | 'Workload'
  | 'Supply chain'
  | 'Resource management'
  | 'Storage'
  | 'Node escape';

export interface ControlSpec {
  id: string;
  category: Category;
  actionRequired?: ActionRequired;
  rules: readonly RuleDefinition[];
}

const NONE: readonly never[] = Object.freeze([]);
/** No rule considers the resource (shared: callers treat result lists as read-only). */
const NO_RESULTS = NONE as unknown as RuleResult[];
/** Bound of each interning table (distinct finding combinations per rule, result lists per control). */
const INTERN_LIMIT = 20_000;

const frozenCopy = (keys: readonly RuleResult[], n: number): RuleResult[] =>
  Object.freeze(keys.slice(0, n)) as RuleResult[];

/** Same length and the same elements by identity. */
function sameElements<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

// Hot loops here and in the rule helpers are indexed, not for-of: where V8 does not inline the
// array iterator (large callers), every step allocates an iterator result — ~35 MB per 10k scan.
function allFrozen(findings: readonly Finding[]): boolean {
  for (let j = 0; j < findings.length; j++) if (!Object.isFrozen(findings[j])) return false;
  return true;
}

/** Freeze a rule result and the lists it owns (it is shared by every resource with the same findings). */
function freezeResult(r: RuleResult): RuleResult {
  Object.freeze(r.failedPaths);
  Object.freeze(r.reviewPaths);
  Object.freeze(r.deletePaths);
  Object.freeze(r.fixPaths);
  Object.freeze(r.relatedResourcesIDs);
  return Object.freeze(r);
}

function concat<T>(
  findings: readonly Finding[],
  pick: (f: Finding) => readonly T[] | undefined,
): readonly T[] {
  let out: T[] | undefined;
  for (const f of findings) {
    const xs = pick(f);
    if (!xs || xs.length === 0) continue;
    if (!out) out = [];
    for (const x of xs) out.push(x);
  }
  return out ?? NONE;
}

function resultOf(
  name: string,
  status: Status,
  subStatus: SubStatus,
  findings: readonly Finding[],
  configurations: Readonly<Record<string, readonly string[]>> | undefined,
  info?: string,
): RuleResult {
  let r: RuleResult;
  if (findings.length === 0) {
    r = {
      name,
      status,
      subStatus,
      failedPaths: NONE,
      reviewPaths: NONE,
      deletePaths: NONE,
      fixPaths: NONE,
      relatedResourcesIDs: NONE,
    };
  } else if (findings.length === 1) {
    const f = findings[0] as Finding;
    r = {
      name,
      status,
      subStatus,
      failedPaths: f.failedPaths ?? NONE,
      reviewPaths: f.reviewPaths ?? NONE,
      deletePaths: f.deletePaths ?? NONE,
      fixPaths: f.fixPaths ?? NONE,
      relatedResourcesIDs: f.relatedResourcesIDs ?? NONE,
    };
  } else {
    const related = concat(findings, (f) => f.relatedResourcesIDs);
    r = {
      name,
      status,
      subStatus,
      failedPaths: concat(findings, (f) => f.failedPaths),
      reviewPaths: concat(findings, (f) => f.reviewPaths),
      deletePaths: concat(findings, (f) => f.deletePaths),
      fixPaths: concat(findings, (f) => f.fixPaths),
      relatedResourcesIDs: related.length > 1 ? [...new Set(related)] : related,
    };
  }
  // Optional fields are only set when present: reports serialize objects as they are.
  if (configurations) r.controlConfigurations = configurations;
  if (info) r.info = info;
  return r;
}

// Module-level builder factories: a closure made inside `prepare` would keep prepare's context —
// and through it the first scan's EvalContext, index and objects — alive as long as the control.
function alertBuilder(
  name: string,
  actionRequired: ActionRequired | undefined,
  configurations: Readonly<Record<string, readonly string[]>> | undefined,
): (findings: readonly Finding[]) => RuleResult {
  const status: Status = actionRequired === 'requires review' ? 'skipped' : 'failed';
  const subStatus: SubStatus = actionRequired === 'requires review' ? 'requires review' : '';
  // Findings that are not all interned: built per resource, mutable.
  return (findings) => resultOf(name, status, subStatus, findings, configurations);
}

function alertListBuilder(
  name: string,
  actionRequired: ActionRequired | undefined,
  configurations: Readonly<Record<string, readonly string[]>> | undefined,
): (findings: readonly Finding[]) => RuleResult[] {
  const status: Status = actionRequired === 'requires review' ? 'skipped' : 'failed';
  const subStatus: SubStatus = actionRequired === 'requires review' ? 'requires review' : '';
  // All-frozen findings are interned, so is their result (frozen and shared) and its list.
  return (findings) =>
    Object.freeze([
      freezeResult(resultOf(name, status, subStatus, findings, configurations)),
    ]) as RuleResult[];
}

/**
 * Rules used by several controls (C-0211 bundles the security-context rules of C-0013, C-0016,
 * C-0017, C-0057...; C-0012 and C-0259 share the env-var rule): the findings of a shared rule are
 * kept on the resource and the other controls reuse them (findings are immutable, and a rule's
 * findings depend only on the resource and the scan's context).
 */
const ruleUses = new Map<RuleDefinition, number>();
/** Slot of each shared rule in `ScanResource.sharedFindings` (an array: no Map per resource). */
const sharedSlots = new Map<RuleDefinition, number>();

/** The rule's slot when it is used by several controls, else -1 (resolved once all are defined). */
function sharedSlotOf(rule: RuleDefinition): number {
  if ((ruleUses.get(rule) ?? 0) <= 1) return -1;
  let slot = sharedSlots.get(rule);
  if (slot === undefined) sharedSlots.set(rule, (slot = sharedSlots.size));
  return slot;
}

function sharedFindings(
  slot: number,
  rule: RuleDefinition,
  resource: ScanResource,
  ctx: EvalContext,
): readonly Finding[] {
  // Kept on the resource (not in module or control state): nothing outlives the resource.
  const cache = resource.sharedFindings;
  if (cache !== undefined) {
    const hit = cache[slot];
    if (hit !== undefined) return hit;
  }
  // Only a completed evaluation is remembered: a throwing rule leaves nothing behind.
  const findings = rule.evaluate(resource, ctx);
  (resource.sharedFindings ??= new Array<readonly Finding[] | undefined>(sharedSlots.size).fill(undefined))[
    slot
  ] = findings;
  return findings;
}

export function defineControl(spec: ControlSpec): ControlDefinition {
  const entry = catalogEntry(spec.id);
  if (!entry) throw new Error(`control ${spec.id} is not in the workload control catalog`);
  for (const r of new Set(spec.rules)) ruleUses.set(r, (ruleUses.get(r) ?? 0) + 1);
  // Which rules are shared is only known once every control is defined: resolved on first use.
  let ruleSlots: number[] | undefined;
  const kinds = [...new Set(spec.rules.flatMap((r) => r.kinds))];
  const kindSet = new Set(kinds);
  /** Rule indexes per match kind, so evaluation does not scan every rule's kind list. */
  const rulesByKind = new Map<string, number[]>();
  spec.rules.forEach((r, i) => {
    for (const k of new Set(r.kinds)) {
      const list = rulesByKind.get(k);
      if (list) list.push(i);
      else rulesByKind.set(k, [i]);
    }
  });
  const inputs = [...new Set(spec.rules.flatMap((r) => r.inputs ?? []))];
  const { actionRequired } = spec;
  const manual = actionRequired === 'manual review';
  // The rules' functions in closure-local arrays: rule objects come in many shapes (one per rule
  // constructor), so reading `rule.relevant` / `rule.evaluate` per call is a megamorphic property
  // load; an element load of a packed array is not. Rules are called as plain functions.
  const relevantOf = spec.rules.map((r) => r.relevant);
  const evaluateOf = spec.rules.map((r) => r.evaluate);
  /** Pod-spec rules (engine/workload-rule.ts): population checked inline, the view passed directly. */
  const podSpecOf = spec.rules.map(podSpecEvaluator);

  /**
   * Everything that depends only on the inputs (not on the resource) is computed once per inputs
   * object: the configurations each rule reports, whether the control lacks configuration, and the
   * passed/skipped results, which are immutable and shared by every resource. With ~100 controls
   * on ~15k resources this keeps the scan allocation-light.
   */
  interface PerInputs {
    configurations: (Record<string, readonly string[]> | undefined)[];
    missingConfig: boolean;
    passed: RuleResult[];
    /** `[passed[i]]`, shared: the most common result list of a one-rule control. */
    passedList: RuleResult[][];
    skippedManual: RuleResult[];
    skippedConfig: RuleResult[];
    /**
     * Per rule: builds its alert result from findings. Prebuilt, not a closure per call: a closure
     * capturing the findings would cost a context allocation on every evaluation (see `prepared`).
     */
    alert: AlertBuilder[];
    /** Per rule: the interned form, `[result]` frozen, for all-frozen findings. */
    alertList: AlertListBuilder[];
    /** Interned results (see `internedResult`), reset when a new scan starts. */
    interned: Interned;
  }
  type AlertBuilder = (findings: readonly Finding[], n: number) => RuleResult;
  type AlertListBuilder = (findings: readonly Finding[], n: number) => RuleResult[];
  interface Interned {
    /** ClusterIndex.serial of the scan the tables belong to (a number: the scan is not kept alive). */
    scan: number;
    /** Per rule: failed (or requires-review) results, as `[result]`, by the identities of their findings. */
    failed: (SequenceInterner<Finding, RuleResult[]> | undefined)[];
    /** One-element result lists by their result. */
    single: Map<RuleResult, RuleResult[]>;
    /**
     * The last entry `single` returned: a block evaluates one control over consecutive resources,
     * which mostly fail the same way — an identity check instead of a map lookup then.
     */
    lastSingle: RuleResult | undefined;
    lastSingleList: RuleResult[] | undefined;
    /** Per rule: the last interned findings (element identities) and their result, for the same reason. */
    lastFindings: (readonly Finding[] | undefined)[];
    lastAlert: (RuleResult[] | undefined)[];
    /** Result lists of several rules by the identities of their results. */
    lists: SequenceInterner<RuleResult, RuleResult[]>;
  }
  const freshInterned = (scan: number): Interned => ({
    scan,
    failed: [],
    single: new Map(),
    lastSingle: undefined,
    lastSingleList: undefined,
    lastFindings: [],
    lastAlert: [],
    lists: new SequenceInterner(INTERN_LIMIT),
  });
  const perInputs = new WeakMap<object, PerInputs>();

  // A scan uses one inputs object for every resource: remember the last one (no WeakMap lookup
  // per resource × control).
  let lastInputs: object | undefined;
  let lastPrepared: PerInputs | undefined;

  // The hot path (same inputs as last time) is its own small function: V8 allocates a context for
  // a function's captured variables on every call, and `prepare`'s closures capture `ctx` — one
  // context per control × resource when both lived in one function.
  function prepared(ctx: EvalContext): PerInputs {
    if (ctx.inputs === lastInputs && lastPrepared) return lastPrepared;
    return prepare(ctx);
  }

  function prepare(ctx: EvalContext): PerInputs {
    let p = perInputs.get(ctx.inputs);
    if (p) {
      lastInputs = ctx.inputs;
      lastPrepared = p;
      return p;
    }
    const configurations = spec.rules.map((rule) => {
      if (!rule.inputs || rule.inputs.length === 0) return undefined;
      const out: Record<string, readonly string[]> = {};
      for (const k of rule.inputs) out[k] = ctx.inputs[k] ?? NONE;
      return Object.freeze(out);
    });
    const freeze = (r: RuleResult) => Object.freeze(r);
    const passed = spec.rules.map((r, i) => freeze(resultOf(r.name, 'passed', '', NONE, configurations[i])));
    p = {
      configurations,
      missingConfig:
        actionRequired === 'configuration' &&
        inputs.length > 0 &&
        inputs.every((k) => (ctx.inputs[k] ?? NONE).length === 0),
      passed,
      passedList: passed.map((r) => Object.freeze([r]) as RuleResult[]),
      skippedManual: spec.rules.map((r, i) =>
        freeze(resultOf(r.name, 'skipped', 'manual review', NONE, configurations[i])),
      ),
      skippedConfig: spec.rules.map((r, i) =>
        freeze(
          resultOf(
            r.name,
            'skipped',
            'configuration',
            NONE,
            configurations[i],
            'Control configurations are empty',
          ),
        ),
      ),
      alert: spec.rules.map((r, i) => alertBuilder(r.name, actionRequired, configurations[i])),
      alertList: spec.rules.map((r, i) => alertListBuilder(r.name, actionRequired, configurations[i])),
      interned: freshInterned(-1),
    };
    perInputs.set(ctx.inputs, p);
    lastInputs = ctx.inputs;
    lastPrepared = p;
    return p;
  }

  /** One rule on one resource; undefined when the resource is outside the rule's population. */
  function evalRule(
    i: number,
    resource: ScanResource,
    ctx: EvalContext,
    p: PerInputs,
  ): RuleResult | undefined {
    try {
      const podSpec = podSpecOf[i];
      let wl: WorkloadView | undefined;
      if (podSpec !== undefined) {
        // Same population and findings as the rule's relevant/evaluate (workload-rule.ts).
        wl = resource.workload ?? workloadView(resource.object);
        if (wl === undefined) return undefined;
      } else {
        const relevant = relevantOf[i];
        if (relevant !== undefined && !relevant(resource, ctx)) return undefined;
      }
      if (manual) return p.skippedManual[i];
      // opa-utils controlMissingAllConfigurations: a control that needs configuration and has
      // none at all is reported skipped/configuration instead of failing everything.
      if (p.missingConfig) return p.skippedConfig[i];
      ruleSlots ??= spec.rules.map(sharedSlotOf);
      const slot = ruleSlots[i] as number;
      const findings =
        slot >= 0
          ? sharedFindings(slot, spec.rules[i] as RuleDefinition, resource, ctx)
          : wl !== undefined
            ? (podSpec as PodSpecEval)(wl, ctx, resource)
            : (evaluateOf[i] as RuleDefinition['evaluate'])(resource, ctx);
      return findings.length === 0 ? p.passed[i] : alertResult(i, findings, ctx, p);
    } catch (err) {
      return errorResult(i, err, p);
    }
  }

  /** The failed (or requires-review) result of rule i for these findings. */
  function alertResult(i: number, findings: readonly Finding[], ctx: EvalContext, p: PerInputs): RuleResult {
    if (!allFrozen(findings)) return (p.alert[i] as AlertBuilder)(findings, findings.length);
    return alertList(i, findings, ctx, p)[0] as RuleResult;
  }

  /**
   * Interned findings (controls/_lib.ts) ⇒ the result is a function of their identities. Interned
   * as the one-element list `[result]`, which a one-rule control returns as is (see evaluate).
   */
  function alertList(i: number, findings: readonly Finding[], ctx: EvalContext, p: PerInputs): RuleResult[] {
    const interned = internedFor(p, ctx);
    const last = interned.lastFindings[i];
    if (last !== undefined && sameElements(last, findings)) return interned.lastAlert[i] as RuleResult[];
    const byFindings = (interned.failed[i] ??= new SequenceInterner(INTERN_LIMIT));
    const list = byFindings.internFirst(findings, findings.length, p.alertList[i] as AlertListBuilder);
    // A copy: a rule may hand out an array it later reuses.
    interned.lastFindings[i] = findings.slice();
    interned.lastAlert[i] = list;
    return list;
  }

  function errorResult(i: number, err: unknown, p: PerInputs): RuleResult {
    // A malformed object must not abort the whole scan: the rule is reported skipped with the
    // reason, which is what Kubescape does with a Rego evaluation error on one resource.
    const message = err instanceof Error ? err.message : String(err);
    return resultOf(
      (spec.rules[i] as RuleDefinition).name,
      'skipped',
      'notEvaluated',
      NONE,
      p.configurations[i],
      `evaluation error: ${message}`,
    );
  }

  function internedFor(p: PerInputs, ctx: EvalContext): Interned {
    // Scoped to one scan (its index) so that nothing a scan interned outlives it.
    if (p.interned.scan !== ctx.index.serial) p.interned = freshInterned(ctx.index.serial);
    return p.interned;
  }

  // Rule indexes per kind slot (ScanResource.kindSlot): null = no rule for the kind.
  const bySlot: (number[] | null)[] = [];

  /** Indexes of the rules that match the resource's kind; null: none. */
  function applicableTo(resource: ScanResource): number[] | null {
    const slot = resource.kindSlot;
    let applicable = slot === undefined ? undefined : bySlot[slot];
    if (applicable === undefined) {
      applicable = rulesByKind.get(resource.matchKind) ?? null;
      if (slot !== undefined) bySlot[slot] = applicable;
    }
    return applicable;
  }

  function evaluate(resource: ScanResource, ctx: EvalContext): RuleResult[] {
    const applicable = applicableTo(resource);
    return applicable ? evaluateRules(resource, ctx, applicable, prepared(ctx)) : NO_RESULTS;
  }

  function evaluateRules(
    resource: ScanResource,
    ctx: EvalContext,
    applicable: readonly number[],
    p: PerInputs,
  ): RuleResult[] {
    if (applicable.length === 1) {
      // Fast path (most controls have one rule): no intermediate array.
      const i = applicable[0] as number;
      const r = evalRule(i, resource, ctx, p);
      if (!r) return NO_RESULTS;
      if (r === p.passed[i]) return p.passedList[i] as RuleResult[];
      if (!Object.isFrozen(r)) return [r];
      // Frozen results are shared (passed, skipped, interned failed): so are their lists, which
      // lets the report reuse the entry it built for the list (report.ts).
      const interned = internedFor(p, ctx);
      // An interned alert comes with its list (alertList), just remembered for this rule.
      const alerted = interned.lastAlert[i];
      if (alerted !== undefined && alerted[0] === r) return alerted;
      if (r === interned.lastSingle) return interned.lastSingleList as RuleResult[];
      let list = interned.single.get(r);
      if (!list) interned.single.set(r, (list = Object.freeze([r]) as RuleResult[]));
      interned.lastSingle = r;
      interned.lastSingleList = list;
      return list;
    }
    // Collected into a scratch array (evaluation never re-enters the same control): a list seen
    // before is then returned without allocating one.
    const out = (scratch ??= new Array<RuleResult | undefined>(spec.rules.length).fill(undefined));
    let n = 0;
    let shared = true;
    // Indexed, not for-of: the iterator's result objects were not always optimized away here.
    for (let a = 0; a < applicable.length; a++) {
      const i = applicable[a] as number;
      const r = evalRule(i, resource, ctx, p);
      if (!r) continue;
      out[n++] = r;
      if (shared && r !== p.passed[i] && !Object.isFrozen(r)) shared = false;
    }
    if (n === 0) return NO_RESULTS;
    const list = shared
      ? internedFor(p, ctx).lists.internFirst(out as RuleResult[], n, frozenCopy)
      : (out.slice(0, n) as RuleResult[]);
    // The scratch array must not keep a finished scan's results alive.
    out.fill(undefined, 0, n);
    return list;
  }
  let scratch: (RuleResult | undefined)[] | undefined;

  // The scan's block loop (report.ts) calls this once per control and group of resources rather
  // than `evaluate` per resource: the call to `evaluate` is then local (and inlined), not one
  // dispatch through a different control's closure per resource.
  const evaluateMany: BatchEvaluate = (resources, members, ctx, out) => {
    const p = prepared(ctx);
    // Members are usually of one kind (a group): the applicable rules are looked up again only
    // when the kind changes.
    let kind: string | undefined;
    let applicable: number[] | null = null;
    for (let j = 0; j < members.length; j++) {
      const b = members[j] as number;
      const resource = resources[b] as ScanResource;
      if (resource.matchKind !== kind) {
        kind = resource.matchKind;
        applicable = applicableTo(resource);
      }
      out[b] = applicable ? evaluateRules(resource, ctx, applicable, p) : NO_RESULTS;
    }
  };
  batches.set(evaluate, evaluateMany);

  return {
    id: spec.id,
    name: entry.name,
    baseScore: entry.baseScore,
    severity: severityOf(entry.baseScore),
    category: spec.category,
    frameworks: frameworksOfControl(spec.id),
    kinds,
    inputs,
    ...(actionRequired ? { actionRequired } : {}),
    rules: spec.rules,
    appliesTo: (matchKind: string) => kindSet.has(matchKind),
    evaluate,
  };
}

/** `out[b] = evaluate(resources[b], ctx)` for each b of `members`. */
export type BatchEvaluate = (
  resources: readonly ScanResource[],
  members: readonly number[],
  ctx: EvalContext,
  out: (RuleResult[] | undefined)[],
) => void;

/**
 * Keyed by the control's `evaluate` rather than a property of the definition: wrappers that
 * spread a defined control and replace `evaluate` (integration and host controls) must not keep
 * a batch path that bypasses their `evaluate`.
 */
const batches = new WeakMap<ControlDefinition['evaluate'], BatchEvaluate>();

/** The batch form of a control's `evaluate` when it is still `defineControl`'s own, else undefined. */
export function batchEvaluator(def: ControlDefinition): BatchEvaluate | undefined {
  return batches.get(def.evaluate);
}

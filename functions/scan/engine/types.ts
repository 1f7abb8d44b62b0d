/**
 * Core types of the posture engine. The vocabulary mirrors Kubescape's (opa-utils
 * `reporthandling`, `resourcesresults`; shared/reference/controls.md §3) so reports produced from
 * these types stay compatible with existing consumers.
 */
import type { ControlInputs } from './inputs.js';
import type { ClusterIndex } from './cluster-index.js';
import type { WorkloadView } from './workload.js';

/** A Kubernetes object as read from the API or a manifest. Only the envelope is typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

/** opa-utils `apis.ScanningStatus`. */
export type Status = 'passed' | 'failed' | 'skipped';

/** opa-utils `apis.ScanningSubStatus` (plus '' for none). */
export type SubStatus =
  | ''
  | 'w/exceptions'
  | 'irrelevant'
  | 'configuration'
  | 'integration'
  | 'requires review'
  | 'manual review'
  | 'notEvaluated';

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Unknown';

export interface FixPath {
  path: string;
  value: string;
}

/**
 * One alert of a rule on one resource (a Rego `RuleResponse` reduced to what the report keeps).
 * Several findings of the same rule on the same resource (one per failing container, say) are
 * concatenated into one rule result, as Kubescape does.
 */
export interface Finding {
  failedPaths?: readonly string[];
  reviewPaths?: readonly string[];
  deletePaths?: readonly string[];
  fixPaths?: readonly FixPath[];
  /** Related objects the finding depends on (bindings/roles of a subject, the Service exposing a pod...). */
  relatedResourcesIDs?: readonly string[];
}

/** What the engine hands a control: the scanned resource in the shape the control's rules expect. */
export interface ScanResource {
  /** `<group>/<version>/<namespace>/<kind>/<name>`. */
  readonly id: string;
  /**
   * What rules match on: the object kind, or `Subject` for an RBAC subject vector (the
   * `subject-role-rolebinding` aggregator of opa-utils).
   */
  readonly matchKind: string;
  /**
   * Small integer standing for matchKind (`kindSlot()`), set by the scan: lets each control find
   * the rules for the kind by array index instead of a string-keyed lookup per resource.
   */
  readonly kindSlot?: number;
  readonly object: KubeObject;
  /** Set for subject vectors. */
  readonly subject?: SubjectVector;
  /** Pod-spec view, computed once when the object is a workload (avoids a lookup per rule). */
  readonly workload?: WorkloadView;
  /**
   * Engine-internal: findings of rules shared by several controls on this resource (evaluated
   * once, see engine/control.ts). Lives and dies with the resource.
   */
  sharedFindings?: (readonly Finding[] | undefined)[] | undefined;
}

/** A binding together with the role its roleRef resolves to. */
export interface BoundRole {
  binding: KubeObject;
  role: KubeObject;
}

/**
 * A subject (User, Group, ServiceAccount) with every (binding, role) pair granting it something.
 * Kubescape builds one vector per (binding, subject) with `relatedObjects: [binding, role]`; we merge
 * the vectors of one subject so that the subject is one result, and index relatedObjects as
 * `[2k]` = binding k, `[2k+1]` = role k (identical to Kubescape for a subject with one binding).
 */
export interface SubjectVector {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
  relatedObjects: KubeObject[];
}

export interface EvalContext {
  readonly index: ClusterIndex;
  readonly inputs: ControlInputs;
}

export interface RuleResult {
  name: string;
  status: Status;
  subStatus: SubStatus;
  failedPaths: readonly string[];
  reviewPaths: readonly string[];
  deletePaths: readonly string[];
  fixPaths: readonly FixPath[];
  relatedResourcesIDs: readonly string[];
  /** Configuration inputs the rule read, as Kubescape reports them (`rules[].controlConfigurations`). */
  controlConfigurations?: Readonly<Record<string, readonly string[]>>;
  /** Free-text reason for skipped results (evaluation error, missing integration...). */
  info?: string;
}

/**
 * A rule: which resources it considers (its Rego `match` + `filter.rego`) and what fails.
 * `evaluate` returns the findings on a relevant resource (empty ⇒ passed).
 */
export interface RuleDefinition {
  readonly name: string;
  /** Kinds the rule matches (`Subject` for RBAC subject vectors). */
  readonly kinds: readonly string[];
  /** Configuration inputs (postureControlInputs keys) the rule reads. */
  readonly inputs?: readonly string[];
  /**
   * Resource enumerator (`filter.rego`): false ⇒ the resource is not part of the rule's
   * population at all (not even passed). Default: every resource of a matching kind.
   */
  relevant?(resource: ScanResource, ctx: EvalContext): boolean;
  evaluate(resource: ScanResource, ctx: EvalContext): readonly Finding[];
}

export type ActionRequired = 'configuration' | 'manual review' | 'requires review';

export interface ControlMeta {
  readonly id: string;
  readonly name: string;
  readonly baseScore: number;
  readonly severity: Severity;
  readonly category: string;
  /** Frameworks (by name) that include this control. */
  readonly frameworks: readonly string[];
  /** Kinds of the resources the control applies to (union of its rules' kinds). */
  readonly kinds: readonly string[];
  /** Configuration inputs read by its rules. */
  readonly inputs: readonly string[];
  readonly actionRequired?: ActionRequired;
  readonly rules: readonly RuleDefinition[];
}

export interface ControlDefinition extends ControlMeta {
  /** True when the control's rules apply to a resource of this match kind. */
  appliesTo(matchKind: string): boolean;
  /** Per-rule results for a resource; empty when no rule considers the resource. */
  evaluate(resource: ScanResource, ctx: EvalContext): RuleResult[];
}

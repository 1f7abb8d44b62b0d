/**
 * Compliance and risk scores exactly as Kubescape computes them (opa-utils `score/score.go` wrapped
 * by kubescape `core/pkg/score/score.go`; shared/reference/controls.md §3 "Scores").
 *
 * Resource weight (`GetScore`): 1; a workload with replicas > 1 weighs `replicas × 1.1`
 * (replicaFactor), a DaemonSet uses `status.desiredNumberScheduled` the same way; subject vectors
 * weigh 1 (their related objects are bindings/roles, each of weight 1).
 *
 * Control:
 *   compliance = 100 if the control passed, else 100 × passedResources / allResources
 *                (passed includes w/exceptions; skipped resources are in the denominator; 0 when
 *                there are no resources)
 *   risk       = 100 × Σ failed weight / Σ all weight        (baseScore cancels out per control)
 * Framework (and the overall summary over all scanned controls):
 *   compliance = arithmetic mean of the controls' compliance scores (not weighted by baseScore);
 *                controls that were not evaluated (not implemented, timed out) are left out of the
 *                mean, as `reweightComplianceScores` does for timed-out controls
 *   risk       = 100 × Σ_c baseScore_c × failedWeight_c / Σ_c baseScore_c × allWeight_c;
 *                100 when no control of the framework had any resource (reference §3: "all
 *                controls irrelevant ⇒ framework score 100")
 */
import type { KubeObject, Status } from './engine/types.js';
import { replicasOf } from './engine/workload.js';

export const REPLICA_FACTOR = 1.1;

/** Score weight of a resource (opa-utils `GetScore`). */
export function resourceWeight(obj: KubeObject, isSubject = false): number {
  if (isSubject) return 1;
  const n = replicasOf(obj);
  return n > 1 ? n * REPLICA_FACTOR : 1;
}

export interface ControlTally {
  baseScore: number;
  status: Status;
  passed: number;
  failed: number;
  skipped: number;
  /** Passed thanks to an exception (included in `passed`). */
  excepted: number;
  failedWeight: number;
  allWeight: number;
  /** False for controls that were not evaluated at all (not implemented). */
  evaluated: boolean;
}

export function controlComplianceScore(t: ControlTally): number {
  if (t.status === 'passed') return 100;
  const all = t.passed + t.failed + t.skipped;
  return all > 0 ? (100 * t.passed) / all : 0;
}

export function controlRiskScore(t: ControlTally): number {
  return t.allWeight > 0 ? (100 * t.failedWeight) / t.allWeight : 0;
}

export function frameworkComplianceScore(tallies: readonly ControlTally[]): number {
  const scored = tallies.filter((t) => t.evaluated);
  if (scored.length === 0) return 0;
  let sum = 0;
  for (const t of scored) sum += controlComplianceScore(t);
  return sum / scored.length;
}

export function frameworkRiskScore(tallies: readonly ControlTally[]): number {
  let num = 0;
  let den = 0;
  for (const t of tallies) {
    if (!t.evaluated) continue;
    num += t.baseScore * t.failedWeight;
    den += t.baseScore * t.allWeight;
  }
  return den > 0 ? (100 * num) / den : 100;
}

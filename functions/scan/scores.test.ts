import { describe, expect, it } from 'vitest';
import { bareContainer, deployment, hardenedPodSpec, pod } from './__fixtures__/k8s.js';
import { scanResources } from './report.js';
import {
  controlComplianceScore,
  controlRiskScore,
  frameworkComplianceScore,
  frameworkRiskScore,
  resourceWeight,
  type ControlTally,
} from './scores.js';

const tally = (t: Partial<ControlTally>): ControlTally => ({
  baseScore: 5,
  status: 'failed',
  passed: 0,
  failed: 0,
  skipped: 0,
  excepted: 0,
  failedWeight: 0,
  allWeight: 0,
  evaluated: true,
  ...t,
});

describe('scores (reference §3)', () => {
  it('weights resources by replicas × 1.1, DaemonSets by desiredNumberScheduled', () => {
    expect(resourceWeight(deployment('a', {}, 'ns', { replicas: 3 }))).toBeCloseTo(3.3, 10);
    expect(resourceWeight(deployment('a', {}, 'ns', { replicas: 1 }))).toBe(1);
    expect(
      resourceWeight({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'd' },
        status: { desiredNumberScheduled: 4 },
      }),
    ).toBeCloseTo(4.4, 10);
    expect(resourceWeight(pod('p', {}))).toBe(1);
  });

  it('control compliance: 100 when passed, else passed/all with skipped in the denominator', () => {
    expect(controlComplianceScore(tally({ status: 'passed', passed: 0 }))).toBe(100);
    expect(controlComplianceScore(tally({ passed: 1, failed: 2, skipped: 1 }))).toBe(25);
    expect(controlComplianceScore(tally({ status: 'skipped' }))).toBe(0);
  });

  it('framework scores: unweighted mean of compliance; baseScore-weighted risk; 100 when nothing was relevant', () => {
    const a = tally({ baseScore: 3, passed: 1, failed: 2, failedWeight: 4.3, allWeight: 5.3 });
    const b = tally({ baseScore: 7, passed: 2, failed: 1, failedWeight: 1, allWeight: 5.3 });
    const unimplemented = tally({ evaluated: false, status: 'skipped' });
    expect(controlRiskScore(a)).toBeCloseTo((100 * 4.3) / 5.3, 10);
    expect(frameworkComplianceScore([a, b, unimplemented])).toBeCloseTo(50, 10);
    // 100 × (3×4.3 + 7×1) / (3×5.3 + 7×5.3) = 100 × 19.9 / 53
    expect(frameworkRiskScore([a, b, unimplemented])).toBeCloseTo(37.54716981, 6);
    expect(frameworkRiskScore([tally({ status: 'passed' })])).toBe(100);
  });

  it('scanResources computes the same numbers end to end', () => {
    const objects = [
      deployment('a', { containers: [bareContainer()] }, 'ns', { replicas: 3 }), // fails C-0017, passes C-0041
      pod('b', { hostNetwork: true, containers: [bareContainer()] }, 'ns'), // fails both
      pod('c', hardenedPodSpec(), 'ns'), // passes both
    ];
    const r = scanResources(objects, { controls: ['C-0017', 'C-0041'] });
    const c17 = r.summaryDetails.controls['C-0017']!;
    const c41 = r.summaryDetails.controls['C-0041']!;
    expect(c17.complianceScore).toBeCloseTo(100 / 3, 10);
    expect(c17.score).toBeCloseTo((100 * 4.3) / 5.3, 10);
    expect(c41.complianceScore).toBeCloseTo(200 / 3, 10);
    expect(c41.score).toBeCloseTo(100 / 5.3, 10);
    expect(r.summaryDetails.complianceScore).toBeCloseTo(50, 10);
    expect(r.summaryDetails.score).toBeCloseTo((100 * 19.9) / 53, 10);
    expect(c17.ResourceCounters).toEqual({
      passedResources: 1,
      failedResources: 2,
      skippedResources: 0,
      excludedResources: 0,
    });
  });
});

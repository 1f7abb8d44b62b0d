import { describe, expect, it } from 'vitest';
import { CONTROLS } from './controls/index.js';
import { FRAMEWORKS, frameworksOfControl, getFramework, UnknownFrameworkError } from './frameworks.js';

describe('frameworks', () => {
  it('have the reference membership counts', () => {
    const counts = Object.fromEntries(FRAMEWORKS.map((f) => [f.name, new Set(f.controlIDs).size]));
    expect(counts).toEqual({
      NSA: 26,
      MITRE: 27,
      AllControls: 281,
      ArmoBest: 40,
      DevOpsBest: 25,
      SOC2: 7,
      security: 37,
      WorkloadScan: 19,
      ClusterScan: 23,
      'cis-v1.10.0': 129,
      'cis-v1.12.0': 131,
    });
  });

  it('spot-check membership against the reference table', () => {
    expect(getFramework('cis-v1.12.0').controlIDs).toEqual(
      expect.arrayContaining(['C-0290', 'C-0291', 'C-0041', 'C-0246']),
    );
    expect(getFramework('cis-v1.10.0').controlIDs).not.toContain('C-0115');
    expect(getFramework('cis-v1.10.0').controlIDs).not.toContain('C-0194');
    expect(getFramework('AllControls').controlIDs).not.toContain('C-0003');
    expect(getFramework('AllControls').controlIDs).toContain('C-0308');
    expect(frameworksOfControl('C-0012')).toEqual([
      'NSA',
      'MITRE',
      'AllControls',
      'ArmoBest',
      'SOC2',
      'security',
      'WorkloadScan',
      'ClusterScan',
    ]);
  });

  it('matches names case-insensitively and lists valid names for unknown ones', () => {
    expect(getFramework('nsa').name).toBe('NSA');
    expect(getFramework('CIS-V1.12.0').name).toBe('cis-v1.12.0');
    expect(() => getFramework('pci')).toThrow(UnknownFrameworkError);
    expect(() => getFramework('pci')).toThrow(
      /valid frameworks: NSA, MITRE, AllControls, ArmoBest, DevOpsBest, SOC2, security, WorkloadScan, ClusterScan, cis-v1.10.0, cis-v1.12.0/,
    );
  });

  it('implements every control of the frameworks except the documented gaps', () => {
    const implemented = new Set(CONTROLS.map((c) => c.id));
    const missing = Object.fromEntries(
      FRAMEWORKS.map((f) => [f.name, f.controlIDs.filter((id) => !implemented.has(id))]),
    );
    // CIS: audit-policy/encryption-config content (C-0142, C-0161) is not in node-agent's facts;
    // C-0208's logic is not in the reference. See README "Controls implemented".
    const cisGaps = ['C-0142', 'C-0161', 'C-0208'];
    expect(missing).toMatchObject({
      NSA: [],
      MITRE: ['C-0052'],
      ArmoBest: ['C-0089'],
      DevOpsBest: [],
      SOC2: [],
      security: [],
      WorkloadScan: [],
      ClusterScan: [],
      'cis-v1.10.0': cisGaps,
      'cis-v1.12.0': cisGaps,
    });
  });
});

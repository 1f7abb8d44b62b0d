import { describe, expect, it } from 'vitest';
import type { GrypeDocument, Match } from '../../lib/api/schemas.js';
import { sarifLevel, toSarif } from './sarif.js';

const match = (
  id: string,
  name: string,
  severity: string,
  extra: Partial<Match['vulnerability']> = {},
  path?: string,
): Match =>
  ({
    vulnerability: {
      id,
      severity,
      urls: [`https://osv.dev/vulnerability/${id}`],
      description: `${id} in ${name}`,
      fix: { versions: [], state: 'not-fixed' },
      ...extra,
    },
    relatedVulnerabilities: [],
    matchDetails: [],
    artifact: {
      name,
      version: '1.0',
      type: 'deb',
      purl: `pkg:deb/debian/${name}@1.0`,
      locations: path ? [{ path }] : [],
    },
  }) as unknown as Match;

describe('toSarif', () => {
  it('one rule per vulnerability, one result per affected package, levels and CVSS ranking', () => {
    const doc = {
      matches: [
        match(
          'CVE-1',
          'libc6',
          'Critical',
          {
            cvss: [{ version: '3.1', vector: 'v', metrics: { baseScore: 9.8 } }],
            fix: { versions: ['1.1'], state: 'fixed' },
          },
          '/var/lib/dpkg/status',
        ),
        match('CVE-1', 'libc-bin', 'Critical', {}, '/var/lib/dpkg/status'),
        match('CVE-2', 'zlib1g', 'Medium'),
        match('GHSA-x', 'left-pad', 'Unknown'),
      ],
    } as unknown as GrypeDocument;
    const log = toSarif(doc, 'registry.local/app:1');
    const run = log.runs[0]!;
    expect(
      run.tool.driver.rules.map((r) => [
        r.id,
        r.defaultConfiguration.level,
        r.properties['security-severity'],
      ]),
    ).toEqual([
      ['CVE-1', 'error', '9.8'],
      ['CVE-2', 'warning', undefined],
      ['GHSA-x', 'note', undefined],
    ]);
    expect(
      run.results.map((r) => [r.ruleId, r.ruleIndex, r.locations[0]!.physicalLocation.artifactLocation.uri]),
    ).toEqual([
      ['CVE-1', 0, 'var/lib/dpkg/status'],
      ['CVE-1', 0, 'var/lib/dpkg/status'],
      ['CVE-2', 1, 'registry.local/app:1'],
      ['GHSA-x', 2, 'registry.local/app:1'],
    ]);
    expect(run.results[0]!.message.text).toBe(
      'libc6@1.0 in registry.local/app:1 is affected by CVE-1 (Critical); fixed in 1.1',
    );
    expect(run.results[2]!.message.text).toContain('no fix (not-fixed)');
    expect(new Set(run.results.map((r) => r.partialFingerprints.packageVulnerability)).size).toBe(4);
  });

  it('an image without findings is a valid empty run', () => {
    const log = toSarif({ matches: [] } as unknown as GrypeDocument, 'x');
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results).toEqual([]);
    expect(sarifLevel('HIGH')).toBe('error');
    expect(sarifLevel(undefined)).toBe('note');
  });
});

import { describe, expect, it } from 'vitest';
import { dpkg } from '../versions/dpkg.js';
import { pep440 } from '../versions/pep440.js';
import { semver } from '../versions/semver.js';
import {
  cvss2BaseScore,
  cvss3BaseScore,
  InvalidCvssError,
  parseCvss,
  roundup31,
  severityOfWord,
} from './cvss.js';
import { fixVersionsFor, includedInRange, isAffected } from './range.js';
import { isWithdrawn, parseOsvRecord, type OsvRange } from './schema.js';

const eco = (events: OsvRange['events']): OsvRange => ({ type: 'ECOSYSTEM', events });

describe('OSV range evaluation', () => {
  it('introduced "0" + fixed', () => {
    const r = eco([{ introduced: '0' }, { fixed: '1.2.3' }]);
    expect(includedInRange('0.0.1', r, semver)).toBe(true);
    expect(includedInRange('1.2.2', r, semver)).toBe(true);
    expect(includedInRange('1.2.3', r, semver)).toBe(false);
    expect(includedInRange('2.0.0', r, semver)).toBe(false);
  });
  it('introduced without an end affects everything after it', () => {
    const r = eco([{ introduced: '2.0.0' }]);
    expect(includedInRange('1.9.9', r, semver)).toBe(false);
    expect(includedInRange('2.0.0', r, semver)).toBe(true);
    expect(includedInRange('99.0.0', r, semver)).toBe(true);
  });
  it('last_affected is inclusive', () => {
    const r = eco([{ introduced: '1.0.0' }, { last_affected: '1.4.0' }]);
    expect(includedInRange('1.4.0', r, semver)).toBe(true);
    expect(includedInRange('1.4.1', r, semver)).toBe(false);
    expect(includedInRange('0.9.0', r, semver)).toBe(false);
  });
  it('multiple introduced/fixed pairs, unsorted input', () => {
    const r = eco([{ fixed: '2.5.1' }, { introduced: '2.0.0' }, { fixed: '1.4.2' }, { introduced: '1.0.0' }]);
    const got = ['0.9.0', '1.0.0', '1.4.1', '1.4.2', '1.9.0', '2.0.0', '2.5.0', '2.5.1', '3.0.0'].map((v) =>
      includedInRange(v, r, semver),
    );
    expect(got).toEqual([false, true, true, false, false, true, true, false, false]);
  });
  it('limit bounds the range; "*" is no limit', () => {
    const r = eco([{ introduced: '1.0.0' }, { limit: '2.0.0' }]);
    expect(includedInRange('1.5.0', r, semver)).toBe(true);
    expect(includedInRange('2.0.0', r, semver)).toBe(false);
    expect(includedInRange('3.0.0', eco([{ introduced: '1.0.0' }, { limit: '*' }]), semver)).toBe(true);
  });
  it('introduced and fixed at the same version affect nothing', () => {
    expect(includedInRange('1.0.0', eco([{ fixed: '1.0.0' }, { introduced: '1.0.0' }]), semver)).toBe(false);
  });
  it('uses the ecosystem comparator for ECOSYSTEM ranges and semver for SEMVER ranges', () => {
    const r = eco([{ introduced: '0' }, { fixed: '1.0-2' }]);
    expect(includedInRange('1.0~rc1-1', r, dpkg)).toBe(true);
    expect(includedInRange('1:0.5-1', r, dpkg)).toBe(false); // epoch 1 beats everything
    // Under PEP 440, 1.0rc1 < 1.0; under SemVer a SEMVER range for a PyPI package still works.
    const s: OsvRange = { type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.10.0' }] };
    expect(includedInRange('1.9.0', s, pep440)).toBe(true);
    expect(includedInRange('1.10.0', s, pep440)).toBe(false);
  });
  it('explicit versions list and GIT ranges', () => {
    const git: OsvRange = {
      type: 'GIT',
      repo: 'https://github.com/x/y',
      events: [{ introduced: '0' }, { fixed: 'abc123' }],
    };
    expect(isAffected('1.2.3', { ranges: [git] }, semver)).toBe(false);
    expect(isAffected('1.2.3', { ranges: [git], versions: ['1.2.3'] }, semver)).toBe(true);
    expect(isAffected('1.2.4', { versions: ['1.2.3'] }, semver)).toBe(false);
  });
  it('fix versions of the range that contains the version', () => {
    const a = {
      ranges: [
        eco([{ introduced: '1.0.0' }, { fixed: '1.4.2' }, { introduced: '2.0.0' }, { fixed: '2.5.1' }]),
      ],
    };
    expect(fixVersionsFor('2.1.0', a, semver)).toEqual(['2.5.1']);
    expect(fixVersionsFor('1.1.0', a, semver)).toEqual(['1.4.2']);
    expect(
      fixVersionsFor('1.1.0', { ranges: [eco([{ introduced: '0' }, { last_affected: '3.0.0' }])] }, semver),
    ).toEqual([]);
  });
});

describe('OSV schema', () => {
  it('accepts a full record and keeps unknown fields', () => {
    const r = parseOsvRecord({
      schema_version: '1.7.0',
      id: 'GHSA-xxxx',
      modified: '2024-01-01T00:00:00Z',
      aliases: ['CVE-2024-1'],
      x_new_field: 1,
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [
        {
          package: { ecosystem: 'npm', name: 'x' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }],
          versions: ['0.1.0'],
        },
      ],
    });
    expect(r.id).toBe('GHSA-xxxx');
    expect((r as Record<string, unknown>).x_new_field).toBe(1);
  });
  it('rejects events with two keys, unknown range types, GIT without repo, missing modified', () => {
    const base = { id: 'X-1', modified: '2024-01-01T00:00:00Z' };
    expect(() =>
      parseOsvRecord({
        ...base,
        affected: [{ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }],
      }),
    ).toThrow();
    expect(() =>
      parseOsvRecord({
        ...base,
        affected: [{ ranges: [{ type: 'WHATEVER', events: [{ introduced: '0' }] }] }],
      }),
    ).toThrow();
    expect(() =>
      parseOsvRecord({ ...base, affected: [{ ranges: [{ type: 'GIT', events: [{ introduced: '0' }] }] }] }),
    ).toThrow();
    expect(() => parseOsvRecord({ id: 'X-1' })).toThrow();
    expect(() => parseOsvRecord({ ...base, severity: [{ type: 'CVSS_V5', score: 'x' }] })).toThrow();
  });
  it('withdrawn', () => {
    expect(isWithdrawn({ withdrawn: '2020-01-01T00:00:00Z' })).toBe(true);
    expect(isWithdrawn({})).toBe(false);
    expect(isWithdrawn({ withdrawn: '2999-01-01T00:00:00Z' })).toBe(false);
  });
});

describe('CVSS', () => {
  it('v3.1 and v3.0 base scores of well-known vectors', () => {
    const cases: [string, number][] = [
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
      ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
      ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8],
      ['CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 6.5],
    ];
    for (const [v, s] of cases) expect(cvss3BaseScore(v).score, v).toBe(s);
    // Spec Appendix A examples: Roundup(4.02) = 4.1, Roundup(4.00) = 4.0; float noise below
    // 1e-5 is absorbed (4.000000000001 is 4.0, not 4.1).
    expect(roundup31(4.02)).toBe(4.1);
    expect(roundup31(4.0)).toBe(4.0);
    expect(roundup31(4.000000000001)).toBe(4.0);
  });
  it('v2 base scores of well-known vectors', () => {
    const cases: [string, number][] = [
      ['AV:N/AC:L/Au:N/C:P/I:N/A:N', 5.0],
      ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10.0],
      ['AV:N/AC:M/Au:N/C:P/I:P/A:P', 6.8],
      ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2],
      ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
      ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
      ['AV:N/AC:L/Au:N/C:N/I:N/A:N', 0],
    ];
    for (const [v, s] of cases) expect(cvss2BaseScore(v), v).toBe(s);
  });
  it('v4.0 scores of known vectors (FIRST calculator / spec examples)', () => {
    const cases: [string, number][] = [
      // The v4.0 specification's headline example.
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
      // FIRST's v4.0 examples: Heartbleed (CVE-2014-0160).
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 8.7],
      ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
      // Threat metric E:U lowers the score (CVSS-BT).
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 8.1],
      // Supplemental metrics do not change it.
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/U:Red', 9.3],
    ];
    for (const [v, s] of cases) expect(parseCvss(v).baseScore, v).toBe(s);
    expect(() => parseCvss('CVSS:4.0/AV:N/AC:L')).toThrow(/missing metric AT/);
    expect(() => parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:1')).toThrow(
      /unknown metric XX/,
    );
    expect(() => parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toThrow(
      /invalid value UI:R/,
    );
    expect(() =>
      parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/constructor:1'),
    ).toThrow(InvalidCvssError);
  });
  it('severity bands', () => {
    expect(parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H').severity).toBe('Critical');
    expect(parseCvss('AV:N/AC:L/Au:N/C:C/I:C/A:C').severity).toBe('High');
    expect(parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N').severity).toBe('Negligible');
    const v4 = parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N');
    expect(v4.severity).toBe('Critical');
    expect(parseCvss('CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N').severity).toBe('Low');
    expect(() => parseCvss('CVSS:3.1/AV:N/AC:L')).toThrow(/missing metric/);
    expect(() => parseCvss('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow(/invalid value/);
    expect(severityOfWord('moderate')).toBe('Medium');
    expect(severityOfWord('unimportant')).toBe('Negligible');
    expect(severityOfWord(undefined)).toBe('Unknown');
  });
});

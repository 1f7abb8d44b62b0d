/**
 * Hand-written vectors for the comparators without an oracle on the build machine (apk, Go,
 * NuGet, RubyGems, Composer), taken from each ecosystem's documented rules, plus the ecosystem
 * map. Each chain is strictly increasing: every earlier element must compare below every later.
 */
import { describe, expect, it } from 'vitest';
import { apk } from './apk.js';
import { composer, normalizeComposer, phpVersionCompare } from './composer.js';
import { dpkg } from './dpkg.js';
import { baseEcosystem, comparatorFor } from './index.js';
import { maven } from './maven.js';
import { nuget } from './nuget.js';
import { normalizePep440, pep440 } from './pep440.js';
import { rpm } from './rpm.js';
import { rubygems } from './rubygems.js';
import { goVersion, semver } from './semver.js';
import type { VersionComparator } from './types.js';

function expectChain(c: VersionComparator, chain: string[]): void {
  const bad: string[] = [];
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) {
      const want = Math.sign(i - j);
      const got = c.compare(chain[i]!, chain[j]!);
      if (got !== want) bad.push(`${chain[i]} vs ${chain[j]}: want ${want}, got ${got}`);
    }
  }
  expect(bad).toEqual([]);
}

function expectEqual(c: VersionComparator, pairs: [string, string][]): void {
  expect(pairs.filter(([a, b]) => c.compare(a, b) !== 0 || c.compare(b, a) !== 0)).toEqual([]);
}

describe('apk (apk-tools version.c rules)', () => {
  it('orders pre-release suffixes < release < revision < post-release suffixes < letters < longer', () => {
    expectChain(apk, [
      '1.0_alpha',
      '1.0_alpha1',
      '1.0_alpha2',
      '1.0_beta',
      '1.0_beta3',
      '1.0_pre1',
      '1.0_rc1',
      '1.0_rc2',
      '1.0',
      '1.0-r0',
      '1.0-r1',
      '1.0-r10',
      '1.0_cvs',
      '1.0_svn',
      '1.0_git20240101',
      '1.0_hg',
      '1.0_p1',
      '1.0_p2',
      '1.0a',
      '1.0b',
      '1.0.0',
      '1.0.1',
      '1.0.1-r1',
      '1.1',
    ]);
  });
  it('compares numbers numerically and real Alpine package versions', () => {
    expectChain(apk, ['1.2.9', '1.2.10', '1.10', '2']);
    expectChain(apk, [
      '0.9.8zh',
      '1.0.0',
      '1.1.1k-r0',
      '1.1.1l-r0',
      '1.1.1w-r1',
      '3.0.15-r0',
      '3.0.15-r1',
      '3.1.0-r0',
    ]);
    expectChain(apk, ['2.34-r0', '2.34.1-r0', '2.35-r0']);
    expectChain(apk, ['1.0_rc1_p1', '1.0_rc2', '1.0']);
    expectChain(apk, ['8.5.0-r0', '8.9.1-r0', '8.10.0-r0', '8.10.0-r1']);
  });
  it('ignores the ~commit-hash part', () => {
    expectEqual(apk, [
      ['1.0~abcdef12', '1.0'],
      ['2.1~0123abc-r3', '2.1-r3'],
    ]);
  });
  it('validates the grammar', () => {
    for (const v of [
      '1',
      '1.2.3-r4',
      '1.0_rc1',
      '2.0a',
      '1.0_p1-r3',
      '1.0_alpha_beta2',
      '20240101',
      '1.0~abc1-r0',
    ])
      expect(apk.isValid(v), v).toBe(true);
    for (const v of ['', 'abc', '1.0-x', '1.0ab', '1.0_foo', '1.0-r', 'v1.0', '1.0.'])
      expect(apk.isValid(v), v).toBe(false);
    expect(() => apk.parse('1.0_foo')).toThrow(/invalid apk version/);
  });
});

describe('Go module versions', () => {
  it('orders pseudo-versions as pre-releases and ignores +incompatible', () => {
    expectChain(goVersion, [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20200101000000-000000000000',
      'v0.0.1',
      'v1.2.3',
      'v1.2.4-0.20200101000000-abcdefabcdef',
      '1.2.4',
      'v1.10.0-rc.1',
      'v1.10.0',
      'v2.0.0+incompatible',
      'v2.0.1',
    ]);
    expectEqual(goVersion, [
      ['v2.0.0+incompatible', '2.0.0'],
      ['v1.0.0', '1.0.0'],
    ]);
    expect(goVersion.isValid('v1.2.3')).toBe(true);
    expect(goVersion.isValid('v1.2')).toBe(false);
  });
});

describe('SemVer 2.0 (spec §11 example and lenient input)', () => {
  it('follows the spec precedence example', () => {
    expectChain(semver, [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
    ]);
    expectEqual(semver, [
      ['1.0.0+build.1', '1.0.0+other'],
      ['v1.2', '1.2.0'],
      ['1.2.3.0', '1.2.3'],
    ]);
    expect(semver.compare('18446744073709551616.0.0', '18446744073709551615.0.0')).toBe(1);
    expect(semver.isValid('01.0.0')).toBe(false);
  });
});

describe('NuGet', () => {
  it('pads to four parts, compares labels case-insensitively and ignores metadata', () => {
    expectChain(nuget, [
      '1.0.0-alpha',
      '1.0.0-Beta',
      '1.0.0-beta.2',
      '1.0.0-beta.10',
      '1.0.0-rc1',
      '1.0',
      '1.0.0.1',
      '1.0.1',
      '1.1',
      '10.0.0',
    ]);
    expectEqual(nuget, [
      ['1.0', '1.0.0.0'],
      ['1.0.0-BETA', '1.0.0-beta'],
      ['1.0.0+abc', '1.0.0'],
    ]);
    expect(nuget.isValid('1.2.3.4.5')).toBe(false);
  });
});

describe('RubyGems (Gem::Version)', () => {
  it('treats letters as pre-release and drops trailing zeros', () => {
    expectChain(rubygems, [
      '1.0.a',
      '1.0.a.2',
      '1.0.b1',
      '1.0.beta',
      '1.0.rc1',
      '1.0',
      '1.0.0.1',
      '1.1',
      '1.10',
      '2.0.0.pre',
      '2.0.0',
    ]);
    expectEqual(rubygems, [
      ['1.0', '1'],
      ['1.0.0', '1'],
      ['1.0.a', '1.a'],
      ['1.0-rc1', '1.0.pre.rc1'],
    ]);
    expect(rubygems.isValid('1.2.3-beta')).toBe(true);
    expect(rubygems.isValid('junk')).toBe(false);
  });
});

describe('Composer / PHP version_compare', () => {
  it('normalises versions like composer/semver', () => {
    expect(normalizeComposer('v1.2')).toBe('1.2.0.0');
    expect(normalizeComposer('1.0.0-beta2')).toBe('1.0.0.0-beta2');
    expect(normalizeComposer('1.0.0RC1')).toBe('1.0.0.0-RC1');
    expect(normalizeComposer('2.1.3-p1')).toBe('2.1.3.0-patch1');
    expect(normalizeComposer('1.0.x-dev')).toBe('1.0.9999999.9999999-dev');
    expect(() => normalizeComposer('feature-dev')).toThrow(); // a non-numeric branch needs `dev-`
    expect(normalizeComposer('1.0.0-stable-dev')).toBe('1.0.0.0');
    expect(normalizeComposer('1.0.0-STABLE')).toBe('1.0.0.0-stable');
    expect(() => normalizeComposer('2010.01.02.5.6')).toThrow();
    expect(normalizeComposer('dev-master')).toBe('dev-master');
    expect(normalizeComposer('master')).toBe('dev-master');
    expect(normalizeComposer('1.0.0+build.5')).toBe('1.0.0.0');
    expect(normalizeComposer('2010.01.02')).toBe('2010.01.02.0');
    expect(normalizeComposer('20100102')).toBe('20100102');
    expect(() => normalizeComposer('not a version')).toThrow();
  });
  it("matches PHP's version_compare on its documented examples", () => {
    expect(phpVersionCompare('5.2', '5.2.0')).toBe(-1);
    expect(phpVersionCompare('1.0rc1', '1.0')).toBe(-1);
    expect(phpVersionCompare('1.0', '1.0.pl1')).toBe(-1);
    expect(phpVersionCompare('1.0-dev', '1.0a')).toBe(-1);
    expect(phpVersionCompare('1.0a', '1.0b')).toBe(-1);
    expect(phpVersionCompare('1.0', '1.0')).toBe(0);
  });
  it('orders stabilities dev < alpha < beta < RC < stable < patch', () => {
    expectChain(composer, [
      '1.0.0-dev',
      '1.0.0-alpha1',
      '1.0.0-alpha2',
      '1.0.0-beta',
      '1.0.0-RC1',
      '1.0.0',
      '1.0.0-p1',
      '1.0.1',
      'v1.1',
      '2.0',
    ]);
    expectEqual(composer, [
      ['v1.0', '1.0.0'],
      ['1.0.0.0', '1.0'],
      ['1.0.0-b1', '1.0.0-beta1'],
    ]);
    expect(composer.compare('dev-main', '0.0.1')).toBe(-1);
  });
});

describe('dpkg / rpm / maven / pep440 spot vectors', () => {
  it('dpkg', () => {
    expectChain(dpkg, [
      '1.0~~',
      '1.0~~a',
      '1.0~',
      '1.0',
      '1.0-0.1',
      '1.0-1',
      '1.0a',
      '1.0+b1',
      '1.0.1',
      '1:0.1',
      '2:0',
    ]);
    expectEqual(dpkg, [
      ['0:1.0', '1.0'],
      ['1.0-0', '1.0'],
      ['1.01', '1.1'],
    ]);
    expect(dpkg.isValid('1:2.3-4ubuntu1')).toBe(true);
    expect(dpkg.isValid('a1.0')).toBe(false);
  });
  it('rpm', () => {
    expectChain(rpm, ['1.0~rc1', '1.0', '1.0-1', '1.0^git1', '1.0a', '1.0.1', '1.01.2', '1:0.1']);
    expectEqual(rpm, [
      ['1.01', '1.1'],
      ['0:1.0-1', '1.0-1'],
      ['1.0_1', '1.0.1'],
    ]);
  });
  it('maven', () => {
    expectChain(maven, [
      '1-alpha-1',
      '1-beta',
      '1-milestone-1',
      '1-rc',
      '1-snapshot',
      '1',
      '1-sp',
      '1-abc',
      '1-1',
      '1.1',
    ]);
    expectEqual(maven, [
      ['1.0', '1'],
      ['1-ga', '1'],
      ['1-final', '1.0.0'],
      ['1-cr1', '1-rc1'],
      ['1.0.RC', '1.0-RC'],
    ]);
  });
  it('pep440', () => {
    expectChain(pep440, [
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.1.dev1',
      '1!0.1',
    ]);
    expect(normalizePep440('1.0-ALPHA.1_post-2.DEV3+Ubuntu-1')).toBe('1.0a1.post2.dev3+ubuntu.1');
    expect(pep440.compare('not-a-version', '0.0.1')).toBe(-1);
  });
});

describe('ecosystem map', () => {
  it('maps OSV ecosystem names (with release suffixes) to comparators', () => {
    const cases: [string, string][] = [
      ['Debian:12', 'dpkg'],
      ['Ubuntu:22.04:LTS', 'dpkg'],
      ['Alpine:v3.20', 'apk'],
      ['Wolfi', 'apk'],
      ['Red Hat:rhel_aus:8.4::appstream', 'rpm'],
      ['AlmaLinux:9', 'rpm'],
      ['Rocky Linux:8', 'rpm'],
      ['openSUSE:Leap 15.5', 'rpm'],
      ['npm', 'semver'],
      ['crates.io', 'semver'],
      ['PyPI', 'pep440'],
      ['Maven', 'maven'],
      ['Maven:https://repo.example/', 'maven'],
      ['Go', 'go'],
      ['RubyGems', 'rubygems'],
      ['NuGet', 'nuget'],
      ['Packagist', 'composer'],
    ];
    for (const [eco, name] of cases) expect(comparatorFor(eco)?.name, eco).toBe(name);
    expect(comparatorFor('Nonexistent')).toBeUndefined();
    expect(baseEcosystem('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu');
  });
});

/**
 * Comparators against the real tools, ≥10,000 seeded pairs per ecosystem, each batch answered by
 * ONE oracle process:
 *   dpkg   Dpkg::Version (dpkg's own Perl implementation, libdpkg-perl) for all pairs, plus a
 *          sample through the `dpkg --compare-versions` binary itself
 *   rpm    `rpm --eval` running rpm.vercmp in rpm's embedded Lua over stdin
 *   maven  Maven's ComparableVersion (maven-artifact jar) from a single-file Java program
 *   pep440 `packaging.version.Version` (pip's vendored copy)
 *   npm    the `semver` package (node_modules)
 *   gem    `Gem::Version#<=>` (ruby)
 *   composer  composer/semver's `VersionParser::normalize` + `Comparator` (Debian's composer package)
 *   go     golang.org/x/mod/semver `Compare` (Debian's golang-golang-x-mod-dev, GOPATH mode)
 * Missing oracles skip with a message, except in CI (CI=true), where they fail. CI installs:
 * dpkg, libdpkg-perl, rpm, maven, default-jdk-headless, python3-pip, ruby, php-cli, composer,
 * golang-go, golang-golang-x-mod-dev.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareDpkg } from './dpkg.js';
import { compareMaven } from './maven.js';
import { comparePep440, pep440 } from './pep440.js';
import { compareRpm } from './rpm.js';
import { composer, compareComposer } from './composer.js';
import { compareGem, rubygems } from './rubygems.js';
import { compareSemver, goVersion, isValidSemver } from './semver.js';
import { hasCommand, mutate, Prng, runOracle } from './testing.js';
import type { Cmp } from './types.js';

const PAIRS = 10_000;
/**
 * In CI (CI=true) a missing oracle FAILS its test instead of skipping: CI installs every oracle
 * (.ci/run), so a skip there would hide a comparator nobody checked.
 */
const strict = process.env.CI === 'true';

type Pair = readonly [string, string];

function makePairs(
  seed: number,
  gen: (r: Prng) => string,
  suffixes: readonly string[],
  valid: (v: string) => boolean = () => true,
): Pair[] {
  const rng = new Prng(seed);
  const out: Pair[] = [];
  while (out.length < PAIRS) {
    const a = gen(rng);
    const b = rng.chance(0.65) ? mutate(rng, a, suffixes) : gen(rng);
    if (valid(a) && valid(b)) out.push(rng.chance(0.5) ? [a, b] : [b, a]);
  }
  return out;
}

interface Check {
  mismatches: string[];
  counts: Record<string, number>;
}

function check(
  pairs: readonly Pair[],
  oracle: readonly number[],
  ours: (a: string, b: string) => Cmp,
): Check {
  expect(oracle.length).toBe(pairs.length);
  const mismatches: string[] = [];
  const counts: Record<string, number> = { '-1': 0, '0': 0, '1': 0 };
  pairs.forEach(([a, b], i) => {
    const want = oracle[i]!;
    counts[String(want)] = (counts[String(want)] ?? 0) + 1;
    const got = ours(a, b);
    if (got !== want) mismatches.push(`${a} vs ${b}: oracle ${want}, ours ${got}`);
    // Antisymmetry is a property of any order; cheap to check on the same pairs.
    const rev = ours(b, a);
    if (rev !== -got) mismatches.push(`${a} vs ${b}: not antisymmetric (${got} / ${rev})`);
  });
  return { mismatches, counts };
}

function expectAgreement(c: Check): void {
  expect(c.mismatches.slice(0, 25)).toEqual([]);
  // The generator must produce every outcome, or the test proves little.
  expect(c.counts['-1']).toBeGreaterThan(PAIRS * 0.2);
  expect(c.counts['1']).toBeGreaterThan(PAIRS * 0.2);
  expect(c.counts['0']).toBeGreaterThan(PAIRS * 0.02);
}

// ---------------------------------------------------------------------------------------- dpkg

function genDpkg(r: Prng): string {
  let v = r.chance(0.15) ? `${r.int(0, 3)}:` : '';
  v += r.num();
  const parts = r.int(0, 4);
  for (let i = 0; i < parts; i++) {
    const sep = r.pick(['.', '.', '.', '+', '~', '', '']);
    const tok = r.pick([
      r.num(),
      r.num(),
      'a',
      'b',
      'dfsg',
      'rc1',
      'git20230101',
      'Z',
      'beta',
      'ds',
      'really',
    ]);
    v += sep + (sep === '' && /^\d/.test(tok) ? 'p' : '') + tok;
  }
  if (r.chance(0.15)) v += r.pick(['~rc1', '~beta2', '~~', '~', '~pre']);
  if (r.chance(0.65)) {
    if (r.chance(0.1)) v += `-${r.num()}`; // upstream with a hyphen
    v +=
      '-' +
      r.pick([
        r.num(),
        `${r.num()}ubuntu${r.num()}`,
        `0+deb12u${r.num()}`,
        `${r.num()}.${r.num()}`,
        `1~bpo11+1`,
        `${r.num()}+b${r.num()}`,
        `${r.num()}build${r.num()}`,
        '0~',
        '~',
      ]);
  }
  return v;
}

const DPKG_SUFFIXES = ['~', '~rc1', '+b1', 'a', '.0', '-1', '+dfsg', '~~', '.1', 'build1', '-0'];

function dpkgValid(v: string): boolean {
  return /^(?:\d+:)?\d[A-Za-z0-9.+~-]*$/.test(v) && !v.endsWith('-');
}

describe('dpkg vs Dpkg::Version and dpkg --compare-versions', () => {
  const perl = hasCommand('perl', ['-MDpkg::Version', '-e', '1']);
  it.skipIf(!perl && !strict)(
    `agrees on ${PAIRS} pairs (Dpkg::Version)${perl ? '' : ' [SKIPPED: perl Dpkg::Version (libdpkg-perl) missing]'}`,
    () => {
      // Dpkg::Version compares digit runs as Perl numbers (doubles): above 2^53 it is lossy where
      // dpkg's C code is exact, so huge runs are left to the binary sample below.
      const pairs = makePairs(0xdeb, genDpkg, DPKG_SUFFIXES, (v) => dpkgValid(v) && !/\d{16}/.test(v));
      const run = runOracle(
        'perl',
        ['-MDpkg::Version', '-ne', 'chomp; my ($a, $b) = split /\\t/; print version_compare($a, $b), "\\n"'],
        pairs,
      );
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, compareDpkg));
    },
  );

  const dpkgBin = hasCommand('dpkg', ['--version']);
  it.skipIf(!dpkgBin && !strict)(
    `agrees with the dpkg binary on a 100-pair sample${dpkgBin ? '' : ' [SKIPPED: dpkg missing]'}`,
    () => {
      const pairs = makePairs(0xdeb2, genDpkg, DPKG_SUFFIXES, dpkgValid).slice(0, 100);
      // One shell process; dpkg itself has no batch mode. lt/eq/gt map to -1/0/1.
      const script = `while IFS="$(printf '\\t')" read -r a b; do
      if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi
    done`;
      const run = runOracle('sh', ['-c', script], pairs);
      expect(run.error).toBeUndefined();
      const c = check(pairs, run.results, compareDpkg);
      expect(c.mismatches.slice(0, 25)).toEqual([]);
    },
    180_000,
  );
});

// ----------------------------------------------------------------------------------------- rpm

function genRpm(r: Prng): string {
  let v = r.chance(0.15) ? `${r.int(0, 3)}:` : '';
  v += r.num();
  const parts = r.int(0, 4);
  for (let i = 0; i < parts; i++) {
    const sep = r.pick(['.', '.', '.', '_', '+', '~', '^', '', '']);
    v += sep + r.pick([r.num(), r.num(), 'a', 'b', 'rc', 'git1abc', 'p', 'Z', 'beta', '01']);
  }
  if (r.chance(0.75)) {
    v +=
      '-' +
      r.pick([
        r.num(),
        `${r.num()}.el${r.int(7, 9)}`,
        `${r.num()}.el9_${r.num()}`,
        `${r.num()}.fc${r.int(38, 40)}`,
        `0.rc${r.num()}.el8`,
        `${r.num()}.module+el8.${r.num()}`,
        `${r.num()}~beta`,
        `${r.num()}^1`,
      ]);
  }
  return v;
}

describe('rpm vs rpm.vercmp', () => {
  const ok = hasCommand('rpm', ['--version']);
  it.skipIf(!ok && !strict)(
    `agrees on ${PAIRS} pairs${ok ? '' : ' [SKIPPED: rpm missing; apt-get install rpm]'}`,
    () => {
      const pairs = makePairs(
        0x7e4,
        genRpm,
        ['~rc1', '^git1', '.1', 'a', '-1', '-2.el9', '.0', '~', '^', '_1'],
        (v) => /^(?:\d+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?$/.test(v),
      );
      const lua =
        '%{lua: for l in io.lines() do local a, b = l:match("^([^\\t]*)\\t(.*)$"); io.write(rpm.vercmp(a, b), "\\n") end}';
      const run = runOracle('rpm', ['--eval', lua], pairs);
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, compareRpm));
    },
  );
});

// --------------------------------------------------------------------------------------- maven

const MAVEN_QUALIFIERS = [
  'alpha',
  'beta',
  'milestone',
  'rc',
  'cr',
  'snapshot',
  'ga',
  'final',
  'release',
  'sp',
  'a',
  'b',
  'm',
  'jre',
  'android',
  'foo',
  'RC',
  'Final',
  'SNAPSHOT',
  'M',
  'GA',
];

function genMaven(r: Prng): string {
  let v = r.num();
  const parts = r.int(0, 5);
  for (let i = 0; i < parts; i++) {
    const sep = r.pick(['.', '.', '-', '-', '']);
    const tok = r.chance(0.55) ? r.num() : r.pick(MAVEN_QUALIFIERS);
    v += sep + tok;
  }
  return v;
}

const JAVA_ORACLE = `
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class MavenOracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.split("\\t", -1);
      out.append(Integer.signum(new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1])))).append('\\n');
    }
    System.out.print(out);
  }
}`;

function mavenJar(): string | undefined {
  for (const p of ['/usr/share/maven/lib/maven-artifact-3.x.jar', '/usr/share/maven/lib/maven-artifact.jar'])
    if (existsSync(p)) return p;
  return undefined;
}

describe('maven vs ComparableVersion', () => {
  const jar = mavenJar();
  const ok = jar !== undefined && hasCommand('java', ['-version']);
  it.skipIf(!ok && !strict)(
    `agrees on ${PAIRS} pairs${ok ? '' : ' [SKIPPED: java or /usr/share/maven/lib/maven-artifact*.jar missing; apt-get install maven default-jdk-headless]'}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'maven-oracle-'));
      const src = join(dir, 'MavenOracle.java');
      writeFileSync(src, JAVA_ORACLE);
      const pairs = makePairs(0x3a7, genMaven, [
        '-1',
        '.0',
        '-SNAPSHOT',
        '-rc1',
        '.Final',
        'a1',
        '-sp',
        '-0',
        '.1',
        '-ga',
        'b2',
      ]);
      const run = runOracle('java', ['-cp', jar!, src], pairs);
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, compareMaven));
    },
  );
});

// -------------------------------------------------------------------------------------- PEP 440

function genPep440(r: Prng): string {
  let v = r.chance(0.05) ? 'v' : '';
  if (r.chance(0.1)) v += `${r.int(0, 2)}!`;
  v += r.num();
  for (let i = r.int(0, 3); i > 0; i--) v += `.${r.num()}`;
  if (r.chance(0.35))
    v +=
      r.pick(['', '.', '-', '_']) +
      r.pick(['a', 'alpha', 'b', 'beta', 'c', 'rc', 'pre', 'preview', 'RC', 'A']) +
      r.pick(['', '', '.', '-']) +
      (r.chance(0.8) ? r.num() : '');
  if (r.chance(0.25))
    v += r.chance(0.3)
      ? `-${r.num()}`
      : r.pick(['.', '-', '_', '']) + r.pick(['post', 'rev', 'r', 'POST']) + (r.chance(0.8) ? r.num() : '');
  if (r.chance(0.25))
    v += r.pick(['.', '-', '_', '']) + r.pick(['dev', 'DEV']) + (r.chance(0.8) ? r.num() : '');
  if (r.chance(0.15))
    v += '+' + r.pick(['ubuntu1', '1.2.abc', 'abc-1_2', '0', 'deb12u1', 'local.7', 'cpu', '1a']);
  return v;
}

const PY_ORACLE = `
import sys
try:
    from packaging.version import Version
except ImportError:
    from pip._vendor.packaging.version import Version
out = []
for line in sys.stdin:
    a, b = line.rstrip("\\n").split("\\t")
    x, y = Version(a), Version(b)
    out.append("-1" if x < y else ("1" if x > y else "0"))
sys.stdout.write("\\n".join(out) + "\\n")
`;

describe('pep440 vs packaging.version', () => {
  const ok = hasCommand('python3', ['-c', 'from pip._vendor.packaging.version import Version']);
  it.skipIf(!ok && !strict)(
    `agrees on ${PAIRS} pairs${ok ? '' : ' [SKIPPED: python3 with pip missing]'}`,
    () => {
      const pairs = makePairs(
        0x9e9,
        genPep440,
        ['.post1', 'a1', '.dev0', '+local', '-1', 'rc2', '.0', 'b1.dev2', '+1.a'],
        (v) => pep440.isValid(v),
      );
      const run = runOracle('python3', ['-c', PY_ORACLE], pairs);
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, comparePep440));
    },
  );
});

// ------------------------------------------------------------------------------------ npm semver

function genSemver(r: Prng): string {
  let v = `${r.num()}.${r.num()}.${r.num()}`.replace(/(^|\.)0+(\d)/g, '$1$2');
  if (r.chance(0.45)) {
    const ids: string[] = [];
    for (let i = r.int(1, 3); i > 0; i--)
      ids.push(
        r.pick([
          'alpha',
          'beta',
          'rc',
          String(r.int(0, 12)),
          'x-y',
          '0a',
          'Alpha',
          'a1',
          'pre',
          '-',
          String(r.int(0, 3)),
        ]),
      );
    v += `-${ids.join('.')}`;
  }
  if (r.chance(0.15)) v += `+${r.pick(['build.1', '001', 'sha.5114f85', 'x'])}`;
  return v;
}

describe('semver vs npm semver', () => {
  let semverPkg: { compare(a: string, b: string): number } | undefined;
  try {
    semverPkg = createRequire(import.meta.url)('semver') as { compare(a: string, b: string): number };
  } catch {
    semverPkg = undefined;
  }
  it.skipIf(!semverPkg && !strict)(
    `agrees on ${PAIRS} pairs${semverPkg ? '' : ' [SKIPPED: npm package semver not installed]'}`,
    () => {
      // npm semver rejects components above 2^53-1 (the spec does not); keep to its domain.
      const inDomain = (v: string): boolean =>
        isValidSemver(v) &&
        v
          .split(/[-+]/)[0]!
          .split('.')
          .every((n) => Number(n) <= Number.MAX_SAFE_INTEGER);
      const pairs = makePairs(
        0x5e7,
        genSemver,
        ['-0', '-alpha', '.1', '-rc.1', '+b', '-1', '-alpha.1', '-beta.2'],
        inDomain,
      );
      const results = pairs.map(([a, b]) => semverPkg!.compare(a, b));
      expectAgreement(check(pairs, results, compareSemver));
    },
  );
});

// ------------------------------------------------------------------------------------ RubyGems

function genGem(r: Prng): string {
  let v = r.num();
  for (let i = r.int(0, 3); i > 0; i--) v += `.${r.num()}`;
  if (r.chance(0.35)) {
    const sep = r.pick(['.', '.', '-', '']);
    v += sep + r.pick(['rc', 'pre', 'beta', 'alpha', 'a', 'b', 'RC', 'dev']);
    if (r.chance(0.7)) v += r.pick(['', '.']) + r.num();
  }
  if (r.chance(0.1)) v += `.${r.num()}`;
  return v;
}

describe('rubygems vs Gem::Version', () => {
  const ok = hasCommand('ruby', ['-e', 'Gem::Version']);
  it.skipIf(!ok && !strict)(
    `agrees on ${PAIRS} pairs${ok ? '' : ' [SKIPPED: ruby missing; apt-get install ruby]'}`,
    () => {
      const pairs = makePairs(
        0x9e5,
        genGem,
        ['.0', '.rc1', '.pre', '.a', '-1', '.1', 'a', '.beta.2', '0', '-rc.1'],
        rubygems.isValid,
      );
      const run = runOracle(
        'ruby',
        [
          '-e',
          'STDIN.each_line { |l| a, b = l.chomp.split("\\t", -1); puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }',
        ],
        pairs,
      );
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, compareGem));
    },
  );
});

// ------------------------------------------------------------------------------------ Composer

const COMPOSER_STABILITIES = ['alpha', 'beta', 'RC', 'rc', 'a', 'b', 'p', 'pl', 'patch', 'stable'];

function genComposer(r: Prng): string {
  let v = r.chance(0.2) ? 'v' : '';
  v += String(r.int(0, 12));
  for (let i = r.int(0, 3); i > 0; i--) v += `.${r.num()}`;
  if (r.chance(0.35)) {
    v += r.pick(['-', '.', '', '_']) + r.pick(COMPOSER_STABILITIES);
    if (r.chance(0.7)) v += r.pick(['', '.', '-']) + r.int(0, 12);
  }
  if (r.chance(0.1)) v += r.pick(['-dev', '.dev', 'dev']);
  if (r.chance(0.05)) v += '+' + r.pick(['build1', 'sha.abc']);
  return v;
}

/** Composer's own VersionParser::normalize + Comparator (composer/semver from Debian's composer package). */
const PHP_ORACLE = `
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\\Semver\\Comparator;
use Composer\\Semver\\VersionParser;
$p = new VersionParser();
while (($l = fgets(STDIN)) !== false) {
  [$a, $b] = explode("\\t", rtrim($l, "\\n"));
  try {
    // As in Composer's constraint matching: both sides normalised, then compared.
    $a = $p->normalize($a);
    $b = $p->normalize($b);
    echo Comparator::lessThan($a, $b) ? -1 : (Comparator::equalTo($a, $b) ? 0 : 1), "\\n";
  } catch (\\Throwable $e) {
    echo "invalid\\n";
  }
}`;

describe('composer vs composer/semver Comparator', () => {
  const ok = hasCommand('php', ['-r', "require '/usr/share/php/Composer/Semver/autoload.php';"]);
  it.skipIf(!ok && !strict)(
    `agrees on ${PAIRS} pairs${ok ? '' : ' [SKIPPED: php or composer/semver missing; apt-get install php-cli composer]'}`,
    () => {
      const pairs = makePairs(
        0xc0c,
        genComposer,
        ['.0', '-beta', '-RC1', '.1', '-dev', 'p1', '-alpha2', '.0.0', '-patch', '0'],
        composer.isValid,
      );
      // An oracle "invalid" becomes NaN and so a mismatch: our isValid must agree with Composer's.
      const run = runOracle('php', ['-r', PHP_ORACLE], pairs);
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, compareComposer));
    },
  );
});

// ------------------------------------------------------------------------------------------ Go

/** A canonical number: Go's semver rejects leading zeros. */
function goNum(r: Prng): string {
  const n = r.num();
  return BigInt(n).toString();
}

function genGo(r: Prng): string {
  const major = goNum(r);
  const kind = r.int(0, 9);
  const date = `20${r.int(10, 25)}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(10, 28))}${r.pick(['000000', '123456', '235959'])}`;
  const hash = r.pick(['abcdefabcdef', 'daa7c04131f5', '000000000000']);
  // Pseudo-versions, in the three forms cmd/go writes.
  if (kind === 0) return `v${major}.0.0-${date}-${hash}`;
  if (kind === 1)
    return `v${major}.${goNum(r)}.${goNum(r)}-${r.pick(['pre', 'rc.1', 'beta'])}.0.${date}-${hash}`;
  if (kind === 2) return `v${major}.${goNum(r)}.${Number(goNum(r)) + 1}-0.${date}-${hash}`;
  let v = `v${major}.${goNum(r)}.${goNum(r)}`;
  if (r.chance(0.3)) v += '-' + r.pick(['alpha', 'beta.1', 'rc.2', 'rc.10', '0', 'alpha.beta', 'x-y']);
  if (r.chance(0.15)) v += r.pick(['+incompatible', '+build.1']);
  return v;
}

const GO_VALID =
  /^v(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const GO_ORACLE = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		p := strings.SplitN(in.Text(), "\\t", 2)
		if !semver.IsValid(p[0]) || !semver.IsValid(p[1]) {
			fmt.Fprintln(out, "invalid")
			continue
		}
		fmt.Fprintln(out, semver.Compare(p[0], p[1]))
	}
}
`;

describe('go vs golang.org/x/mod/semver', () => {
  const xmod = '/usr/share/gocode/src/golang.org/x/mod/semver/semver.go';
  const ok = existsSync(xmod) && hasCommand('go', ['version']);
  it.skipIf(!ok && !strict)(
    `agrees on ${PAIRS} pairs (pseudo-versions included)${ok ? '' : ' [SKIPPED: go or x/mod missing; apt-get install golang-go golang-golang-x-mod-dev]'}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'go-oracle-'));
      writeFileSync(join(dir, 'main.go'), GO_ORACLE);
      const bin = join(dir, 'oracle');
      // GOPATH mode against Debian's packaged x/mod source: no module download.
      const env = {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: '/usr/share/gocode',
        GOCACHE: join(dir, 'cache'),
        GOFLAGS: '',
      };
      const build = spawnSync('go', ['build', '-o', bin, join(dir, 'main.go')], { env, encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      const pairs = makePairs(
        0x60,
        genGo,
        ['-0', '-rc.1', '+incompatible', '.1', '-alpha', '-0.20240101000000-abcdefabcdef'],
        (v) => GO_VALID.test(v),
      );
      const run = runOracle(bin, [], pairs);
      expect(run.error).toBeUndefined();
      expectAgreement(check(pairs, run.results, (a, b) => goVersion.compare(a, b)));
    },
    120_000,
  );
});

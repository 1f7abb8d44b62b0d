/**
 * Hand-made OSV records for the ecosystems and cases that records.ts does not cover:
 * NuGet, Packagist, crates.io, Hex, AlmaLinux (binary RPM names, epochs), Ubuntu non-LTS, a Debian
 * source package named only by the purl's `upstream=`, ECOSYSTEM ordering that differs from
 * SemVer (PEP 440 pre/post releases, Maven qualifiers), SEMVER ranges over Go pseudo-versions,
 * `limit` in an ECOSYSTEM range, `last_affected` at the boundary, alias chains without a CVE and
 * through a third record, and a withdrawal dated in the future.
 *
 * Each case lists the SBOM packages and the exact findings expected for them (id, related ids,
 * fix state and fix versions), so the matching test is a table.
 */
import type { SbomPackage } from '../match.js';
import type { FixState } from '../range.js';

const T = '2024-01-01T00:00:00Z';

export interface Expected {
  id: string;
  related?: string[];
  fix: { state: FixState; versions: string[] };
}

export interface MatchCase {
  name: string;
  records: Record<string, unknown>[];
  /** Each package with the findings it must produce, in id order ([] = none). */
  packages: [SbomPackage, Expected[]][];
}

const range = (type: 'ECOSYSTEM' | 'SEMVER', ...events: Record<string, string>[]) => ({ type, events });

export const MATCH_CASES: MatchCase[] = [
  {
    name: 'NuGet: introduced 0 + fixed',
    records: [
      {
        id: 'GHSA-5crp-9r3c-p9vr',
        modified: T,
        aliases: ['CVE-2024-21907'],
        affected: [
          {
            package: { ecosystem: 'NuGet', name: 'Newtonsoft.Json' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '13.0.1' })],
          },
        ],
      },
    ],
    packages: [
      [
        { name: 'Newtonsoft.Json', version: '12.0.3', type: 'dotnet' },
        [
          {
            id: 'CVE-2024-21907',
            related: ['GHSA-5crp-9r3c-p9vr'],
            fix: { state: 'fixed', versions: ['13.0.1'] },
          },
        ],
      ],
      [{ name: 'Newtonsoft.Json', version: '13.0.1', type: 'dotnet' }, []],
      // NuGet: 13.0.1-beta1 is a prerelease of 13.0.1, so it is still below the fix.
      [
        { name: 'Newtonsoft.Json', version: '13.0.1-beta1', type: 'dotnet' },
        [
          {
            id: 'CVE-2024-21907',
            related: ['GHSA-5crp-9r3c-p9vr'],
            fix: { state: 'fixed', versions: ['13.0.1'] },
          },
        ],
      ],
    ],
  },
  {
    name: 'Packagist: two introduced/fixed branches, v-prefixed versions from the purl',
    records: [
      {
        id: 'GHSA-pkg-0001',
        modified: T,
        aliases: ['CVE-2022-24894'],
        affected: [
          {
            package: { ecosystem: 'Packagist', name: 'symfony/http-kernel' },
            ranges: [
              range(
                'ECOSYSTEM',
                { introduced: '5.0.0' },
                { fixed: '5.4.20' },
                { introduced: '6.0.0' },
                { fixed: '6.2.6' },
              ),
            ],
          },
        ],
      },
    ],
    packages: [
      [
        {
          name: 'http-kernel',
          version: 'v6.1.0',
          type: 'php-composer',
          purl: 'pkg:composer/symfony/http-kernel@v6.1.0',
        },
        [{ id: 'CVE-2022-24894', related: ['GHSA-pkg-0001'], fix: { state: 'fixed', versions: ['6.2.6'] } }],
      ],
      [
        {
          name: 'http-kernel',
          version: 'v5.4.19',
          type: 'php-composer',
          purl: 'pkg:composer/symfony/http-kernel@v5.4.19',
        },
        [{ id: 'CVE-2022-24894', related: ['GHSA-pkg-0001'], fix: { state: 'fixed', versions: ['5.4.20'] } }],
      ],
      [
        {
          name: 'http-kernel',
          version: 'v5.4.20',
          type: 'php-composer',
          purl: 'pkg:composer/symfony/http-kernel@v5.4.20',
        },
        [],
      ],
      [
        {
          name: 'http-kernel',
          version: '4.4.0',
          type: 'php-composer',
          purl: 'pkg:composer/symfony/http-kernel@4.4.0',
        },
        [],
      ],
    ],
  },
  {
    name: 'crates.io: SEMVER range, prerelease below the fix',
    records: [
      {
        id: 'RUSTSEC-2021-0003',
        modified: T,
        aliases: ['CVE-2021-25900'],
        affected: [
          {
            package: { ecosystem: 'crates.io', name: 'smallvec' },
            ranges: [
              range(
                'SEMVER',
                { introduced: '0.6.3' },
                { fixed: '0.6.14' },
                { introduced: '1.0.0' },
                { fixed: '1.6.1' },
              ),
            ],
          },
        ],
      },
    ],
    packages: [
      [
        { name: 'smallvec', version: '1.6.0', type: 'rust-crate' },
        [
          {
            id: 'CVE-2021-25900',
            related: ['RUSTSEC-2021-0003'],
            fix: { state: 'fixed', versions: ['1.6.1'] },
          },
        ],
      ],
      [
        { name: 'smallvec', version: '1.6.1-alpha.1', type: 'rust-crate' },
        [
          {
            id: 'CVE-2021-25900',
            related: ['RUSTSEC-2021-0003'],
            fix: { state: 'fixed', versions: ['1.6.1'] },
          },
        ],
      ],
      [{ name: 'smallvec', version: '0.6.2', type: 'rust-crate' }, []],
      [{ name: 'smallvec', version: '1.6.1+build.5', type: 'rust-crate' }, []],
    ],
  },
  {
    name: 'Hex: last_affected is inclusive and gives no fix version',
    records: [
      {
        id: 'EEF-plug-0001',
        modified: T,
        affected: [
          {
            package: { ecosystem: 'Hex', name: 'plug' },
            ranges: [range('ECOSYSTEM', { introduced: '1.10.0' }, { last_affected: '1.14.0' })],
          },
        ],
      },
    ],
    packages: [
      [
        { name: 'plug', version: '1.14.0', type: 'hex' },
        [{ id: 'EEF-plug-0001', fix: { state: 'unknown', versions: [] } }],
      ],
      [{ name: 'plug', version: '1.14.1', type: 'hex' }, []],
      [{ name: 'plug', version: '1.9.9', type: 'hex' }, []],
    ],
  },
  {
    name: 'AlmaLinux: binary RPM names, epochs from the purl, source name as a second key',
    records: [
      {
        id: 'ALSA-2024:0001',
        modified: T,
        aliases: ['CVE-2023-5678'],
        affected: [
          {
            package: { ecosystem: 'AlmaLinux:9', name: 'openssl-libs' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1:3.0.7-25.el9_3' })],
          },
        ],
      },
      {
        id: 'ALSA-2024:0002',
        modified: T,
        aliases: ['CVE-2024-0002'],
        affected: [
          {
            package: { ecosystem: 'AlmaLinux:9', name: 'glibc' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '2.34-100.el9' })],
          },
        ],
      },
    ],
    packages: [
      [
        {
          name: 'openssl-libs',
          version: '3.0.7-24.el9',
          type: 'rpm',
          purl: 'pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=almalinux-9.3',
        },
        [
          {
            id: 'CVE-2023-5678',
            related: ['ALSA-2024:0001'],
            fix: { state: 'fixed', versions: ['1:3.0.7-25.el9_3'] },
          },
        ],
      ],
      [
        {
          name: 'openssl-libs',
          version: '3.0.7-25.el9_3',
          type: 'rpm',
          purl: 'pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&distro=almalinux-9.3',
        },
        [],
      ],
      // Advisory keyed by the source RPM; the binary glibc-common finds it through `upstream=`.
      [
        {
          name: 'glibc-common',
          version: '2.34-83.el9',
          type: 'rpm',
          purl: 'pkg:rpm/almalinux/glibc-common@2.34-83.el9?arch=x86_64&upstream=glibc-2.34-83.el9.src.rpm&distro=almalinux-9.3',
        },
        [
          {
            id: 'CVE-2024-0002',
            related: ['ALSA-2024:0002'],
            fix: { state: 'fixed', versions: ['2.34-100.el9'] },
          },
        ],
      ],
    ],
  },
  {
    name: 'Debian source package from the purl only; Ubuntu non-LTS release',
    records: [
      {
        id: 'DEBIAN-CVE-2024-25062',
        modified: T,
        aliases: ['CVE-2024-25062'],
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'libxml2' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '2.9.14+dfsg-1.3~deb12u2' })],
          },
        ],
      },
      {
        id: 'UBUNTU-CVE-2024-9999',
        modified: T,
        aliases: ['CVE-2024-9999'],
        affected: [
          {
            package: { ecosystem: 'Ubuntu:23.10', name: 'zlib' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1:1.2.13.dfsg-1ubuntu5.1' })],
          },
        ],
      },
    ],
    packages: [
      [
        {
          name: 'libxml2',
          version: '2.9.14+dfsg-1.3~deb12u1',
          type: 'deb',
          purl: 'pkg:deb/debian/libxml2@2.9.14%2Bdfsg-1.3~deb12u1?arch=amd64&upstream=libxml2&distro=debian-12.5',
        },
        [
          {
            id: 'CVE-2024-25062',
            related: ['DEBIAN-CVE-2024-25062'],
            fix: { state: 'fixed', versions: ['2.9.14+dfsg-1.3~deb12u2'] },
          },
        ],
      ],
      [
        {
          name: 'zlib1g',
          version: '1:1.2.13.dfsg-1ubuntu5',
          type: 'deb',
          distro: { id: 'ubuntu', versionId: '23.10' },
          sourceName: 'zlib',
        },
        [
          {
            id: 'CVE-2024-9999',
            related: ['UBUNTU-CVE-2024-9999'],
            fix: { state: 'fixed', versions: ['1:1.2.13.dfsg-1ubuntu5.1'] },
          },
        ],
      ],
      // Same version string, other release: no advisory for Debian 11.
      [
        {
          name: 'libxml2',
          version: '2.9.14+dfsg-1.3~deb12u1',
          type: 'deb',
          distro: { id: 'debian', versionId: '11' },
          sourceName: 'libxml2',
        },
        [],
      ],
    ],
  },
  {
    name: 'ECOSYSTEM ordering differs from SemVer: PEP 440 pre/post releases, Maven qualifiers',
    records: [
      {
        id: 'PYSEC-2024-0100',
        modified: T,
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'Jinja2' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '2.0' })],
          },
        ],
      },
      {
        id: 'GHSA-mvn-0100',
        modified: T,
        affected: [
          {
            package: { ecosystem: 'Maven', name: 'com.example:lib' },
            ranges: [range('ECOSYSTEM', { introduced: '1.0-alpha-1' }, { fixed: '1.0' })],
          },
        ],
      },
    ],
    packages: [
      // 2.0rc1 < 2.0 (a pre-release), 2.0.post1 > 2.0, jinja2 == Jinja2 (PEP 503).
      [
        { name: 'jinja2', version: '2.0rc1', type: 'python' },
        [{ id: 'PYSEC-2024-0100', fix: { state: 'fixed', versions: ['2.0'] } }],
      ],
      [{ name: 'jinja2', version: '2.0.post1', type: 'python' }, []],
      [{ name: 'jinja2', version: '2.0.0', type: 'python' }, []],
      // Maven: 1.0-SNAPSHOT and 1.0-rc-1 are below 1.0; 1.0-sp-1 and 1.0.1 are above it.
      [
        {
          name: 'lib',
          version: '1.0-SNAPSHOT',
          type: 'java-archive',
          purl: 'pkg:maven/com.example/lib@1.0-SNAPSHOT',
        },
        [{ id: 'GHSA-mvn-0100', fix: { state: 'fixed', versions: ['1.0'] } }],
      ],
      [
        {
          name: 'lib',
          version: '1.0-rc-1',
          type: 'java-archive',
          purl: 'pkg:maven/com.example/lib@1.0-rc-1',
        },
        [{ id: 'GHSA-mvn-0100', fix: { state: 'fixed', versions: ['1.0'] } }],
      ],
      [
        {
          name: 'lib',
          version: '1.0-sp-1',
          type: 'java-archive',
          purl: 'pkg:maven/com.example/lib@1.0-sp-1',
        },
        [],
      ],
      [{ name: 'lib', version: '0.9', type: 'java-archive', purl: 'pkg:maven/com.example/lib@0.9' }, []],
    ],
  },
  {
    name: 'Go: SEMVER range over pseudo-versions and +incompatible',
    records: [
      {
        id: 'GO-2023-2402',
        modified: T,
        aliases: ['CVE-2023-48795', 'GHSA-45x7-px36-x8w8'],
        affected: [
          {
            package: { ecosystem: 'Go', name: 'golang.org/x/crypto' },
            ranges: [range('SEMVER', { introduced: '0' }, { fixed: '0.17.0' })],
          },
          {
            package: { ecosystem: 'Go', name: 'github.com/docker/docker' },
            ranges: [range('SEMVER', { introduced: '0' }, { fixed: '24.0.9' })],
          },
        ],
      },
    ],
    packages: [
      [
        { name: 'golang.org/x/crypto', version: 'v0.0.0-20231201000000-abcdefabcdef', type: 'go-module' },
        [
          {
            id: 'CVE-2023-48795',
            related: ['GHSA-45x7-px36-x8w8', 'GO-2023-2402'],
            fix: { state: 'fixed', versions: ['0.17.0'] },
          },
        ],
      ],
      // A pseudo-version based on v0.17.0 (v0.17.1-0.<date>-<hash>) sorts after v0.17.0.
      [
        { name: 'golang.org/x/crypto', version: 'v0.17.1-0.20240101000000-abcdefabcdef', type: 'go-module' },
        [],
      ],
      [
        { name: 'github.com/docker/docker', version: 'v20.10.27+incompatible', type: 'go-module' },
        [
          {
            id: 'CVE-2023-48795',
            related: ['GHSA-45x7-px36-x8w8', 'GO-2023-2402'],
            fix: { state: 'fixed', versions: ['24.0.9'] },
          },
        ],
      ],
    ],
  },
  {
    name: 'RubyGems: limit caps an open range',
    records: [
      {
        id: 'GHSA-gem-0100',
        modified: T,
        affected: [
          {
            package: { ecosystem: 'RubyGems', name: 'nokogiri' },
            ranges: [range('ECOSYSTEM', { introduced: '1.0' }, { limit: '1.13' })],
          },
        ],
      },
    ],
    packages: [
      [
        { name: 'nokogiri', version: '1.12.5', type: 'gem' },
        [{ id: 'GHSA-gem-0100', fix: { state: 'unknown', versions: [] } }],
      ],
      // 1.13.0.rc1 is a pre-release of 1.13, so it is still below the limit.
      [
        { name: 'nokogiri', version: '1.13.0.rc1', type: 'gem' },
        [{ id: 'GHSA-gem-0100', fix: { state: 'unknown', versions: [] } }],
      ],
      [{ name: 'nokogiri', version: '1.13', type: 'gem' }, []],
      [{ name: 'nokogiri', version: '0.9', type: 'gem' }, []],
    ],
  },
  {
    name: 'aliases: a chain through a third record, no CVE (smallest id), future withdrawal still counts',
    records: [
      {
        id: 'GHSA-aaaa-0001',
        modified: T,
        aliases: ['PYSEC-2024-0001'],
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'pkg-a' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1.1' })],
          },
        ],
      },
      {
        id: 'PYSEC-2024-0001',
        modified: T,
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'pkg-a' },
            ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1.2' })],
          },
        ],
      },
      {
        // Names the PYSEC id only: joins the group through it.
        id: 'OSV-2024-0001',
        modified: T,
        aliases: ['PYSEC-2024-0001'],
        withdrawn: '2999-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'PyPI', name: 'pkg-a' }, versions: ['1.0'] }],
      },
      {
        // Withdrawn in the past: ignored even though it aliases the group.
        id: 'GHSA-zzzz-0001',
        modified: T,
        aliases: ['CVE-2024-0404', 'PYSEC-2024-0001'],
        withdrawn: '2024-02-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'PyPI', name: 'pkg-a' }, versions: ['1.0'] }],
      },
    ],
    packages: [
      [
        { name: 'pkg_a', version: '1.0', type: 'python' },
        [
          {
            id: 'GHSA-aaaa-0001',
            related: ['OSV-2024-0001', 'PYSEC-2024-0001'],
            fix: { state: 'fixed', versions: ['1.1', '1.2'] },
          },
        ],
      ],
      // Only the PYSEC range reaches 1.1, and PYSEC names no alias itself: a finding of its own.
      [
        { name: 'pkg-a', version: '1.1', type: 'python' },
        [{ id: 'PYSEC-2024-0001', fix: { state: 'fixed', versions: ['1.2'] } }],
      ],
    ],
  },
];

/**
 * Hand-made OSV records, one per situation the matcher must handle: every event type (introduced
 * "0", fixed, last_affected, limit), explicit versions, SEMVER vs ECOSYSTEM ranges, GIT-only
 * ranges, withdrawn records, alias groups across sources, distro source packages (Debian,
 * Ubuntu, Alpine), PyPI name normalisation, a won't-fix hint, and one invalid record.
 */
const T = '2024-01-01T00:00:00Z';
const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const V31_HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'; // 7.5
const V31_MED = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'; // 6.1

export const RECORDS: Record<string, unknown>[] = [
  {
    id: 'DEBIAN-CVE-2023-5678',
    modified: T,
    aliases: ['CVE-2023-5678'],
    summary: 'openssl: DH checks are slow',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
      },
    ],
  },
  {
    id: 'DEBIAN-CVE-2024-0001',
    modified: T,
    aliases: ['CVE-2024-0001'],
    summary: 'glibc: no fix yet',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'glibc' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        ecosystem_specific: { urgency: 'low' },
      },
    ],
  },
  {
    id: 'UBUNTU-CVE-2024-2398',
    modified: T,
    aliases: ['CVE-2024-2398'],
    severity: [{ type: 'Ubuntu', score: 'medium' }],
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'curl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        ecosystem_specific: { fix_state: 'wont-fix' },
      },
    ],
  },
  {
    id: 'ALPINE-CVE-2024-5535',
    modified: T,
    aliases: ['CVE-2024-5535'],
    affected: [
      {
        package: { ecosystem: 'Alpine:v3.20', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.3.2-r0' }] }],
      },
    ],
  },
  {
    id: 'GHSA-35jh-r3h4-6jhm',
    modified: T,
    aliases: ['CVE-2021-23337'],
    summary: 'Command Injection in lodash',
    severity: [{ type: 'CVSS_V3', score: V31_HIGH }],
    database_specific: { severity: 'HIGH' },
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      },
    ],
  },
  {
    // The same vulnerability from a second source: grouped with the GHSA, CVE id becomes primary.
    id: 'CVE-2021-23337',
    modified: T,
    severity: [{ type: 'CVSS_V3', score: V31_CRIT }],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '4.0.0' }, { fixed: '4.17.21' }] }],
      },
    ],
  },
  {
    id: 'GHSA-withdrawn-0001',
    modified: T,
    withdrawn: '2024-02-01T00:00:00Z',
    aliases: ['CVE-2099-0001'],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
      },
    ],
  },
  {
    id: 'PYSEC-2023-0074',
    modified: T,
    aliases: ['CVE-2023-32681'],
    severity: [{ type: 'CVSS_V3', score: V31_MED }],
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'Requests' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.3.0' }, { last_affected: '2.30.0' }] }],
      },
    ],
  },
  {
    id: 'GO-2024-0001',
    modified: T,
    aliases: ['CVE-2024-1111'],
    affected: [
      {
        package: { ecosystem: 'Go', name: 'golang.org/x/net' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }, { limit: '1.0.0' }] }],
      },
    ],
  },
  {
    id: 'GHSA-rack-0001',
    modified: T,
    severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }],
    affected: [{ package: { ecosystem: 'RubyGems', name: 'rack' }, versions: ['2.2.3', '2.2.4'] }],
  },
  {
    id: 'GHSA-maven-0001',
    modified: T,
    aliases: ['CVE-2021-44228'],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
        ranges: [
          {
            type: 'ECOSYSTEM',
            events: [
              { introduced: '2.0-beta9' },
              { fixed: '2.3.1' },
              { introduced: '2.4' },
              { fixed: '2.12.2' },
              { introduced: '2.13.0' },
              { fixed: '2.15.0' },
            ],
          },
        ],
      },
    ],
  },
  {
    id: 'OSV-git-only',
    modified: T,
    affected: [
      {
        ranges: [
          {
            type: 'GIT',
            repo: 'https://github.com/x/y',
            events: [{ introduced: '0' }, { fixed: 'deadbeef' }],
          },
        ],
      },
    ],
  },
  {
    id: 'BROKEN-0001',
    modified: T,
    affected: [
      {
        package: { ecosystem: 'npm', name: 'x' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1.0.0' }] }],
      },
    ],
  },
];

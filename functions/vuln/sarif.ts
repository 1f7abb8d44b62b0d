/**
 * SARIF 2.1.0 for `kscape vuln --format sarif`, so code-scanning dashboards (GitHub, GitLab, Azure
 * DevOps) show image vulnerabilities next to `kscape scan --format sarif` misconfigurations: one
 * rule per vulnerability id, one result per affected package. Severity maps to SARIF levels as
 * Grype and Trivy map it (critical/high → error, medium → warning, others → note), and the CVSS
 * base score goes to `security-severity`, which GitHub uses to rank alerts.
 */
import type { GrypeDocument, Match } from '../../lib/api/schemas.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

interface SarifRun {
  tool: { driver: { name: string; version: string; informationUri: string; rules: SarifRule[] } };
  results: SarifResult[];
}

interface SarifRule {
  id: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  helpUri?: string;
  help: { text: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; 'security-severity'?: string };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string } };
    logicalLocations: { name: string; kind: string; fullyQualifiedName: string }[];
  }[];
  partialFingerprints: { packageVulnerability: string };
}

type SarifLevel = 'error' | 'warning' | 'note';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export function sarifLevel(severity: string | undefined): SarifLevel {
  const s = (severity ?? '').toLowerCase();
  if (s === 'critical' || s === 'high') return 'error';
  if (s === 'medium') return 'warning';
  return 'note';
}

/** Highest CVSS base score of a match, as SARIF wants it (a decimal string), when there is one. */
function securitySeverity(m: Match): string | undefined {
  const scores = (m.vulnerability.cvss ?? [])
    .map((c) => c.metrics?.baseScore)
    .filter((s): s is number => typeof s === 'number' && Number.isFinite(s));
  return scores.length ? Math.max(...scores).toFixed(1) : undefined;
}

function fixText(m: Match): string {
  const versions = m.vulnerability.fix?.versions ?? [];
  return versions.length
    ? `fixed in ${versions.join(', ')}`
    : `no fix (${m.vulnerability.fix?.state || 'unknown'})`;
}

export function toSarif(doc: GrypeDocument, image: string): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: SarifResult[] = [];
  for (const m of doc.matches ?? []) {
    const id = m.vulnerability.id;
    let idx = ruleIndex.get(id);
    if (idx === undefined) {
      idx = rules.length;
      ruleIndex.set(id, idx);
      const score = securitySeverity(m);
      const description = m.vulnerability.description?.trim();
      const helpUri = m.vulnerability.urls?.[0] ?? m.vulnerability.dataSource;
      rules.push({
        id,
        shortDescription: { text: `${id} (${m.vulnerability.severity ?? 'Unknown'})` },
        ...(description ? { fullDescription: { text: description } } : {}),
        ...(helpUri ? { helpUri } : {}),
        help: { text: `${description || id}${helpUri ? `\n${helpUri}` : ''}` },
        defaultConfiguration: { level: sarifLevel(m.vulnerability.severity) },
        properties: {
          tags: ['security', 'vulnerability', m.artifact.type ?? 'package'],
          ...(score ? { 'security-severity': score } : {}),
        },
      });
    }
    const pkg = `${m.artifact.name}@${m.artifact.version ?? ''}`;
    const path = m.artifact.locations?.[0]?.path;
    results.push({
      ruleId: id,
      ruleIndex: idx,
      level: sarifLevel(m.vulnerability.severity),
      message: {
        text: `${pkg} in ${image} is affected by ${id} (${m.vulnerability.severity ?? 'Unknown'}); ${fixText(m)}`,
      },
      locations: [
        {
          // The package's file inside the image; the image itself when the cataloger recorded none.
          physicalLocation: { artifactLocation: { uri: path ? path.replace(/^\/+/, '') : image } },
          logicalLocations: [{ name: pkg, kind: 'package', fullyQualifiedName: m.artifact.purl || pkg }],
        },
      ],
      partialFingerprints: { packageVulnerability: `${m.artifact.purl || pkg}|${id}` },
    });
  }
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: TOOL_VERSION,
            informationUri: 'https://github.com/kubescape/kubescape',
            rules,
          },
        },
        results,
      },
    ],
  };
}

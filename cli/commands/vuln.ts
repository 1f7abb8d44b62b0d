/**
 * `kscape vuln <image|sbom.json>`: the image's SBOM (generated, or an SPDX document written by
 * `kscape sbom --format spdx`) matched against the local OSV database (`kscape db`), printed as a
 * table or as the Grype-shaped JSON a VulnerabilityManifest carries. `--severity-threshold`
 * (alias `--fail-on`) makes the command exit 1 when a finding reaches that severity, for CI.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { SpdxJson } from '../../functions/vuln/sbom/spdx.js';
import { UsageError } from '../errors.js';
import { openCliVulnDb } from './db-open.js';
import { defaultImageIO, imageSbom, ImageCommandError, table, type ImageCliIO, type ImageOptions } from './sbom.js';

const RANK: Record<string, number> = { unknown: 0, negligible: 1, low: 2, medium: 3, high: 4, critical: 5 };

export interface VulnOptions extends ImageOptions {
  format?: string;
  severityThreshold?: string;
  failOn?: string;
  output?: string;
}

function readSbomFile(path: string): SpdxJson {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d = doc as Partial<SpdxJson> & { bomFormat?: unknown };
  if (d.bomFormat === 'CycloneDX') throw new UsageError(`${path}: CycloneDX input is not supported; use an SPDX document (kscape sbom --format spdx)`);
  if (d.spdxVersion !== 'SPDX-2.3' || !Array.isArray(d.packages) || !Array.isArray(d.relationships))
    throw new UsageError(`${path}: not an SPDX 2.3 JSON document`);
  return { ...d, files: Array.isArray(d.files) ? d.files : [] } as SpdxJson;
}

export async function vulnCommand(target: string, opts: VulnOptions, io: ImageCliIO = defaultImageIO()): Promise<number> {
  const format = opts.format ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'sarif') throw new UsageError(`--format must be table, json or sarif, got ${format}`);
  const thresholdName = (opts.severityThreshold ?? opts.failOn)?.toLowerCase();
  if (thresholdName !== undefined && !(thresholdName in RANK)) throw new UsageError(`--severity-threshold must be one of negligible, low, medium, high, critical, got ${thresholdName}`);

  let doc: SpdxJson;
  let image: string;
  let digest: string;
  if (existsSync(target) && statSync(target).isFile()) {
    doc = readSbomFile(target);
    const root = doc.packages.find((p) => p.primaryPackagePurpose === 'CONTAINER');
    image = typeof root?.name === 'string' ? root.name : (doc.name ?? target);
    digest = typeof root?.versionInfo === 'string' ? root.versionInfo : '';
  } else {
    const r = await imageSbom(target, opts, io);
    doc = r.sbom!;
    image = r.image;
    digest = r.digest;
  }
  const [{ packagesFromSpdx, toSbomPackage, distroOf }, { matchPackages }, { grypeDocument, severityCounts }] = await Promise.all([
    import('../../functions/vuln/function-sbom.js'),
    import('../../functions/vuln/osv/match.js'),
    import('../../functions/vuln/function-manifest.js'),
  ]);
  const db = await openCliVulnDb(io.env);
  try {
    const status = await db.store.status();
    if (status.generation === null || !status.contentHash)
      throw new ImageCommandError(`the vulnerability database at ${db.where} is empty: run kscape db update (or kscape db import <all.zip>) first`);
    const packages = packagesFromSpdx(doc);
    const matched = packages.map(toSbomPackage);
    const result = await matchPackages(matched, db.store);
    const distro = distroOf(packages);
    const payload = grypeDocument({ image, digest, packages, result, matched, db: { version: status.contentHash, builtAt: status.builtAt }, ...(distro ? { distro } : {}) });
    const counts = severityCounts(payload);
    const matches = payload.matches ?? [];
    let text: string;
    if (format === 'json') text = `${JSON.stringify(payload, null, 2)}\n`;
    else if (format === 'sarif') text = `${JSON.stringify((await import('../../functions/vuln/sarif.js')).toSarif(payload, image), null, 2)}\n`;
    else {
      const rows = matches.map((m) => [m.artifact.name, m.artifact.version ?? '', m.artifact.type ?? '', m.vulnerability.id, m.vulnerability.severity ?? 'Unknown', m.vulnerability.fix?.state ?? '', (m.vulnerability.fix?.versions ?? []).join(', ')]);
      const summary = `${matches.length} vulnerabilities in ${packages.length} packages (critical ${counts.critical}, high ${counts.high}, medium ${counts.medium}, low ${counts.low}, negligible ${counts.negligible}, unknown ${counts.unknown}); DB ${status.contentHash.slice(0, 12)} built ${status.builtAt}`;
      text = `${rows.length ? `${table([['PACKAGE', 'VERSION', 'TYPE', 'VULNERABILITY', 'SEVERITY', 'FIX STATE', 'FIXED IN'], ...rows])}\n` : ''}${summary}\n`;
    }
    if (opts.output) writeFileSync(opts.output, text);
    else io.stdout.write(text);
    if (result.unmapped.length) io.stderr.write(`note: ${result.unmapped.length} package(s) have no OSV ecosystem and were not matched\n`);
    if (thresholdName !== undefined) {
      const min = RANK[thresholdName]!;
      const over = matches.filter((m) => (RANK[(m.vulnerability.severity ?? 'unknown').toLowerCase()] ?? 0) >= min).length;
      if (over > 0) {
        io.stderr.write(`${over} finding(s) at or above ${thresholdName}\n`);
        // main() maps a CommanderError to its exit code without printing anything more.
        throw new CommanderError(1, 'kscape.vuln.threshold', `${over} finding(s) at or above ${thresholdName}`);
      }
    }
    return 0;
  } finally {
    await db.close();
  }
}

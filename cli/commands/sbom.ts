/**
 * `kscape sbom <image>`: pull (or read) an image, catalog its packages, print SPDX 2.3 JSON,
 * CycloneDX 1.5 JSON or a table. References use skopeo's transport names (registry reference,
 * `oci:DIR[:TAG]`, `oci-archive:PATH`, `docker-archive:PATH`). Registry credentials come from
 * `--authfile`, else `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` when present.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GenerateResult } from '../../functions/vuln/generate.js';
import type { RegistryCredential } from '../../functions/vuln/image/credentials.js';
import { UsageError } from '../errors.js';
import { logToStderr } from './db-open.js';

export interface ImageCliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const defaultImageIO = (): ImageCliIO => ({ stdout: process.stdout, stderr: process.stderr, isTTY: process.stderr.isTTY === true, env: process.env });

export interface ImageOptions {
  platform?: string;
  insecureRegistry?: string[];
  authfile?: string;
}

/** An image that could not be cataloged (too large, unauthorized, timed out): one line, exit 1. */
export class ImageCommandError extends Error {
  override name = 'ImageCommandError';
}

async function credentials(opts: ImageOptions, env: NodeJS.ProcessEnv): Promise<RegistryCredential[]> {
  const { credentialsFromDockerConfig } = await import('../../functions/vuln/image/credentials.js');
  const file = opts.authfile ?? [env.REGISTRY_AUTH_FILE, env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : undefined, join(homedir(), '.docker', 'config.json')].find((f) => f && existsSync(f));
  if (!file) return [];
  if (!existsSync(file)) throw new UsageError(`--authfile ${file}: no such file`);
  try {
    return credentialsFromDockerConfig(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: not a docker config file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Generate the SBOM of an image for a CLI command (progress on a terminal; non-ready statuses are errors). */
export async function imageSbom(image: string, opts: ImageOptions, io: ImageCliIO): Promise<GenerateResult> {
  await logToStderr();
  const { generateSbom } = await import('../../functions/vuln/generate.js');
  const insecure = (opts.insecureRegistry ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  let lastLen = 0;
  const line = (s: string): void => {
    if (!io.isTTY) return;
    io.stderr.write(`\r${s.padEnd(lastLen)}`);
    lastLen = s.length;
  };
  const r = await generateSbom(image, {
    ...(opts.platform ? { platform: opts.platform } : {}),
    credentials: await credentials(opts, io.env),
    insecureRegistries: insecure,
    onProgress: (p) => {
      if (p.phase === 'resolve') line(`resolving ${image}`);
      else if (p.phase === 'layer') line(`layer ${(p.layer ?? 0) + 1}/${p.layers ?? '?'} (${((p.bytes ?? 0) / 1048576).toFixed(1)} MiB)`);
      else if (p.phase === 'catalog') line('cataloging packages');
      else if (p.phase === 'done') line('');
    },
  });
  if (io.isTTY && lastLen) io.stderr.write(`\r${' '.repeat(lastLen)}\r`);
  if (r.status !== 'ready' || !r.sbom) throw new ImageCommandError(`${image}: ${r.status}${r.reason ? `: ${r.reason}` : ''}`);
  return r;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const FORMATS: Record<string, 'table' | 'spdx' | 'cyclonedx'> = { table: 'table', spdx: 'spdx', 'spdx-json': 'spdx', cyclonedx: 'cyclonedx', 'cyclonedx-json': 'cyclonedx' };

export async function sbomCommand(image: string, opts: ImageOptions & { format?: string; output?: string }, io: ImageCliIO = defaultImageIO()): Promise<number> {
  const format = FORMATS[opts.format ?? 'table'];
  if (!format) throw new UsageError(`--format must be table, spdx (spdx-json) or cyclonedx (cyclonedx-json), got ${opts.format}`);
  const r = await imageSbom(image, opts, io);
  let text: string;
  if (format === 'spdx') text = `${JSON.stringify(r.sbom, null, 2)}\n`;
  else if (format === 'cyclonedx') {
    const [{ toCycloneDx }, { TOOL_VERSION }] = await Promise.all([import('../../functions/vuln/sbom/cyclonedx.js'), import('../../functions/vuln/version.js')]);
    text = `${JSON.stringify(toCycloneDx({ image: r.image, digest: r.digest, packages: r.packages, toolVersion: TOOL_VERSION }), null, 2)}\n`;
  } else {
    const rows = [...r.packages].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version)).map((p) => [p.name, p.version, p.type]);
    const head = `${r.image} ${r.digest}${r.platform ? ` ${r.platform}` : ''}${r.distro ? ` (${r.distro.prettyName ?? `${r.distro.id} ${r.distro.versionId ?? ''}`.trim()})` : ''}: ${r.packages.length} packages`;
    text = `${head}\n${rows.length ? `${table([['NAME', 'VERSION', 'TYPE'], ...rows])}\n` : ''}`;
  }
  if (opts.output) writeFileSync(opts.output, text);
  else io.stdout.write(text);
  if (r.skipped.length) io.stderr.write(`note: ${r.skipped.length} file(s) not read because of size limits\n`);
  return 0;
}

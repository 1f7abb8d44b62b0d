/**
 * Which code serves `kscape function <name>`: the function's prebuilt bundle (see bundle.ts) when
 * one exists that was built from the compiled sources now in dist/, or the compiled modules.
 *
 * Read on every function start, before anything else loads, so it only touches two small files.
 * The bundle is skipped when the OTEL_* environment turns telemetry on: HTTP and pg
 * instrumentation patch modules as they are imported, which needs the unbundled module graph.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { telemetryRequested, type Env } from '../../lib/telemetry/env.js';

/** Relative to the dist/ root. */
export const BUNDLE_DIR = 'bundle/';
export const MANIFEST_FILE = 'functions.json';
export const BUNDLE_MANIFEST = `${BUNDLE_DIR}${MANIFEST_FILE}`;
/** tsc's incremental build record: rewritten by every build that changes an output. */
export const BUILD_INFO = '.tsbuildinfo';

export interface BundleManifest {
  version: 1;
  /** The compiled sources the bundles were made from, identified by tsc's build record. */
  source: { size: number; mtimeMs: number; sha256: string };
  /** Function name → bundle entry, relative to the bundle directory. */
  functions: Record<string, string>;
}

export type BuildInfoStamp = BundleManifest['source'];

export function buildInfoStamp(distRoot: URL): BuildInfoStamp | undefined {
  try {
    const file = new URL(BUILD_INFO, distRoot);
    const st = statSync(file);
    return {
      size: st.size,
      mtimeMs: st.mtimeMs,
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    };
  } catch {
    return undefined;
  }
}

/** The recorded build still describes dist/: same size and mtime, or (mtime lost by a copy) same content. */
function current(source: BuildInfoStamp, distRoot: URL): boolean {
  const file = new URL(BUILD_INFO, distRoot);
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st || st.size !== source.size) return false;
  if (st.mtimeMs === source.mtimeMs) return true;
  return createHash('sha256').update(readFileSync(file)).digest('hex') === source.sha256;
}

/**
 * The bundle entry for `name` (a module exporting `runFunction(name)` like cli/commands/function.ts),
 * or undefined to use the compiled modules: no bundle, a stale one, telemetry requested, or
 * KSCAPE_FUNCTION_BUNDLE=off.
 */
export function bundledFunction(name: string, distRoot: URL, env: Env = process.env): URL | undefined {
  if (env.KSCAPE_FUNCTION_BUNDLE?.trim() === 'off') return undefined;
  const otel = telemetryRequested(env);
  if (otel.traces || otel.metrics) return undefined;
  let manifest: Partial<BundleManifest>;
  try {
    manifest = JSON.parse(
      readFileSync(new URL(BUNDLE_MANIFEST, distRoot), 'utf8'),
    ) as Partial<BundleManifest>;
  } catch {
    return undefined;
  }
  const entry =
    manifest.version === 1 &&
    manifest.functions &&
    Object.prototype.hasOwnProperty.call(manifest.functions, name)
      ? manifest.functions[name]
      : undefined;
  if (typeof entry !== 'string' || !manifest.source || !current(manifest.source, distRoot)) return undefined;
  return new URL(`${BUNDLE_DIR}${entry}`, distRoot);
}

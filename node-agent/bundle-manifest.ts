/**
 * Whether `kscape node-agent` runs from its esbuild bundle (bundle.ts): only when the bundle was
 * built from the compiled sources now in dist/, the same staleness rule as the function bundles
 * (functions/runtime/bundle-manifest.ts). KSCAPE_NODE_AGENT_BUNDLE=off forces the compiled modules.
 */
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { BUILD_INFO, BUNDLE_DIR, type BundleManifest } from '../functions/runtime/bundle-manifest.js';

/** Relative to the dist/ root; next to the functions' manifest, in the same directory. */
export const NODE_AGENT_MANIFEST = `${BUNDLE_DIR}node-agent.json`;
export const NODE_AGENT_ENTRY = 'node-agent';

export function bundledNodeAgent(
  distRoot: URL,
  env: Readonly<Record<string, string | undefined>> = process.env,
): URL | undefined {
  if (env.KSCAPE_NODE_AGENT_BUNDLE?.trim() === 'off') return undefined;
  let manifest: Partial<BundleManifest>;
  try {
    manifest = JSON.parse(
      readFileSync(new URL(NODE_AGENT_MANIFEST, distRoot), 'utf8'),
    ) as Partial<BundleManifest>;
  } catch {
    return undefined;
  }
  const entry =
    manifest.version === 1 && manifest.functions && Object.hasOwn(manifest.functions, NODE_AGENT_ENTRY)
      ? manifest.functions[NODE_AGENT_ENTRY]
      : undefined;
  if (typeof entry !== 'string' || !manifest.source || !current(manifest.source, distRoot)) return undefined;
  return new URL(`${BUNDLE_DIR}${entry}`, distRoot);
}

function current(source: BundleManifest['source'], distRoot: URL): boolean {
  const file = new URL(BUILD_INFO, distRoot);
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st || st.size !== source.size) return false;
  if (st.mtimeMs === source.mtimeMs) return true;
  return createHash('sha256').update(readFileSync(file)).digest('hex') === source.sha256;
}

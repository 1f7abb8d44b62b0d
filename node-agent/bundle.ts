/**
 * Build step run by `npm run build` after the function bundles: one esbuild bundle of the node
 * agent, which `kscape node-agent` loads instead of resolving a few hundred modules. On a node the
 * agent's memory is mostly its loaded code: bundled, pino and yaml cost ~3 MiB each instead of ~9
 * (README, Memory). The memory benchmark's harness (bench/rss.ts) is a second entry of the same
 * build, sharing its chunks, so bench/node-agent.ts measures the code the DaemonSet runs.
 *
 *   node dist/node-agent/bundle.js [dist-dir]  → dist/bundle/node-agent/*.js + dist/bundle/node-agent.json
 *
 * Same output conventions as functions/runtime/bundle.ts (its location rewriting is reused), and
 * the same staleness rule at start-up (bundle-manifest.ts).
 */
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE_DIR, buildInfoStamp, type BundleManifest } from '../functions/runtime/bundle-manifest.js';
import { bundleBuildOptions, locationsPlugin } from '../functions/runtime/bundle.js';
import { NODE_AGENT_ENTRY, NODE_AGENT_MANIFEST } from './bundle-manifest.js';

/**
 * client-node is only used out of a cluster (kubeconfig) and is loaded lazily then; bundling it
 * would triple the build time for nothing the DaemonSet runs.
 */
const EXTERNAL = ['@kubernetes/client-node'];

export async function bundleNodeAgent(
  distRoot: string,
): Promise<{ manifest: BundleManifest; bytes: number }> {
  const root = resolve(distRoot);
  const source = buildInfoStamp(pathToFileURL(`${root}/`));
  if (!source)
    throw new Error(`${join(root, '.tsbuildinfo')} is missing: run tsc -p tsconfig.build.json first`);
  const outdir = join(root, BUNDLE_DIR, NODE_AGENT_ENTRY);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const r = await build({
    ...bundleBuildOptions(outdir, EXTERNAL),
    metafile: true,
    entryPoints: {
      [NODE_AGENT_ENTRY]: join(root, 'cli', 'commands', 'node-agent.js'),
      rss: join(root, 'node-agent', 'bench', 'rss.js'),
    },
    plugins: [locationsPlugin(outdir)],
  });
  const manifest: BundleManifest = {
    version: 1,
    source,
    functions: { [NODE_AGENT_ENTRY]: `${NODE_AGENT_ENTRY}/${NODE_AGENT_ENTRY}.js` },
  };
  await writeFile(join(root, NODE_AGENT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, bytes: Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dist = process.argv[2] ?? join(dirname(process.argv[1]), '..');
  const t0 = performance.now();
  const { bytes } = await bundleNodeAgent(dist);
  process.stdout.write(
    `node-agent bundle in ${join(dist, BUNDLE_DIR, NODE_AGENT_ENTRY)} (${Math.round(performance.now() - t0)} ms): ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`,
  );
}

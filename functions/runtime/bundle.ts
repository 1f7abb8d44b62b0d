/**
 * Build step run by `npm run build` after tsc: one esbuild bundle per hosted function, so that
 * `kscape function <name>` (every scale-from-zero of a Knative Service) loads a handful of files
 * instead of resolving and compiling over a thousand modules. Each bundle holds only what its
 * function reaches and is tree-shaken for it (scan needs KubeConfig, not the whole Kubernetes
 * client), and dynamic imports stay lazy as separate chunks.
 *
 *   node dist/functions/runtime/bundle.js [dist-dir]   → dist/bundle/<name>/function.js + functions.json
 *
 * The bundles are built from the compiled JavaScript in dist/, and keep runtime file lookups
 * working: `import.meta.url`, `__dirname` and `__filename` are rewritten to the location the
 * module has in dist/ or node_modules/, so migrations and data files are found where tsc's output
 * and the Dockerfile put them. bundle-manifest.ts decides at start-up whether a bundle is current.
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOSTED_FUNCTIONS } from '../registry.js';
import { BUNDLE_DIR, MANIFEST_FILE, buildInfoStamp, type BundleManifest } from './bundle-manifest.js';

/**
 * Loaded from node_modules at run time instead of bundled: PGlite ships WebAssembly and data files
 * it finds next to its own modules, and pg-native is an optional native addon pg probes for.
 */
const EXTERNAL = ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg-native'];

/**
 * Every output file starts with this: a `require` for the CommonJS packages inside the bundle (ESM
 * output has none) and the helper the location rewriting below uses.
 */
const BANNER = [
  "import { createRequire as __kscapeCreateRequire } from 'node:module';",
  "import { fileURLToPath as __kscapeFileURLToPath } from 'node:url';",
  'const require = __kscapeCreateRequire(import.meta.url);',
  'const __kscapePath = (rel) => __kscapeFileURLToPath(new URL(rel, import.meta.url));',
].join('\n');

/**
 * The esbuild settings every kscape bundle shares (functions here, the node agent in
 * node-agent/bundle.ts): ESM for Node 20 with shared chunks, the banner above, whitespace and syntax
 * minification only, so identifiers stay readable in stack traces (keepNames would cost ~10 ms of
 * start-up in __name calls; nothing relies on Function.name).
 */
export function bundleBuildOptions(outdir: string, external: readonly string[]): BuildOptions {
  return {
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    external: [...external],
    banner: { js: BANNER },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'error',
  };
}

const posix = (p: string): string => p.split(sep).join('/');
const ESM_SYNTAX = /^\s*(import|export)\s/m;

/** Rewrites a module's own-location lookups to where that module lives on disk, relative to the bundle. */
export function locationsPlugin(outdir: string): Plugin {
  return {
    name: 'kscape-locations',
    setup(b) {
      b.onLoad({ filter: /\.(js|mjs|cjs)$/ }, async (args) => {
        let src = await readFile(args.path, 'utf8');
        const usesMeta = src.includes('import.meta');
        const usesCjsVars = /\b__(dirname|filename)\b/.test(src);
        if (!usesMeta && !usesCjsVars) return undefined;
        const file = JSON.stringify(posix(relative(outdir, args.path)));
        const dir = JSON.stringify(`${posix(relative(outdir, dirname(args.path))) || '.'}/`);
        if (usesMeta) {
          src = src
            .replaceAll('import.meta.url', `new URL(${file}, import.meta.url).href`)
            .replaceAll('import.meta.dirname', `__kscapePath(${dir})`)
            .replaceAll('import.meta.filename', `__kscapePath(${file})`);
        }
        // CommonJS modules get their own __dirname/__filename (an ESM bundle has neither). ES modules
        // that mention the names declare them themselves (from import.meta, rewritten above).
        if (usesCjsVars && !usesMeta && !ESM_SYNTAX.test(src) && !args.path.endsWith('.mjs')) {
          src = `var __dirname = __kscapePath(${dir}), __filename = __kscapePath(${file});\n${src}`;
        }
        return { contents: src, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Keeps other functions (and the OpenTelemetry SDK) out of `name`'s bundle: the function registry
 * and the `function` command import every function lazily by name, and esbuild would otherwise
 * follow all of those imports. A stub that throws replaces them; it is never reached, because the
 * bundle only ever runs `name` and is not used when telemetry is on (bundle-manifest.ts).
 */
function onlyFunctionPlugin(distRoot: string, name: string, functions: readonly string[]): Plugin {
  const functionsDir = join(distRoot, 'functions');
  const sdk = join(distRoot, 'lib', 'telemetry', 'sdk.js');
  return {
    name: 'kscape-only-function',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = resolve(args.resolveDir, args.path);
        if (target === sdk) return { path: 'telemetry-sdk', namespace: 'kscape-stub' };
        const rel = relative(functionsDir, target).split(sep);
        if (rel.length > 1 && rel[0] !== '..' && functions.includes(rel[0]!) && rel[0] !== name)
          return { path: `function ${rel[0]!}`, namespace: 'kscape-stub' };
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'kscape-stub' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the ${name} bundle; run with KSCAPE_FUNCTION_BUNDLE=off`)});`,
        loader: 'js',
      }));
    },
  };
}

export interface BundleResult {
  manifest: BundleManifest;
  /** Output bytes per function (entry and chunks). */
  bytes: Record<string, number>;
  /** esbuild's account of every input in every output, per function (what makes a bundle big). */
  metafiles: Record<string, Metafile>;
}

export interface BundleOptions {
  /** Functions to bundle; default every hosted function. */
  names?: readonly string[];
  /** Where bundles and their manifest go; default `<distRoot>/bundle` (where bundle-manifest.ts looks). */
  outRoot?: string;
}

/** Bundle hosted functions from the compiled output in `distRoot`. */
export async function bundleFunctions(distRoot: string, opts: BundleOptions = {}): Promise<BundleResult> {
  const root = resolve(distRoot);
  const names = opts.names ?? HOSTED_FUNCTIONS;
  const bundleRoot = resolve(opts.outRoot ?? join(root, BUNDLE_DIR));
  const entry = join(root, 'cli', 'commands', 'function.js');
  const source = buildInfoStamp(pathToFileURL(`${root}/`));
  if (!source)
    throw new Error(`${join(root, '.tsbuildinfo')} is missing: run tsc -p tsconfig.build.json first`);
  await rm(bundleRoot, { recursive: true, force: true });
  const functions: Record<string, string> = {};
  const bytes: Record<string, number> = {};
  const metafiles: Record<string, Metafile> = {};
  await Promise.all(
    names.map(async (name) => {
      const outdir = join(bundleRoot, name);
      await mkdir(outdir, { recursive: true });
      const r = await build({
        ...bundleBuildOptions(outdir, EXTERNAL),
        metafile: true,
        entryPoints: { function: entry },
        plugins: [onlyFunctionPlugin(root, name, HOSTED_FUNCTIONS), locationsPlugin(outdir)],
      });
      functions[name] = `${name}/function.js`;
      bytes[name] = Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
      metafiles[name] = r.metafile;
    }),
  );
  const manifest: BundleManifest = { version: 1, source, functions };
  await writeFile(join(bundleRoot, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, bytes, metafiles };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dist = process.argv[2] ?? join(dirname(process.argv[1]), '..', '..');
  const t0 = performance.now();
  const { bytes } = await bundleFunctions(dist);
  const sizes = Object.entries(bytes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, b]) => `${n} ${(b / 1024 / 1024).toFixed(1)} MiB`)
    .join(', ');
  process.stdout.write(
    `function bundles in ${join(dist, BUNDLE_DIR)} (${Math.round(performance.now() - t0)} ms): ${sizes}\n`,
  );
}

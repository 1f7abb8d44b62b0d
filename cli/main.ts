#!/usr/bin/env node
/**
 * `kscape`: the operator's single entrypoint. Every component runs through it (the container image's
 * ENTRYPOINT is this file), so the command, not the image, selects the component. Subcommands are
 * imported lazily: a function host's cold start must not pay for the CLI's other commands.
 *
 * `kscape function <name>` (what every Knative Service runs, on every scale-from-zero) bypasses
 * commander entirely and loads the function's prebuilt bundle when there is a current one
 * (functions/runtime/bundle.ts); this file's static imports are kept to a few small modules for it.
 */
import * as nodeModule from 'node:module';
import type { Command } from 'commander';
import { ConfigError } from '../lib/config/env.js';
import { serializeError } from '../lib/log/serialize.js';
import { UsageError } from './errors.js';
import { VERSION } from './version.js';

type Commander = typeof import('commander');
let commanderModule: Commander | undefined;
/** commander is required on first use: the function fast path never needs it. */
function commander(): Commander {
  return (commanderModule ??= nodeModule.createRequire(import.meta.url)('commander') as Commander);
}

export function buildProgram(): Command {
  const { Command } = commander();
  const program = new Command('kscape')
    .description('Kubernetes security-posture operator: misconfiguration and vulnerability scanning as Knative functions')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: true })
    .exitOverride();

  program
    .command('dev')
    .description(
      'run the whole operator in one process: storage-api on embedded PostgreSQL (PGlite), every function, ' +
        'a local broker routing events as the Triggers in knative/ do, and a sandbox cluster seeded from examples/cluster/',
    )
    .option('--state-dir <dir>', 'where dev state goes (kubeconfig, dev.json, database)', '.kscape')
    .option(
      '--manifests <dir>',
      'Knative manifests whose Triggers and PingSources the local broker follows (default: knative/base, here or in the package)',
    )
    .option('--seed <dir>', 'manifests seeding the sandbox cluster (default: examples/cluster, here or in the package)')
    .option('--api-port <port>', 'storage-api port (0 = any free port)', '0')
    .option('--broker-port <port>', 'broker ingress port (0 = any free port)', '0')
    .option('--persist', 'keep the embedded database in <state-dir>/pgdata across runs (default: in memory)', false)
    .option('--no-startup-scans', 'do not run the start-up posture and vulnerability scans')
    .option('--no-schedules', 'do not run the PingSource schedules')
    .option('--no-cluster-events', 'do not emulate the ApiServerSource (cluster changes will not trigger scans)')
    .action(async (opts: Record<string, unknown>) => {
      const { runDev } = await import('./commands/dev.js');
      await runDev(opts);
    });

  program
    .command('function')
    .description('serve one CloudEvents function over HTTP (what each Knative Service runs)')
    .argument('<name>', 'scan, vuln, schedule, export, control or deadletter')
    .action(async (name: string) => {
      const { runFunction } = await import('./commands/function.js');
      await runFunction(name);
    });

  program
    .command('storage-api')
    .description('serve the spdx.softwarecomposition.kubescape.io aggregated API on PostgreSQL (DATABASE_URL) or PGlite')
    .option('--insecure-local', 'plain HTTP on 127.0.0.1 without authentication (development only)', false)
    .option('--sandbox', 'also serve built-in kinds (pods, deployments, RBAC ...) as a sandbox cluster', false)
    .option('--seed <dir>', 'with --sandbox: seed the sandbox cluster from this directory of manifests')
    .action(async (opts: Record<string, unknown>) => {
      const { runStorageApi } = await import('./commands/storage-api.js');
      await runStorageApi(opts);
    });

  program
    .command('node-agent')
    .description('run the node agent (DaemonSet): host facts and runtime relevancy reported to K_SINK')
    .option('--once', 'collect once and exit', false)
    .option('--print', 'print the host report and relevancy snapshot as JSON instead of sending them', false)
    .action(async (opts: { once?: boolean; print?: boolean }) => {
      await (await import('./commands/node-agent.js')).runNodeAgentCommand(opts);
    });

  program
    .command('scan')
    .description('scan Kubernetes manifests (files, directories, - for stdin) for misconfigurations with the posture controls')
    .argument('[paths...]', 'YAML/JSON manifest files or directories; - reads stdin')
    .option('-f, --framework <names>', 'framework(s) to scan, repeatable or comma-separated (default: every implemented control)', (v: string, p: string[]) => [...p, v], [])
    .option('-c, --control <ids>', 'control ID(s), repeatable or comma-separated (e.g. C-0017)', (v: string, p: string[]) => [...p, v], [])
    .option('--exceptions <file>', 'PostureExceptionPolicy list (JSON/YAML)')
    .option('--controls-config <file>', 'control inputs (postureControlInputs, JSON/YAML)')
    .option('--format <format>', 'pretty, json, sarif or junit', 'pretty')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--severity-threshold <severity>', 'exit 1 when a control of this severity or above fails: low, medium, high, critical')
    .action(async (paths: string[], opts: Record<string, unknown>) => (await import('../functions/scan/cli.js')).scanCommand(paths, opts));

  program
    .command('provider-sink')
    .description('a local provider for docs and dev mode: verifies Standard Webhooks signatures, dedupes by webhook-id, prints each delivery')
    .option('--port <port>', 'TCP port', '8090')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--secret <whsec>', 'whsec_ secret(s), comma-separated (default: KSCAPE_PROVIDER_SECRET)')
    .action(async (opts: { port?: string; host?: string; secret?: string }) => {
      const { runProviderSink } = await import('./commands/provider-sink.js');
      await runProviderSink(opts);
    });

  const collect = (v: string, p: string[]) => [...p, v];
  program
    .command('sbom')
    .description('SBOM of an image (registry reference, oci:DIR[:TAG], oci-archive:PATH, docker-archive:PATH): a table, SPDX 2.3 or CycloneDX 1.5 JSON')
    .argument('<image>', 'image reference')
    .option('--format <format>', 'table, spdx (spdx-json) or cyclonedx (cyclonedx-json)', 'table')
    .option('--platform <os/arch>', 'platform picked from a multi-platform image', 'linux/amd64')
    .option('--insecure-registry <host:port>', 'registry reached over plain HTTP (repeatable)', collect, [])
    .option('--authfile <file>', 'docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json, ~/.docker/config.json)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (image: string, opts: Record<string, unknown>) => {
      await (await import('./commands/sbom.js')).sbomCommand(image, opts);
    });

  program
    .command('vuln')
    .description('vulnerabilities of an image (or of an SPDX SBOM file) matched against the local OSV database (kscape db)')
    .argument('<image|sbom.json>', 'image reference, or an SPDX 2.3 JSON file written by kscape sbom --format spdx')
    .option('--format <format>', 'table, json (the VulnerabilityManifest payload) or sarif (SARIF 2.1.0 for code-scanning dashboards)', 'table')
    .option('--severity-threshold <severity>', 'exit 1 when a finding has this severity or above: negligible, low, medium, high, critical')
    .option('--fail-on <severity>', 'alias of --severity-threshold')
    .option('--platform <os/arch>', 'platform picked from a multi-platform image', 'linux/amd64')
    .option('--insecure-registry <host:port>', 'registry reached over plain HTTP (repeatable)', collect, [])
    .option('--authfile <file>', 'docker config.json with registry credentials')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (target: string, opts: Record<string, unknown>) => {
      await (await import('./commands/vuln.js')).vulnCommand(target, opts);
    });

  const db = program
    .command('db')
    .description('the OSV vulnerability database used by kscape vuln (DATABASE_URL, else embedded under $KSCAPE_HOME, default ~/.kscape)');
  db.command('import')
    .description('import OSV records: all.zip dumps, NDJSON (.ndjson/.jsonl) or JSON files; replaces the database atomically')
    .argument('<files...>', 'OSV files')
    .option('--mode <mode>', 'full (the files are the whole DB) or incremental (add records newer than the current ones)', 'full')
    .action(async (files: string[], opts: Record<string, unknown>) => {
      await (await import('./commands/db.js')).dbImport(files, opts);
    });
  db.command('update')
    .description('download <base-url>/<ecosystem>/all.zip for the configured ecosystems (KSCAPE_VULNDB_*) and import them')
    .option('--ecosystem <name>', 'only these ecosystems, repeatable or comma-separated (the others are kept)', collect, [])
    .option('--base-url <url>', 'OSV mirror (default KSCAPE_VULNDB_BASE_URL, OSV\'s bucket)')
    .option('--mode <mode>', 'full or incremental (default: KSCAPE_VULNDB_MODE; incremental for a subset)')
    .action(async (opts: Record<string, unknown>) => {
      await (await import('./commands/db.js')).dbUpdate(opts);
    });
  db.command('status')
    .description('version, build time, age and contents of the vulnerability database')
    .option('--json', 'machine-readable output', false)
    .action(async (opts: Record<string, unknown>) => {
      await (await import('./commands/db.js')).dbStatus(opts);
    });

  program
    .command('config')
    .description("list every component's environment variables with defaults and allowed values")
    .option('--check', 'validate the current environment instead; exit 2 naming each bad variable', false)
    .action(async (opts: { check?: boolean }) => {
      const { runConfig } = await import('./commands/config.js');
      await runConfig(opts);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

function reportError(e: unknown): number {
  // commander already printed help/usage (it can only have thrown if it was loaded).
  if (commanderModule && e instanceof commanderModule.CommanderError) return e.exitCode;
  if (e instanceof ConfigError || e instanceof UsageError) {
    process.stderr.write(`kscape: ${e.message}\n`);
    return 2;
  }
  const debug = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
  const info = serializeError(e, debug);
  process.stderr.write(`kscape: ${String(info.message)}\n`);
  if (debug && typeof info.stack === 'string') process.stderr.write(`${info.stack}\n`);
  else process.stderr.write('(set LOG_LEVEL=debug for details)\n');
  return 1;
}

type FunctionCommand = typeof import('./commands/function.js');

/**
 * `kscape function <name>` exactly (no options: `--help` and friends go through commander): the
 * function's module without commander, bundled when a current bundle exists.
 */
async function runFunctionFast(name: string): Promise<number> {
  try {
    const { bundledFunction } = await import('../functions/runtime/bundle-manifest.js');
    const bundle = bundledFunction(name, new URL('../', import.meta.url));
    const mod = bundle ? ((await import(bundle.href)) as FunctionCommand) : await import('./commands/function.js');
    await mod.runFunction(name);
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

/**
 * `kscape node-agent` with at most --once and --print: the agent's bundle without commander when
 * current (node-agent/bundle.ts), since its memory on every node is mostly what it loads.
 */
async function runNodeAgentFast(flags: readonly string[]): Promise<number> {
  try {
    const { bundledNodeAgent } = await import('../node-agent/bundle-manifest.js');
    const bundle = bundledNodeAgent(new URL('../', import.meta.url));
    const mod = bundle
      ? ((await import(bundle.href)) as typeof import('./commands/node-agent.js'))
      : await import('./commands/node-agent.js');
    await mod.runNodeAgentCommand({ once: flags.includes('--once'), print: flags.includes('--print') });
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

/**
 * Node ≥ 22.1 (the image's Node) can keep V8's compiled code across starts of the same files, in
 * the OS temp directory (an emptyDir /tmp in the manifests: it helps restarts within a pod). Node 20
 * has no such API; an unwritable directory only disables the cache.
 */
function enableCompileCache(): void {
  const enable = (nodeModule as unknown as { enableCompileCache?: () => unknown }).enableCompileCache;
  try {
    enable?.();
  } catch {
    // an optimisation only
  }
}

// Run when executed directly (not when imported by tests).
const invokedPath = process.argv[1] ? new URL(`file://${process.argv[1]}`).pathname : '';
if (invokedPath.endsWith('/cli/main.js') || invokedPath.endsWith('/cli/main.ts')) {
  enableCompileCache();
  const [cmd, name, ...rest] = process.argv.slice(2);
  const args = process.argv.slice(3);
  const run =
    cmd === 'function' && name !== undefined && /^[a-z][a-z0-9-]*$/.test(name) && rest.length === 0
      ? runFunctionFast(name)
      : cmd === 'node-agent' && args.every((a) => a === '--once' || a === '--print')
        ? runNodeAgentFast(args)
        : main(process.argv);
  run.then(
    (code) => {
      // Long-running commands keep the event loop alive themselves; only set the exit code here.
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e);
    },
  );
}

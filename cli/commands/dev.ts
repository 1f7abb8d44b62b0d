/**
 * `kscape dev` (= `npm start`): the whole operator in one process on its embedded defaults.
 *
 * Order matters: storage-api first (functions read the cluster and write results through it), then
 * the function hosts, then the broker (it resolves every Trigger's subscriber to a function URL at
 * start, so a misspelled Trigger fails here exactly as it would leave a Trigger not Ready in a
 * cluster). The broker's port is reserved before the functions start because they need it as their
 * K_SINK.
 *
 * Logs go to `<state-dir>/dev.log` (JSON lines, LOG_LEVEL, default info); warnings and errors are
 * also shown on stderr, so the terminal stays readable and nothing is lost.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destination, multistream, type Level } from 'pino';
import { createLogger, setRootLogger, type Logger } from '../../lib/log/index.js';
import { UsageError } from '../errors.js';
import { writeKubeconfig } from '../dev/kubeconfig.js';

export interface DevOptions {
  stateDir: string;
  manifests: string;
  seed: string;
  apiPort: number;
  brokerPort: number;
  persist: boolean;
  startupScans: boolean;
  schedules: boolean;
  clusterEvents: boolean;
}

export function parseDevOptions(raw: Record<string, unknown>): DevOptions {
  const port = (name: string, v: unknown): number => {
    const n = Number(v ?? 0);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new UsageError(`--${name} must be a port number 0..65535, got ${String(v)}`);
    return n;
  };
  return {
    stateDir: resolve(String(raw.stateDir ?? '.kscape')),
    manifests: inputDir('manifests', raw.manifests, 'knative/base'),
    seed: inputDir('seed', raw.seed, 'examples/cluster'),
    apiPort: port('api-port', raw.apiPort),
    brokerPort: port('broker-port', raw.brokerPort),
    persist: raw.persist === true,
    startupScans: raw.startupScans !== false,
    schedules: raw.schedules !== false,
    clusterEvents: raw.clusterEvents !== false,
  };
}

/** The package root (the folder holding package.json): dist/cli/commands/ or cli/commands/ below it. */
function packageRoot(): string {
  for (const rel of ['../../../', '../../']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'knative'))) return dir;
  }
  return process.cwd();
}

/**
 * A directory option. Given explicitly it is taken relative to the working directory; left at its
 * default it is looked up in the working directory first and then in the package, so `kscape dev` also
 * works outside a checkout (an installed package ships knative/ and examples/).
 */
export function inputDir(option: string, given: unknown, fallback: string, cwd = process.cwd()): string {
  const explicit = typeof given === 'string' && given !== '';
  const candidates = explicit ? [resolve(cwd, given)] : [resolve(cwd, fallback), join(packageRoot(), fallback)];
  for (const dir of candidates) {
    if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  }
  throw new UsageError(
    explicit
      ? `--${option} ${String(given)}: no such directory`
      : `--${option}: ${fallback} was found neither in ${cwd} nor in the package; pass --${option} <dir>`,
  );
}

/** A free loopback port, for the broker whose URL the functions need before it starts. */
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const p = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(p));
    });
  });
}

interface Closer {
  name: string;
  /** Consecutive closers of one group stop together (the function hosts drain in parallel). */
  group?: string;
  close(): Promise<void>;
}

export interface DevHandle {
  info: DevInfo;
  close(): Promise<void>;
}

export interface DevInfo {
  pid: number;
  startedAt: string;
  stateDir: string;
  logFile: string;
  api: { url: string; kubeconfig: string; context: string };
  broker: { ingress: string };
  functions: Record<string, string>;
}

/** Start everything; resolves when ready. Used by the command and by end-to-end tests. */
export async function startDev(opts: DevOptions, log: Logger): Promise<DevHandle> {
  const closers: Closer[] = [];
  // Reverse start order: sources and broker first (no new events), then every function host at
  // once (each drains its in-flight events within its shutdown timeout), then storage and database.
  const closeAll = async (): Promise<void> => {
    const stopOne = async (c: Closer): Promise<void> => {
      const t0 = performance.now();
      try {
        await c.close();
        log.debug({ stopped: c.name, ms: Math.round(performance.now() - t0) }, 'stopped');
      } catch (e) {
        log.warn({ err: e, stopping: c.name }, 'error while stopping');
      }
    };
    const order = closers.reverse();
    for (let i = 0; i < order.length;) {
      const group = order[i]!.group;
      let j = i + 1;
      while (group !== undefined && j < order.length && order[j]!.group === group) j++;
      await Promise.all(order.slice(i, j).map(stopOne));
      i = j;
    }
  };
  try {
    // 0. One database for the process: DATABASE_URL when set, else embedded PGlite. Components
    // own distinct tables (storage_*, schedule_*), as they do on a shared PostgreSQL in a cluster;
    // one embedded instance instead of one per component saves hundreds of MiB and seconds of start-up.
    const { openDatabase } = await import('../../lib/db/index.js');
    const database = await openDatabase({
      applicationName: 'kscape-dev',
      ...(opts.persist ? { dataDir: join(opts.stateDir, 'pgdata') } : {}),
    });
    closers.push({ name: 'database', close: () => database.close() });

    // 1. storage-api with the sandbox cluster.
    const { startStorageServer } = await import('../../storage-api/server.js');
    const api = await startStorageServer({
      insecureLocal: true,
      port: opts.apiPort,
      sandbox: true,
      seedDir: opts.seed,
      database,
    });
    closers.push({ name: 'storage-api', close: () => api.close() });
    const kubeconfig = join(opts.stateDir, 'kubeconfig');
    writeKubeconfig(kubeconfig, { server: api.url, context: 'kscape-dev' });
    // Functions reach "the cluster" through the default client-node configuration.
    process.env.KUBECONFIG = kubeconfig;

    // 2. function hosts, with the broker's (reserved) ingress as their K_SINK.
    const [
      { loadEventingConfig, startLocalBroker, serviceResolver },
      { serveFunction },
      { HOSTED_FUNCTIONS, hostingOf },
    ] = await Promise.all([
      import('../../lib/broker/index.js'),
      import('../../functions/runtime/serve.js'),
      import('../../functions/registry.js'),
    ]);
    const eventing = loadEventingConfig(opts.manifests);
    const broker0 = eventing.brokers[0];
    if (!broker0) throw new UsageError(`no Broker found in ${opts.manifests}`);
    const brokerPort = opts.brokerPort || (await freePort());
    const sink = `http://127.0.0.1:${brokerPort}/${broker0.namespace}/${broker0.name}`;
    const functions: Record<string, string> = {};
    for (const name of HOSTED_FUNCTIONS) {
      const hosting = hostingOf(name);
      if (hosting.kind === 'http') {
        // control serves the provider's signed HTTP commands, not CloudEvents (no Trigger routes to it).
        const service = await hosting.serve({
          port: 0,
          host: '127.0.0.1',
          database,
          env: { ...process.env, K_SINK: sink },
        });
        closers.push({ name, group: 'functions', close: () => service.close() });
        functions[name] = service.url;
        continue;
      }
      const def = await hosting.load({ database });
      const served = await serveFunction(def, {
        port: 0,
        host: '127.0.0.1',
        config: { K_SINK: sink, K_SERVICE: `kscape-${name}`, KSCAPE_SHUTDOWN_TIMEOUT: 2000 },
      });
      closers.push({ name: `function ${name}`, group: 'functions', close: () => served.close() });
      functions[name] = served.url;
    }

    // 3. the broker, following the Triggers and PingSources of the manifests.
    const services = Object.fromEntries(Object.entries(functions).map(([n, u]) => [`kscape-${n}`, u]));
    const broker = await startLocalBroker({
      config: eventing,
      resolve: serviceResolver(services),
      port: brokerPort,
      schedulePings: opts.schedules,
      logger: log.child({ component: 'broker' }),
    });
    closers.push({ name: 'broker', close: () => broker.close() });

    // 4. ApiServerSource: cluster changes into the broker, as the adapter does in a cluster.
    if (opts.clusterEvents) {
      const [{ readApiServerSources, startApiServerSources }, { loadKubeConfig }] = await Promise.all([
        import('../dev/apiserver-source.js'),
        import('../../lib/kube/client.js'),
      ]);
      const sources = await startApiServerSources({
        specs: readApiServerSources(eventing.files, broker0.namespace),
        kubeconfig: loadKubeConfig(kubeconfig),
        publish: (e) => void broker.publish(e),
        log: log.child({ component: 'apiserversource' }),
      });
      closers.push({ name: 'apiserversource', close: () => sources.close() });
    }

    const info: DevInfo = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir: opts.stateDir,
      logFile: join(opts.stateDir, 'dev.log'),
      api: { url: api.url, kubeconfig, context: 'kscape-dev' },
      broker: { ingress: broker.ingressUrl },
      functions,
    };
    writeFileSync(join(opts.stateDir, 'dev.json'), `${JSON.stringify(info, null, 2)}\n`);

    // 5. Like Kubescape's operator: one posture and one vulnerability scan at start.
    if (opts.startupScans) {
      for (const ps of eventing.pingSources) {
        const job = pingJob(ps.data);
        if (job === 'posture' || job === 'vulnerability') {
          broker.firePing(`${ps.namespace}/${ps.name}`);
          log.info({ component: 'dev', pingSource: ps.name, job }, 'start-up scan requested');
        }
      }
    }

    return {
      info,
      close: async () => {
        rmSync(join(opts.stateDir, 'dev.json'), { force: true });
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

function pingJob(data: Buffer | undefined): string | undefined {
  if (!data) return undefined;
  try {
    const v = JSON.parse(data.toString('utf8')) as { job?: unknown };
    return typeof v.job === 'string' ? v.job : undefined;
  } catch {
    return undefined;
  }
}

function guide(info: DevInfo): string {
  const kc = `kubectl --kubeconfig ${info.api.kubeconfig}`;
  const fns = Object.entries(info.functions)
    .map(([n, u]) => `    ${n.padEnd(11)} ${u}`)
    .join('\n');
  return `
kscape dev is running (pid ${info.pid})

  storage-api   ${info.api.url}   (plain HTTP on loopback, no auth: development only)
  broker        ${info.broker.ingress}
  functions
${fns}
  state         ${info.stateDir}/dev.json
  logs          ${info.logFile}   (warnings and errors also appear here)

What now:
  ${kc} api-resources --api-group=spdx.softwarecomposition.kubescape.io
  ${kc} get deployments,pods -A                 # the sandbox cluster (examples/cluster)
  ${kc} get vulnerabilitymanifests -A
  ${kc} get workloadconfigurationscans -A -w
  curl -i ${info.broker.ingress} -H 'ce-specversion: 1.0' -H 'ce-id: demo-1' -H 'ce-source: /me' \\
       -H 'ce-type: dev.knative.sources.ping' -H 'content-type: application/json' -d '{"job":"posture"}'

Press Ctrl-C to stop.
`;
}

export async function runDev(raw: Record<string, unknown>): Promise<void> {
  const opts = parseDevOptions(raw);
  mkdirSync(opts.stateDir, { recursive: true });
  const logFile = join(opts.stateDir, 'dev.log');
  const level = process.env.LOG_LEVEL ?? 'info';
  const streams = multistream([
    { stream: destination({ dest: logFile, sync: false, mkdir: true }), level: level as Level },
    { stream: process.stderr, level: 'warn' },
  ]);
  const log = createLogger(streams);
  setRootLogger(log);

  const dev = await startDev(opts, log);
  process.stdout.write(guide(dev.info));

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write('second signal: exiting now\n');
        process.exit(130);
      }
      stopping = true;
      process.stdout.write(`\n${signal}: stopping ...\n`);
      // Ctrl-C must end the run promptly even if something hangs: give up after 4.5 s.
      const hard = setTimeout(() => {
        process.stderr.write('shutdown took too long; exiting\n');
        process.exit(1);
      }, 4500);
      hard.unref();
      dev.close().then(
        () => {
          process.stdout.write('stopped\n');
          streams.flushSync?.();
          done();
        },
        (e: unknown) => {
          process.stderr.write(`error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
          done();
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Everything was closed and the logs flushed; what may still hold the event loop (an aborted
  // registry pull's retry timer, a keep-alive socket) has nothing left to report to.
  process.exit(process.exitCode ?? 0);
}

/**
 * `kscape config`: every component's environment variables with defaults and what they allow
 * (rendered from the same declarations the components load, so the list cannot drift), and
 * `--check` to validate the current environment before deploying or starting anything.
 */
import { ConfigError, describeConfig, loadConfig, type ConfigSpec } from '../../lib/config/env.js';

interface Section {
  component: string;
  spec: ConfigSpec;
}

async function sections(): Promise<Section[]> {
  const [runtime, db, schedule, storage, store, auth, scan, control, exporter, nodeAgent, vuln] = await Promise.all([
    import('../../functions/runtime/config.js'),
    import('../../lib/db/config.js'),
    import('../../functions/schedule/config.js'),
    import('../../storage-api/config.js'),
    import('../../storage-api/store/config.js'),
    import('../../storage-api/auth/config.js'),
    import('../../functions/scan/function-config.js'),
    import('../../functions/control/config.js'),
    import('../../functions/export/config.js'),
    import('../../node-agent/config.js'),
    import('../../functions/vuln/function-config.js'),
  ]);
  return [
    { component: 'function host (every function)', spec: runtime.RUNTIME_CONFIG },
    { component: 'database (storage-api, schedule, vuln)', spec: db.dbConfigSpec },
    { component: 'schedule function', spec: schedule.scheduleConfigSpec },
    { component: 'storage-api', spec: storage.storageApiConfigSpec },
    { component: 'storage-api store', spec: store.storeConfigSpec },
    { component: 'storage-api authentication and TLS', spec: auth.authConfigSpec },
    { component: 'scan function', spec: scan.scanFunctionConfigSpec },
    { component: 'vuln function (and kscape db update: KSCAPE_VULNDB_*)', spec: vuln.vulnFunctionConfigSpec },
    { component: 'control function', spec: control.controlConfigSpec },
    { component: 'export function', spec: exporter.exportConfigSpec },
    { component: 'node-agent', spec: nodeAgent.NODE_AGENT_CONFIG },
  ];
}

export async function runConfig(opts: { check?: boolean }): Promise<void> {
  const all = await sections();
  if (!opts.check) {
    for (const s of all) process.stdout.write(`## ${s.component}\n\n${describeConfig(s.spec)}\n\n`);
    process.stdout.write('Logging: LOG_LEVEL (trace, debug, info, warn, error, fatal, silent; default info).\n');
    process.stdout.write('Telemetry: the standard OTEL_* variables (see lib/telemetry/README.md).\n');
    return;
  }
  const problems: string[] = [];
  for (const s of all) {
    try {
      loadConfig(s.spec, process.env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) {
        problems.push(`${s.component}: ${p.variable}=${JSON.stringify(p.value)}: expected ${p.allowed}${p.reason ? ` (${p.reason})` : ''}`);
      }
    }
  }
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write('configuration OK\n');
}

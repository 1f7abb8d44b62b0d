/**
 * The function bundles `npm run build` makes: built from the compiled output, they must run the
 * function exactly as the compiled modules do, find files next to the modules they came from, and
 * hold only their own function.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnce, ROOT } from '../../test/support/build.js';
import { bundleFunctions, locationsPlugin } from './bundle.js';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe('function bundles', () => {
  it('rewrite import.meta.url, import.meta.dirname and CommonJS __dirname to where each module really is', async () => {
    const src = mkdtempSync(join(tmpdir(), 'kscape-bundle-src-'));
    const out = mkdtempSync(join(tmpdir(), 'kscape-bundle-out-'));
    cleanup.push(src, out);
    mkdirSync(join(src, 'deep', 'er'), { recursive: true });
    writeFileSync(
      join(src, 'deep', 'er', 'esm.js'),
      'export const here = [import.meta.url, import.meta.dirname];\n',
    );
    writeFileSync(join(src, 'deep', 'cjs.cjs'), 'module.exports = { dir: __dirname, file: __filename };\n');
    writeFileSync(
      join(src, 'entry.js'),
      "import { here } from './deep/er/esm.js';\nimport cjs from './deep/cjs.cjs';\nconsole.log(JSON.stringify({ here, cjs }));\n",
    );
    await build({
      entryPoints: [join(src, 'entry.js')],
      outdir: out,
      bundle: true,
      format: 'esm',
      platform: 'node',
      logLevel: 'error',
      banner: {
        js: "import { fileURLToPath as __f } from 'node:url'; const __kscapePath = (rel) => __f(new URL(rel, import.meta.url));",
      },
      plugins: [locationsPlugin(out)],
    });
    const printed = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [join(out, 'entry.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`exit ${code}`))));
    });
    const got = JSON.parse(printed) as { here: [string, string]; cjs: { dir: string; file: string } };
    expect(got.here[0]).toBe(pathToFileURL(join(src, 'deep', 'er', 'esm.js')).href);
    expect(got.here[1]).toBe(join(src, 'deep', 'er') + '/');
    expect(got.cjs.dir).toBe(join(src, 'deep') + '/');
    expect(got.cjs.file).toBe(join(src, 'deep', 'cjs.cjs'));
  });

  it('serve a function from the compiled output: readiness, an event answered, SIGTERM exit 0; other functions left out', async () => {
    buildOnce();
    const dist = join(ROOT, 'dist');
    // Inside the repository so the bundle resolves its external packages from node_modules.
    const outRoot = join(dist, `.bundle-test-${process.pid}`);
    cleanup.push(outRoot);
    const { manifest } = await bundleFunctions(dist, { names: ['deadletter', 'scan'], outRoot });
    expect(manifest.functions).toEqual({ deadletter: 'deadletter/function.js', scan: 'scan/function.js' });

    const text = (fn: string): string =>
      readdirSync(join(outRoot, fn))
        .map((f) => readFileSync(join(outRoot, fn, f), 'utf8'))
        .join('\n');
    const deadletter = text('deadletter');
    expect(text('scan')).toContain('function createScanFunction(');
    expect(deadletter).not.toContain('function createScanFunction(');
    expect(deadletter).toContain('function scan is not part of the deadletter bundle');
    // The OpenTelemetry SDK is only loaded with telemetry on, which never runs from a bundle.
    expect(deadletter).not.toContain('node_modules/@opentelemetry/sdk-node');

    const port = await freePort();
    const entry = pathToFileURL(join(outRoot, 'deadletter', 'function.js')).href;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `await (await import(${JSON.stringify(entry)})).runFunction('deadletter');`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          OTEL_SDK_DISABLED: 'true',
        },
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/health/readiness`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`bundle did not become ready:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'dead-1',
          'ce-source': '/test',
          'ce-type': 'com.example.failed',
          'ce-knativeerrorcode': '500',
        },
        body: '{"x":1}',
      });
      expect(res.status).toBe(202);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"eventId":"dead-1"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});

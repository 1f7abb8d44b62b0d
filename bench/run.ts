/**
 * `npm run bench`: runs every benchmark script of bench/ (compiled to dist/bench/) one after the
 * other in its own process, so one benchmark's heap and JIT state cannot colour the next, then
 * prints the ratio lines each one reported. Each benchmark measures its own baseline in the same
 * run (machines here are noisy; absolute times are not comparable across runs).
 *
 *   npm run bench                 all benchmarks
 *   npm run bench -- scan storage only those whose file name contains one of the words
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

const resultsDir = join(here, '..', '..', 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });

function runOne(file: string): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${basename(file, '.js')} ===\n`);
    const child = spawn(process.execPath, ['--expose-gc', join(here, file)], { stdio: 'inherit', env: process.env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let failed = 0;
for (const f of scripts) {
  const code = await runOne(f);
  if (code !== 0) {
    failed++;
    process.stdout.write(`!!! ${f} exited with ${code}\n`);
  }
}

process.stdout.write('\n=== summary (bench/results/*.json) ===\n');
for (const f of readdirSync(resultsDir).filter((x) => x.endsWith('.json')).sort()) {
  const p = join(resultsDir, f);
  if (!existsSync(p)) continue;
  try {
    const data = JSON.parse(readFileSync(p, 'utf8')) as { summary?: unknown };
    process.stdout.write(`${f}: ${JSON.stringify(data.summary ?? data).slice(0, 600)}\n`);
  } catch {
    process.stdout.write(`${f}: (unreadable)\n`);
  }
}
process.exitCode = failed ? 1 : 0;

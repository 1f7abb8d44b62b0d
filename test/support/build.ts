/**
 * End-to-end tests run the compiled CLI exactly as users do (`node dist/cli/main.js`). Build once per
 * test file; tsc's incremental build makes repeated calls cheap. Test files run in parallel
 * workers, so builds are serialised with a lock directory: a worker never starts the CLI while
 * another one is rewriting dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const LOCK = join(ROOT, '.build.lock');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock(fn: () => void): void {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than 5 minutes belongs to a process that died mid-build.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 300_000) rmdirSync(LOCK);
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${LOCK}`);
      sleepSync(200);
    }
  }
  try {
    fn();
  } finally {
    rmdirSync(LOCK);
  }
}

let built = false;
export function buildOnce(): void {
  if (built && existsSync(CLI)) return;
  withLock(() => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  });
  built = true;
}

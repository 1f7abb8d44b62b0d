/**
 * End-to-end tests run the compiled CLI exactly as users do (`node dist/cli/main.js`). Build once per
 * test file; tsc's incremental build makes repeated calls cheap.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

let built = false;
export function buildOnce(): void {
  if (built && existsSync(CLI)) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  built = true;
}

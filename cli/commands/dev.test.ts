import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { inputDir } from './dev.js';

const repo = resolve(import.meta.dirname, '../..');
const elsewhere = mkdtempSync(join(tmpdir(), 'kscape-dev-opts-'));
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

describe('kscape dev directory options', () => {
  it('a default found in the working directory wins', () => {
    mkdirSync(join(elsewhere, 'examples/cluster'), { recursive: true });
    expect(inputDir('seed', undefined, 'examples/cluster', elsewhere)).toBe(join(elsewhere, 'examples/cluster'));
  });

  it('a default missing from the working directory comes from the package, so dev runs outside a checkout', () => {
    expect(inputDir('manifests', undefined, 'knative/base', elsewhere)).toBe(join(repo, 'knative/base'));
  });

  it('an explicit directory that does not exist is a usage error naming the option', () => {
    expect(() => inputDir('seed', 'nope', 'examples/cluster', elsewhere)).toThrow(UsageError);
    expect(() => inputDir('seed', 'nope', 'examples/cluster', elsewhere)).toThrow(/^--seed nope: no such directory$/);
  });

  it('a default found nowhere says where it looked and how to fix it', () => {
    expect(() => inputDir('seed', undefined, 'no/such/default', elsewhere)).toThrow(
      `--seed: no/such/default was found neither in ${elsewhere} nor in the package; pass --seed <dir>`,
    );
  });
});

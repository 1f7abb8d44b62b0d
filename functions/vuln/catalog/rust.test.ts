/**
 * cargo-auditable binaries. crates.io is not reachable from this machine, so `cargo install
 * cargo-auditable` is impossible: the binary is a real ELF built by rustc, and the `.dep-v0`
 * section is added with `objcopy --add-section` holding zlib-compressed JSON in cargo-auditable's
 * format (what its linker step embeds).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_FS_LIMITS, ImageFilesystem } from '../layers/filesystem.js';
import { contentRules } from './index.js';
import { rustCataloger } from './rust.js';
import { tarOf } from './testing.js';

const has = (cmd: string): boolean => {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const ready = has('rustc') && has('objcopy');
const work = mkdtempSync(join(tmpdir(), 'kscape-rust-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEPS = {
  packages: [
    { name: 'myapp', version: '0.3.1', source: 'local', root: true, dependencies: [1, 2] },
    { name: 'serde', version: '1.0.193', source: 'crates.io', dependencies: [] },
    { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
  ],
};

function audited(section: Buffer): Buffer {
  const src = join(work, 'main.rs');
  writeFileSync(src, 'fn main() { println!("hello"); }\n');
  const bin = join(work, 'plain');
  execFileSync('rustc', ['-O', '-o', bin, src], { stdio: 'ignore' });
  const sec = join(work, 'dep.bin');
  writeFileSync(sec, section);
  const out = join(work, 'audited');
  execFileSync('objcopy', ['--add-section', `.dep-v0=${sec}`, '--set-section-flags', '.dep-v0=contents,readonly,noload', bin, out]);
  return readFileSync(out);
}

/** Stream the layer in small chunks so the section and its table straddle chunk boundaries. */
async function catalog(layer: Buffer, limits = DEFAULT_FS_LIMITS): Promise<{ fs: ImageFilesystem; pkgs: ReturnType<typeof rustCataloger.catalog> }> {
  const fs = new ImageFilesystem(contentRules([rustCataloger]), limits);
  const chunks: Buffer[] = [];
  for (let i = 0; i < layer.length; i += 4093) chunks.push(layer.subarray(i, i + 4093));
  await fs.applyLayer(Readable.from(chunks), 'sha256:rustlayer');
  return { fs, pkgs: rustCataloger.catalog({ fs }) };
}

describe.skipIf(!ready)('cargo-auditable .dep-v0', () => {
  test('crates of a rustc-built ELF with a .dep-v0 section; non-audited binaries give nothing', async () => {
    const bin = audited(deflateSync(Buffer.from(JSON.stringify(DEPS))));
    const plain = readFileSync(join(work, 'plain'));
    const { pkgs } = await catalog(tarOf({ 'usr/local/bin/myapp': { data: bin, mode: 0o755 }, 'usr/bin/plain': { data: plain, mode: 0o755 } }));
    expect(pkgs).toEqual([
      expect.objectContaining({ name: 'myapp', version: '0.3.1', purl: 'pkg:cargo/myapp@0.3.1', metadata: { source: 'local', kind: 'runtime', binary: '/usr/local/bin/myapp', root: 'true' } }),
      expect.objectContaining({ name: 'serde', purl: 'pkg:cargo/serde@1.0.193', locations: [{ path: '/usr/local/bin/myapp', layerDigest: 'sha256:rustlayer' }] }),
      expect.objectContaining({ name: 'cc', purl: 'pkg:cargo/cc@1.0.83', metadata: expect.objectContaining({ kind: 'build' }) }),
    ]);
  });

  test('ELF files above the hold limit are not scanned; a .dep-v0 bomb is capped and reported', async () => {
    const bin = audited(deflateSync(Buffer.from(JSON.stringify(DEPS))));
    const small = await catalog(tarOf({ 'app': { data: bin, mode: 0o755 } }), { ...DEFAULT_FS_LIMITS, maxElfHoldBytes: 1024 });
    expect(small.pkgs).toEqual([]);
    const bomb = audited(deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x20)));
    const { pkgs, fs } = await catalog(tarOf({ 'app': { data: bomb, mode: 0o755 } }));
    expect(pkgs).toEqual([]);
    expect(fs.skipped).toEqual([{ path: 'app', reason: expect.stringMatching(/unreadable \.dep-v0: .*(buffer|length)/i) }]);
  });
});

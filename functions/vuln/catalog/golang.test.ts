import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ImageFilesystem } from '../layers/filesystem.js';
import { goCataloger, parseGoBuildInfo } from './golang.js';

function varstr(s: string): Buffer {
  const b = Buffer.from(s);
  const len: number[] = [];
  let n = b.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from(len), b]);
}

function tarEntry(name: string, body: Buffer, mode: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

const SENT = Buffer.alloc(16, 0x30);
const modinfo = 'path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:x=\ndep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgolang.org/x/net\tv0.17.0\th1:z=\nbuild\tGOARCH=amd64\n';
const blob = Buffer.concat([
  Buffer.from('\xff Go buildinf:', 'latin1'),
  Buffer.from([8, 2]),
  Buffer.alloc(16),
  varstr('go1.21.3'),
  varstr(`${SENT.toString('latin1')}${modinfo}\n${SENT.toString('latin1')}`.replace(/\n\n/, '\n')),
]);

describe('go buildinfo', () => {
  test('parses inline buildinfo with replacements', () => {
    const full = Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.from([8, 2]), Buffer.alloc(16), varstr('go1.21.3'), varstr(SENT.toString('latin1') + modinfo + SENT.toString('latin1'))]);
    const info = parseGoBuildInfo(full)!;
    expect(info.goVersion).toBe('go1.21.3');
    expect(info.main).toMatchObject({ path: 'example.com/app', version: '(devel)' });
    expect(info.deps.map((d) => `${d.path}@${d.version}`)).toEqual(['github.com/pkg/errors@v0.9.1', 'golang.org/x/net@v0.17.0']);
    expect(info.settings.GOARCH).toBe('amd64');
  });

  test('found by streaming an executable ELF (magic split across chunks), purls like syft', async () => {
    const elf = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(70_000, 1), blob, Buffer.alloc(5000)]);
    const h = tarEntry('usr/bin/app', elf, 0o755);
    const tar = Buffer.concat([h, Buffer.alloc(1024)]);
    const fs = new ImageFilesystem([]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < tar.length; i += 4099) chunks.push(tar.subarray(i, i + 4099));
    await fs.applyLayer(Readable.from(chunks), 'sha256:go');
    const pkgs = goCataloger.catalog({ fs }) as { purl: string }[];
    expect(pkgs.map((p) => p.purl)).toEqual(['pkg:golang/example.com/app@%28devel%29', 'pkg:golang/github.com/pkg/errors@v0.9.1', 'pkg:golang/golang.org/x/net@v0.17.0', 'pkg:golang/stdlib@1.21.3']);
  });

  const real = ['/usr/lib/cni/host-local', '/usr/lib/cni/loopback', '/usr/sbin/nats-server'].find((p) => existsSync(p));
  test.skipIf(!real)('a real Go binary on this machine', async () => {
    const bin = readFileSync(real!);
    const fs = new ImageFilesystem([]);
    await fs.applyLayer(Readable.from([Buffer.concat([tarEntry('bin/x', bin, 0o755), Buffer.alloc(1024)])]), 'sha256:real');
    const pkgs = goCataloger.catalog({ fs }) as { name: string; version: string }[];
    const goVersion = /go1\.\d+(\.\d+)?/.exec(bin.toString('latin1'))![0];
    expect(pkgs.find((p) => p.name === 'stdlib')?.version).toMatch(/^go1\.\d+/);
    expect(bin.toString('latin1')).toContain(pkgs.find((p) => p.name === 'stdlib')!.version);
    expect(goVersion).toMatch(/^go1/);
    expect(pkgs.length).toBeGreaterThanOrEqual(1);
  });
});

/**
 * SBOM generation benchmark (`node dist/bench/sbom.js`), results in bench/results/sbom.json.
 *
 *  1. Debian bookworm minbase image (the acceptance-test fixture, built with debootstrap/umoci if
 *     missing): SBOM time vs `gzip -dc` of the same layer blobs, measured in the same run, best of
 *     N alternating runs (this machine is shared; wall time is noisy, CPU time is reported too).
 *     Target: ratio ≤ 1.5×.
 *  2. Synthetic 100 MB and 1 GB images of random-content layers (uncompressed tar, 100 MB each,
 *     mixed file sizes, some executables with ELF magic so the Go-buildinfo / .dep-v0 scan runs, and
 *     Maven's guava.jar when present so a jar is spooled and read): peak RSS of a child process that
 *     generates the SBOM, for both sizes. Target: flat (1 GB ≈ 100 MB), under 200 MiB.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemorySbomCache } from '../functions/vuln/cache.js';
import { generateSbom } from '../functions/vuln/generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');
const CACHE = join(tmpdir(), 'kscape-test-cache', 'debian-bookworm-minbase');
const JAR = '/usr/share/maven/lib/guava.jar';

// ------------------------------------------------------------------------------------------------
// Child mode: generate one SBOM and report peak RSS.
if (process.argv[2] === '--child') {
  const ref = process.argv[3]!;
  const t0 = performance.now();
  const r = await generateSbom(ref, { cache: new MemorySbomCache(), limits: { maxImageSize: 4 * 1024 ** 3 } });
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ status: r.status, packages: r.packages.length, ms, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
  process.exit(0);
}

function tarHeader(name: string, size: number, mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** An OCI layout of `layers` uncompressed random-content layers of ~`layerBytes` each. */
async function syntheticImage(dir: string, layers: number, layerBytes: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'blobs/sha256'), { recursive: true });
  const descs = [];
  for (let l = 0; l < layers; l++) {
    const tmp = join(dir, `layer${l}.tmp`);
    const fh = await open(tmp, 'w');
    const hash = createHash('sha256');
    let size = 0;
    const write = async (b: Buffer): Promise<void> => {
      hash.update(b);
      size += b.length;
      await fh.write(b);
    };
    let n = 0;
    let written = 0;
    while (written < layerBytes) {
      // Mixed sizes: many small files, some multi-MiB ones, every 7th an executable ELF.
      const fileSize = n % 10 === 0 ? 8 * 1024 * 1024 : 16 * 1024 + ((n * 7919) % (256 * 1024));
      const exe = n % 7 === 0;
      await write(tarHeader(`data/l${l}/f${n}${exe ? '' : '.bin'}`, fileSize, exe ? 0o755 : 0o644));
      let left = fileSize;
      let first = true;
      while (left > 0) {
        const chunk = randomBytes(Math.min(left, 1024 * 1024));
        if (first && exe) chunk.write('\x7fELF', 0, 'latin1');
        first = false;
        await write(chunk);
        left -= chunk.length;
      }
      const pad = (512 - (fileSize % 512)) % 512;
      if (pad) await write(Buffer.alloc(pad));
      written += fileSize;
      n++;
    }
    if (l === 0 && existsSync(JAR)) {
      // A real jar, so the spool path and the Java cataloger run inside the RSS measurement.
      const jar = readFileSync(JAR);
      await write(tarHeader('opt/app/lib/guava.jar', jar.length));
      await write(Buffer.concat([jar, Buffer.alloc((512 - (jar.length % 512)) % 512)]));
    }
    if (l === 0) {
      const status = Buffer.from('Package: bench\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n');
      await write(tarHeader('var/lib/dpkg/status', status.length));
      await write(Buffer.concat([status, Buffer.alloc((512 - (status.length % 512)) % 512)]));
    }
    await write(Buffer.alloc(1024));
    await fh.close();
    const digest = hash.digest('hex');
    execFileSync('mv', [tmp, join(dir, 'blobs/sha256', digest)]);
    descs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${digest}`, size });
  }
  const put = async (b: Buffer): Promise<string> => {
    const d = createHash('sha256').update(b).digest('hex');
    await writeFile(join(dir, 'blobs/sha256', d), b);
    return `sha256:${d}`;
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await put(config), size: config.length }, layers: descs }),
  );
  const md = await put(manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
}

function child(ref: string): { status: string; packages: number; ms: number; maxRssKiB: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ref], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'error' } });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { status: string; packages: number; ms: number; maxRssKiB: number };
}

function gzipBaseline(files: string[]): { wallMs: number; cpuMs: number } {
  const script = `TIMEFORMAT='%3R %3U %3S'; time (for f in "$@"; do gzip -dc "$f" >/dev/null; done)`;
  const r = spawnSync('bash', ['-c', script, 'bash', ...files], { encoding: 'utf8' });
  const [real, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs: real! * 1000, cpuMs: (user! + sys!) * 1000 };
}

const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, machine: { loadavg: (await import('node:os')).loadavg() } };

// 1. Debian image vs gzip -dc
if (!existsSync(join(CACHE, 'oci.done'))) {
  try {
    execFileSync('flock', [`${CACHE}.lock`, join(repoRoot, 'test/fixtures/images/build-debian.sh'), CACHE, 'bookworm'], { stdio: 'inherit' });
  } catch {
    console.log('debian image unavailable (needs debootstrap, umoci, skopeo); skipping the gzip comparison');
  }
}
if (existsSync(join(CACHE, 'oci.done'))) {
  const index = JSON.parse(readFileSync(join(CACHE, 'oci/index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === 'latest')!;
  const manifest = JSON.parse(readFileSync(join(CACHE, 'oci/blobs/sha256', m.digest.slice(7)), 'utf8')) as { layers: { digest: string; size: number }[] };
  const layerFiles = manifest.layers.map((l) => join(CACHE, 'oci/blobs/sha256', l.digest.slice(7)));
  const runs = 3;
  const sbom: { wallMs: number; cpuMs: number }[] = [];
  const gz: { wallMs: number; cpuMs: number }[] = [];
  let packages = 0;
  for (let i = 0; i < runs; i++) {
    gz.push(gzipBaseline(layerFiles));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await generateSbom(`oci:${join(CACHE, 'oci')}:latest`, { cache: new MemorySbomCache() });
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    sbom.push({ wallMs, cpuMs: (c.user + c.system) / 1000 });
    packages = r.packages.length;
  }
  const best = (xs: { wallMs: number; cpuMs: number }[], k: 'wallMs' | 'cpuMs'): number => Math.min(...xs.map((x) => x[k]));
  results.debian = {
    image: 'debootstrap --variant=minbase bookworm (oci layout, 1 gzip layer)',
    compressedBytes: manifest.layers.reduce((n, l) => n + l.size, 0),
    packages,
    runs,
    sbomBestWallMs: Math.round(best(sbom, 'wallMs')),
    gzipBestWallMs: Math.round(best(gz, 'wallMs')),
    wallRatio: +(best(sbom, 'wallMs') / best(gz, 'wallMs')).toFixed(2),
    sbomBestCpuMs: Math.round(best(sbom, 'cpuMs')),
    gzipBestCpuMs: Math.round(best(gz, 'cpuMs')),
    cpuRatio: +(best(sbom, 'cpuMs') / best(gz, 'cpuMs')).toFixed(2),
    target: 'ratio ≤ 1.5',
    all: { sbom, gzip: gz },
  };
  console.log(`debian: SBOM ${Math.round(best(sbom, 'wallMs'))} ms vs gzip -dc ${Math.round(best(gz, 'wallMs'))} ms (wall ratio ${(results.debian as { wallRatio: number }).wallRatio}, cpu ratio ${(results.debian as { cpuRatio: number }).cpuRatio})`);
}

// 2. Peak RSS on synthetic images
const synth: Record<string, unknown>[] = [];
for (const [label, layers] of [
  ['100MB', 1],
  ['1GB', 10],
] as const) {
  const dir = join(tmpdir(), `kscape-bench-sbom-${label}`);
  await syntheticImage(dir, layers, 100 * 1024 * 1024);
  const r = child(`oci:${dir}:latest`);
  synth.push({ image: label, layers, status: r.status, packages: r.packages, ms: Math.round(r.ms), peakRssMiB: +(r.maxRssKiB / 1024).toFixed(1) });
  console.log(`synthetic ${label}: peak RSS ${(r.maxRssKiB / 1024).toFixed(1)} MiB, ${Math.round(r.ms)} ms, status ${r.status}`);
  await rm(dir, { recursive: true, force: true });
}
const rss = synth.map((x) => x.peakRssMiB as number);
results.synthetic = { target: 'peak RSS flat, < 200 MiB', images: synth, rssRatio1GBto100MB: +(rss[1]! / rss[0]!).toFixed(2), withinTarget: rss.every((r) => r < 200) };
console.log(`synthetic peak RSS: 100MB ${rss[0]} MiB, 1GB ${rss[1]} MiB (ratio ${(rss[1]! / rss[0]!).toFixed(2)})`);

const out = join(repoRoot, 'bench', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'sbom.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${join(out, 'sbom.json')}`);

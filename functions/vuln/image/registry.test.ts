/**
 * Registry client against an in-process registry that does what real ones do and a local
 * docker-registry cannot: bearer tokens via the WWW-Authenticate challenge, redirects to a blob
 * store on another host, 429 with Retry-After, multi-platform indexes, schema 1, tampered bytes.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gzipSync } from 'node:zlib';
import { MemorySbomCache } from '../cache.js';
import { DigestMismatchError, UnsupportedSchemaError } from '../errors.js';
import { generateSbom } from '../generate.js';
import { credentialsFromDockerConfig, matchCredential } from './credentials.js';
import { parseReference } from './reference.js';
import { RegistryClient, parseChallenge } from './registry.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function tarOf(name: string, body: string): Buffer {
  const data = Buffer.from(body);
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512), Buffer.alloc(1024)]);
}

interface Img {
  manifest: Buffer;
  blobs: Map<string, Buffer>;
}
function image(arch: string, osRelease: string): Img {
  const layer = gzipSync(tarOf('etc/os-release', osRelease));
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux' }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha(layer), size: layer.length }],
    }),
  );
  return { manifest, blobs: new Map([[sha(config), config], [sha(layer), layer]]) };
}

const amd = image('amd64', 'ID=alpine\nVERSION_ID=3.19.1\n');
const arm = image('arm64', 'ID=alpine\nVERSION_ID=3.19.9\n');
const index = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: sha(arm.manifest), size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: sha(amd.manifest), size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(Buffer.from('att')), size: 3, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  }),
);
const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'old', fsLayers: [] }));

let registry: Server;
let storage: Server;
let regHost = '';
let storeHost = '';
const log: { path: string; auth?: string; host: string }[] = [];
let throttleNext = 0;
let tamper = false;

function send(res: ServerResponse, status: number, body?: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end(body);
}

function registryHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', `http://${regHost}`);
  log.push({ path: url.pathname, auth: req.headers.authorization, host: regHost });
  if (url.pathname === '/token') {
    const basic = Buffer.from('bob:hunter2').toString('base64');
    if (req.headers.authorization !== `Basic ${basic}`) return send(res, 401);
    if (url.searchParams.get('scope') !== 'repository:team/app:pull' || url.searchParams.get('service') !== 'fake-registry') return send(res, 400);
    return send(res, 200, Buffer.from(JSON.stringify({ token: 'tok-123' })), { 'content-type': 'application/json' });
  }
  if (req.headers.authorization !== 'Bearer tok-123')
    return send(res, 401, undefined, { 'www-authenticate': `Bearer realm="http://${regHost}/token",service="fake-registry",scope="repository:team/app:pull"` });
  if (throttleNext > 0) {
    throttleNext--;
    return send(res, 429, undefined, { 'retry-after': '0' });
  }
  const m = /^\/v2\/team\/app\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
  if (!m) return send(res, 404);
  if (m[1] === 'manifests') {
    const ref = m[2]!;
    if (ref === 'multi' || ref === sha(index)) return send(res, 200, index, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
    if (ref === 'old') return send(res, 200, schema1, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
    for (const im of [amd, arm]) if (ref === sha(im.manifest)) return send(res, 200, tamper ? Buffer.concat([im.manifest, Buffer.from(' ')]) : im.manifest, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
    return send(res, 404);
  }
  // Blobs live in "object storage" on another host, reached by a redirect with a signed URL.
  return send(res, 307, undefined, { location: `http://${storeHost}/bucket/${m[2]}?sig=abc` });
}

function storageHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', `http://${storeHost}`);
  log.push({ path: url.pathname, auth: req.headers.authorization, host: storeHost });
  const digest = url.pathname.replace('/bucket/', '');
  const blob = amd.blobs.get(digest) ?? arm.blobs.get(digest);
  if (!blob || url.searchParams.get('sig') !== 'abc') return send(res, 403);
  send(res, 200, blob);
}

beforeAll(async () => {
  registry = createServer(registryHandler);
  storage = createServer(storageHandler);
  await Promise.all([new Promise<void>((r) => registry.listen(0, '127.0.0.1', r)), new Promise<void>((r) => storage.listen(0, 'localhost', r))]);
  regHost = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
  storeHost = `localhost:${(storage.address() as AddressInfo).port}`;
});
afterAll(async () => {
  registry.closeAllConnections();
  storage.closeAllConnections();
  await Promise.all([new Promise((r) => registry.close(r)), new Promise((r) => storage.close(r))]);
});

const creds = () => credentialsFromDockerConfig({ auths: { [regHost]: { auth: Buffer.from('bob:hunter2').toString('base64') } } });

describe('registry client', () => {
  test('bearer token via challenge, index → linux/amd64, blobs via cross-host redirect without Authorization', async () => {
    log.length = 0;
    const r = await generateSbom(`${regHost}/team/app:multi`, { insecureRegistries: [regHost], credentials: creds(), cache: new MemorySbomCache() });
    expect(r.status).toBe('ready');
    expect(r.distro).toMatchObject({ id: 'alpine', versionId: '3.19.1' });
    expect(r.digest).toBe(sha(index));
    expect(r.platform).toBe('linux/amd64');
    const blobHits = log.filter((l) => l.host === storeHost);
    expect(blobHits.length).toBeGreaterThanOrEqual(2);
    expect(blobHits.every((l) => l.auth === undefined)).toBe(true);
    expect(log.filter((l) => l.host === regHost && l.path.startsWith('/v2/team')).every((l, i) => i === 0 || l.auth === 'Bearer tok-123')).toBe(true);
  });

  test('platform selection: linux/arm64 picks the arm64 manifest', async () => {
    const r = await generateSbom(`${regHost}/team/app:multi`, { platform: 'linux/arm64', insecureRegistries: [regHost], credentials: creds(), cache: new MemorySbomCache() });
    expect(r.distro?.versionId).toBe('3.19.9');
    expect(r.platform).toBe('linux/arm64');
  });

  test('429 with Retry-After is retried', async () => {
    throttleNext = 2;
    const c = new RegistryClient(parseReference(`${regHost}/team/app:multi`) as never, { insecureRegistries: [regHost], credentials: creds(), backoffMs: 1 });
    const r = await c.resolve();
    expect(r.manifestDigest).toBe(sha(amd.manifest));
    expect(c.stats.retries).toBe(2);
  });

  test('wrong credentials → unauthorize; schema 1 → UnsupportedSchemaError; tampered manifest → DigestMismatchError', async () => {
    const bad = credentialsFromDockerConfig({ auths: { [regHost]: { username: 'bob', password: 'nope' } } });
    expect((await generateSbom(`${regHost}/team/app:multi`, { insecureRegistries: [regHost], credentials: bad, cache: new MemorySbomCache() })).status).toBe('unauthorize');
    await expect(generateSbom(`${regHost}/team/app:old`, { insecureRegistries: [regHost], credentials: creds(), cache: new MemorySbomCache() })).rejects.toThrow(UnsupportedSchemaError);
    tamper = true;
    try {
      await expect(generateSbom(`${regHost}/team/app:multi`, { insecureRegistries: [regHost], credentials: creds(), cache: new MemorySbomCache() })).rejects.toThrow(DigestMismatchError);
    } finally {
      tamper = false;
    }
  });
});

describe('references and credentials', () => {
  test('docker.io defaults and transports', () => {
    expect(parseReference('nginx')).toMatchObject({ registry: 'docker.io', repository: 'library/nginx', tag: 'latest', canonical: 'docker.io/library/nginx:latest' });
    expect(parseReference('docker://bitnami/redis:7')).toMatchObject({ registry: 'docker.io', repository: 'bitnami/redis', tag: '7' });
    expect(parseReference('localhost:5000/a/b@sha256:' + 'a'.repeat(64))).toMatchObject({ registry: 'localhost:5000', repository: 'a/b', digest: 'sha256:' + 'a'.repeat(64) });
    expect(parseReference('oci:/x/y:v1')).toMatchObject({ transport: 'oci', path: '/x/y', tag: 'v1' });
    expect(parseReference('docker-archive:/t/a.tar:repo/x:1')).toMatchObject({ transport: 'docker-archive', path: '/t/a.tar', tag: 'repo/x:1' });
    expect(() => parseReference('UPPER/case')).toThrow();
  });

  test('imagePullSecret host rules: hub aliases, wildcards, path prefixes, most specific wins', () => {
    const c = credentialsFromDockerConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:1').toString('base64') },
        '*.example.com': { username: 'wild', password: '2' },
        'reg.example.com/team': { username: 'team', password: '3' },
        'reg.example.com:5000': { username: 'port', password: '4' },
      },
    });
    expect(matchCredential(c, 'docker.io', 'library/nginx')?.username).toBe('hub');
    expect(matchCredential(c, 'reg.example.com', 'team/app')?.username).toBe('team');
    expect(matchCredential(c, 'reg.example.com', 'other/app')?.username).toBe('wild');
    expect(matchCredential(c, 'a.b.example.com', 'x')).toBeUndefined();
    expect(matchCredential(c, 'reg.example.com:5000', 'x')?.username).toBe('port');
    expect(matchCredential(c, 'ghcr.io', 'x')).toBeUndefined();
  });

  test('WWW-Authenticate parsing keeps quoted commas', () => {
    expect(parseChallenge('Bearer realm="https://auth.io/token",service="reg",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.io/token', service: 'reg', scope: 'repository:a/b:pull,push' },
    });
  });
});

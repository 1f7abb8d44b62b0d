/**
 * Manifest handling shared by every image source: media types, index → platform selection, config
 * parsing, and digest verification of bytes and streams. Everything here treats its input as hostile:
 * sizes are bounded before parsing and every digest is recomputed.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DigestMismatchError, ImageTooLargeError, NotFoundError, UnsupportedSchemaError } from '../errors.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Accept header for manifest GETs: every type we can read, never schema 1. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/** Manifests are small; a multi-MiB "manifest" is an attack or a mistake (containerd uses 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  rootfs?: { type?: string; diff_ids?: string[] };
  config?: Record<string, unknown>;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new UnsupportedSchemaError(`invalid platform "${s}" (want os/arch[/variant])`);
  return { os, architecture, variant: variant || undefined };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256(buf: Uint8Array): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

/** Only sha256 digests are accepted: it is what every registry uses and what we can verify. */
export function assertDigest(d: unknown, what: string): string {
  if (typeof d !== 'string' || !SHA256_RE.test(d))
    throw new UnsupportedSchemaError(`${what}: unsupported or malformed digest ${JSON.stringify(d)}`);
  return d;
}

export function verifyBytes(buf: Uint8Array, digest: string, what: string): void {
  const actual = sha256(buf);
  if (actual !== digest) throw new DigestMismatchError(digest, actual, what);
}

/**
 * Pass-through stream that hashes what flows and fails at the end when the digest differs, or as
 * soon as more than `size` bytes arrive (a registry cannot make us read past the declared size).
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private n = 0;
  constructor(
    private readonly digest: string,
    private readonly size: number | undefined,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    if (this.size !== undefined && this.n > this.size) {
      cb(new DigestMismatchError(this.digest, `more than the declared ${this.size} bytes`, this.what));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.digest) cb(new DigestMismatchError(this.digest, actual, this.what));
    else cb();
  }
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UnsupportedSchemaError(`${what}: not a JSON object`);
  return v as Record<string, unknown>;
}

export function parseJson(buf: Uint8Array, what: string, max = MAX_MANIFEST_BYTES): Record<string, unknown> {
  if (buf.length > max) throw new ImageTooLargeError(buf.length, max, what);
  try {
    return obj(JSON.parse(Buffer.from(buf).toString('utf8')), what);
  } catch (e) {
    if (e instanceof UnsupportedSchemaError) throw e;
    throw new UnsupportedSchemaError(`${what}: invalid JSON`);
  }
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  const o = obj(v, what);
  const size = o.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new UnsupportedSchemaError(`${what}: invalid size`);
  if (typeof o.mediaType !== 'string') throw new UnsupportedSchemaError(`${what}: missing mediaType`);
  const d: Descriptor = { mediaType: o.mediaType, digest: assertDigest(o.digest, what), size };
  if (o.platform !== undefined) {
    const p = obj(o.platform, `${what}.platform`);
    if (typeof p.os === 'string' && typeof p.architecture === 'string')
      d.platform = { os: p.os, architecture: p.architecture, variant: typeof p.variant === 'string' ? p.variant : undefined };
  }
  if (o.annotations && typeof o.annotations === 'object') {
    const a: Record<string, string> = {};
    for (const [k, val] of Object.entries(o.annotations as Record<string, unknown>)) if (typeof val === 'string') a[k] = val;
    d.annotations = a;
  }
  return d;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; manifest: ImageManifest };

/** Classify a manifest document by its mediaType (the body's, else the HTTP Content-Type). */
export function parseManifest(buf: Uint8Array, contentType: string | undefined, what: string): ParsedManifest {
  const o = parseJson(buf, what);
  if (o.schemaVersion === 1)
    throw new UnsupportedSchemaError(`${what}: Docker image manifest schema 1 is deprecated and not supported; re-push the image with a current client`);
  const ct = contentType?.split(';')[0]!.trim();
  const mt = typeof o.mediaType === 'string' ? o.mediaType : ct;
  if (mt === MEDIA.dockerSchema1 || mt === MEDIA.dockerSchema1Signed)
    throw new UnsupportedSchemaError(`${what}: Docker image manifest schema 1 is not supported`);
  if (o.schemaVersion !== 2) throw new UnsupportedSchemaError(`${what}: unsupported schemaVersion ${String(o.schemaVersion)}`);
  const isIndex = mt === MEDIA.ociIndex || mt === MEDIA.dockerList || (mt === undefined && Array.isArray(o.manifests));
  if (isIndex) {
    if (!Array.isArray(o.manifests)) throw new UnsupportedSchemaError(`${what}: index without manifests`);
    if (o.manifests.length > 10_000) throw new UnsupportedSchemaError(`${what}: index lists too many manifests`);
    return { kind: 'index', mediaType: mt ?? MEDIA.ociIndex, manifests: o.manifests.map((m, i) => parseDescriptor(m, `${what}.manifests[${i}]`)) };
  }
  const isImage = mt === MEDIA.ociManifest || mt === MEDIA.dockerManifest || (mt === undefined && o.config !== undefined);
  if (!isImage) throw new UnsupportedSchemaError(`${what}: unsupported manifest media type ${String(mt)}`);
  if (!Array.isArray(o.layers)) throw new UnsupportedSchemaError(`${what}: manifest without layers`);
  if (o.layers.length > 1000) throw new UnsupportedSchemaError(`${what}: too many layers (${o.layers.length})`);
  const config = parseDescriptor(o.config, `${what}.config`);
  const layers = o.layers.map((l, i) => parseDescriptor(l, `${what}.layers[${i}]`));
  return { kind: 'image', manifest: { mediaType: mt ?? MEDIA.ociManifest, config, layers } };
}

/**
 * Pick the manifest for a platform from an index, as containerd does: exact os/arch, variant equal
 * when asked for (arm64 defaults to v8), attestation manifests (`unknown/unknown`) never chosen.
 */
export function selectPlatform(manifests: Descriptor[], want: Platform, what: string): Descriptor {
  const norm = (p: Platform): string =>
    formatPlatform({ ...p, variant: p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined) });
  const target = norm(want);
  const candidates = manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const exact = candidates.find((m) => norm(m.platform!) === target);
  const chosen = exact ?? (want.variant ? undefined : candidates[0]);
  if (!chosen) {
    const available = manifests.map((m) => (m.platform ? formatPlatform(m.platform) : '?')).join(', ');
    throw new NotFoundError(`${what}: no manifest for platform ${formatPlatform(want)} (available: ${available})`);
  }
  return chosen;
}

export function parseConfig(buf: Uint8Array, what: string): ImageConfig {
  const o = parseJson(buf, what, MAX_CONFIG_BYTES);
  return o as ImageConfig;
}

/**
 * generateSbom: reference → image source → (cache) → layers streamed into the squashed filesystem
 * view → catalogers → SPDX 2.3. Expected outcomes that are not bugs come back as a status (too-large,
 * unauthorize, incomplete), not as exceptions, so the handler can write kubevuln's marker objects.
 */
import { createHash } from 'node:crypto';
import { STATUS, type StatusValue } from '../../lib/api/constants.js';
import { logger } from '../../lib/log/index.js';
import { MemorySbomCache, sbomCacheKey, type SbomCache } from './cache.js';
import { DEFAULT_CATALOGERS, contentRules, detectDistro, type Cataloger, type Distro, type Package } from './catalog/index.js';
import { AbortedError, DigestMismatchError, ImageTooLargeError, InvalidInputError, LayerError, UnauthorizedError } from './errors.js';
import type { Readable } from 'node:stream';
import type { RegistryCredential } from './image/credentials.js';
import { DockerArchiveSource, OciLayoutSource } from './image/local.js';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform, type Platform } from './image/manifest.js';
import { parseReference } from './image/reference.js';
import { RegistryClient, type FetchLike } from './image/registry.js';
import type { ImageSource, ResolvedImage } from './image/source.js';
import { decompressLayer } from './layers/decompress.js';
import { DEFAULT_FS_LIMITS, ImageFilesystem, type FsLimits } from './layers/filesystem.js';
import { toSpdx, type SpdxEvidenceFile, type SpdxJson } from './sbom/spdx.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

const log = logger('vuln.sbom');

export interface SbomLimits extends FsLimits {
  /** Sum of compressed layer sizes (kubevuln maxImageSize, default 512 MiB in code). */
  maxImageSize: number;
  /** Decompressed bytes per layer (decompression-bomb guard). */
  maxLayerUncompressed: number;
}

export const DEFAULT_LIMITS: SbomLimits = {
  ...DEFAULT_FS_LIMITS,
  maxImageSize: 512 * 1024 * 1024,
  maxLayerUncompressed: 16 * 1024 * 1024 * 1024,
};

export interface Progress {
  phase: 'resolve' | 'layer' | 'catalog' | 'done';
  layer?: number;
  layers?: number;
  bytes?: number;
}

export interface GenerateOptions {
  platform?: string | Platform;
  credentials?: readonly RegistryCredential[];
  insecureRegistries?: readonly string[];
  limits?: Partial<SbomLimits>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  cache?: SbomCache;
  catalogers?: readonly Cataloger[];
  /** Injected fetch (tests, proxies). */
  fetch?: FetchLike;
  /** Fixed document creation time (reproducible tests). */
  created?: Date;
}

export interface GenerateResult {
  /** SPDX 2.3 document; absent for non-ready statuses. */
  sbom?: SpdxJson;
  /** Image digest (see ResolvedImage.digest); empty when the image could not be resolved. */
  digest: string;
  /** Canonical reference. */
  image: string;
  status: StatusValue;
  /** Human-readable reason for a non-ready status, or partial-result notes. */
  reason?: string;
  packages: Package[];
  platform?: string;
  distro?: Distro;
  /** Files catalogers wanted but could not read (caps). */
  skipped: { path: string; reason: string }[];
  fromCache: boolean;
}

export async function openSource(ref: string, opts: GenerateOptions = {}): Promise<ImageSource> {
  const parsed = parseReference(ref);
  const platform = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : (opts.platform ?? DEFAULT_PLATFORM);
  switch (parsed.transport) {
    case 'docker':
      return new RegistryClient(parsed, { platform, credentials: opts.credentials, insecureRegistries: opts.insecureRegistries, fetch: opts.fetch });
    case 'oci':
    case 'oci-archive':
      return OciLayoutSource.open(parsed, platform);
    case 'docker-archive':
      return DockerArchiveSource.open(parsed);
    default:
      throw new InvalidInputError(`unsupported reference ${ref}`);
  }
}

const defaultCache = new MemorySbomCache();

export async function generateSbom(ref: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
  const limits: SbomLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const cache = opts.cache ?? defaultCache;
  const catalogers = opts.catalogers ?? DEFAULT_CATALOGERS;
  const wantPlatform = formatPlatform(typeof opts.platform === 'string' ? parsePlatform(opts.platform) : (opts.platform ?? DEFAULT_PLATFORM));
  const parsed = parseReference(ref);
  const image = parsed.canonical;
  const base = { image, packages: [], skipped: [], fromCache: false };

  // A digest reference can be answered from the cache before any network request.
  if (parsed.digest && parsed.transport === 'docker') {
    const hit = await cache.get(sbomCacheKey(parsed.digest, wantPlatform));
    if (hit) return { ...base, sbom: hit.sbom, digest: hit.digest, status: STATUS.ready, packages: hit.packages, platform: hit.platform, fromCache: true };
  }

  let source: ImageSource | undefined;
  let resolved: ResolvedImage | undefined;
  try {
    source = await openSource(ref, opts);
    opts.onProgress?.({ phase: 'resolve' });
    resolved = await source.resolve(opts.signal);
    const hit = await cache.get(sbomCacheKey(resolved.digest, wantPlatform));
    if (hit) return { ...base, sbom: hit.sbom, digest: hit.digest, status: STATUS.ready, packages: hit.packages, platform: hit.platform, fromCache: true };
    const total = resolved.manifest.layers.reduce((n, l) => n + l.size, resolved.manifest.config.size);
    if (total > limits.maxImageSize) throw new ImageTooLargeError(total, limits.maxImageSize);
    const r = await catalogImage(source, resolved, { ...opts, limits, catalogers });
    const platform = formatPlatform(resolved.platform);
    if (r.status === STATUS.ready && r.sbom) await cache.set(sbomCacheKey(resolved.digest, wantPlatform), { digest: resolved.digest, platform, sbom: r.sbom, packages: r.packages });
    return { ...base, ...r, digest: resolved.digest, platform };
  } catch (e) {
    const digest = resolved?.digest ?? parsed.digest ?? '';
    if (e instanceof ImageTooLargeError) return { ...base, digest, status: STATUS.tooLarge, reason: e.message };
    if (e instanceof UnauthorizedError) return { ...base, digest, status: STATUS.unauthorize, reason: e.message };
    if (e instanceof AbortedError || opts.signal?.aborted) return { ...base, digest, status: STATUS.incomplete, reason: 'SBOM generation aborted (timeout)' };
    throw e;
  } finally {
    await source?.close();
  }
}

/** Stream every layer of a resolved image and run the catalogers (no cache, no status mapping). */
export async function catalogImage(
  source: ImageSource,
  resolved: ResolvedImage,
  opts: GenerateOptions & { limits: SbomLimits; catalogers: readonly Cataloger[] },
): Promise<{ sbom: SpdxJson; packages: Package[]; status: StatusValue; skipped: GenerateResult['skipped']; distro?: Distro; reason?: string }> {
  const fs = new ImageFilesystem(contentRules(opts.catalogers), opts.limits);
  try {
    const layers = resolved.manifest.layers;
    let rejected = 0;
    for (let i = 0; i < layers.length; i++) {
      if (opts.signal?.aborted) throw new AbortedError('aborted');
      const desc = layers[i]!;
      opts.onProgress?.({ phase: 'layer', layer: i, layers: layers.length, bytes: desc.size });
      const blob = await source.openBlob(desc, opts.signal);
      const onAbort = (): void => void blob.destroy(new AbortedError('aborted'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const { stream } = await decompressLayer(blob, opts.limits.maxLayerUncompressed, `layer ${desc.digest}`);
        const st = await fs.applyLayer(stream, desc.digest).catch(async (e: unknown) => {
          // A corrupt layer usually breaks the tar/gzip parser before the digest check at the end
          // of the blob; the digest error is the truer cause, so finish reading (bounded by the
          // declared size) to see whether the bytes were tampered with.
          if (e instanceof LayerError) await drainForDigest(blob);
          throw e;
        });
        rejected += st.rejected.length;
        if (st.rejected.length) log.warn({ layer: desc.digest, names: st.rejected.slice(0, 5) }, 'tar entries outside the root ignored');
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    }
    opts.onProgress?.({ phase: 'catalog' });
    const distro = detectDistro(fs);
    const ctx = { fs, distro };
    const packages: Package[] = [];
    for (const c of opts.catalogers) packages.push(...(await c.catalog(ctx)));
    const evidence = new Set(packages.flatMap((p) => p.locations.map((l) => l.path)));
    const files: SpdxEvidenceFile[] = [];
    for (const path of [...evidence].sort()) {
      const content = fs.read(path.slice(1));
      if (!content) continue;
      files.push({
        path,
        sha1: createHash('sha1').update(content).digest('hex'),
        sha256: createHash('sha256').update(content).digest('hex'),
        layerDigest: fs.layerDigestOf(path.slice(1)),
      });
    }
    const sbom = toSpdx({
      image: resolved.reference,
      digest: resolved.digest,
      platform: formatPlatform(resolved.platform),
      packages,
      files,
      toolName: TOOL_NAME,
      toolVersion: TOOL_VERSION,
      created: opts.created,
    });
    opts.onProgress?.({ phase: 'done' });
    const notes = [
      fs.skipped.length ? `${fs.skipped.length} files skipped by size limits` : '',
      rejected ? `${rejected} tar entries with names outside the root ignored` : '',
    ].filter(Boolean);
    return { sbom, packages, status: STATUS.ready, skipped: [...fs.skipped], distro, reason: notes.join('; ') || undefined };
  } finally {
    await fs.dispose();
  }
}

async function drainForDigest(blob: Readable): Promise<void> {
  blob.unpipe();
  await new Promise<void>((resolve, reject) => {
    blob.on('data', () => undefined);
    blob.once('end', resolve);
    blob.once('close', resolve);
    blob.once('error', (e) => (e instanceof DigestMismatchError ? reject(e) : resolve()));
    blob.resume();
  });
}

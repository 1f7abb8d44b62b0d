/** The contract every image source (registry, OCI layout, archives) implements. */
import type { Readable } from 'node:stream';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from './manifest.js';

export interface ResolvedImage {
  /** What the caller asked for, canonicalised (docker.io/library/nginx:1.25, oci:/dir:tag ...). */
  reference: string;
  /**
   * Digest identifying the image: the manifest digest the registry/index names (the index digest
   * when the reference resolved through one, as `docker pull` reports it), or the config digest
   * for docker-archive, which has no manifest digest.
   */
  digest: string;
  /** Digest of the platform image manifest itself (equal to `digest` without an index). */
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configDigest: string;
  platform: Platform;
}

export interface ImageSource {
  resolve(signal?: AbortSignal): Promise<ResolvedImage>;
  /** A stream of the blob's bytes, digest-verified (the stream errors with DigestMismatchError). */
  openBlob(desc: Descriptor, signal?: AbortSignal): Promise<Readable>;
  close(): Promise<void>;
}

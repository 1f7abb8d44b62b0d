/**
 * SBOM cache keyed by image digest + cataloger version (+ platform): a second request for an image
 * already cataloged by the same code pulls nothing. The in-memory implementation is process-local
 * (bounded LRU). The storage-api implementation (to be wired by the handler) maps `get` to a GET of
 * the SBOMSPDXv2p3 named imageSlug(image, digest) in the kubescape namespace, accepted only when
 * its `kubescape.io/tool-version` annotation equals `kscape-<CATALOGER_VERSION>`-compatible value
 * and its status is ready, and `set` to an apply of buildSbomObject(...).
 */
import type { Package } from './catalog/types.js';
import type { SpdxJson } from './sbom/spdx.js';
import { CATALOGER_VERSION } from './version.js';

export interface CachedSbom {
  digest: string;
  platform: string;
  sbom: SpdxJson;
  packages: Package[];
}

export interface SbomCache {
  get(key: string): Promise<CachedSbom | undefined>;
  set(key: string, value: CachedSbom): Promise<void>;
}

export function sbomCacheKey(digest: string, platform: string, catalogerVersion = CATALOGER_VERSION): string {
  return `${digest}|${platform}|${catalogerVersion}`;
}

export class MemorySbomCache implements SbomCache {
  private readonly map = new Map<string, CachedSbom>();
  constructor(private readonly maxEntries = 64) {}
  async get(key: string): Promise<CachedSbom | undefined> {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key); // refresh LRU position
      this.map.set(key, v);
    }
    return v;
  }
  async set(key: string, value: CachedSbom): Promise<void> {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }
  get size(): number {
    return this.map.size;
  }
}

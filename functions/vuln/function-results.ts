/**
 * The vuln function's view of the storage API: read and write its result kinds (scan's
 * ResultWriter does whole-object replacement with conflict retries and skips unchanged writes),
 * read pull secrets from the cluster, and the storage-backed SBOM cache.
 */
import { ANNOTATIONS, GROUP, PLURALS, STATUS, VERSION, type StatusValue } from '../../lib/api/constants.js';
import { imageSlug } from '../../lib/api/names.js';
import type { SBOMSPDXv2p3 } from '../../lib/api/schemas.js';
import { KubeStatusError, type KubeHttp } from '../../lib/kube/http.js';
import { ResultWriter, type WriteOutcome } from '../scan/results/writer.js';
import type { CachedSbom, SbomCache } from './cache.js';
import { sbomCacheKey } from './cache.js';
import type { Package } from './catalog/types.js';
import { SBOM_KEY_ANNOTATION } from './function-manifest.js';
import { packagesFromSpdx, withOwnedFiles } from './function-sbom.js';
import { buildSbomObject } from './sbom/object.js';
import type { SpdxJson } from './sbom/spdx.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

const BASE = `/apis/${GROUP}/${VERSION}`;

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
}

export class Results {
  private readonly writer: ResultWriter;
  constructor(
    private readonly http: KubeHttp,
    private readonly signal?: AbortSignal,
  ) {
    this.writer = new ResultWriter(http, signal);
  }

  private opts(accept?: string) {
    return { ...(this.signal ? { signal: this.signal } : {}), ...(accept ? { accept } : {}) };
  }

  async get(plural: string, namespace: string, name: string): Promise<StoredObject | undefined> {
    const path = `${BASE}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`;
    const r = await this.http.request('GET', path, this.opts());
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300) throw new KubeStatusError('GET', path, r.status, r.body);
    return r.body as StoredObject;
  }

  upsert(plural: string, obj: { apiVersion: string; kind: string; metadata: StoredObject['metadata']; spec: unknown }): Promise<WriteOutcome> {
    return this.writer.upsert(plural, obj);
  }

  /** Metadata of every object of a kind in one namespace (metadata-only pages). */
  async listMetadata(plural: string, namespace: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (cont) q.set('continue', cont);
      const path = `${BASE}/namespaces/${encodeURIComponent(namespace)}/${plural}?${q.toString()}`;
      const r = await this.http.request('GET', path, this.opts('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'));
      if (r.status < 200 || r.status >= 300) throw new KubeStatusError('GET', path, r.status, r.body);
      const page = r.body as { items?: StoredObject[]; metadata?: { continue?: string } };
      out.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return out;
  }

  /** A core Secret, or undefined when absent or not readable (403: RBAC allows only get on named secrets). */
  async secret(namespace: string, name: string): Promise<{ data?: Record<string, string> } | undefined> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
    const r = await this.http.request('GET', path, this.opts());
    if (r.status === 404 || r.status === 403) return undefined;
    if (r.status < 200 || r.status >= 300) throw new KubeStatusError('GET', path, r.status, r.body);
    return r.body as { data?: Record<string, string> };
  }
}

export const TOOL_CREATOR = `Tool: ${TOOL_NAME}-${TOOL_VERSION}`;

/** Whether a stored SBOM is a ready one made by the current catalogers for this key. */
export function isReusableSbom(obj: StoredObject | undefined, key: string): obj is StoredObject & { spec: { spdx: SpdxJson } } {
  const a = obj?.metadata.annotations ?? {};
  const spec = obj?.spec as { spdx?: unknown } | undefined;
  return a[ANNOTATIONS.status] === STATUS.ready && a[SBOM_KEY_ANNOTATION] === key && typeof spec?.spdx === 'object' && spec.spdx !== null;
}

/**
 * SbomCache over SBOMSPDXv2p3 objects: `get` reuses a stored ready SBOM whose cache-key annotation
 * (digest | platform | cataloger version) matches; `set` stores the generated document with each
 * package's owned files attached, or a too-large marker when it exceeds `maxSbomSize`. One
 * instance per request: the object name needs the image the request named (its slug).
 */
export class StorageSbomCache implements SbomCache {
  /** The document as stored by the last `set` (with owned files), or undefined when it was too large. */
  stored: SpdxJson | undefined;
  tooLarge: string | undefined;

  constructor(
    private readonly results: Results,
    private readonly namespace: string,
    private readonly image: string,
    private readonly maxSbomSize: number,
    /** Report time of markers: the request's time, so a redelivered request writes the same marker. */
    private readonly createdAt: Date,
  ) {}

  private name(digest: string): string {
    return imageSlug(this.image, digest);
  }

  async get(key: string): Promise<CachedSbom | undefined> {
    const [digest, platform] = key.split('|');
    if (!digest || !platform) return undefined;
    const obj = await this.results.get(PLURALS.SBOMSPDXv2p3, this.namespace, this.name(digest));
    if (!isReusableSbom(obj, key)) return undefined;
    const doc = obj.spec.spdx;
    return { digest, platform: obj.metadata.annotations?.[ANNOTATIONS.resolvedPlatform] ?? platform, sbom: doc, packages: packagesFromSpdx(doc) as unknown as Package[] };
  }

  async set(key: string, value: CachedSbom): Promise<void> {
    const doc = withOwnedFiles(value.sbom, value.packages, TOOL_CREATOR);
    const size = Buffer.byteLength(JSON.stringify(doc));
    if (size > this.maxSbomSize) {
      this.tooLarge = `SBOM is ${size} bytes, above the limit of ${this.maxSbomSize} bytes (KSCAPE_VULN_MAX_SBOM_SIZE)`;
      await this.writeMarker(value.digest, STATUS.tooLarge, this.tooLarge, { platform: value.platform, key, extra: { [ANNOTATIONS.statusReason]: 'sbom-too-large', [ANNOTATIONS.maxSbomSize]: String(this.maxSbomSize) } });
      return;
    }
    const obj = buildSbomObject(this.image, value.digest, doc as SpdxJson, STATUS.ready, { namespace: this.namespace, platform: value.platform, createdAt: new Date(doc.creationInfo.created) });
    obj.metadata.annotations = { ...obj.metadata.annotations, [SBOM_KEY_ANNOTATION]: key };
    await this.results.upsert(PLURALS.SBOMSPDXv2p3, obj as SBOMSPDXv2p3 & { spec: unknown });
    this.stored = doc;
  }

  /**
   * A status marker without a document (too-large, unauthorize, incomplete, failed). Never replaces
   * a ready SBOM: a transient failure must not destroy a good result.
   */
  async writeMarker(digest: string, status: StatusValue, reason: string, opts: { platform?: string; key?: string; extra?: Record<string, string>; createdAt?: Date } = {}): Promise<void> {
    const existing = await this.results.get(PLURALS.SBOMSPDXv2p3, this.namespace, this.name(digest));
    if (existing?.metadata.annotations?.[ANNOTATIONS.status] === STATUS.ready && status !== STATUS.tooLarge) return;
    const obj = buildSbomObject(this.image, digest, undefined, status, { namespace: this.namespace, reason, ...(opts.platform ? { platform: opts.platform } : {}), createdAt: opts.createdAt ?? this.createdAt });
    obj.metadata.annotations = { ...obj.metadata.annotations, ...(opts.key ? { [SBOM_KEY_ANNOTATION]: opts.key } : {}), ...opts.extra };
    // kubevuln's status-reason is a short code for too-large; the human reason goes with it.
    if (opts.extra?.[ANNOTATIONS.statusReason]) obj.metadata.annotations['kscape.io/status-detail'] = reason.slice(0, 1024);
    await this.results.upsert(PLURALS.SBOMSPDXv2p3, obj as SBOMSPDXv2p3 & { spec: unknown });
  }
}

export { sbomCacheKey };

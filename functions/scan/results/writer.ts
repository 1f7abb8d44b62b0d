/**
 * Writes result objects through the Kubernetes API (storage-api serves the result kinds).
 *
 * Each object is replaced whole: GET, then PUT with the read resourceVersion (409 → read again and
 * retry), or POST when absent (409 AlreadyExists → retry as an update). A reader therefore sees
 * either the previous result or the new one, never a mix; the scan is written before its summary.
 * An object whose labels, our annotations and spec are already what we would write is left alone
 * (no write, resourceVersion unchanged): redelivering a request changes nothing.
 */
import { ANNOTATIONS, GROUP, LABELS, MANAGED_BY_USER, PLURALS, VERSION } from '../../../lib/api/index.js';
import { KubeStatusError, kubeJson, type KubeHttp } from '../../../lib/kube/http.js';
import type { ResultEntry } from './build.js';

export const SCAN_PLURAL = PLURALS.WorkloadConfigurationScan;
export const SUMMARY_PLURAL = PLURALS.WorkloadConfigurationScanSummary;
const BASE = `/apis/${GROUP}/${VERSION}`;
const MAX_ATTEMPTS = 6;

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

interface StoredObject {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: unknown;
  [k: string]: unknown;
}

interface WritableObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string | undefined;
    labels?: Record<string, string> | undefined;
    annotations?: Record<string, string> | undefined;
    [k: string]: unknown;
  };
  spec: unknown;
}

/** JSON with sorted keys: equality of decoded JSON values. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function sameContent(existing: StoredObject, desired: WritableObject): boolean {
  if (canonical(existing.metadata.labels ?? {}) !== canonical(desired.metadata.labels ?? {})) return false;
  const ann = existing.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(desired.metadata.annotations ?? {})) if (ann[k] !== v) return false;
  return canonical(existing.spec) === canonical(desired.spec);
}

const itemPath = (plural: string, namespace: string, name: string) =>
  `${BASE}/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(name)}`;

export interface StoredRef {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export class ResultWriter {
  constructor(
    private readonly client: KubeHttp,
    private readonly signal?: AbortSignal,
  ) {}

  private opts(extra: { body?: unknown; accept?: string } = {}) {
    return { ...extra, ...(this.signal ? { signal: this.signal } : {}) };
  }

  /** Create or replace one object whole. */
  async upsert(plural: string, desired: WritableObject): Promise<WriteOutcome> {
    const ns = desired.metadata.namespace ?? '';
    const name = desired.metadata.name;
    const path = itemPath(plural, ns, name);
    for (let attempt = 1; ; attempt++) {
      const got = await this.client.request('GET', path, this.opts());
      if (got.status === 404) {
        const r = await this.client.request(
          'POST',
          `${BASE}/namespaces/${encodeURIComponent(ns)}/${plural}`,
          this.opts({ body: desired }),
        );
        if (r.status >= 200 && r.status < 300) return 'created';
        if (r.status !== 409 || attempt >= MAX_ATTEMPTS)
          throw new KubeStatusError('POST', path, r.status, r.body);
        continue; // created concurrently: update it
      }
      if (got.status < 200 || got.status >= 300) throw new KubeStatusError('GET', path, got.status, got.body);
      const existing = got.body as StoredObject;
      if (sameContent(existing, desired)) return 'unchanged';
      const body = {
        ...desired,
        metadata: {
          ...existing.metadata,
          name,
          namespace: ns,
          labels: desired.metadata.labels ?? {},
          annotations: { ...(existing.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) },
        },
      };
      delete (body.metadata as Record<string, unknown>).managedFields;
      const r = await this.client.request('PUT', path, this.opts({ body }));
      if (r.status >= 200 && r.status < 300) return 'updated';
      if ((r.status !== 409 && r.status !== 404) || attempt >= MAX_ATTEMPTS)
        throw new KubeStatusError('PUT', path, r.status, r.body);
    }
  }

  /** Write the scan, then its summary. */
  async write(entry: ResultEntry): Promise<WriteOutcome> {
    const a = await this.upsert(SCAN_PLURAL, entry.scan);
    const b = await this.upsert(SUMMARY_PLURAL, entry.summary);
    return a === 'unchanged' && b === 'unchanged' ? 'unchanged' : a === 'created' ? 'created' : 'updated';
  }

  /** Delete one object; absent is fine. */
  async delete(plural: string, namespace: string, name: string): Promise<boolean> {
    const path = itemPath(plural, namespace, name);
    const r = await this.client.request('DELETE', path, this.opts());
    if (r.status === 404) return false;
    if (r.status < 200 || r.status >= 300) throw new KubeStatusError('DELETE', path, r.status, r.body);
    return true;
  }

  /**
   * Metadata of every stored result of one plural that carries our workload labels (all namespaces,
   * metadata-only pages: specs are never transferred). User-managed objects are left out.
   */
  async listResults(
    plural: string,
    labelSelector: string = LABELS.workloadKind,
    pageSize = 500,
  ): Promise<StoredRef[]> {
    const out: StoredRef[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(pageSize), labelSelector });
      if (cont) q.set('continue', cont);
      const page = (await kubeJson(
        this.client,
        'GET',
        `${BASE}/${plural}?${q.toString()}`,
        this.opts({
          accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
        }),
      )) as { items?: StoredObject[]; metadata?: { continue?: string } } | undefined;
      for (const it of page?.items ?? []) {
        const annotations = it.metadata.annotations ?? {};
        if (annotations[ANNOTATIONS.managedBy] === MANAGED_BY_USER) continue;
        out.push({
          namespace: it.metadata.namespace ?? '',
          name: it.metadata.name,
          labels: it.metadata.labels ?? {},
          annotations,
        });
      }
      cont = page?.metadata?.continue || undefined;
    } while (cont);
    return out;
  }
}

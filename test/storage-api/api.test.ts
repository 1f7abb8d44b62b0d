/**
 * Kubernetes API conventions over HTTP: discovery, verbs, errors as Status, negotiation, list
 * semantics, watch. PGlite always; PostgreSQL too when DATABASE_URL is set.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../../lib/db/testing.js';
import { createStorageEngine } from '../../storage-api/engine/index.js';
import { kubescapeResources } from '../../storage-api/registry/index.js';
import { GV, nsPath, req, startTestServer, until, wcss, type TestServer } from './helpers.js';

/** PGlite start-up plus migrations can take a minute on a loaded two-core CI machine. */
const HOOK_TIMEOUT = 180_000;

const WCSS = 'workloadconfigurationscansummaries';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const POML = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const AGG = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

interface WatchEvent {
  type: string;
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
}

/** Open a watch and collect its events until closed. */
async function openWatch(base: string, path: string, accept = 'application/json'): Promise<{ events: WatchEvent[]; status: number; contentType: string; close(): void; ended: Promise<void> }> {
  const ac = new AbortController();
  const r = await fetch(base + path, { headers: { accept }, signal: ac.signal });
  const events: WatchEvent[] = [];
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, status: r.status, contentType: r.headers.get('content-type') ?? '', close: () => ac.abort(), ended };
}

/** Raw HTTP/1.1 exchange: send `head` (and optionally part of a body), return what the server answers. */
function rawExchange(url: string, head: string, bodyPart = ''): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let data = '';
    sock.on('connect', () => sock.write(head + bodyPart));
    sock.on('data', (d) => {
      data += d.toString();
      if (/\r\n\r\n/.test(data) && /\}\s*$/.test(data)) {
        sock.destroy();
        resolve(data);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(data));
    setTimeout(() => {
      sock.destroy();
      resolve(data);
    }, 10_000);
  });
}

forEachDriver('storage-api HTTP conventions', (driver) => {
  let tdb: CreatedTestDatabase;
  let ts: TestServer;
  beforeAll(async () => {
    tdb = await createTestDatabase(driver);
    ts = await startTestServer(tdb.db, { store: { KSCAPE_STORAGE_EVENT_RETENTION: 1000 } });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await ts?.close();
    await tdb?.drop();
  }, HOOK_TIMEOUT);

  describe('discovery, health, version', () => {
    it('serves legacy and aggregated discovery, with ETag revalidation', async () => {
      const legacy = await req(ts, 'GET', '/apis');
      expect(legacy.status).toBe(200);
      expect(legacy.json().kind).toBe('APIGroupList');
      const agg = await req(ts, 'GET', '/apis', undefined, { accept: AGG });
      expect(agg.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      expect(agg.json().kind).toBe('APIGroupDiscoveryList');
      const etag = agg.headers.get('etag')!;
      const again = await fetch(ts.url + '/apis', { headers: { accept: AGG, 'if-none-match': etag } });
      expect(again.status).toBe(304);
      const gv = await req(ts, 'GET', `/apis/${GV}`);
      expect((gv.json().resources as unknown[]).length).toBe(9);
      expect((await req(ts, 'GET', '/apis/spdx.softwarecomposition.kubescape.io')).json().kind).toBe('APIGroup');
      // no core kinds outside the sandbox: /api is 404, which client-go tolerates
      expect((await req(ts, 'GET', '/api')).status).toBe(404);
      expect((await req(ts, 'GET', '/openapi/v2')).json().swagger).toBe('2.0');
      const idx = (await req(ts, 'GET', '/openapi/v3')).json() as { paths: Record<string, { serverRelativeURL: string }> };
      const link = idx.paths[`apis/${GV}`]!.serverRelativeURL;
      const v3 = await req(ts, 'GET', link);
      expect(v3.status).toBe(200);
      expect(v3.json().openapi).toMatch(/^3\./);
    });

    it('health endpoints, readyz checks the store, version', async () => {
      expect((await req(ts, 'GET', '/healthz')).text).toBe('ok');
      expect((await req(ts, 'GET', '/livez')).text).toBe('ok');
      const ready = await req(ts, 'GET', '/readyz?verbose');
      expect(ready.status).toBe(200);
      expect(ready.text).toContain('[+]store ok');
      expect((await req(ts, 'GET', '/version')).json().gitVersion).toMatch(/^v/);
    });

    it('unknown paths, groups, resources and wrong scope are 404 Status', async () => {
      for (const p of ['/nope', '/apis/nope.io/v1/things', `/apis/${GV}/nopes`, `/apis/${GV}/${WCSS}/x`, `/apis/${GV}/namespaces/default/configurationscansummaries`]) {
        const r = await req(ts, 'GET', p);
        expect(r.status, p).toBe(404);
        expect(r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
      }
    });
  });

  describe('writes', () => {
    it('create: 201 with uid, creationTimestamp, generation, managedFields; AlreadyExists 409', async () => {
      const r = await req(ts, 'POST', nsPath('default', WCSS), wcss('w1'));
      expect(r.status).toBe(201);
      const m = r.json().metadata as Record<string, unknown>;
      expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(m.creationTimestamp).toMatch(/Z$/);
      expect(m.generation).toBe(1);
      expect(m.resourceVersion).toMatch(/^\d+$/);
      expect((m.managedFields as { operation: string }[])[0]!.operation).toBe('Update');
      const dup = await req(ts, 'POST', nsPath('default', WCSS), wcss('w1'));
      expect(dup.status).toBe(409);
      expect(dup.json()).toMatchObject({ reason: 'AlreadyExists', details: { name: 'w1', kind: WCSS } });
    });

    it('generateName gets a random suffix', async () => {
      const o = wcss('x');
      (o.metadata as Record<string, unknown>).name = undefined;
      (o.metadata as Record<string, unknown>).generateName = 'gen-';
      const r = await req(ts, 'POST', nsPath('default', WCSS), o);
      expect(r.status).toBe(201);
      expect((r.json().metadata as { name: string }).name).toMatch(/^gen-[a-z0-9]{5}$/);
    });

    it('bad bodies: malformed JSON/YAML 400, schema violation 422 naming the field, namespace/kind mismatch 400', async () => {
      let r = await req(ts, 'POST', nsPath('default', WCSS), '{"apiVersion": ');
      expect(r.status).toBe(400);
      expect(r.json().reason).toBe('BadRequest');
      r = await req(ts, 'POST', nsPath('default', WCSS), 'a: [b\nc: }', { 'content-type': 'application/yaml' });
      expect(r.status).toBe(400);
      const bad = wcss('bad');
      (bad.spec as { severities: Record<string, unknown> }).severities.high = 'lots';
      r = await req(ts, 'POST', nsPath('default', WCSS), bad);
      expect(r.status).toBe(422);
      const st = r.json() as { reason: string; message: string; details: { causes: { field: string; reason: string }[] } };
      expect(st.reason).toBe('Invalid');
      expect(st.details.causes.map((c) => c.field)).toContain('spec.severities.high');
      expect(st.message).toContain('spec.severities.high');
      r = await req(ts, 'POST', nsPath('default', WCSS), { ...wcss('Bad_Name') });
      expect(r.status).toBe(422);
      expect(JSON.stringify(r.json())).toContain('metadata.name');
      r = await req(ts, 'POST', nsPath('other', WCSS), wcss('w9', 'default'));
      expect(r.status).toBe(400);
      r = await req(ts, 'POST', nsPath('default', WCSS), { ...wcss('w9'), apiVersion: 'v1' });
      expect(r.status).toBe(400);
      r = await req(ts, 'POST', nsPath('default', WCSS), { ...wcss('w9'), metadata: { name: 'w9', resourceVersion: '5' } });
      expect(r.status).toBe(400);
    });

    it('fieldValidation: Warn (default) sends a Warning header, Strict refuses unknown fields', async () => {
      const o = { ...wcss('fv'), extra: 1 };
      let r = await req(ts, 'POST', nsPath('default', WCSS) + '?fieldValidation=Strict', o);
      expect(r.status).toBe(400);
      expect(r.json().message).toContain('unknown field "extra"');
      r = await req(ts, 'POST', nsPath('default', WCSS), o);
      expect(r.status).toBe(201);
      expect(r.headers.get('warning')).toContain('unknown field \\"extra\\"');
    });

    it('update: stale resourceVersion 409 Conflict, no RV = unconditional, generation bumps on spec change only', async () => {
      const cur = (await req(ts, 'GET', nsPath('default', WCSS, 'w1'))).json() as { metadata: Record<string, unknown>; spec: { severities: Record<string, number> } };
      const rv = cur.metadata.resourceVersion as string;
      cur.spec.severities.high = 4;
      let r = await req(ts, 'PUT', nsPath('default', WCSS, 'w1'), cur);
      expect(r.status).toBe(200);
      expect((r.json().metadata as Record<string, unknown>).generation).toBe(2);
      r = await req(ts, 'PUT', nsPath('default', WCSS, 'w1'), { ...cur, metadata: { ...cur.metadata, resourceVersion: rv } });
      expect(r.status).toBe(409);
      expect(r.json()).toMatchObject({ reason: 'Conflict', code: 409 });
      const labelsOnly = { ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } as Record<string, unknown> };
      delete labelsOnly.metadata.resourceVersion;
      r = await req(ts, 'PUT', nsPath('default', WCSS, 'w1'), labelsOnly);
      expect(r.status).toBe(200);
      expect((r.json().metadata as Record<string, unknown>).generation).toBe(2);
      r = await req(ts, 'PUT', nsPath('default', WCSS, 'missing'), { ...wcss('missing') });
      expect(r.status).toBe(404);
      r = await req(ts, 'PUT', nsPath('default', WCSS, 'w1'), { ...wcss('other') });
      expect(r.status).toBe(400);
    });

    it('patch: 415 for strategic merge, apply needs fieldManager, json-patch test failure is reported', async () => {
      let r = await req(ts, 'PATCH', nsPath('default', WCSS, 'w1'), { spec: {} }, { 'content-type': 'application/strategic-merge-patch+json' });
      expect(r.status).toBe(415);
      expect(r.json().reason).toBe('UnsupportedMediaType');
      r = await req(ts, 'PATCH', nsPath('default', WCSS, 'w1'), wcss('w1'), { 'content-type': 'application/apply-patch+yaml' });
      expect(r.status).toBe(422);
      expect(JSON.stringify(r.json())).toContain('fieldManager');
      r = await req(ts, 'PATCH', nsPath('default', WCSS, 'w1'), [{ op: 'test', path: '/spec/severities/high', value: 99 }], { 'content-type': 'application/json-patch+json' });
      expect([409, 422]).toContain(r.status);
      r = await req(ts, 'PATCH', nsPath('default', WCSS, 'nope'), { spec: {} }, { 'content-type': 'application/merge-patch+json' });
      expect(r.status).toBe(404);
      r = await req(ts, 'PATCH', nsPath('default', WCSS, 'w1'), { metadata: { resourceVersion: '1' } }, { 'content-type': 'application/merge-patch+json' });
      expect(r.status).toBe(409);
    });

    it('dryRun=All validates and answers without persisting', async () => {
      let r = await req(ts, 'POST', nsPath('default', WCSS) + '?dryRun=All', wcss('dry'));
      expect(r.status).toBe(201);
      expect((await req(ts, 'GET', nsPath('default', WCSS, 'dry'))).status).toBe(404);
      r = await req(ts, 'DELETE', nsPath('default', WCSS, 'w1') + '?dryRun=All');
      expect(r.status).toBe(200);
      expect((await req(ts, 'GET', nsPath('default', WCSS, 'w1'))).status).toBe(200);
      r = await req(ts, 'POST', nsPath('default', WCSS) + '?dryRun=Yes', wcss('dry'));
      expect(r.status).toBe(400);
    });

    it('delete: preconditions 409; finalizers keep the object until an update empties them', async () => {
      const created = (await req(ts, 'POST', nsPath('default', WCSS), { ...wcss('fin'), metadata: { name: 'fin', finalizers: ['example.com/keep'] } })).json();
      const uid = (created.metadata as Record<string, unknown>).uid as string;
      let r = await req(ts, 'DELETE', nsPath('default', WCSS, 'fin'), { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-it' } });
      expect(r.status).toBe(409);
      expect(r.json().message).toContain('Precondition failed');
      r = await req(ts, 'DELETE', nsPath('default', WCSS, 'fin'), { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } });
      expect(r.status).toBe(200);
      expect((r.json().metadata as Record<string, unknown>).deletionTimestamp).toBeTruthy();
      const still = await req(ts, 'GET', nsPath('default', WCSS, 'fin'));
      expect(still.status).toBe(200);
      r = await req(ts, 'PATCH', nsPath('default', WCSS, 'fin'), { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
      expect(r.status).toBe(200);
      expect((await req(ts, 'GET', nsPath('default', WCSS, 'fin'))).status).toBe(404);
      r = await req(ts, 'DELETE', nsPath('default', WCSS, 'fin'));
      expect(r.status).toBe(404);
    });

    it('deletecollection honours the label selector', async () => {
      for (const n of ['dc1', 'dc2', 'dc3']) await req(ts, 'POST', nsPath('dc', WCSS), wcss(n, 'dc', { grp: n === 'dc3' ? 'keep' : 'drop' }));
      const r = await req(ts, 'DELETE', nsPath('dc', WCSS) + '?labelSelector=grp%3Ddrop');
      expect(r.status).toBe(200);
      expect((r.json().items as unknown[]).length).toBe(2);
      const left = (await req(ts, 'GET', nsPath('dc', WCSS))).json().items as { metadata: { name: string } }[];
      expect(left.map((i) => i.metadata.name)).toEqual(['dc3']);
    });

    it('virtual kinds are read-only: 405 MethodNotAllowed', async () => {
      const r = await req(ts, 'POST', `/apis/${GV}/configurationscansummaries`, { apiVersion: GV, kind: 'ConfigurationScanSummary', metadata: { name: 'x' } });
      expect(r.status).toBe(405);
      expect(r.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
    });

    it('oversized body: 413 answered from Content-Length before the body is sent', async () => {
      const path = nsPath('default', WCSS);
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`;
      const answer = await rawExchange(ts.url, head, '{"apiVersion":');
      expect(answer).toMatch(/^HTTP\/1\.1 413/);
      expect(answer).toContain('"reason":"RequestEntityTooLarge"');
    });

    it('oversized chunked body: cut off once past the limit', async () => {
      const path = nsPath('default', WCSS);
      const chunk = 'x'.repeat(512 * 1024);
      const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(3);
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const answer = await rawExchange(ts.url, head, body);
      expect(answer).toMatch(/^HTTP\/1\.1 413/);
    });
  });

  describe('reads', () => {
    it('Table, PartialObjectMetadataList, YAML; 406 when nothing acceptable', async () => {
      let r = await req(ts, 'GET', nsPath('default', WCSS), undefined, { accept: TABLE });
      const t = r.json() as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
      expect(t.kind).toBe('Table');
      expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'FAILED', 'CONTROLS', 'KIND', 'RESOURCE', 'Age']);
      expect(t.rows[0]!.object.kind).toBe('PartialObjectMetadata');
      r = await req(ts, 'GET', nsPath('default', WCSS) + '?includeObject=None', undefined, { accept: TABLE });
      expect((r.json().rows as Record<string, unknown>[])[0]!.object).toBeUndefined();
      r = await req(ts, 'GET', nsPath('default', WCSS), undefined, { accept: POML });
      expect(r.json().kind).toBe('PartialObjectMetadataList');
      expect((r.json().items as Record<string, unknown>[])[0]!.spec).toBeUndefined();
      r = await req(ts, 'GET', nsPath('default', WCSS), undefined, { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' });
      expect(r.status).toBe(406);
      r = await req(ts, 'GET', nsPath('default', WCSS), undefined, { accept: 'application/vnd.kubernetes.protobuf' });
      expect(r.status).toBe(406);
      r = await req(ts, 'GET', nsPath('default', WCSS, 'w1'), undefined, { accept: 'application/yaml' });
      expect(r.headers.get('content-type')).toBe('application/yaml');
      expect(r.text).toContain('kind: WorkloadConfigurationScanSummary');
    });

    it('selectors: parse errors are 400, never 500', async () => {
      for (const q of ['labelSelector=a%20in%20(', 'fieldSelector=spec.x%3D1', 'labelSelector=%3D%3D%3D']) {
        const r = await req(ts, 'GET', nsPath('default', WCSS) + '?' + q);
        expect(r.status, q).toBe(400);
      }
    });

    it('limit/continue pages a snapshot; compacted continue token is 410 Expired', async () => {
      for (const n of ['p1', 'p2', 'p3']) await req(ts, 'POST', nsPath('pages', WCSS), wcss(n, 'pages'));
      const p1 = (await req(ts, 'GET', nsPath('pages', WCSS) + '?limit=2')).json() as { metadata: { continue: string; resourceVersion: string }; items: unknown[] };
      expect(p1.items).toHaveLength(2);
      expect(p1.metadata.continue).toBeTruthy();
      // a write after the first page is not visible on the next one (consistent snapshot)
      await req(ts, 'POST', nsPath('pages', WCSS), wcss('p4', 'pages'));
      const p2 = (await req(ts, 'GET', nsPath('pages', WCSS) + `?limit=2&continue=${encodeURIComponent(p1.metadata.continue)}`)).json() as { metadata: { continue?: string }; items: { metadata: { name: string } }[] };
      expect(p2.items.map((i) => i.metadata.name)).toEqual(['p3']);
      expect(p2.metadata.continue).toBeUndefined();
      const bad = await req(ts, 'GET', nsPath('pages', WCSS) + '?limit=2&continue=garbage');
      expect(bad.status).toBe(400);
      const both = await req(ts, 'GET', nsPath('pages', WCSS) + `?limit=2&resourceVersion=3&continue=${encodeURIComponent(p1.metadata.continue)}`);
      expect(both.status).toBe(400);
      // retention is 1 s in this suite: let the snapshot age out, write, compact
      await new Promise((r) => setTimeout(r, 1500));
      await req(ts, 'POST', nsPath('pages', WCSS), wcss('p5', 'pages'));
      await ts.api.store.compact();
      const expired = await req(ts, 'GET', nsPath('pages', WCSS) + `?limit=2&continue=${encodeURIComponent(p1.metadata.continue)}`);
      expect(expired.status).toBe(410);
      expect(expired.json()).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
      const exact = await req(ts, 'GET', nsPath('pages', WCSS) + `?resourceVersion=${p1.metadata.resourceVersion}&resourceVersionMatch=Exact`);
      expect(exact.status).toBe(410);
      const invalidMatch = await req(ts, 'GET', nsPath('pages', WCSS) + '?resourceVersionMatch=Exact');
      expect(invalidMatch.status).toBe(422);
    });

    it('a JSON list the client does not page is read in internal pages: every object once, in order, no continue', async () => {
      const names = Array.from({ length: 130 }, (_, i) => `big-${String(i).padStart(3, '0')}`);
      for (let i = 0; i < names.length; i += 26) await Promise.all(names.slice(i, i + 26).map((n) => req(ts, 'POST', nsPath('bigl', WCSS), wcss(n, 'bigl'))));
      const all = (await req(ts, 'GET', nsPath('bigl', WCSS))).json() as { metadata: Record<string, unknown>; items: { metadata: { name: string }; spec?: unknown }[] };
      expect(all.items.map((i) => i.metadata.name)).toEqual(names);
      expect(all.items.every((i) => i.spec !== undefined)).toBe(true);
      expect(Object.keys(all.metadata)).toEqual(['resourceVersion']);
      const pom = (await req(ts, 'GET', nsPath('bigl', WCSS), undefined, { accept: POML })).json() as { items: { kind: string; metadata: { name: string; resourceVersion: string } }[] };
      expect(pom.items.map((i) => i.metadata.name)).toEqual(names);
      expect(pom.items.every((i) => i.kind === 'PartialObjectMetadata' && i.metadata.resourceVersion)).toBe(true);
      const table = (await req(ts, 'GET', nsPath('bigl', WCSS), undefined, { accept: TABLE })).json() as { rows: { cells: unknown[] }[] };
      expect(table.rows.map((r) => r.cells[0])).toEqual(names);
    });

    it('resourceVersion semantics on list: Exact serves the past, NotOlderThan the present', async () => {
      const before = (await req(ts, 'GET', nsPath('rv', WCSS))).json() as { metadata: { resourceVersion: string } };
      await req(ts, 'POST', nsPath('rv', WCSS), wcss('r1', 'rv'));
      const exact = (await req(ts, 'GET', nsPath('rv', WCSS) + `?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=Exact`)).json();
      expect(exact.items).toHaveLength(0);
      const now = (await req(ts, 'GET', nsPath('rv', WCSS) + `?resourceVersion=${before.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`)).json();
      expect(now.items).toHaveLength(1);
    });
  });

  describe('watch', () => {
    it('RV unset: synthetic ADDED first, then changes; DELETED at the end', async () => {
      await req(ts, 'POST', nsPath('wa', WCSS), wcss('x1', 'wa'));
      const w = await openWatch(ts.url, nsPath('wa', WCSS) + '?watch=1');
      expect(w.status).toBe(200);
      await until(() => w.events.length >= 1 || undefined, 10_000, 'initial ADDED');
      expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'x1' } } });
      await req(ts, 'PATCH', nsPath('wa', WCSS, 'x1'), { metadata: { labels: { m: '1' } } }, { 'content-type': 'application/merge-patch+json' });
      await req(ts, 'DELETE', nsPath('wa', WCSS, 'x1'));
      await until(() => w.events.length >= 3 || undefined, 10_000, 'MODIFIED and DELETED');
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(w.events[1]!.object.spec).toBeDefined();
      w.close();
    });

    it('RV=N resumes after N without synthetic events; too old is an ERROR 410 event', async () => {
      const r1 = (await req(ts, 'POST', nsPath('wb', WCSS), wcss('y1', 'wb'))).json() as { metadata: { resourceVersion: string } };
      await req(ts, 'POST', nsPath('wb', WCSS), wcss('y2', 'wb'));
      const w = await openWatch(ts.url, nsPath('wb', WCSS) + `?watch=true&resourceVersion=${r1.metadata.resourceVersion}`);
      await until(() => w.events.length >= 1 || undefined, 10_000, 'resumed event');
      expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'y2' } } });
      expect(w.events).toHaveLength(1);
      w.close();
      await new Promise((r) => setTimeout(r, 1500));
      await req(ts, 'POST', nsPath('wb', WCSS), wcss('y3', 'wb'));
      await ts.api.store.compact();
      const old = await openWatch(ts.url, nsPath('wb', WCSS) + `?watch=true&resourceVersion=${r1.metadata.resourceVersion}`);
      expect(old.status).toBe(200);
      await old.ended;
      expect(old.events).toHaveLength(1);
      expect(old.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    });

    it('watchers of one event in different forms and selectors each get their own form (shared serialisation)', async () => {
      await req(ts, 'POST', nsPath('fan', WCSS), wcss('f0', 'fan'));
      const rv = ((await req(ts, 'GET', nsPath('fan', WCSS))).json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const q = `?watch=1&resourceVersion=${rv}`;
      const json1 = await openWatch(ts.url, nsPath('fan', WCSS) + q);
      const json2 = await openWatch(ts.url, nsPath('fan', WCSS) + q);
      const pom = await openWatch(ts.url, nsPath('fan', WCSS) + q, 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
      const table = await openWatch(ts.url, nsPath('fan', WCSS) + q, TABLE);
      const selected = await openWatch(ts.url, nsPath('fan', WCSS) + q + '&labelSelector=pick%3Dyes');
      await new Promise((r) => setTimeout(r, 300));
      await req(ts, 'POST', nsPath('fan', WCSS), wcss('f1', 'fan'));
      await req(ts, 'POST', nsPath('fan', WCSS), wcss('f2', 'fan', { pick: 'yes' }));
      await req(ts, 'PATCH', nsPath('fan', WCSS, 'f1'), { metadata: { labels: { pick: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
      const all = [json1, json2, pom, table];
      await until(() => (all.every((w) => w.events.length >= 3) && selected.events.length >= 2) || undefined, 10_000, 'events on every watcher');
      for (const w of [json1, json2]) {
        expect(w.events.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([['ADDED', 'f1'], ['ADDED', 'f2'], ['MODIFIED', 'f1']]);
        expect(w.events.every((e) => e.object.kind === 'WorkloadConfigurationScanSummary' && e.object.spec !== undefined)).toBe(true);
      }
      expect(pom.events.map((e) => [e.object.kind, (e.object.metadata as { name: string }).name])).toEqual([['PartialObjectMetadata', 'f1'], ['PartialObjectMetadata', 'f2'], ['PartialObjectMetadata', 'f1']]);
      expect(pom.events.every((e) => e.object.spec === undefined)).toBe(true);
      const rows = table.events.map((e) => e.object as unknown as { kind: string; columnDefinitions: unknown[]; rows: { cells: unknown[] }[] });
      expect(rows.map((t) => [t.kind, t.rows[0]!.cells[0]])).toEqual([['Table', 'f1'], ['Table', 'f2'], ['Table', 'f1']]);
      expect(rows[0]!.columnDefinitions.length).toBeGreaterThan(0);
      expect(rows[1]!.columnDefinitions).toEqual([]);
      // f1 entering the selection is ADDED for the selecting watcher, MODIFIED for the others.
      expect(selected.events.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([['ADDED', 'f2'], ['ADDED', 'f1']]);
      for (const w of [...all, selected]) w.close();
    });

    it('bookmarks, WatchList initial-events-end, field-selector single-object watch, Table events', async () => {
      await req(ts, 'POST', nsPath('wc', WCSS), wcss('z1', 'wc'));
      await req(ts, 'POST', nsPath('wc', WCSS), wcss('z2', 'wc'));
      const wl = await openWatch(ts.url, nsPath('wc', WCSS) + '?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
      await until(() => wl.events.length >= 3 || undefined, 10_000, 'initial events + bookmark');
      expect(wl.events.slice(0, 3).map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'BOOKMARK']);
      expect(wl.events[2]!.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
      // periodic bookmarks (200 ms in tests) carry only metadata.resourceVersion
      await until(() => wl.events.length >= 4 || undefined, 10_000, 'periodic bookmark');
      expect(wl.events[3]!.type).toBe('BOOKMARK');
      expect(Object.keys(wl.events[3]!.object.metadata)).toEqual(['resourceVersion']);
      wl.close();
      const bad = await req(ts, 'GET', nsPath('wc', WCSS) + '?watch=1&sendInitialEvents=true');
      expect(bad.status).toBe(422);

      const one = await openWatch(ts.url, nsPath('wc', WCSS) + '?watch=1&resourceVersion=0&fieldSelector=metadata.name%3Dz2', TABLE);
      expect(one.contentType).toContain('as=Table');
      await until(() => one.events.length >= 1 || undefined, 10_000, 'single-object ADDED');
      await req(ts, 'PATCH', nsPath('wc', WCSS, 'z1'), { metadata: { labels: { a: 'b' } } }, { 'content-type': 'application/merge-patch+json' });
      await req(ts, 'PATCH', nsPath('wc', WCSS, 'z2'), { metadata: { labels: { a: 'b' } } }, { 'content-type': 'application/merge-patch+json' });
      await until(() => one.events.length >= 2 || undefined, 10_000, 'z2 MODIFIED');
      expect(one.events.map((e) => [e.type, (e.object as unknown as { rows: { cells: unknown[] }[] }).rows[0]!.cells[0]])).toEqual([
        ['ADDED', 'z2'],
        ['MODIFIED', 'z2'],
      ]);
      one.close();
    });

    it('virtual kinds: a source change re-emits the affected summary', async () => {
      const w = await openWatch(ts.url, `/apis/${GV}/configurationscansummaries?watch=1&fieldSelector=metadata.name%3Dvw`);
      await req(ts, 'POST', nsPath('vw', WCSS), wcss('s1', 'vw', {}, 2));
      await until(() => w.events.length >= 1 || undefined, 10_000, 'virtual ADDED');
      await req(ts, 'POST', nsPath('vw', WCSS), wcss('s2', 'vw', {}, 3));
      await until(() => w.events.length >= 2 || undefined, 10_000, 'virtual MODIFIED');
      await req(ts, 'DELETE', nsPath('vw', WCSS, 's1'));
      await req(ts, 'DELETE', nsPath('vw', WCSS, 's2'));
      await until(() => w.events.length >= 4 || undefined, 10_000, 'virtual DELETED');
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      expect(w.events[1]!.object).toMatchObject({ kind: 'ConfigurationScanSummary', metadata: { name: 'vw' } });
      expect((w.events[1]!.object.spec as { summaryRef: unknown[] }).summaryRef).toHaveLength(2);
      w.close();
    });
  });
});

describe('max in-flight, request limits and auth hooks', () => {
  let tdb: CreatedTestDatabase;
  let ts: TestServer;
  let authServer: Server;
  let authUrl: string;
  beforeAll(async () => {
    tdb = await createTestDatabase('pglite');
    ts = await startTestServer(tdb.db, { engine: { maxMutatingRequestsInflight: 1 } });
    const engine = createStorageEngine({
      store: ts.api.store,
      resources: kubescapeResources(),
      authenticator: {
        authenticate: async (r) =>
          r.headers['x-user'] ? { ok: true, user: { name: String(r.headers['x-user']), groups: [], extra: {} } } : { ok: false, status: 401, message: 'Unauthorized' },
      },
      authorizer: {
        authorize: async (u, a) => (u.name === 'admin' || a.verb === 'get' || a.verb === 'list' ? { allowed: true } : { allowed: false, reason: 'no RBAC policy matched' }),
      },
    });
    authServer = createServer(engine);
    await new Promise<void>((r) => authServer.listen(0, '127.0.0.1', r));
    authUrl = `http://127.0.0.1:${(authServer.address() as AddressInfo).port}`;
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    authServer?.closeAllConnections();
    await new Promise((r) => authServer?.close(r));
    await ts?.close();
    await tdb?.drop();
  }, HOOK_TIMEOUT);

  it('429 with Retry-After past the mutating in-flight limit', async () => {
    const u = new URL(ts.url);
    // Hold the only mutating slot with a request whose body never completes.
    const hold = connect(Number(u.port), u.hostname);
    await new Promise<void>((r) => hold.on('connect', () => r()));
    hold.write(`POST ${nsPath('default', WCSS)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    try {
      const r = await until(async () => {
        const x = await req(ts, 'POST', nsPath('default', WCSS), wcss('i1'));
        return x.status === 429 ? x : undefined;
      }, 10_000, '429');
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.json()).toMatchObject({ reason: 'TooManyRequests', code: 429 });
      // reads have their own budget
      expect((await req(ts, 'GET', nsPath('default', WCSS))).status).toBe(200);
    } finally {
      hold.destroy();
    }
  });

  it('401 without credentials, 403 with a kube-like message, health unauthenticated', async () => {
    let r = await req({ url: authUrl }, 'GET', nsPath('default', WCSS));
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    r = await req({ url: authUrl }, 'GET', nsPath('default', WCSS), undefined, { 'x-user': 'bob' });
    expect(r.status).toBe(200);
    r = await req({ url: authUrl }, 'DELETE', nsPath('default', WCSS, 'x'), undefined, { 'x-user': 'bob' });
    expect(r.status).toBe(403);
    expect(r.json().message).toBe(
      'workloadconfigurationscansummaries.spdx.softwarecomposition.kubescape.io "x" is forbidden: User "bob" cannot delete resource "workloadconfigurationscansummaries" in API group "spdx.softwarecomposition.kubescape.io" in the namespace "default": no RBAC policy matched',
    );
    r = await req({ url: authUrl }, 'GET', '/apis', undefined, { 'x-user': 'bob' });
    expect(r.status).toBe(200);
    r = await req({ url: authUrl }, 'GET', '/healthz');
    expect(r.status).toBe(200);
  });
});

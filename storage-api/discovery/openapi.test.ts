import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP } from '../../lib/api/index.js';
import { allResources } from '../registry/index.js';
import { AGGREGATED_DISCOVERY_CONTENT_TYPE, buildDiscovery, buildOpenApi, definitionName } from './index.js';

type Json = Record<string, unknown>;
const defs = allResources({ sandbox: true });
const api = buildOpenApi(defs);
const GV = `apis/${GROUP}/v1beta1`;
const VM = 'io.kubescape.softwarecomposition.spdx.v1beta1.VulnerabilityManifest';

/** Every `$ref` in a document must resolve inside it. */
function danglingRefs(doc: Json, prefix: string, defsOf: Json): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (typeof n === 'object' && n !== null) {
      for (const [k, v] of Object.entries(n)) {
        if (k === '$ref' && typeof v === 'string') {
          if (!v.startsWith(prefix) || !(v.slice(prefix.length) in defsOf)) out.push(v);
        } else walk(v);
      }
    }
  };
  walk(doc);
  return out;
}

describe('OpenAPI v2', () => {
  const v2 = api.v2() as {
    swagger: string;
    paths: Record<string, Record<string, Json>>;
    definitions: Record<string, Json>;
  };

  it('names definitions like kube and tags them with their GVK', () => {
    expect(v2.swagger).toBe('2.0');
    expect(definitionName({ group: GROUP, version: 'v1beta1' }, 'VulnerabilityManifest')).toBe(VM);
    expect(definitionName({ group: '', version: 'v1' }, 'Pod')).toBe('io.k8s.api.core.v1.Pod');
    expect(definitionName({ group: 'rbac.authorization.k8s.io', version: 'v1' }, 'Role')).toBe(
      'io.k8s.api.rbac.v1.Role',
    );
    expect(v2.definitions[VM]!['x-kubernetes-group-version-kind']).toEqual([
      { group: GROUP, kind: 'VulnerabilityManifest', version: 'v1beta1' },
    ]);
    expect(v2.definitions[`${VM}List`]!['x-kubernetes-group-version-kind']).toEqual([
      { group: GROUP, kind: 'VulnerabilityManifestList', version: 'v1beta1' },
    ]);
    for (const n of [
      'ObjectMeta',
      'ListMeta',
      'Status',
      'ManagedFieldsEntry',
      'Time',
      'DeleteOptions',
      'Patch',
    ])
      expect(v2.definitions).toHaveProperty(`io.k8s.apimachinery.pkg.apis.meta.v1.${n}`);
  });

  it('has no dangling $refs', () => {
    expect(danglingRefs(v2, '#/definitions/', v2.definitions)).toEqual([]);
  });

  it('advertises PATCH types without strategic merge', () => {
    const item = v2.paths[`/${GV}/namespaces/{namespace}/vulnerabilitymanifests/{name}`]!;
    expect(item.patch!.consumes).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    expect(item.patch!['x-kubernetes-group-version-kind']).toEqual({
      group: GROUP,
      kind: 'VulnerabilityManifest',
      version: 'v1beta1',
    });
    expect(item.patch!['x-kubernetes-action']).toBe('patch');
    expect(JSON.stringify(v2)).not.toContain('strategic-merge-patch');
    // Pods too: kubectl must not fall back to SMP for sandbox kinds it knows.
    expect(v2.paths['/api/v1/namespaces/{namespace}/pods/{name}']!.patch!.consumes).toContain(
      'application/merge-patch+json',
    );
  });

  it('offers exactly the advertised verbs', () => {
    const cs = v2.paths[`/${GV}/configurationscansummaries`]!;
    expect(Object.keys(cs).filter((k) => k !== 'parameters')).toEqual(['get']);
    const one = v2.paths[`/${GV}/configurationscansummaries/{name}`]!;
    expect(Object.keys(one).filter((k) => k !== 'parameters')).toEqual(['get']);
    const all = v2.paths[`/${GV}/vulnerabilitymanifests`]!;
    expect(Object.keys(all).filter((k) => k !== 'parameters')).toEqual(['get']);
    expect(all.get!.operationId).toBe(
      'listSpdxSoftwarecompositionKubescapeIoV1beta1VulnerabilityManifestForAllNamespaces',
    );
    const ns = v2.paths[`/${GV}/namespaces/{namespace}/vulnerabilitymanifests`]!;
    expect(Object.keys(ns).sort()).toEqual(['delete', 'get', 'parameters', 'post']);
  });
});

describe('OpenAPI v3', () => {
  it('indexes every group-version with a hash', () => {
    const idx = api.v3Index() as { paths: Record<string, { serverRelativeURL: string }> };
    expect(idx.paths[GV]!.serverRelativeURL).toBe(`/openapi/v3/${GV}?hash=${api.v3Hash(GV)}`);
    expect(idx.paths['api/v1']).toBeDefined();
    expect(idx.paths['apis/apps/v1']).toBeDefined();
    expect(api.v3Hash(GV)).toMatch(/^[0-9A-F]{128}$/);
  });

  it('serves a self-contained document per group-version', () => {
    const doc = api.v3(`/openapi/v3/${GV}?hash=x`) as {
      openapi: string;
      paths: Json;
      components: { schemas: Record<string, Json> };
    };
    expect(doc).toBe(api.v3(GV));
    expect(doc.openapi).toBe('3.0.0');
    expect(danglingRefs(doc, '#/components/schemas/', doc.components.schemas)).toEqual([]);
    const vm = doc.components.schemas[VM]!;
    expect(vm['x-kubernetes-group-version-kind']).toEqual([
      { group: GROUP, kind: 'VulnerabilityManifest', version: 'v1beta1' },
    ]);
    const spec = (vm.properties as Record<string, Json>).spec!;
    expect(spec.type).toBe('object');
    expect(spec.properties).toHaveProperty('payload');
    expect((vm.properties as Record<string, Json>).metadata).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
    });
    // Only this GV's kinds.
    expect(Object.keys(doc.components.schemas).some((k) => k.startsWith('io.k8s.api.'))).toBe(false);
    const patch = (doc.paths as Record<string, Record<string, Json>>)[
      `/${GV}/namespaces/{namespace}/vulnerabilitymanifests/{name}`
    ]!.patch!;
    expect(Object.keys((patch.requestBody as { content: Json }).content)).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    expect(api.v3('apis/nope/v1')).toBeUndefined();
  });

  it('schema-less kinds preserve unknown fields', () => {
    const doc = api.v3('api/v1') as { components: { schemas: Record<string, Json> } };
    expect(doc.components.schemas['io.k8s.api.core.v1.Pod']).toMatchObject({
      'x-kubernetes-preserve-unknown-fields': true,
      type: 'object',
    });
  });

  it('is stable: same registry, same hash', () => {
    expect(buildOpenApi(allResources({ sandbox: true })).v3Hash(GV)).toBe(api.v3Hash(GV));
    expect(buildOpenApi(allResources({ sandbox: true })).v2Hash()).toBe(api.v2Hash());
  });
});

// ---------------------------------------------------------------------------------------------
// The real kubectl against a minimal server of these documents (skipped without kubectl).

const run = promisify(execFile);
const kubectlPath = await run('sh', ['-c', 'command -v kubectl'])
  .then((r) => r.stdout.trim())
  .catch(() => '');

describe.skipIf(!kubectlPath)('kubectl against the documents', () => {
  let server: Server;
  let base = '';
  let cache = '';
  beforeAll(async () => {
    const disc = buildDiscovery(defs);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const p = url.pathname;
      const aggregated = (req.headers.accept ?? '').includes('apidiscovery.k8s.io');
      const send = (body: unknown, ct = 'application/json'): void => {
        res.writeHead(200, { 'content-type': ct });
        res.end(JSON.stringify(body));
      };
      let m: RegExpExecArray | null;
      let body: unknown;
      if (p === '/api')
        return aggregated
          ? send(disc.aggregatedCore(), AGGREGATED_DISCOVERY_CONTENT_TYPE)
          : send(disc.coreApiVersions());
      if (p === '/apis')
        return aggregated
          ? send(disc.aggregatedApis(), AGGREGATED_DISCOVERY_CONTENT_TYPE)
          : send(disc.apiGroupList());
      if (p === '/openapi/v3') return send(api.v3Index());
      if (p.startsWith('/openapi/v3/') && (body = api.v3(p))) return send(body);
      if (p === '/api/v1') return send(disc.apiResourceList('', 'v1'));
      if ((m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p)) && (body = disc.apiResourceList(m[1]!, m[2]!)))
        return send(body);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cache = await mkdtemp(join(tmpdir(), 'kscape-discovery-test-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(cache, { recursive: true, force: true });
  });
  const kubectl = async (...args: string[]): Promise<string> =>
    (
      await run(kubectlPath, [`--server=${base}`, `--cache-dir=${cache}`, ...args], {
        env: { ...process.env, KUBECONFIG: '/dev/null' },
      })
    ).stdout;

  it('api-resources lists the group', async () => {
    const out = await kubectl('api-resources', `--api-group=${GROUP}`, '-o', 'name');
    expect(out.trim().split('\n').sort()).toEqual(
      [
        'configurationscansummaries',
        'sbomspdxv2p3filtereds',
        'sbomspdxv2p3s',
        'sbomsummaries',
        'vulnerabilitymanifests',
        'vulnerabilitymanifestsummaries',
        'vulnerabilitysummaries',
        'workloadconfigurationscans',
        'workloadconfigurationscansummaries',
      ].map((r) => `${r}.${GROUP}`),
    );
  });

  it('explain walks into spec', async () => {
    const out = await kubectl('explain', 'vulnerabilitymanifests.spec');
    expect(out).toContain('KIND:       VulnerabilityManifest');
    expect(out).toContain('payload');
    const deep = await kubectl('explain', 'vms.spec.severities.critical.all');
    expect(deep).toContain('<integer>');
    const meta = await kubectl('explain', 'wcs.metadata.labels');
    expect(meta).toContain('map[string]string');
  });
});

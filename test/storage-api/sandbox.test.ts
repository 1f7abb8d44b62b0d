/**
 * Sandbox cluster: built-in kinds served schema-less under /api/v1 and /apis/<g>/<v>, seeded from
 * examples/cluster, usable by kubectl as a stand-in cluster.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../../lib/db/testing.js';
import { kubectl, req, startTestServer, type TestServer } from './helpers.js';

const HOOK_TIMEOUT = 180_000;
const SEED = join(import.meta.dirname, '..', '..', 'examples', 'cluster');

forEachDriver('sandbox cluster', (driver) => {
  let tdb: CreatedTestDatabase;
  let ts: TestServer;
  beforeAll(async () => {
    tdb = await createTestDatabase(driver);
    ts = await startTestServer(tdb.db, { sandbox: true, seedDir: SEED });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await ts?.close();
    await tdb?.drop();
  }, HOOK_TIMEOUT);

  it('serves core discovery and the seeded objects', async () => {
    const api = await req(ts, 'GET', '/api');
    expect(api.status).toBe(200);
    expect(api.json().versions).toEqual(['v1']);
    const agg = await req(ts, 'GET', '/api', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    expect(agg.json().kind).toBe('APIGroupDiscoveryList');
    let r = await kubectl(ts, ['get', 'namespaces', '-o', 'name']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('namespace/kube-system');
    r = await kubectl(ts, ['get', 'pods', '-A']);
    expect(r.code, r.stderr).toBe(0);
    // the registry's pod printer columns, plus the NAMESPACE column kubectl adds for -A
    expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(1);
    // kinds without printer columns get kube's default table: NAME, CREATED AT (RFC 3339)
    r = await kubectl(ts, ['get', 'clusterroles']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'CREATED', 'AT']);
    expect(r.stdout.split('\n')[1]).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
  });

  it('kubectl apply/get/delete on built-in kinds, namespaced and cluster-scoped', async () => {
    const manifest = [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata: {name: sbx}',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: sbx, labels: {app: web}}',
      'spec:',
      '  replicas: 1',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec: {containers: [{name: web, image: nginx:1.25}]}',
      '',
    ].join('\n');
    const file = join(ts.dir, 'sbx.yaml');
    await writeFile(file, manifest);
    let r = await kubectl(ts, ['apply', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('namespace/sbx created');
    expect(r.stdout).toContain('deployment.apps/web created');
    r = await kubectl(ts, ['get', 'deploy', '-n', 'sbx', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    expect(r.stdout).toBe('nginx:1.25');
    expect((await req(ts, 'GET', '/api/v1/namespaces/sbx')).json().metadata).toMatchObject({ name: 'sbx' });
    expect((await req(ts, 'GET', '/apis/apps/v1/namespaces/sbx/deployments/web')).status).toBe(200);
    r = await kubectl(ts, ['delete', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect((await req(ts, 'GET', '/apis/apps/v1/namespaces/sbx/deployments/web')).status).toBe(404);
  });
});

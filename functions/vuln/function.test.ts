/**
 * The vuln function against real parts: storage-api (sandbox, PGlite) for results and secrets, the
 * OSV DB on each driver (PGlite, and PostgreSQL when DATABASE_URL is set), images from an OCI
 * layout and from Debian's docker-registry.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANNOTATIONS, PLURALS } from '../../lib/api/constants.js';
import { imageSlug } from '../../lib/api/names.js';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../../lib/db/testing.js';
import { EVENT_TYPES, type EventData } from '../../lib/events/index.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { IncomingEvent } from '../runtime/types.js';
import { startSandbox, type Sandbox } from '../scan/cluster/testing.js';
import { missingTools, skopeoCopy, startRegistry, type Registry } from '../../test/fixtures/images/debian.js';
import { loadVulnFunctionConfig } from './function-config.js';
import { OWNED_FILES_MARKER } from './function-sbom.js';
import {
  FIXTURE_OSV,
  FIXTURE_OSV_UPDATE,
  records,
  testContext,
  writeFixtureImage,
  writeOsvZip,
} from './function-testing.js';
import { createVulnFunction, pullReference } from './function.js';
import { VulnDbStore } from './osv/store/index.js';
import { validateSpdx } from './sbom/validate.js';

const HOOK = 180_000;
const BASE = '/apis/spdx.softwarecomposition.kubescape.io/v1beta1';
type Obj = {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
};

const workloads = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'default',
    name: 'web',
    container: 'app',
    containerType: 'containers' as const,
  },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    namespace: 'prod',
    name: 'db',
    container: 'main',
    containerType: 'containers' as const,
  },
];

function scanEvent(data: EventData<typeof EVENT_TYPES.vulnScanRequested>, id = 'req-1'): IncomingEvent {
  return {
    id,
    source: '/kscape/schedule',
    type: EVENT_TYPES.vulnScanRequested,
    time: '2026-01-01T00:00:00Z',
    data,
    extensions: {},
  } as IncomingEvent;
}

forEachDriver('vuln function', (driver) => {
  let tdb: CreatedTestDatabase;
  let store: VulnDbStore;
  let sb: Sandbox;
  let image: Awaited<ReturnType<typeof writeFixtureImage>>;
  const get = async (plural: string, ns: string, name: string): Promise<Obj | undefined> => {
    const r = await sb.http.request('GET', `${BASE}/namespaces/${ns}/${plural}/${name}`);
    return r.status === 404 ? undefined : (r.body as Obj);
  };
  const list = async (plural: string): Promise<Obj[]> =>
    ((await sb.http.request('GET', `${BASE}/${plural}`)).body as { items: Obj[] }).items;

  beforeAll(async () => {
    [tdb, sb, image] = await Promise.all([
      createTestDatabase(driver),
      startSandbox('examples/cluster'),
      writeFixtureImage(),
    ]);
    store = await VulnDbStore.open(tdb.db);
  }, HOOK);
  afterAll(async () => {
    image?.close();
    await sb?.close();
    await tdb?.drop();
  }, HOOK);

  const make = (env: Record<string, string> = {}) =>
    createVulnFunction({ http: sb.http, store, config: loadVulnFunctionConfig(env) });

  it('an empty vulnerability DB: the SBOM is stored, the scan answers 503 (retried) instead of reporting no vulnerabilities', async () => {
    const fn = make({ KSCAPE_VULNDB_LOAD_WHEN_EMPTY: 'false' });
    // Ready while empty (an unready revision would never get the update that fills it), and says so.
    expect(await fn.ready?.()).toMatchObject({ vulnerabilityDb: { generation: null } });
    const ev = scanEvent(
      { image: `oci:${image.dir}:latest`, digest: image.digest, workloads, pullSecrets: [] },
      'empty-db',
    );
    await expect(fn.handle(ev, testContext())).rejects.toBeInstanceOf(TransientError);
    const sbom = await get(
      PLURALS.SBOMSPDXv2p3,
      'kubescape',
      imageSlug(`oci:${image.dir}:latest`, image.digest),
    );
    expect(sbom?.metadata.annotations?.[ANNOTATIONS.status]).toBe('ready');
  });

  it('vulnscan: SBOM, image manifest with exactly the expected matches, one summary per workload container, completed reply', async () => {
    await store.import(records(FIXTURE_OSV), { mode: 'full' });
    const fn = make();
    // Readiness reports the DB's version and age.
    expect(await fn.ready?.()).toMatchObject({
      vulnerabilityDb: {
        generation: expect.any(Number),
        version: expect.any(String),
        ageSeconds: expect.any(Number),
      },
    });
    const img = `oci:${image.dir}:latest`;
    const reply = await fn.handle(
      scanEvent({ image: img, digest: image.digest, workloads, pullSecrets: [] }),
      testContext(),
    );
    expect(reply?.type).toBe(EVENT_TYPES.vulnScanCompleted);
    const slug = imageSlug(img, image.digest);
    expect(reply?.data).toMatchObject({
      image: img,
      digest: image.digest,
      status: 'ready',
      sbom: { kind: 'SBOMSPDXv2p3', namespace: 'kubescape', name: slug },
      manifest: { kind: 'VulnerabilityManifest', namespace: 'kubescape', name: slug },
      severities: { critical: 1, high: 1, medium: 0, low: 0, negligible: 0, unknown: 0 },
      summaries: [
        { kind: 'VulnerabilityManifestSummary', namespace: 'default', name: 'deployment-web-app' },
        { kind: 'VulnerabilityManifestSummary', namespace: 'prod', name: 'statefulset-db-main' },
      ],
    });

    const sbom = (await get(PLURALS.SBOMSPDXv2p3, 'kubescape', slug))!;
    const doc = sbom.spec.spdx as { packages: { name: string; annotations?: { comment: string }[] }[] };
    expect(validateSpdx(doc).errors).toEqual([]);
    const libc = doc.packages.find((p) => p.name === 'libc6')!;
    expect(libc.annotations?.[0]?.comment).toBe(
      `${OWNED_FILES_MARKER}\n/lib/x86_64-linux-gnu/libc.so.6\n/lib/x86_64-linux-gnu/libm.so.6`,
    );

    const vm = (await get(PLURALS.VulnerabilityManifest, 'kubescape', slug))!;
    expect(vm.metadata.labels).toMatchObject({ 'kubescape.io/context': 'non-filtered' });
    expect(vm.metadata.annotations).toMatchObject({
      [ANNOTATIONS.imageId]: image.digest,
      [ANNOTATIONS.imageTag]: img,
      [ANNOTATIONS.status]: 'ready',
    });
    const payload = vm.spec.payload as {
      matches: {
        vulnerability: { id: string; severity: string; fix: { state: string; versions: string[] } };
        relatedVulnerabilities: { id: string }[];
        artifact: { name: string; upstreams: { name: string }[] };
      }[];
      distro: { name: string; version: string };
    };
    expect(
      payload.matches.map((m) => [
        m.artifact.name,
        m.vulnerability.id,
        m.vulnerability.severity,
        m.vulnerability.fix.state,
      ]),
    ).toEqual([
      ['libc6', 'CVE-2024-0001', 'High', 'not-fixed'],
      ['libssl3', 'CVE-2023-5678', 'Critical', 'fixed'],
    ]);
    expect(payload.matches[1]!.vulnerability.fix.versions).toEqual(['3.0.11-1~deb12u2']);
    expect(payload.matches[1]!.relatedVulnerabilities.map((r) => r.id)).toEqual([
      'DEBIAN-CVE-2023-5678',
      'DSA-5532-1',
    ]);
    expect(payload.matches[0]!.artifact.upstreams).toEqual([{ name: 'glibc' }]);
    expect(payload.distro).toMatchObject({ name: 'debian', version: '12' });
    expect((vm.spec.metadata as { tool: { databaseVersion: string } }).tool.databaseVersion).toBe(
      (await store.status()).contentHash,
    );

    const vms = (await get(PLURALS.VulnerabilityManifestSummary, 'default', 'deployment-web-app'))!;
    expect(vms.metadata.labels).toMatchObject({
      'kubescape.io/workload-kind': 'Deployment',
      'kubescape.io/workload-name': 'web',
      'kubescape.io/workload-namespace': 'default',
      'kubescape.io/workload-container-name': 'app',
      'kubescape.io/workload-api-group': 'apps',
    });
    expect(vms.metadata.annotations?.[ANNOTATIONS.wlid]).toBe(
      'wlid://cluster-kscape/namespace-default/deployment-web',
    );
    expect(vms.spec).toMatchObject({
      severities: { critical: { all: 1 }, high: { all: 1 }, medium: { all: 0 } },
      vulnerabilitiesRef: { all: { namespace: 'kubescape', name: slug, kind: 'vulnerabilitymanifests' } },
    });
    expect(await get(PLURALS.VulnerabilityManifestSummary, 'prod', 'statefulset-db-main')).toBeDefined();
  });

  it('redelivery and a rescan of the same digest with the same DB change nothing (no pull, no match, same objects)', async () => {
    const dump = async () =>
      [
        ...(await list(PLURALS.SBOMSPDXv2p3)),
        ...(await list(PLURALS.VulnerabilityManifest)),
        ...(await list(PLURALS.VulnerabilityManifestSummary)),
      ]
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort();
    const before = await dump();
    const fn = make();
    // Even with the image gone the digest is answered from storage.
    const ev = scanEvent({
      image: `oci:${image.dir}:latest`,
      digest: image.digest,
      workloads,
      pullSecrets: [],
    });
    const a = await fn.handle(ev, testContext());
    const b = await fn.handle(
      scanEvent(
        { image: `oci:${image.dir}:latest`, digest: image.digest, workloads, pullSecrets: [] },
        'req-2',
      ),
      testContext(),
    );
    expect(await dump()).toEqual(before);
    expect(b?.data).toEqual(a?.data);
  });

  it('a new DB version re-matches the stored SBOM (no pull) and updates manifest and summaries', async () => {
    await store.import(records(FIXTURE_OSV_UPDATE), { mode: 'incremental' });
    const fn = make();
    const img = `oci:${image.dir}:latest`;
    const reply = await fn.handle(
      scanEvent({ image: img, digest: image.digest, workloads, pullSecrets: [] }, 'req-3'),
      testContext(),
    );
    expect(reply?.data).toMatchObject({ severities: { critical: 1, high: 1, medium: 1 } });
    const vms = (await get(PLURALS.VulnerabilityManifestSummary, 'prod', 'statefulset-db-main'))!;
    expect(vms.spec).toMatchObject({ severities: { medium: { all: 1 } } });
  });

  it('relevancy: filtered SBOM keeps only packages owning files in use; relevant manifest; summary relevant < all', async () => {
    const fn = make();
    const ev = {
      id: 'rel-1',
      source: '/kscape/node-agent/node-1',
      type: EVENT_TYPES.relevancyReported,
      time: '2026-01-02T00:00:00Z',
      data: {
        nodeName: 'node-1',
        container: {
          namespace: 'default',
          pod: 'web-5d8f7c9b4-abcde',
          container: 'app',
          containerID: 'containerd://abc',
          workload: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' },
        },
        image: `oci:${image.dir}:latest`,
        imageDigest: image.digest,
        // usrmerge: the process maps /usr/lib/... while dpkg lists /lib/...
        files: ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/bash', '/app/server', '/etc/os-release'],
        complete: true,
        status: 'completed',
        completion: 'complete',
        containerType: 'containers',
      },
      extensions: {},
    } as IncomingEvent;
    expect(await fn.handle(ev, testContext())).toBeUndefined();
    const filtered = (await list(PLURALS.SBOMSPDXv2p3Filtered))[0]!;
    expect(filtered.metadata.name).toMatch(/^deployment-web-app-[0-9a-f]{4}-[0-9a-f]{4}$/);
    const fdoc = filtered.spec.spdx as { packages: { name: string; primaryPackagePurpose?: string }[] };
    expect(validateSpdx(fdoc).errors).toEqual([]);
    expect(
      fdoc.packages
        .filter((p) => p.primaryPackagePurpose !== 'CONTAINER')
        .map((p) => p.name)
        .sort(),
    ).toEqual(['bash', 'libc6']);
    const rvm = (await get(PLURALS.VulnerabilityManifest, 'kubescape', filtered.metadata.name))!;
    expect(rvm.metadata.labels?.['kubescape.io/context']).toBe('filtered');
    expect(rvm.spec.metadata).toMatchObject({ withRelevancy: true });
    expect(
      (rvm.spec.payload as { matches: { vulnerability: { id: string } }[] }).matches.map(
        (m) => m.vulnerability.id,
      ),
    ).toEqual(['CVE-2024-0001']);
    const vms = (await get(PLURALS.VulnerabilityManifestSummary, 'default', 'deployment-web-app'))!;
    expect(vms.spec).toMatchObject({
      severities: {
        critical: { all: 1, relevant: 0 },
        high: { all: 1, relevant: 1 },
        medium: { all: 1, relevant: 0 },
      },
      vulnerabilitiesRef: { relevant: { namespace: 'kubescape', name: filtered.metadata.name } },
    });
    // A later image rescan keeps the relevant counts.
    await fn.handle(
      scanEvent(
        { image: `oci:${image.dir}:latest`, digest: image.digest, workloads, pullSecrets: [] },
        'req-4',
      ),
      testContext(),
    );
    expect(
      (await get(PLURALS.VulnerabilityManifestSummary, 'default', 'deployment-web-app'))!.spec,
    ).toMatchObject({ severities: { high: { all: 1, relevant: 1 } } });
    // Partial profiles are ignored unless configured.
    const partial = {
      ...ev,
      id: 'rel-2',
      data: {
        ...(ev.data as object),
        completion: 'partial',
        files: ['/usr/lib/x86_64-linux-gnu/libssl.so.3'],
      },
    } as IncomingEvent;
    await fn.handle(partial, testContext());
    expect(
      (await get(PLURALS.VulnerabilityManifest, 'kubescape', filtered.metadata.name))!.metadata
        .resourceVersion,
    ).toBe(rvm.metadata.resourceVersion);
  });

  it('ignore rules move findings to ignoredMatches; changing the rules re-matches the stored SBOM', async () => {
    const img = `oci:${image.dir}:latest`;
    const ignoring = make({ KSCAPE_VULN_IGNORE_RULES: '[{"vulnerability":"DEBIAN-CVE-2024-0001"}]' });
    const r1 = await ignoring.handle(
      scanEvent({ image: img, digest: image.digest, workloads, pullSecrets: [] }, 'ign-1'),
      testContext(),
    );
    expect(r1?.data).toMatchObject({ severities: { critical: 1, high: 0, medium: 1 } });
    const vm = (await get(PLURALS.VulnerabilityManifest, 'kubescape', imageSlug(img, image.digest)))!;
    const payload = vm.spec.payload as {
      ignoredMatches: { vulnerability: { id: string }; appliedIgnoreRules: unknown[] }[];
    };
    expect(payload.ignoredMatches.map((m) => [m.vulnerability.id, m.appliedIgnoreRules])).toEqual([
      ['CVE-2024-0001', [{ vulnerability: 'DEBIAN-CVE-2024-0001' }]],
    ]);
    const r2 = await make().handle(
      scanEvent({ image: img, digest: image.digest, workloads, pullSecrets: [] }, 'ign-2'),
      testContext(),
    );
    expect(r2?.data).toMatchObject({ severities: { critical: 1, high: 1, medium: 1 } });
    expect(() => make({ KSCAPE_VULN_IGNORE_RULES: '[{"cve":"x"}]' })).toThrow(/KSCAPE_VULN_IGNORE_RULES/);
  });

  it('too large: a too-large marker and a completed reply with that status', async () => {
    const fn = make({ KSCAPE_VULN_MAX_IMAGE_SIZE: '1024' });
    const big = await writeFixtureImage();
    try {
      const reply = await fn.handle(
        scanEvent(
          { image: `oci:${big.dir}:latest`, digest: big.digest, workloads: [], pullSecrets: [] },
          'big',
        ),
        testContext(),
      );
      expect(reply?.data).toMatchObject({ status: 'too-large', severities: { critical: 0 } });
      const marker = (await get(
        PLURALS.SBOMSPDXv2p3,
        'kubescape',
        imageSlug(`oci:${big.dir}:latest`, big.digest),
      ))!;
      expect(marker.metadata.annotations?.[ANNOTATIONS.status]).toBe('too-large');
      expect(marker.spec.spdx).toBeUndefined();
    } finally {
      big.close();
    }
  });

  it('a scan that finds the DB empty starts loading it from the mirror; the retried scan then matches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kscape-mirror-'));
    writeOsvZip(join(dir, 'Debian.zip'), FIXTURE_OSV);
    let downloads = 0;
    const server: Server = createServer((req, res) => {
      if (req.url !== '/Debian/all.zip') return void res.writeHead(404).end();
      downloads++;
      res.writeHead(200, { 'content-type': 'application/zip' }).end(readFileSync(join(dir, 'Debian.zip')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const fresh = await createTestDatabase(driver);
    try {
      const freshStore = await VulnDbStore.open(fresh.db);
      const fn = createVulnFunction({
        http: sb.http,
        store: freshStore,
        config: loadVulnFunctionConfig({
          KSCAPE_VULNDB_BASE_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
          KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
        }),
      });
      const ev = scanEvent(
        { image: `oci:${image.dir}:latest`, digest: image.digest, workloads, pullSecrets: [] },
        'auto-load',
      );
      await expect(fn.handle(ev, testContext())).rejects.toThrow(
        /empty and is being loaded from http:\/\/127\.0\.0\.1/,
      );
      // A second scan while loading joins the same load (no second download).
      await expect(
        fn.handle({ ...ev, id: 'auto-load-2' } as IncomingEvent, testContext()),
      ).rejects.toBeInstanceOf(TransientError);
      const end = Date.now() + 60_000;
      while ((await freshStore.status()).generation === null) {
        if (Date.now() > end) throw new Error('the empty DB was never loaded');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(downloads).toBe(1);
      const reply = await fn.handle(ev, testContext());
      expect(reply?.data).toMatchObject({ status: 'ready', severities: { critical: 1, high: 1 } });
      await fn.close?.();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
      await fresh.drop();
    }
  });

  it('vulndb.update.requested downloads all.zip from the configured mirror and flips the DB version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kscape-mirror-'));
    writeOsvZip(join(dir, 'Debian.zip'), [...FIXTURE_OSV, ...FIXTURE_OSV_UPDATE]);
    const server: Server = createServer((req, res) => {
      if (req.url === '/Debian/all.zip')
        res.writeHead(200, { 'content-type': 'application/zip' }).end(readFileSync(join(dir, 'Debian.zip')));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const fn = make({
        KSCAPE_VULNDB_BASE_URL: `http://127.0.0.1:${port}`,
        KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
        KSCAPE_VULNDB_RETRIES: '0',
      });
      const before = await store.status();
      const ev = {
        id: 'db-1',
        source: '/kscape/schedule',
        type: EVENT_TYPES.vulnDbUpdateRequested,
        data: {},
        extensions: {},
      } as IncomingEvent;
      expect(await fn.handle(ev, testContext())).toBeUndefined();
      const after = await store.status();
      expect(after.generation).not.toBe(before.generation);
      expect(after.advisories).toBe(FIXTURE_OSV.length + FIXTURE_OSV_UPDATE.length);
      const bad = { ...ev, id: 'db-2', data: { sources: ['npm'] } } as IncomingEvent;
      await expect(fn.handle(bad, testContext())).rejects.toBeInstanceOf(PermanentError);
      // A download that never answers is abandoned when the function closes (host shutdown).
      const hanging: Server = createServer(() => undefined);
      await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
      const slow = make({
        KSCAPE_VULNDB_BASE_URL: `http://127.0.0.1:${(hanging.address() as { port: number }).port}`,
        KSCAPE_VULNDB_ECOSYSTEMS: 'Debian',
      });
      const pending = slow.handle({ ...ev, id: 'db-3' } as IncomingEvent, testContext());
      await new Promise((r) => setTimeout(r, 200));
      await slow.close?.();
      await expect(pending).rejects.toBeInstanceOf(TransientError);
      hanging.closeAllConnections();
      hanging.close();
      expect((await store.status()).generation).toBe(after.generation);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const missing = missingTools(['docker-registry', 'skopeo']);
describe.skipIf(missing !== undefined)('vuln function: registry images', () => {
  let tdb: CreatedTestDatabase;
  let sb: Sandbox;
  let reg: Registry;
  let image: Awaited<ReturnType<typeof writeFixtureImage>>;
  let digest: string;
  let stopped = false;
  beforeAll(async () => {
    [tdb, sb, reg, image] = await Promise.all([
      createTestDatabase('pglite'),
      startSandbox('examples/cluster'),
      startRegistry(),
      writeFixtureImage(),
    ]);
    await skopeoCopy(`oci:${image.dir}:latest`, `docker://${reg.host}/kscape/fixture:1.0`);
    // skopeo may rewrite the manifest on push (compression): the registry's digest is the truth.
    const inspect = JSON.parse(
      execFileSync('skopeo', [
        'inspect',
        '--tls-verify=false',
        `docker://${reg.host}/kscape/fixture:1.0`,
      ]).toString(),
    ) as { Digest: string };
    digest = inspect.Digest;
    const store = await VulnDbStore.open(tdb.db);
    await store.import(records(FIXTURE_OSV), { mode: 'full' });
  }, HOOK);
  afterAll(async () => {
    image?.close();
    await Promise.all([stopped ? undefined : reg?.stop(), sb?.close(), tdb?.drop()]);
  }, HOOK);

  const make = async () =>
    createVulnFunction({
      http: sb.http,
      store: await VulnDbStore.open(tdb.db),
      config: loadVulnFunctionConfig({ KSCAPE_VULN_INSECURE_REGISTRIES: reg.host }),
    });

  it('pulls by digest from the registry; the same digest later is answered from storage', async () => {
    const fn = await make();
    const img = `${reg.host}/kscape/fixture:1.0`;
    const reply = await fn.handle(
      scanEvent({
        image: img,
        digest,
        workloads: workloads.slice(0, 1),
        pullSecrets: [{ namespace: 'default', name: 'absent' }],
      }),
      testContext(),
    );
    expect(reply?.data).toMatchObject({ status: 'ready', digest, severities: { critical: 1, high: 1 } });
    await reg.stop(); // nothing left to pull from
    stopped = true;
    const again = await fn.handle(
      scanEvent({ image: img, digest, workloads: workloads.slice(0, 1), pullSecrets: [] }, 'again'),
      testContext(),
    );
    expect(again?.data).toMatchObject({ status: 'ready', severities: { critical: 1, high: 1 } });
  });

  it('an unknown digest: 400 (dead-lettered) with the reason, recorded as status failed on the SBOM object', async () => {
    const r2 = await startRegistry();
    try {
      const fn = createVulnFunction({
        http: sb.http,
        store: await VulnDbStore.open(tdb.db),
        config: loadVulnFunctionConfig({ KSCAPE_VULN_INSECURE_REGISTRIES: r2.host }),
      });
      const digest = `sha256:${randomBytes(32).toString('hex')}`;
      const img = `${r2.host}/kscape/missing:1.0`;
      const err = await fn
        .handle(scanEvent({ image: img, digest, workloads: [], pullSecrets: [] }, 'missing'), testContext())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toMatch(/not found/);
      const r = await sb.http.request(
        'GET',
        `${BASE}/namespaces/kubescape/${PLURALS.SBOMSPDXv2p3}/${imageSlug(img, digest)}`,
      );
      const marker = r.body as Obj;
      expect(marker.metadata.annotations?.[ANNOTATIONS.status]).toBe('failed');
      expect(marker.metadata.annotations?.[ANNOTATIONS.statusReason]).toMatch(/not found/);
    } finally {
      await r2.stop();
    }
  });

  it("a registry that wants credentials: unauthorize recorded and 400 without them; the request's pull secret (read from the cluster) works", async () => {
    const auth = await startRegistry({ user: 'kscape', password: 's3cret!' });
    try {
      await skopeoCopy(`oci:${image.dir}:latest`, `docker://${auth.host}/private/app:1.0`, 'kscape:s3cret!');
      const d = (
        JSON.parse(
          execFileSync('skopeo', [
            'inspect',
            '--tls-verify=false',
            '--creds',
            'kscape:s3cret!',
            `docker://${auth.host}/private/app:1.0`,
          ]).toString(),
        ) as { Digest: string }
      ).Digest;
      const fn = createVulnFunction({
        http: sb.http,
        store: await VulnDbStore.open(tdb.db),
        config: loadVulnFunctionConfig({ KSCAPE_VULN_INSECURE_REGISTRIES: auth.host }),
      });
      const img = `${auth.host}/private/app:1.0`;
      const err = await fn
        .handle(scanEvent({ image: img, digest: d, workloads: [], pullSecrets: [] }, 'auth-1'), testContext())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toMatch(/authentication failed/);
      const marker = (
        await sb.http.request(
          'GET',
          `${BASE}/namespaces/kubescape/${PLURALS.SBOMSPDXv2p3}/${imageSlug(img, d)}`,
        )
      ).body as Obj;
      expect(marker.metadata.annotations?.[ANNOTATIONS.status]).toBe('unauthorize');
      const dockerconfig = JSON.stringify({
        auths: { [auth.host]: { auth: Buffer.from('kscape:s3cret!').toString('base64') } },
      });
      const created = await sb.http.request('POST', '/api/v1/namespaces/default/secrets', {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'regcred', namespace: 'default' },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': Buffer.from(dockerconfig).toString('base64') },
        },
      });
      expect(created.status).toBe(201);
      const ok = await fn.handle(
        scanEvent(
          {
            image: img,
            digest: d,
            workloads: workloads.slice(0, 1),
            pullSecrets: [{ namespace: 'default', name: 'regcred' }],
          },
          'auth-2',
        ),
        testContext(),
      );
      expect(ok?.data).toMatchObject({ status: 'ready', severities: { critical: 1, high: 1 } });
      const ready = (
        await sb.http.request(
          'GET',
          `${BASE}/namespaces/kubescape/${PLURALS.SBOMSPDXv2p3}/${imageSlug(img, d)}`,
        )
      ).body as Obj;
      expect(ready.metadata.annotations?.[ANNOTATIONS.status]).toBe('ready');
    } finally {
      await auth.stop();
    }
  });

  it('pullReference pins the tag to the requested digest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(pullReference('nginx:1.25', d)).toBe(`nginx:1.25@${d}`);
    expect(pullReference(`nginx:1.25@sha256:${'b'.repeat(64)}`, d)).toBe(`nginx:1.25@${d}`);
    expect(pullReference('oci:/x:latest', d)).toBe('oci:/x:latest');
  });
});

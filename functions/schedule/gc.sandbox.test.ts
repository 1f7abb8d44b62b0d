/**
 * Garbage collection end to end: the storage-api sandbox seeded from examples/cluster is both the
 * cluster (pods, workloads) and the result store; a vulnerability ping fans out and collects.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ANNOTATIONS, API_VERSION, GROUP, LABELS, PLURALS, VERSION } from '../../lib/api/index.js';
import { exampleSbom, exampleVulnerabilityManifestSummary } from '../../lib/api/examples.js';
import { forEachDriver, withTestDatabase } from '../../lib/db/testing.js';
import { EVENT_TYPES, type CatalogEvent } from '../../lib/events/index.js';
import { kubeJson } from '../../lib/kube/http.js';
import { startSandbox, type Sandbox } from '../scan/cluster/testing.js';
import { loadScheduleConfig } from './config.js';
import { kubeResultCollector } from './gc-kube.js';
import type { PodLike } from './images.js';
import { createScheduleFunction } from './index.js';
import { ScheduleStore } from './store/index.js';
import { pingEvent, recordingContext } from './testing.js';

const PAYMENTS = 'sha256:b226796370094390ac172df8cd5d06d54247c5f91b7a4faf909213ac19ab6900';
const GONE = `sha256:${'0'.repeat(64)}`;
const base = `/apis/${GROUP}/${VERSION}`;

forEachDriver('schedule garbage collection against the sandbox cluster', (driver) => {
  const tdb = withTestDatabase(driver);
  let sb: Sandbox;
  let store: ScheduleStore;
  beforeAll(async () => {
    sb = await startSandbox('examples/cluster');
    store = await ScheduleStore.open(tdb.db);
  });
  afterAll(async () => {
    await sb?.close();
  });
  beforeEach(async () => {
    await tdb.db.query('DELETE FROM schedule_image_seen');
    await tdb.db.query('DELETE FROM schedule_images');
    for (const plural of [PLURALS.VulnerabilityManifestSummary, PLURALS.SBOMSPDXv2p3]) {
      for (const ns of ['prod', 'kubescape'])
        await kubeJson(sb.http, 'DELETE', `${base}/namespaces/${ns}/${plural}`);
    }
  });

  const create = (plural: string, obj: { metadata: { namespace?: string } }) =>
    kubeJson(sb.http, 'POST', `${base}/namespaces/${obj.metadata.namespace}/${plural}`, { body: obj });

  const summary = (workload: string, container: string) => {
    const o = exampleVulnerabilityManifestSummary('prod', `deployment-${workload}-${container}`);
    o.metadata.labels = {
      ...o.metadata.labels,
      [LABELS.workloadName]: workload,
      [LABELS.workloadContainerName]: container,
    };
    o.metadata.annotations = {
      [ANNOTATIONS.wlid]: `wlid://cluster-dev/namespace-prod/deployment-${workload}`,
      [ANNOTATIONS.workloadContainerName]: container,
    };
    return o;
  };
  const sbom = (name: string, digest: string) => {
    const o = exampleSbom();
    o.metadata = {
      ...o.metadata,
      name,
      annotations: { ...o.metadata.annotations, [ANNOTATIONS.imageId]: `registry.example/app@${digest}` },
    };
    return o;
  };
  const names = async (plural: string) =>
    (
      (await kubeJson(sb.http, 'GET', `${base}/${plural}`)) as { items: { metadata: { name: string } }[] }
    ).items
      .map((i) => i.metadata.name)
      .sort();

  const pods = async function* (): AsyncGenerator<PodLike> {
    yield* ((await kubeJson(sb.http, 'GET', '/api/v1/pods')) as { items: PodLike[] }).items;
  };
  const ping = (id: string) => pingEvent('vulnerability', id);
  const ctx = recordingContext;

  it('a vulnerability cycle deletes the results of gone containers and of images past the grace period, and nothing else', async () => {
    await create(PLURALS.VulnerabilityManifestSummary, summary('payments-api', 'api'));
    await create(PLURALS.VulnerabilityManifestSummary, summary('payments-api', 'removed-sidecar'));
    await create(PLURALS.VulnerabilityManifestSummary, summary('deleted-app', 'api'));
    await create(PLURALS.SBOMSPDXv2p3, sbom('payments-api-running', PAYMENTS));
    await create(PLURALS.SBOMSPDXv2p3, sbom('retired-image', GONE));
    const unkeyed = sbom('unkeyed', GONE);
    unkeyed.metadata.annotations = {};
    await create(PLURALS.SBOMSPDXv2p3, unkeyed);

    const emitted: CatalogEvent[] = [];
    const fn = createScheduleFunction({
      config: loadScheduleConfig({ KSCAPE_IMAGE_GC_GRACE: '0s', KSCAPE_NAKED_POD_GUARD: '0s' }),
      store,
      listPods: pods,
      collector: kubeResultCollector(sb.http),
    });
    await fn.handle(ping('p1'), ctx(emitted));

    expect(emitted.some((e) => e.type === EVENT_TYPES.vulnScanRequested && e.subject === PAYMENTS)).toBe(
      true,
    );
    expect(await names(PLURALS.VulnerabilityManifestSummary)).toEqual(['deployment-payments-api-api']);
    expect(await names(PLURALS.SBOMSPDXv2p3)).toEqual(['payments-api-running', 'unkeyed']);
    // Running images are recorded as seen; collected ones are forgotten.
    expect((await store.lastSeen([PAYMENTS, GONE])).has(PAYMENTS)).toBe(true);
    expect((await store.lastSeen([GONE])).size).toBe(0);
  });

  it('keeps an image within the grace period, counted from when it was last seen running', async () => {
    await create(PLURALS.SBOMSPDXv2p3, sbom('recently-retired', GONE));
    await store.markSeen([GONE], new Date(Date.now() - 60_000));
    const fn = createScheduleFunction({
      config: loadScheduleConfig({ KSCAPE_IMAGE_GC_GRACE: '1h' }),
      store,
      listPods: pods,
      collector: kubeResultCollector(sb.http),
    });
    await fn.handle(ping('p2'), ctx([]));
    expect(await names(PLURALS.SBOMSPDXv2p3)).toEqual(['recently-retired']);
  });

  it('a result rewritten after it was listed is not deleted (uid + resourceVersion preconditions)', async () => {
    const created = (await create(PLURALS.SBOMSPDXv2p3, sbom('rewritten', GONE))) as {
      metadata: { uid: string; resourceVersion: string };
    };
    const collector = kubeResultCollector(sb.http);
    const listed = [];
    for await (const r of collector.listResults()) listed.push(r);
    const stale = listed.find((r) => r.name === 'rewritten')!;
    expect(stale.resourceVersion).toBe(created.metadata.resourceVersion);
    await kubeJson(sb.http, 'PATCH', `${base}/namespaces/kubescape/${PLURALS.SBOMSPDXv2p3}/rewritten`, {
      body: { metadata: { labels: { touched: 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(await collector.delete(stale)).toBe('changed');
    expect(await names(PLURALS.SBOMSPDXv2p3)).toEqual(['rewritten']);
    expect(await collector.delete({ ...stale, name: 'never-existed' })).toBe('gone');
    expect(API_VERSION).toContain(GROUP);
  });
});

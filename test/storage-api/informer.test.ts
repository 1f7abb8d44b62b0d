/**
 * A @kubernetes/client-node informer (list + watch with resourceVersion resume) sees every change
 * exactly once and in order, across a server restart on the same database; and a write on one
 * server reaches a watch on another server sharing the database (cross-replica fan-out).
 */
import { CustomObjectsApi, KubeConfig, makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, forEachDriver, type CreatedTestDatabase } from '../../lib/db/testing.js';
import { GROUP, nsPath, req, startTestServer, until, wcss, type TestServer } from './helpers.js';

/** PGlite start-up plus migrations can take a minute on a loaded two-core CI machine. */
const HOOK_TIMEOUT = 180_000;

const WCSS = 'workloadconfigurationscansummaries';

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: url, skipTLSVerify: true }],
    users: [{ name: 't' }],
    contexts: [{ name: 't', cluster: 't', user: 't' }],
    currentContext: 't',
  });
  return kc;
}

forEachDriver('client-node informer and replicas', (driver) => {
  let tdb: CreatedTestDatabase;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    tdb = await createTestDatabase(driver);
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => undefined);
    await tdb?.drop();
  }, HOOK_TIMEOUT);

  /** Two servers on the test database, each with its own handle (as two processes would have). */
  async function withTwoServers(fn: (x: TestServer, y: TestServer) => Promise<void>): Promise<void> {
    const db2 = await tdb.open();
    const x = await startTestServer(tdb.db);
    const y = await startTestServer(db2);
    servers.push(x, y);
    try {
      await fn(x, y);
    } finally {
      await x.close();
      await y.close();
      await db2.close();
    }
  }

  it('informer: every change exactly once, in order, across a restart', async () => {
    let a = await startTestServer(tdb.db);
    servers.push(a);
    const port = a.api.port;
    const kc = kubeConfigFor(a.url);
    const api = kc.makeApiClient(CustomObjectsApi);
    const ns = 'inf';
    const informer = makeInformer<KubernetesObject>(
      kc,
      `/apis/${GROUP}/v1beta1/namespaces/${ns}/${WCSS}`,
      () =>
        api.listNamespacedCustomObject({
          group: GROUP,
          version: 'v1beta1',
          namespace: ns,
          plural: WCSS,
        }) as never,
    );
    const seen: string[] = [];
    const rvs: number[] = [];
    const record = (type: string) => (o: KubernetesObject) => {
      seen.push(
        `${type} ${o.metadata?.name} ${String((o as { spec?: { severities?: { high?: number } } }).spec?.severities?.high)}`,
      );
      rvs.push(Number(o.metadata?.resourceVersion));
    };
    informer.on('add', record('add'));
    informer.on('update', record('update'));
    informer.on('delete', record('delete'));
    let connected = true;
    informer.on('error', () => {
      connected = false;
    });
    await informer.start();
    const write = async (s: TestServer, method: string, name: string, high?: number): Promise<void> => {
      const path = method === 'POST' ? nsPath(ns, WCSS) : nsPath(ns, WCSS, name);
      const body =
        method === 'POST'
          ? wcss(name, ns, {}, high)
          : method === 'PATCH'
            ? { spec: { severities: { high } } }
            : undefined;
      const r = await req(
        s,
        method,
        path,
        body,
        method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {},
      );
      expect(r.status, r.text).toBeLessThan(300);
    };
    await write(a, 'POST', 'a', 1);
    await write(a, 'POST', 'b', 1);
    await write(a, 'PATCH', 'a', 2);
    await write(a, 'DELETE', 'b');
    await until(() => seen.length >= 4 || undefined, 15_000, 'first four events');

    // Restart: the server goes away; meanwhile another server on the same database takes writes.
    await a.close();
    const other = await startTestServer(tdb.db);
    servers.push(other);
    await write(other, 'POST', 'c', 1);
    await write(other, 'PATCH', 'a', 3);
    await other.close();
    a = await startTestServer(tdb.db, { port });
    servers.push(a);
    // client-node stops on a connection error; restart it as an operator would, it resumes from its RV.
    await until(
      async () => {
        if (!connected) {
          connected = true;
          await informer.start().catch(() => undefined);
        }
        return seen.length >= 6 || undefined;
      },
      20_000,
      'events written while disconnected',
    );
    await write(a, 'PATCH', 'c', 5);
    await write(a, 'DELETE', 'a');
    await until(() => seen.length >= 8 || undefined, 15_000, 'events after restart');
    await new Promise((r) => setTimeout(r, 500)); // any duplicate would arrive now
    await informer.stop();
    expect(seen).toEqual([
      'add a 1',
      'add b 1',
      'update a 2',
      'delete b 1',
      'add c 1',
      'update a 3',
      'update c 5',
      'delete a 3',
    ]);
    // strictly increasing resourceVersions (the DELETED event carries the deletion's RV)
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]!).toBeGreaterThan(rvs[i - 1]!);
    await a.close();
  });

  it('two servers on one database: 20 concurrent read-modify-write writers over HTTP lose no update; conflicts are 409 and retries succeed', async () => {
    await withTwoServers(async (x, y) => {
      const path = nsPath('rmw', WCSS, 'counter');
      expect((await req(x, 'POST', nsPath('rmw', WCSS), wcss('counter', 'rmw', {}, 0))).status).toBe(201);
      const WRITERS = 20;
      const EACH = 5;
      let conflicts = 0;
      // Each writer alternates between the two servers; the counter is spec.severities.high.
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          for (let k = 0; k < EACH; k++) {
            for (let attempt = 0; ; attempt++) {
              const server = (w + k + attempt) % 2 === 0 ? x : y;
              const cur = (await req(server, 'GET', path)).json() as {
                spec: { severities: { high: number } };
              };
              cur.spec.severities.high += 1;
              const put = await req(server, 'PUT', path, cur);
              if (put.status === 200) break;
              expect(put.status).toBe(409);
              expect(put.json()).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
              conflicts++;
              if (attempt > 500) throw new Error('writer starved');
            }
          }
        }),
      );
      for (const s of [x, y]) {
        const final = (await req(s, 'GET', path)).json() as { spec: { severities: { high: number } } };
        expect(final.spec.severities.high).toBe(WRITERS * EACH);
      }
      // 20 writers that read the same version before writing: conflicts cannot all be avoided.
      expect(conflicts).toBeGreaterThan(0);
    });
  });

  it('two servers on one database: a write on one reaches a watch on the other', async () => {
    await withTwoServers(async (x, y) => {
      const ac = new AbortController();
      const r = await fetch(`${y.url}${nsPath('repl', WCSS)}?watch=1&resourceVersion=0`, {
        signal: ac.signal,
      });
      const reader = r.body!.getReader();
      const created = await req(x, 'POST', nsPath('repl', WCSS), wcss('r1', 'repl'));
      expect(created.status).toBe(201);
      let text = '';
      const dec = new TextDecoder();
      await until(
        async () => {
          const { value, done } = await reader.read();
          if (value) text += dec.decode(value, { stream: true });
          return text.includes('"name":"r1"') || done || undefined;
        },
        15_000,
        'cross-server event',
      );
      const ev = JSON.parse(text.split('\n')[0]!) as {
        type: string;
        object: { metadata: { name: string; resourceVersion: string } };
      };
      expect(ev.type).toBe('ADDED');
      expect(ev.object.metadata.resourceVersion).toBe(
        (created.json().metadata as { resourceVersion: string }).resourceVersion,
      );
      ac.abort();
    });
  });
});

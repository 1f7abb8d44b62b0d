/**
 * The control function: the provider's door into the operator. Plain HTTP (hono), not a
 * CloudEvents consumer:
 *
 *   POST /v1/commands        Standard Webhooks signed `{"command": NAME, ...params}` → 202 {id, status}
 *   GET  /v1/commands/{id}   signed the same way (empty body) → the audit record
 *   POST /v1/triggerAction   Kubescape operator API, bearer token KSCAPE_OPERATOR_API_TOKEN (unset → 404)
 *
 * Order of checks on a command: size (413, Content-Length first, then while streaming), signature
 * and timestamp window (401), replayed webhook-id (409), JSON (400), allow-list and schema (400).
 * Nothing is emitted unless every check passed. Every 4xx is an RFC 9457 problem.
 */
import type { IncomingMessage } from 'node:http';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { buildEvent, EVENT_TYPES, type CatalogEvent, type WorkloadContainer } from '../../lib/events/index.js';
import { logger, type Logger } from '../../lib/log/index.js';
import { verify, WebhookVerificationError, DEFAULT_TOLERANCE_SECONDS } from '../../lib/webhooks/index.js';
import { declaredLength, readNodeBody, readWebBody } from '../runtime/body.js';
import { PROBLEM_CONTENT_TYPE } from '../runtime/problem.js';
import { mapTriggerCommand, parseCommand, type Issue, type ParsedCommand } from './commands.js';
import type { ControlKube } from './kube.js';
import type { CommandRecord, ControlStore } from './store/index.js';

export const CONTROL_SOURCE = '/kscape/control';

/** Where request events go (SinkClient satisfies it). */
export interface EventSink {
  send(ev: CatalogEvent, attrs: Readonly<Record<string, string | undefined>>): Promise<void>;
}

export interface ControlAppOptions {
  /** Decoded Standard Webhooks secrets (parseSecrets(KSCAPE_PROVIDER_SECRET)). */
  secrets: readonly Buffer[];
  /** KSCAPE_OPERATOR_API_TOKEN; undefined disables /v1/triggerAction. */
  operatorToken?: string | undefined;
  namespace: string;
  maxBodyBytes?: number;
  toleranceSeconds?: number;
  store: ControlStore;
  sink: EventSink;
  kube: ControlKube;
  now?: () => Date;
  log?: Logger;
  /** Readiness beyond "listening" (database reachable). */
  ready?: () => Promise<void>;
}

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Issue[];
  [k: string]: unknown;
}

const TITLES: Record<string, string> = {
  unauthorized: 'The request is not authenticated',
  replayed: 'This webhook-id was already used',
  'payload-too-large': 'The request body is too large',
  'malformed-json': 'The body is not valid JSON',
  'unknown-command': 'Unknown command',
  'invalid-params': 'Invalid command parameters',
  'unsupported-command': 'Unsupported command',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  'bad-gateway': 'A dependency failed; the command was not executed completely',
  internal: 'Internal error',
  'not-ready': 'Not ready',
};

export function problemJson(kind: string, status: number, detail?: string, extra: Partial<ProblemBody> = {}, headers: Record<string, string> = {}): Response {
  const body: ProblemBody = {
    type: `urn:kscape:problem:${kind}`,
    title: TITLES[kind] ?? kind,
    status,
    ...(detail !== undefined ? { detail: detail.slice(0, 2048) } : {}),
    ...extra,
  };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers } });
}

type Bindings = { Bindings: Partial<HttpBindings> };

class Rejection {
  constructor(readonly response: Response) {}
}

export function createControlApp(opts: ControlAppOptions): Hono<Bindings> {
  const log = opts.log ?? logger('control');
  const now = opts.now ?? (() => new Date());
  const limit = opts.maxBodyBytes ?? 65_536;
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const tokenHash = opts.operatorToken ? createHash('sha256').update(opts.operatorToken).digest() : undefined;
  const app = new Hono<Bindings>();
  let lastCleanup = 0;

  const readBody = async (c: Context<Bindings>): Promise<Buffer> => {
    const cl = declaredLength(c.req.header('content-length'));
    if (cl !== undefined && cl > limit) throw new Rejection(tooLarge());
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming as IncomingMessage | undefined;
    const body = incoming ? await readNodeBody(incoming, limit) : await readWebBody(c.req.raw, limit);
    if (!body.ok) {
      if (body.reason === 'too-large') throw new Rejection(tooLarge());
      throw new Rejection(problemJson('malformed-json', 400, 'the request body was not received completely'));
    }
    return body.body;
  };
  const tooLarge = (): Response => problemJson('payload-too-large', 413, `the body exceeds ${limit} bytes`, {}, { connection: 'close' });

  /** Signature, window and replay; returns the webhook-id. */
  const authenticate = async (c: Context<Bindings>, body: Buffer): Promise<string> => {
    const t = now();
    let id: string;
    try {
      if (opts.secrets.length === 0) throw new WebhookVerificationError('no-matching-signature', 'no provider secret is configured (KSCAPE_PROVIDER_SECRET)');
      id = verify(c.req.raw.headers, body, opts.secrets, { toleranceSeconds: tolerance, now: t }).id;
    } catch (e) {
      if (!(e instanceof WebhookVerificationError)) throw e;
      log.warn({ code: e.code, path: c.req.path }, `unauthenticated request rejected: ${e.message}`);
      throw new Rejection(problemJson('unauthorized', 401, e.message, { code: e.code }, { 'www-authenticate': 'Standard-Webhooks' }));
    }
    if (id.length > 256) throw new Rejection(problemJson('unauthorized', 401, 'webhook-id is too long'));
    // The id is remembered for twice the tolerance: a timestamp at the future edge stays valid that long.
    const fresh = await opts.store.claimWebhookId(id, new Date(t.getTime() + 2 * tolerance * 1000), t);
    if (!fresh) {
      log.warn({ webhookId: id }, 'replayed webhook-id rejected');
      throw new Rejection(problemJson('replayed', 409, `webhook-id ${JSON.stringify(id)} was already used`));
    }
    if (t.getTime() - lastCleanup > 60_000) {
      lastCleanup = t.getTime();
      void opts.store.cleanupReplay(t).catch((e: unknown) => log.warn({ err: e }, 'replay cleanup failed'));
    }
    return id;
  };

  const parseJson = (body: Buffer): unknown => {
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch (e) {
      throw new Rejection(problemJson('malformed-json', 400, e instanceof Error ? e.message : 'invalid JSON'));
    }
  };

  const audit = async (rec: CommandRecord): Promise<void> => {
    try {
      await opts.store.record(rec);
    } catch (e) {
      log.error({ err: e, commandId: rec.id }, 'could not record the command for audit');
      throw e;
    }
  };

  const eventsFor = (id: string, cmd: ParsedCommand): CatalogEvent[] => {
    const o = { source: CONTROL_SOURCE, subject: id };
    switch (cmd.command) {
      case 'configscan': {
        const p = cmd.params;
        const scope = {
          ...(p.namespaces ? { namespaces: p.namespaces } : {}),
          ...(p.excludeNamespaces ? { excludeNamespaces: p.excludeNamespaces } : {}),
        };
        return [
          buildEvent(
            EVENT_TYPES.configScanRequested,
            {
              scanId: id,
              scope,
              ...(p.frameworks ? { frameworks: p.frameworks } : {}),
              ...(p.controls ? { controls: p.controls } : {}),
              reason: 'provider command',
            },
            o,
          ),
        ];
      }
      case 'vulnscan': {
        const byImage = new Map<string, WorkloadContainer[]>();
        for (const img of cmd.params.images ?? []) if (!byImage.has(img)) byImage.set(img, []);
        for (const w of cmd.params.workloads ?? []) {
          const list = byImage.get(w.image) ?? [];
          list.push({ apiVersion: w.apiVersion, kind: w.kind, namespace: w.namespace, name: w.name, container: w.container, containerType: 'containers' });
          byImage.set(w.image, list);
        }
        return [...byImage].map(([image, workloads]) =>
          buildEvent(EVENT_TYPES.vulnScanRequested, { image, workloads, reason: 'provider command' }, o),
        );
      }
      case 'vulndb-update':
        return [buildEvent(EVENT_TYPES.vulnDbUpdateRequested, cmd.params.sources ? { sources: cmd.params.sources } : {}, o)];
      default:
        return [];
    }
  };

  /** Run a validated command: cluster change or events. Returns emitted event ids. */
  const execute = async (id: string, cmd: ParsedCommand): Promise<string[]> => {
    if (cmd.command === 'set-schedule') {
      await opts.kube.setPingSchedule(opts.namespace, cmd.params.pingSource, cmd.params.schedule);
      return [];
    }
    if (cmd.command === 'set-exceptions') {
      await opts.kube.setExceptions(opts.namespace, cmd.params.exceptions);
      return [];
    }
    // Build every event first: a build failure means nothing was sent.
    const events = eventsFor(id, cmd);
    const sent: string[] = [];
    for (const ev of events) {
      await opts.sink.send(ev, {});
      sent.push(ev.id);
    }
    return sent;
  };

  interface Pending {
    id: string;
    body: unknown;
    cmd?: ParsedCommand;
  }

  /** Validate all, then execute all; records every command. */
  const run = async (items: Pending[], webhookId: string | null, via: string): Promise<Response | { ids: string[] }> => {
    const receivedAt = now();
    const paramsOf = (b: unknown): unknown => {
      if (typeof b !== 'object' || b === null || Array.isArray(b)) return b;
      const { command: _c, ...rest } = b as Record<string, unknown>;
      void _c;
      return rest;
    };
    const cmdOf = (b: unknown): string | null => {
      const v = (b as Record<string, unknown> | null)?.command;
      return typeof v === 'string' ? v.slice(0, 128) : null;
    };
    const failures: { item: Pending; kind: 'unknown-command' | 'invalid-params'; detail: string; issues: Issue[] }[] = [];
    for (const it of items) {
      const r = parseCommand(it.body);
      if (r.ok) it.cmd = r.cmd;
      else failures.push({ item: it, kind: r.kind, detail: r.detail, issues: r.issues });
    }
    if (failures.length) {
      for (const it of items) {
        const f = failures.find((x) => x.item === it);
        await audit({
          id: it.id,
          receivedAt,
          command: cmdOf(it.body),
          params: paramsOf(it.body),
          status: 'rejected',
          reason: f ? `${f.kind}: ${f.detail}${f.issues.length ? ` (${f.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : ''}` : 'another command in the request was rejected',
          emittedEventIds: [],
          webhookId,
          via,
        });
      }
      const f = failures[0]!;
      const prefix = items.length > 1 ? `commands[${items.indexOf(f.item)}]: ` : '';
      return problemJson(f.kind, 400, prefix + f.detail, {
        errors: failures.flatMap((x) => x.issues.map((i) => ({ path: (items.length > 1 ? `commands[${items.indexOf(x.item)}].` : '') + i.path, message: i.message }))),
        ids: items.map((i) => i.id),
      });
    }
    for (const it of items) {
      const cmd = it.cmd!;
      let emitted: string[] = [];
      try {
        emitted = await execute(it.id, cmd);
      } catch (e) {
        log.error({ err: e, commandId: it.id, command: cmd.command }, 'command failed');
        await audit({ id: it.id, receivedAt, command: cmd.command, params: cmd.params, status: 'failed', reason: e instanceof Error ? e.message.slice(0, 512) : 'failed', emittedEventIds: emitted, webhookId, via });
        return problemJson('bad-gateway', 502, `command ${cmd.command} (${it.id}) could not be executed; details are in the logs`, { id: it.id });
      }
      await audit({ id: it.id, receivedAt, command: cmd.command, params: cmd.params, status: 'accepted', reason: null, emittedEventIds: emitted, webhookId, via });
      log.info({ commandId: it.id, command: cmd.command, events: emitted.length, via }, 'command accepted');
    }
    return { ids: items.map((i) => i.id) };
  };

  const guard = async (f: () => Promise<Response>): Promise<Response> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof Rejection) return e.response;
      throw e;
    }
  };

  app.post('/v1/commands', (c) =>
    guard(async () => {
      const body = await readBody(c);
      const webhookId = await authenticate(c, body);
      const json = parseJson(body);
      const id = randomUUID();
      const r = await run([{ id, body: json }], webhookId, 'commands');
      if (r instanceof Response) return r;
      return c.json({ id, status: 'accepted' }, 202);
    }),
  );

  app.get('/v1/commands/:id', (c) =>
    guard(async () => {
      const body = await readBody(c);
      await authenticate(c, body);
      const rec = await opts.store.get(c.req.param('id'));
      if (!rec) return problemJson('not-found', 404, 'no such command');
      return c.json({
        id: rec.id,
        receivedAt: rec.receivedAt.toISOString(),
        command: rec.command,
        params: rec.params,
        status: rec.status,
        reason: rec.reason,
        emittedEventIds: rec.emittedEventIds,
      });
    }),
  );

  app.post('/v1/triggerAction', (c) =>
    guard(async () => {
      if (!tokenHash) return problemJson('not-found', 404, 'the operator API is disabled (KSCAPE_OPERATOR_API_TOKEN is not set)');
      const auth = c.req.header('authorization') ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      // Compare hashes: equal length whatever the caller sent, constant time.
      const given = createHash('sha256').update(m?.[1] ?? '').digest();
      if (!m || !timingSafeEqual(given, tokenHash)) {
        log.warn('operator API request with a wrong or missing bearer token');
        return problemJson('unauthorized', 401, 'a valid bearer token is required', {}, { 'www-authenticate': 'Bearer' });
      }
      const body = await readBody(c);
      const json = parseJson(body);
      const list = (json as { commands?: unknown } | null)?.commands;
      if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
        return problemJson('invalid-params', 400, 'expected {"commands": [ ... ]} with 1 to 100 commands');
      }
      const items: Pending[] = [];
      for (const [i, raw] of list.entries()) {
        const m2 = mapTriggerCommand(raw);
        if (!m2.ok) {
          const id = randomUUID();
          await audit({ id, receivedAt: now(), command: null, params: raw, status: 'rejected', reason: m2.detail, emittedEventIds: [], webhookId: null, via: 'triggerAction' });
          return problemJson('unsupported-command', 400, `commands[${i}]: ${m2.detail}`, { id });
        }
        items.push({ id: randomUUID(), body: m2.body });
      }
      const r = await run(items, null, 'triggerAction');
      if (r instanceof Response) return r;
      return c.json({ ids: r.ids, status: 'accepted' }, 202);
    }),
  );

  const text = (s: string, status = 200): Response => new Response(s, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  app.get('/health/liveness', () => text('ok'));
  app.get('/health/readiness', async () => {
    try {
      await opts.ready?.();
      return text('ok');
    } catch (e) {
      log.warn({ err: e }, 'not ready');
      return problemJson('not-ready', 503, 'a dependency is not ready; details are in the logs');
    }
  });
  const notAllowed = (allow: string) => (): Response => problemJson('method-not-allowed', 405, `use ${allow}`, {}, { allow });
  app.all('/v1/commands', notAllowed('POST'));
  app.all('/v1/commands/:id', notAllowed('GET'));
  app.all('/v1/triggerAction', notAllowed('POST'));
  app.notFound((c) => problemJson('not-found', 404, `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err) => {
    log.error({ err }, 'unexpected error in control');
    return problemJson('internal', 500, 'control failed unexpectedly; details are in its logs');
  });
  return app;
}

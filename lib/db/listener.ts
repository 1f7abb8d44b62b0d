/**
 * LISTEN multiplexer for the `pg` driver: ONE dedicated connection per Database carries every
 * LISTEN of the process (a pooled connection cannot be used: LISTEN is session state and the pool
 * hands sessions to other queries). When that connection drops, notifications sent meanwhile are
 * lost for good, so after reconnecting (with capped, jittered exponential backoff) and re-issuing
 * every LISTEN we call each subscriber's `onResync` so it can catch up by reading its source of truth.
 */
import pg from 'pg';
import type { Logger } from '../log/index.js';

export type NotificationHandler = (payload: string) => void;

interface Subscription {
  onPayload: NotificationHandler;
  onResync?: () => void;
}

export interface PgListenerOptions {
  clientConfig: pg.ClientConfig;
  log: Logger;
  /** First reconnect delay; doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly subs = new Map<string, Set<Subscription>>();
  private closed = false;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** True once a connection was lost: the next successful connect must trigger resyncs. */
  private lostConnection = false;

  constructor(private readonly opts: PgListenerOptions) {
    this.backoff = opts.minBackoffMs ?? 100;
  }

  async listen(channel: string, onPayload: NotificationHandler, onResync?: () => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('listener closed');
    const sub: Subscription = { onPayload, ...(onResync ? { onResync } : {}) };
    let set = this.subs.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.subs.set(channel, set);
    }
    set.add(sub);
    if (first) {
      try {
        const c = await this.ensureConnected();
        await c.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (e) {
        // The subscription stays registered: the reconnect loop re-issues LISTEN and then calls
        // onResync, so a caller that started while the database was down still converges.
        this.opts.log.warn({ err: e, channel }, 'LISTEN failed; will retry on reconnect');
        this.scheduleReconnect();
      }
    }
    return async () => {
      const s = this.subs.get(channel);
      if (!s) return;
      s.delete(sub);
      if (s.size === 0) {
        this.subs.delete(channel);
        if (this.client && !this.closed) await this.client.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
      }
    };
  }

  private ensureConnected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({ ...this.opts.clientConfig, application_name: 'kscape-listen' });
    c.on('notification', (msg) => {
      const set = this.subs.get(msg.channel);
      if (!set) return;
      for (const s of set) {
        try {
          s.onPayload(msg.payload ?? '');
        } catch (e) {
          this.opts.log.error({ err: e, channel: msg.channel }, 'notification handler threw');
        }
      }
    });
    const lost = (err?: Error): void => {
      if (this.client !== c) return;
      this.client = undefined;
      if (this.closed) return;
      this.lostConnection = true;
      this.opts.log.warn({ err }, 'LISTEN connection lost; reconnecting');
      this.scheduleReconnect();
    };
    c.on('error', (err) => lost(err));
    c.on('end', () => lost());
    try {
      await c.connect();
    } catch (e) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await c.end().catch(() => undefined);
      throw new Error('listener closed');
    }
    this.client = c;
    return c;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const max = this.opts.maxBackoffMs ?? 5_000;
    // Full jitter keeps a fleet of replicas from reconnecting in lock-step after a failover.
    const delay = Math.round(this.backoff / 2 + Math.random() * (this.backoff / 2));
    this.backoff = Math.min(this.backoff * 2, max);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    try {
      const c = await this.ensureConnected();
      for (const channel of this.subs.keys()) await c.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (e) {
      this.opts.log.warn({ err: e }, 'LISTEN reconnect failed');
      this.scheduleReconnect();
      return;
    }
    this.backoff = this.opts.minBackoffMs ?? 100;
    this.opts.log.info({ channels: [...this.subs.keys()] }, 'LISTEN connection re-established');
    // Also resync after the very first failure to LISTEN: notifications before it were never seen.
    this.lostConnection = false;
    for (const set of this.subs.values())
      for (const s of set) {
        try {
          s.onResync?.();
        } catch (e) {
          this.opts.log.error({ err: e }, 'resync handler threw');
        }
      }
  }

  /** Test hook: drop the connection as a network failure or server restart would. */
  async simulateDisconnect(): Promise<void> {
    const c = this.client;
    if (!c) return;
    // Terminating from the server side exercises the same 'error'/'end' path as a real outage.
    const pid = (c as unknown as { processID?: number }).processID;
    if (pid !== undefined) {
      const killer = new pg.Client(this.opts.clientConfig);
      await killer.connect();
      try {
        await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      } finally {
        await killer.end();
      }
    } else {
      c.emit('error', new Error('simulated disconnect'));
    }
  }

  get wasDisconnected(): boolean {
    return this.lostConnection;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = undefined;
    this.subs.clear();
    if (c) await c.end().catch(() => undefined);
  }
}

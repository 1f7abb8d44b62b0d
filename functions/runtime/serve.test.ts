import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../lib/events/index.js';
import { serveFunction } from './serve.js';
import type { FunctionDefinition } from './types.js';
import { binaryHeaders, captureLogs } from './__fixtures__/helpers.js';

const REQ = EVENT_TYPES.configScanRequested;

/** A function whose handler waits until the test releases it. */
function slowFunction() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const order: string[] = [];
  let aborted = false;
  const def: FunctionDefinition = {
    name: 'scan',
    consumes: [REQ],
    handle: async (_e, ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      started();
      await released;
      order.push('handled');
      return undefined;
    },
    close: async () => {
      order.push('closed');
    },
  };
  return { def, release, started: startedP, order, wasAborted: () => aborted };
}

/** POST one event on a fresh connection (no keep-alive agent), resolving with the status. */
function post(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: binaryHeaders(REQ), agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('graceful shutdown', () => {
  it('close() refuses new connections, lets the in-flight request finish with 2xx, then closes the function', async () => {
    captureLogs();
    const f = slowFunction();
    const served = await serveFunction(f.def, { port: 0, host: '127.0.0.1', env: {}, config: { KSCAPE_SHUTDOWN_TIMEOUT: 10_000 } });
    const inflight = post(served.port);
    await f.started;
    const closing = served.close();
    // New connections are refused while the old request is still running.
    await expect(post(served.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(f.order).toEqual([]);
    f.release();
    expect(await inflight).toBe(202);
    await closing;
    expect(f.order).toEqual(['handled', 'closed']);
    expect(f.wasAborted()).toBe(false);
  });

  it('SIGTERM triggers the same drain', async () => {
    captureLogs();
    const f = slowFunction();
    const served = await serveFunction(f.def, {
      port: 0,
      host: '127.0.0.1',
      env: {},
      config: { KSCAPE_SHUTDOWN_TIMEOUT: 10_000 },
      handleSignals: { signals: ['SIGTERM'], exit: false },
    });
    const inflight = post(served.port);
    await f.started;
    process.kill(process.pid, 'SIGTERM');
    // Wait until the server has stopped listening.
    for (let i = 0; i < 200 && served.server.listening; i++) await new Promise((r) => setTimeout(r, 10));
    expect(served.server.listening).toBe(false);
    await expect(post(served.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    f.release();
    expect(await inflight).toBe(202);
    await served.close(); // same promise as the signal's shutdown
    expect(f.order).toEqual(['handled', 'closed']);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('aborts handlers that outlive KSCAPE_SHUTDOWN_TIMEOUT and answers 503', async () => {
    captureLogs();
    const f = slowFunction();
    const stubborn: FunctionDefinition = {
      ...f.def,
      handle: async (e, ctx) => {
        void f.def.handle(e, ctx);
        // Only the abort signal ends this handler.
        await new Promise<void>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
        return undefined;
      },
    };
    const served = await serveFunction(stubborn, { port: 0, host: '127.0.0.1', env: {}, config: { KSCAPE_SHUTDOWN_TIMEOUT: 100 } });
    const inflight = post(served.port);
    await f.started;
    await served.close();
    expect(await inflight).toBe(503);
    expect(f.wasAborted()).toBe(true);
    expect(f.order).toEqual(['closed']);
    f.release();
  });

  it('answers 503 at the shutdown deadline even when the handler ignores its signal', async () => {
    captureLogs();
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const deaf: FunctionDefinition = {
      name: 'scan',
      consumes: [REQ],
      handle: () => {
        started();
        return new Promise(() => undefined); // never settles
      },
    };
    const served = await serveFunction(deaf, { port: 0, host: '127.0.0.1', env: {}, config: { KSCAPE_SHUTDOWN_TIMEOUT: 100 } });
    const inflight = post(served.port);
    await startedP;
    await served.close();
    expect(await inflight).toBe(503);
  });

  it('fails clearly when the port is taken', async () => {
    captureLogs();
    const f = slowFunction();
    const a = await serveFunction(f.def, { port: 0, host: '127.0.0.1', env: {} });
    try {
      await expect(serveFunction(f.def, { port: a.port, host: '127.0.0.1', env: {} })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await a.close();
    }
  });
});

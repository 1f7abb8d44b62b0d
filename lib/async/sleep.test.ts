import { describe, expect, it } from 'vitest';
import { abortableSleep } from './sleep.js';

describe('abortableSleep', () => {
  it('resolves after the delay and leaves no listener behind', async () => {
    const ctl = new AbortController();
    await abortableSleep(5, ctl.signal);
    let calls = 0;
    ctl.signal.addEventListener('abort', () => calls++);
    ctl.abort(new Error('later'));
    expect(calls).toBe(1);
  });

  it('rejects at once with the signal reason, or with the given error', async () => {
    const ctl = new AbortController();
    const t0 = Date.now();
    const p = abortableSleep(60_000, ctl.signal);
    ctl.abort(new Error('shutting down'));
    await expect(p).rejects.toThrow('shutting down');
    expect(Date.now() - t0).toBeLessThan(30_000);
    await expect(abortableSleep(10, ctl.signal, () => new TypeError('closed'))).rejects.toBeInstanceOf(
      TypeError,
    );
  });

  it('works without a signal', async () => {
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });
});

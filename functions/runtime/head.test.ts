import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../lib/events/index.js';
import { createFunctionApp } from './host.js';
import { captureLogs } from './__fixtures__/helpers.js';

describe('probes', () => {
  it('answer HEAD like GET, without a body', async () => {
    captureLogs();
    const app = createFunctionApp({ name: 'scan', consumes: [EVENT_TYPES.configScanRequested], handle: async () => undefined }, { env: {} });
    for (const path of ['/health/readiness', '/health/liveness']) {
      const res = await app.fetch(new Request(`http://x${path}`, { method: 'HEAD' }));
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe('');
    }
  });
});

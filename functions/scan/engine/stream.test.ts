/**
 * scanResources options that change how results leave the engine, not what they are: streaming
 * (`onResult`) hands over exactly the held report's results; `only` evaluates a subset with the
 * whole input as context.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../storage-api/registry/manifests.js';
import { scanResources, type ReportResult } from '../report.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'examples', 'cluster');
const objects = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8'), f));
const now = new Date('2026-01-01T00:00:00Z');
const byId = (rs: readonly ReportResult[]) =>
  [...rs].sort((a, b) => (a.resourceID < b.resourceID ? -1 : a.resourceID > b.resourceID ? 1 : 0));

describe('scanResources result delivery', () => {
  it('onResult streams exactly the held results (ServiceAccounts merged with their subject)', () => {
    const held = scanResources(objects, { now });
    const streamed: ReportResult[] = [];
    const report = scanResources(objects, { now, onResult: (r) => streamed.push(r) });
    expect(report.results).toEqual([]);
    expect(streamed.length).toBe(held.results.length);
    expect(new Set(streamed.map((r) => r.resourceID)).size).toBe(streamed.length); // one per resource
    expect(JSON.parse(JSON.stringify(byId(streamed)))).toEqual(
      JSON.parse(JSON.stringify(byId(held.results))),
    );
    expect(report.summaryDetails).toEqual(held.summaryDetails);
    // A ServiceAccount with bindings has its object controls and its subject controls in one result.
    const sa = streamed.find((r) => r.resourceID === '/v1/prod/ServiceAccount/payments-api');
    expect(sa?.controls.some((c) => c.controlID === 'C-0034')).toBe(true); // object control
    expect(sa?.controls.some((c) => c.controlID === 'C-0015')).toBe(true); // subject control
  });

  it('only evaluates the chosen resources, with the rest as context', () => {
    const all = scanResources(objects, { now });
    const report = scanResources(objects, {
      now,
      only: (r) => r.object.metadata.name === 'payments-api',
    });
    expect(report.evaluatedResources).toBeLessThan(all.evaluatedResources);
    expect(report.evaluatedResources).toBeGreaterThanOrEqual(2); // the Deployment and its ServiceAccount
    const ids = report.results.map((r) => r.resourceID);
    expect(ids).toContain('apps/v1/prod/Deployment/payments-api');
    for (const id of ids) expect(id.endsWith('/payments-api')).toBe(true);
    // Same verdicts as in the full scan: context (services, policies, RBAC) was all there.
    const full = all.results.find((r) => r.resourceID === 'apps/v1/prod/Deployment/payments-api');
    const part = report.results.find((r) => r.resourceID === 'apps/v1/prod/Deployment/payments-api');
    expect(part).toEqual(full);
  });
});

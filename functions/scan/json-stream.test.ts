/**
 * `kscape scan --format json` streams results through a spool file (json-stream.ts): its output
 * must be byte-identical to the held report pretty-printed, on stdout and with --output, including
 * the ServiceAccount results the engine hands over last (their held position is in the middle).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInputs, runScan, type CliIO } from './cli.js';
import { syntheticCluster } from './engine/synthetic-cluster.js';
import { JsonReportSpool } from './json-stream.js';
import { scanResources } from './report.js';

const root = resolve(import.meta.dirname, '..', '..');

function io(): CliIO & { out: string; chunks: number } {
  const o = {
    out: '',
    chunks: 0,
    stdout: {
      write: (s: string) => {
        o.chunks++;
        o.out += s;
      },
    },
    stderr: { write: () => true },
    readStdin: () => Promise.resolve(''),
    isTTY: false,
    env: {},
  };
  return o;
}

/** The held report as the CLI printed it before streaming, with the (clock-dependent) time blanked. */
async function held(paths: string[], opts: { control?: string[] } = {}): Promise<string> {
  const loaded = await loadInputs(paths, io());
  const report = scanResources(loaded.objects, opts.control ? { controls: opts.control } : {});
  return blankTime(`${JSON.stringify(report, null, 2)}\n`);
}

const blankTime = (s: string) => s.replace(/"generationTime": "[^"]*"/, '"generationTime": ""');

describe('kscape scan --format json (streamed)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kscape-json-stream-'));
    writeFileSync(
      join(dir, 'synthetic.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: syntheticCluster(300) }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('examples/cluster: byte-identical to the held report on stdout', async () => {
    const x = io();
    const paths = [join(root, 'examples', 'cluster')];
    await runScan(paths, { format: 'json' }, x);
    expect(blankTime(x.out)).toBe(await held(paths));
  });

  it('synthetic cluster (ServiceAccounts merged with subjects): byte-identical with --output, in chunks', async () => {
    const out = join(dir, 'report.json');
    const paths = [join(dir, 'synthetic.json')];
    await runScan(paths, { format: 'json', output: out }, io());
    const text = readFileSync(out, 'utf8');
    expect(blankTime(text)).toBe(await held(paths));
    const x = io();
    await runScan(paths, { format: 'json' }, x);
    expect(x.chunks).toBeGreaterThan(2); // head, results batches, tail: never one held string
    expect(blankTime(x.out)).toBe(blankTime(text));
  });

  it('a selection with no results prints "results": [] as the held report does', async () => {
    const x = io();
    const paths = [join(root, 'examples', 'cluster', '00-namespaces.yaml')];
    await runScan(paths, { format: 'json', control: ['C-0057'] }, x);
    expect(blankTime(x.out)).toBe(await held(paths, { control: ['C-0057'] }));
    expect(x.out).toContain('"results": []');
  });

  it('the spool refuses a report with a hole in the positions', async () => {
    const spool = new JsonReportSpool();
    try {
      spool.add({ resourceID: 'b', controls: [] }, 1);
      const report = scanResources([]);
      await expect(spool.writeTo(report, { write: () => true })).rejects.toThrow(/result 0 missing/);
    } finally {
      spool.close();
    }
  });
});

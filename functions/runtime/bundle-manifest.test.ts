import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUILD_INFO,
  BUNDLE_MANIFEST,
  buildInfoStamp,
  bundledFunction,
  type BundleManifest,
} from './bundle-manifest.js';

describe('bundledFunction: which code `kscape function <name>` runs', () => {
  let dir: string;
  let root: URL;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kscape-bundle-manifest-'));
    root = pathToFileURL(`${dir}/`);
    writeFileSync(join(dir, BUILD_INFO), '{"program":"one"}');
    const manifest: BundleManifest = {
      version: 1,
      source: buildInfoStamp(root)!,
      functions: { scan: 'scan/function.js' },
    };
    mkdirSync(join(dir, 'bundle'));
    const m = join(dir, BUNDLE_MANIFEST);
    writeFileSync(m, JSON.stringify(manifest));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses a current bundle', () => {
    expect(bundledFunction('scan', root, {})?.href).toBe(new URL('bundle/scan/function.js', root).href);
  });

  it('uses it when only the modification time changed (copied files), not when the build record did', () => {
    utimesSync(join(dir, BUILD_INFO), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(bundledFunction('scan', root, {})).toBeDefined();
    writeFileSync(join(dir, BUILD_INFO), '{"program":"two"}');
    expect(bundledFunction('scan', root, {})).toBeUndefined();
  });

  it('falls back to the compiled modules for a stale or missing build record, a function without bundle, or no manifest', () => {
    writeFileSync(join(dir, BUILD_INFO), '{"program":"one, rebuilt"}');
    expect(bundledFunction('scan', root, {})).toBeUndefined();
    rmSync(join(dir, BUILD_INFO));
    expect(bundledFunction('scan', root, {})).toBeUndefined();
    expect(bundledFunction('vuln', root, {})).toBeUndefined();
    expect(bundledFunction('toString', root, {})).toBeUndefined();
    rmSync(join(dir, BUNDLE_MANIFEST));
    expect(bundledFunction('scan', root, {})).toBeUndefined();
  });

  it('is skipped when OTEL_* turns telemetry on (instrumentation needs the real module graph) or KSCAPE_FUNCTION_BUNDLE=off', () => {
    expect(
      bundledFunction('scan', root, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toBeUndefined();
    expect(bundledFunction('scan', root, { OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
    expect(
      bundledFunction('scan', root, { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }),
    ).toBeDefined();
    expect(bundledFunction('scan', root, { KSCAPE_FUNCTION_BUNDLE: 'off' })).toBeUndefined();
  });
});

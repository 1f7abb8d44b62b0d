import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig } from '../../lib/config/env.js';
import { authConfigSpec, authOptionsFromEnv, resolveKubeConfig } from './config.js';

describe('auth configuration from the environment', () => {
  it('has safe defaults: delegated authz, 10 s caches, token auth on, ConfigMap lookup on', () => {
    const o = authOptionsFromEnv({});
    expect(o.authz).toEqual({ mode: 'delegated', allowTtlMs: 10_000, denyTtlMs: 10_000 });
    expect(o.token).toEqual({ enabled: true, audiences: [], ttlMs: 10_000, negativeTtlMs: 2_000 });
    expect(o.skipLookup).toBe(false);
    expect(o.refreshMs).toBe(300_000);
    expect(o.requestHeader).toEqual({});
    expect(o.tls.hosts).toContain('kscape-storage-api.kubescape.svc');
  });

  it('parses overrides, including an explicitly empty allowed-names list', () => {
    const o = authOptionsFromEnv({
      KSCAPE_STORAGE_REQUESTHEADER_CA_FILE: '/etc/front-proxy/ca.crt',
      KSCAPE_STORAGE_REQUESTHEADER_ALLOWED_NAMES: '[]',
      KSCAPE_STORAGE_REQUESTHEADER_GROUP_HEADERS: 'X-Remote-Group,X-Other-Group',
      KSCAPE_STORAGE_AUTHZ_MODE: 'always-allow',
      KSCAPE_STORAGE_AUTHZ_CACHE_TTL: '30s',
      KSCAPE_STORAGE_TOKEN_AUDIENCES: 'kscape,api',
    });
    expect(o.requestHeader).toEqual({
      caFile: '/etc/front-proxy/ca.crt',
      allowedNames: [],
      groupHeaders: ['X-Remote-Group', 'X-Other-Group'],
    });
    expect(o.authz.mode).toBe('always-allow');
    expect(o.authz.allowTtlMs).toBe(30_000);
    expect(o.token.audiences).toEqual(['kscape', 'api']);
  });

  it('reports bad values by variable name', () => {
    try {
      authOptionsFromEnv({ KSCAPE_STORAGE_AUTHZ_MODE: 'yolo', KSCAPE_STORAGE_REQUESTHEADER_ALLOWED_NAMES: '["a",' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const vars = (e as ConfigError).problems.map((p) => p.variable);
      expect(vars).toEqual(['KSCAPE_STORAGE_REQUESTHEADER_ALLOWED_NAMES', 'KSCAPE_STORAGE_AUTHZ_MODE']);
    }
  });

  it('documents every variable, and the README table is the generated one', async () => {
    const table = describeConfig(authConfigSpec);
    for (const name of Object.keys(authConfigSpec)) expect(table).toContain(name);
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8');
    expect(readme).toContain(table);
  });
});

describe('resolveKubeConfig', () => {
  it('never falls back to localhost:8080 when there is no kubeconfig', () => {
    expect(resolveKubeConfig(undefined, {}, '/nonexistent-home')).toBeUndefined();
  });

  it('uses $KUBECONFIG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kscape-kc-'));
    try {
      const file = join(dir, 'config');
      await writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
          'users: [{name: u, user: {token: t}}]',
          'contexts: [{name: x, context: {cluster: c, user: u}}]',
          'current-context: x',
        ].join('\n'),
      );
      const r = resolveKubeConfig(undefined, { KUBECONFIG: file }, '/nonexistent-home');
      expect(r?.kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

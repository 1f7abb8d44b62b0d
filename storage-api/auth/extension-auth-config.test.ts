import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyPairPem, createCA } from '../../test/support/pki.js';
import { extensionAuthConfigMap } from './__fixtures__/extension-apiserver-authentication.js';
import { startFakeApiServer } from './__fixtures__/fake-kube-apiserver.js';
import {
  type ConfigMapLike,
  ExtensionAuthConfigLoader,
  clientCAPems,
  configMapFetcher,
  parseExtensionAuthConfig,
  parseStringList,
} from './extension-auth-config.js';

let frontProxyCA: KeyPairPem;
let clientCA: KeyPairPem;
let otherCA: KeyPairPem;
let dir: string;

beforeAll(async () => {
  [frontProxyCA, clientCA, otherCA] = await Promise.all([
    createCA({ commonName: 'front-proxy-ca' }),
    createCA({ commonName: 'kubernetes' }),
    createCA({ commonName: 'dev-front-proxy-ca' }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'kscape-authcfg-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('parsing the ConfigMap', () => {
  it('reads every key of a kube-apiserver ConfigMap fixture', () => {
    const cm = extensionAuthConfigMap({ clientCA: clientCA.cert, requestHeaderCA: frontProxyCA.cert });
    const cfg = parseExtensionAuthConfig(cm);
    expect(cfg.requestHeader).toBeDefined();
    const rh = cfg.requestHeader!;
    expect(rh.clientCA.map((c) => c.commonNames)).toEqual([['front-proxy-ca']]);
    expect(rh.allowedNames).toEqual(['front-proxy-client']);
    expect(rh.usernameHeaders).toEqual(['X-Remote-User']);
    expect(rh.groupHeaders).toEqual(['X-Remote-Group']);
    expect(rh.extraHeaderPrefixes).toEqual(['X-Remote-Extra-']);
    expect(rh.uidHeaders).toEqual(['X-Remote-Uid']);
    expect(cfg.clientCA?.certs.map((c) => c.commonNames)).toEqual([['kubernetes']]);
    expect(clientCAPems(cfg)).toEqual([frontProxyCA.cert, clientCA.cert]);
  });

  it('keeps an empty allowed-names list (any CN), defaults missing header keys to kube defaults', () => {
    const cfg = parseExtensionAuthConfig({
      data: { 'requestheader-client-ca-file': frontProxyCA.cert, 'requestheader-allowed-names': '[]' },
    });
    expect(cfg.requestHeader).toMatchObject({
      allowedNames: [],
      usernameHeaders: ['X-Remote-User'],
      groupHeaders: ['X-Remote-Group'],
      extraHeaderPrefixes: ['X-Remote-Extra-'],
      uidHeaders: [],
    });
    expect(cfg.clientCA).toBeUndefined();
  });

  it('accepts multi-certificate bundles (CA rotation)', () => {
    const cfg = parseExtensionAuthConfig({ data: { 'requestheader-client-ca-file': frontProxyCA.cert + otherCA.cert } });
    expect(cfg.requestHeader?.clientCA).toHaveLength(2);
  });

  it('without CAs both methods are disabled', () => {
    expect(parseExtensionAuthConfig({ data: {} })).toEqual({});
    expect(parseExtensionAuthConfig(undefined)).toEqual({});
  });

  it('rejects malformed values instead of trusting nothing silently', () => {
    expect(() =>
      parseExtensionAuthConfig({ data: { 'requestheader-client-ca-file': frontProxyCA.cert, 'requestheader-allowed-names': '["a",' } }),
    ).toThrow(/requestheader-allowed-names/);
    expect(() =>
      parseExtensionAuthConfig({ data: { 'requestheader-client-ca-file': frontProxyCA.cert, 'requestheader-allowed-names': '[1]' } }),
    ).toThrow(/array of strings/);
    expect(() => parseExtensionAuthConfig({ data: { 'client-ca-file': 'not a pem' } })).toThrow(/client-ca-file/);
    expect(() =>
      parseExtensionAuthConfig({
        data: { 'requestheader-client-ca-file': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
      }),
    ).toThrow(/cannot be parsed/);
  });

  it('list syntax: JSON arrays, comma lists, empty', () => {
    expect(parseStringList('["a", " b "]', 'k')).toEqual(['a', 'b']);
    expect(parseStringList('a, b,,c', 'k')).toEqual(['a', 'b', 'c']);
    expect(parseStringList('', 'k')).toEqual([]);
    expect(parseStringList('null', 'k')).toEqual([]);
    expect(parseStringList(undefined, 'k')).toBeUndefined();
  });

  it('overrides win over the ConfigMap, each independently', () => {
    const cm = extensionAuthConfigMap({ clientCA: clientCA.cert, requestHeaderCA: frontProxyCA.cert });
    const cfg = parseExtensionAuthConfig(cm, {
      requestHeaderCAPem: otherCA.cert,
      allowedNames: ['my-proxy'],
      groupHeaders: ['X-Groups'],
    });
    expect(cfg.requestHeader?.clientCA.map((c) => c.commonNames[0])).toEqual(['dev-front-proxy-ca']);
    expect(cfg.requestHeader?.allowedNames).toEqual(['my-proxy']);
    expect(cfg.requestHeader?.groupHeaders).toEqual(['X-Groups']);
    expect(cfg.requestHeader?.usernameHeaders).toEqual(['X-Remote-User']);
    expect(cfg.clientCA?.certs[0]?.commonNames).toEqual(['kubernetes']);
  });
});

describe('ExtensionAuthConfigLoader', () => {
  it('reads the ConfigMap through client-node from an HTTPS apiserver, 404 = disabled', async () => {
    const fake = await startFakeApiServer();
    try {
      const fetch = configMapFetcher(fake.kubeConfig());
      expect(await fetch()).toBeUndefined();
      fake.configMap = extensionAuthConfigMap({ clientCA: clientCA.cert, requestHeaderCA: frontProxyCA.cert });
      const loader = new ExtensionAuthConfigLoader({ fetchConfigMap: fetch, refreshMs: 0 });
      const cfg = await loader.start();
      expect(cfg.requestHeader?.allowedNames).toEqual(['front-proxy-client']);
      expect(fake.counts.configMaps).toBe(2);
      loader.close();
    } finally {
      await fake.close();
    }
  });

  it('file overrides work without any cluster', async () => {
    await writeFile(join(dir, 'rh-ca.crt'), otherCA.cert);
    const loader = new ExtensionAuthConfigLoader({
      overrides: { requestHeaderCAFile: join(dir, 'rh-ca.crt'), allowedNames: ['dev-proxy'] },
    });
    const cfg = await loader.start();
    expect(cfg.requestHeader?.clientCA[0]?.commonNames).toEqual(['dev-front-proxy-ca']);
    expect(cfg.requestHeader?.allowedNames).toEqual(['dev-proxy']);
    loader.close();
  });

  it('refresh picks up a rotated CA, notifies listeners, and keeps the last good config on errors', async () => {
    let cm: ConfigMapLike | Error = extensionAuthConfigMap({ clientCA: clientCA.cert, requestHeaderCA: frontProxyCA.cert });
    const loader = new ExtensionAuthConfigLoader({
      fetchConfigMap: async () => {
        if (cm instanceof Error) throw cm;
        return cm;
      },
      refreshMs: 0,
    });
    const seen: string[][] = [];
    loader.onChange((c) => seen.push(c.requestHeader?.clientCA.map((x) => x.commonNames[0]!) ?? []));
    await loader.start();

    expect(await loader.refresh()).toBe(false); // unchanged
    cm = extensionAuthConfigMap({ clientCA: clientCA.cert, requestHeaderCA: otherCA.cert });
    expect(await loader.refresh()).toBe(true);
    expect(seen).toEqual([['dev-front-proxy-ca']]);

    cm = new Error('apiserver unreachable');
    expect(await loader.refresh()).toBe(false);
    cm = { data: { 'requestheader-client-ca-file': 'garbage' } };
    expect(await loader.refresh()).toBe(false);
    expect(loader.current().requestHeader?.clientCA[0]?.commonNames).toEqual(['dev-front-proxy-ca']);
    loader.close();
  });

  it('start fails on lookup errors unless told to tolerate them', async () => {
    const failing = async (): Promise<ConfigMapLike> => {
      throw new Error('forbidden');
    };
    await expect(new ExtensionAuthConfigLoader({ fetchConfigMap: failing, refreshMs: 0 }).start()).rejects.toThrow('forbidden');
    const tolerant = new ExtensionAuthConfigLoader({ fetchConfigMap: failing, refreshMs: 0, tolerateLookupFailure: true });
    expect(await tolerant.start()).toEqual({});
  });
});

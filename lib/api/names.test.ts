import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidSlugError,
  imageSlug,
  instanceId,
  instanceSlug,
  imageLabelValue,
  labelValue,
  parseWlid,
  rbacScanName,
  stringToSlug,
  vulnerabilitySummaryName,
  workloadScanName,
  wlid,
} from './names.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('imageSlug (ImageInfoToSlug)', () => {
  it('reproduces the reference example shape', () => {
    // reference §1.10: `gke.gcr.io-fluent-bit-gke-exporter-sha256-93014f…-83eee8`
    const digest = `93014f${'0'.repeat(52)}a1b2c3`;
    const slug = imageSlug(
      `gke.gcr.io/fluent-bit-gke-exporter@sha256:${digest}`,
      `sha256:${'f'.repeat(58)}83eee8`,
    );
    expect(slug).toBe(`gke.gcr.io-fluent-bit-gke-exporter-sha256-${digest}-83eee8`);
  });

  it('replaces :// : / _ @ and lower-cases', () => {
    expect(imageSlug('docker.io/library/nginx:1.25', 'sha256:abcdef0123456789')).toBe(
      'docker.io-library-nginx-1.25-456789',
    );
    expect(imageSlug('https://Registry.Example/my_app:V1', 'sha256:ABCDEF')).toBe(
      'https-registry.example-my-app-v1-abcdef',
    );
  });

  it('truncates long images to fit a DNS subdomain', () => {
    const slug = imageSlug(`registry.example/${'a'.repeat(400)}:1`, 'sha256:123456');
    expect(slug.length).toBe(253);
    expect(slug.endsWith('-123456')).toBe(true);
  });

  it('rejects what cannot be a DNS subdomain, and short hashes', () => {
    expect(() => imageSlug('nginx', 'abc')).toThrow(InvalidSlugError);
    expect(() => imageSlug('bad image!', 'sha256:123456')).toThrow(InvalidSlugError);
  });
});

describe('instance IDs', () => {
  const ref = {
    apiVersion: 'apps/v1',
    namespace: 'default',
    kind: 'ReplicaSet',
    name: 'nginx-55df98fc6d',
    containerName: 'nginx',
  };

  it('formats the instance-ID string', () => {
    expect(instanceId(ref)).toBe(
      'apiVersion-apps/v1/namespace-default/kind-ReplicaSet/name-nginx-55df98fc6d/containerName-nginx',
    );
    expect(instanceId({ ...ref, containerType: 'initContainer', containerName: 'init' })).toBe(
      'apiVersion-apps/v1/namespace-default/kind-ReplicaSet/name-nginx-55df98fc6d/initContainerName-init',
    );
  });

  it('slugs without container like replicaset-operator-55df98fc6d', () => {
    expect(instanceSlug({ ...ref, namespace: 'kubescape', name: 'operator-55df98fc6d' }, true)).toBe(
      'replicaset-operator-55df98fc6d',
    );
  });

  it('slugs with container and hash fragments', () => {
    const h = sha(instanceId(ref));
    expect(instanceSlug(ref)).toBe(`replicaset-nginx-55df98fc6d-nginx-${h.slice(0, 4)}-${h.slice(-4)}`);
  });

  it('keeps hash fragments when the name is too long', () => {
    const long = { ...ref, name: 'x'.repeat(250) };
    const slug = instanceSlug(long);
    const h = sha(instanceId(long));
    expect(slug.length).toBeLessThanOrEqual(253);
    expect(slug.endsWith(`-${h.slice(0, 4)}-${h.slice(-4)}`)).toBe(true);
  });
});

describe('other names', () => {
  it('workload scan names', () => {
    expect(workloadScanName('Deployment', 'nginx')).toBe('deployment-nginx');
    expect(workloadScanName('ClusterRole', 'system:controller:foo')).toBe(
      'clusterrole-system-controller-foo',
    );
    expect(
      rbacScanName({
        subjectKind: 'ServiceAccount',
        subjectName: 'ci',
        roleKind: 'ClusterRole',
        roleName: 'cluster-admin',
        bindingKind: 'ClusterRoleBinding',
        bindingName: 'ci-admin',
      }),
    ).toBe('serviceaccount-ci-clusterrole-cluster-admin-clusterrolebinding-ci-admin');
  });

  it('stringToSlug cuts long strings with a hash suffix, keeping them distinct', () => {
    const a = stringToSlug(`${'a'.repeat(300)}1`);
    const b = stringToSlug(`${'a'.repeat(300)}2`);
    expect(a.length).toBeLessThanOrEqual(253);
    expect(a).not.toBe(b);
    expect(() => stringToSlug('!!!')).toThrow(InvalidSlugError);
  });

  it('vulnerability summary names', () => {
    expect(vulnerabilitySummaryName('Deployment', 'nginx', 'web')).toBe('deployment-nginx-web');
    expect(() => vulnerabilitySummaryName('', '', '')).toThrow(InvalidSlugError); // Kubescape would write `--`
  });

  it('wlid round-trips', () => {
    const id = wlid('prod-eu', 'default', 'Deployment', 'nginx');
    expect(id).toBe('wlid://cluster-prod-eu/namespace-default/deployment-nginx');
    expect(parseWlid(id)).toEqual({
      cluster: 'prod-eu',
      namespace: 'default',
      kind: 'deployment',
      name: 'nginx',
    });
    expect(parseWlid('nope')).toBeUndefined();
  });

  it('label values keep valid values and sanitise the rest', () => {
    expect(labelValue('Deployment')).toBe('Deployment');
    expect(labelValue('my.app_v2')).toBe('my.app_v2');
    expect(labelValue('')).toBe('');
    expect(labelValue('docker.io/library/nginx:1.25')).toBe('docker.io-library-nginx-1.25');
    expect(labelValue(`-${'a'.repeat(70)}-`)).toBe('a'.repeat(62));
    expect(labelValue('///')).toBeUndefined();
  });

  it('image label values are DNS-1123 labels', () => {
    expect(imageLabelValue('library/Nginx:latest')).toBe('library-nginx-latest');
    expect(imageLabelValue('library/nginx:1.25')).toBeUndefined(); // '.' is not allowed in a DNS-1123 label
    expect(imageLabelValue(`sha256:${'a'.repeat(64)}`)).toBeUndefined(); // too long
  });
});

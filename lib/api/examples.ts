/**
 * Small but realistic objects of each result kind, shaped like what kubevuln / kubescape write.
 * Used by tests across storage-api and the functions, and as documentation of the field trees.
 */
import { ANNOTATIONS, API_VERSION, CONTEXT, LABELS } from './constants.js';
import type {
  SBOMSPDXv2p3,
  VulnerabilityManifest,
  VulnerabilityManifestSummary,
  WorkloadConfigurationScan,
  WorkloadConfigurationScanSummary,
} from './schemas.js';

const IMAGE_ID = `docker.io/library/nginx@sha256:${'4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac'}`;

export function exampleVulnerabilityManifest(): VulnerabilityManifest {
  return {
    apiVersion: API_VERSION,
    kind: 'VulnerabilityManifest',
    metadata: {
      name: 'docker.io-library-nginx-1.25-27beac',
      namespace: 'kubescape',
      labels: { [LABELS.context]: CONTEXT.nonFiltered, [LABELS.imageTag]: 'nginx-1-25' },
      annotations: {
        [ANNOTATIONS.imageId]: IMAGE_ID,
        [ANNOTATIONS.imageTag]: 'docker.io/library/nginx:1.25',
      },
    },
    spec: {
      metadata: {
        withRelevancy: false,
        tool: { name: 'grype', version: '0.74.0', databaseVersion: 'sha256:5fd1b4d2' },
        report: { createdAt: '2026-11-26T10:00:00Z' },
      },
      payload: {
        matches: [
          {
            vulnerability: {
              id: 'CVE-2023-44487',
              dataSource: 'https://security-tracker.debian.org/tracker/CVE-2023-44487',
              namespace: 'debian:distro:debian:12',
              severity: 'High',
              urls: ['https://security-tracker.debian.org/tracker/CVE-2023-44487'],
              cvss: [
                {
                  version: '3.1',
                  vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
                  metrics: { baseScore: 7.5 },
                },
              ],
              fix: { versions: ['1.22.1-9+deb12u3'], state: 'fixed' },
              advisories: null,
            },
            relatedVulnerabilities: [],
            matchDetails: [
              {
                type: 'exact-direct-match',
                matcher: 'dpkg-matcher',
                searchedBy: { distro: { type: 'debian' } },
                found: {},
              },
            ],
            artifact: {
              name: 'libnghttp2-14',
              version: '1.52.0-1',
              type: 'deb',
              locations: [{ path: '/var/lib/dpkg/status', layerID: 'sha256:aaaa' }],
              language: '',
              licenses: ['MIT'],
              cpes: ['cpe:2.3:a:libnghttp2-14:libnghttp2-14:1.52.0-1:*:*:*:*:*:*:*'],
              purl: 'pkg:deb/debian/libnghttp2-14@1.52.0-1?distro=debian-12',
              upstreams: [{ name: 'nghttp2' }],
            },
          },
          {
            vulnerability: { id: 'CVE-2024-0001', dataSource: 'osv', severity: 'Critical', urls: null },
            artifact: { name: 'openssl', version: '3.0.11-1', type: 'deb' },
          },
        ],
        source: { type: 'image', target: { userInput: 'nginx:1.25', imageID: IMAGE_ID } },
        distro: { name: 'debian', version: '12', idLike: null },
        descriptor: { name: 'grype', version: '0.74.0' },
      },
    },
    status: {},
  };
}

export function exampleVulnerabilityManifestSummary(
  namespace = 'default',
  name = 'deployment-nginx-nginx',
  counts: Partial<Record<'critical' | 'high' | 'medium' | 'low', number>> = { critical: 1, high: 1 },
): VulnerabilityManifestSummary {
  const severities: Record<string, { all: number; relevant?: number }> = {};
  for (const [k, v] of Object.entries(counts)) severities[k] = { all: v };
  return {
    apiVersion: API_VERSION,
    kind: 'VulnerabilityManifestSummary',
    metadata: {
      name,
      namespace,
      labels: {
        [LABELS.workloadKind]: 'deployment',
        [LABELS.workloadName]: 'nginx',
        [LABELS.workloadNamespace]: namespace,
        [LABELS.workloadContainerName]: 'nginx',
        [LABELS.context]: CONTEXT.nonFiltered,
      },
      annotations: {
        [ANNOTATIONS.wlid]: `wlid://cluster-dev/namespace-${namespace}/deployment-nginx`,
        [ANNOTATIONS.timestamp]: '1796000000',
      },
    },
    spec: {
      severities,
      vulnerabilitiesRef: {
        all: {
          namespace: 'kubescape',
          name: 'docker.io-library-nginx-1.25-27beac',
          kind: 'vulnerabilitymanifests',
        },
      },
    },
  };
}

export function exampleWorkloadConfigurationScan(): WorkloadConfigurationScan {
  return {
    apiVersion: API_VERSION,
    kind: 'WorkloadConfigurationScan',
    metadata: {
      name: 'deployment-nginx',
      namespace: 'default',
      labels: {
        [LABELS.workloadApiGroup]: 'apps',
        [LABELS.workloadApiVersion]: 'v1',
        [LABELS.workloadKind]: 'Deployment',
        [LABELS.workloadName]: 'nginx',
        [LABELS.workloadNamespace]: 'default',
      },
      annotations: { [ANNOTATIONS.wlid]: 'wlid://cluster-dev/namespace-default/deployment-nginx' },
    },
    spec: {
      controls: {
        'C-0017': {
          controlID: 'C-0017',
          name: 'Immutable container filesystem',
          severity: { severity: 'Low', scoreFactor: 3 },
          status: { status: 'failed' },
          rules: [
            {
              name: 'immutable-container-filesystem',
              status: { status: 'failed' },
              paths: [
                {
                  fixPath: 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
                  fixPathValue: 'true',
                },
              ],
            },
          ],
        },
        'C-0057': {
          controlID: 'C-0057',
          name: 'Privileged container',
          severity: { severity: 'High', scoreFactor: 8 },
          status: { status: 'failed' },
          rules: [
            {
              name: 'rule-privilege-escalation',
              status: { status: 'failed' },
              paths: [{ failedPath: 'spec.template.spec.containers[0].securityContext.privileged' }],
            },
          ],
        },
        'C-0034': {
          controlID: 'C-0034',
          name: 'Automatic mapping of service account',
          severity: { severity: 'Medium', scoreFactor: 6 },
          status: { status: 'passed' },
          rules: null,
        },
      },
      relatedObjects: null,
    },
  };
}

export function exampleWorkloadConfigurationScanSummary(
  namespace = 'default',
  name = 'deployment-nginx',
): WorkloadConfigurationScanSummary {
  return {
    apiVersion: API_VERSION,
    kind: 'WorkloadConfigurationScanSummary',
    metadata: {
      name,
      namespace,
      labels: { [LABELS.workloadKind]: 'Deployment', [LABELS.workloadName]: 'nginx' },
    },
    spec: {
      severities: { critical: 0, high: 1, medium: 0, low: 1, unknown: 0 },
      controls: {
        'C-0017': {
          controlID: 'C-0017',
          severity: { severity: 'Low', scoreFactor: 3 },
          status: { status: 'failed' },
        },
        'C-0057': {
          controlID: 'C-0057',
          severity: { severity: 'High', scoreFactor: 8 },
          status: { status: 'failed' },
        },
        'C-0034': {
          controlID: 'C-0034',
          severity: { severity: 'Medium', scoreFactor: 6 },
          status: { status: 'passed' },
        },
      },
    },
  };
}

export function exampleSbom(): SBOMSPDXv2p3 {
  return {
    apiVersion: API_VERSION,
    kind: 'SBOMSPDXv2p3',
    metadata: {
      name: 'docker.io-library-nginx-1.25-27beac',
      namespace: 'kubescape',
      labels: { [LABELS.imageTag]: 'nginx-1-25' },
      annotations: { [ANNOTATIONS.imageId]: IMAGE_ID, [ANNOTATIONS.status]: 'ready' },
    },
    spec: {
      metadata: { tool: { name: 'syft', version: '0.101.1' }, report: { createdAt: '2026-11-26T09:59:00Z' } },
      spdx: {
        spdxVersion: 'SPDX-2.3',
        dataLicense: 'CC0-1.0',
        SPDXID: 'SPDXRef-DOCUMENT',
        name: 'docker.io/library/nginx:1.25',
        documentNamespace: 'https://anchore.com/syft/image/nginx-1.25-0000',
        creationInfo: {
          licenseListVersion: '3.22',
          creators: ['Organization: Anchore, Inc', 'Tool: syft-0.101.1'],
          created: '2026-11-26T09:59:00Z',
        },
        packages: [
          {
            name: 'libnghttp2-14',
            SPDXID: 'SPDXRef-Package-deb-libnghttp2-14',
            versionInfo: '1.52.0-1',
            downloadLocation: 'NOASSERTION',
            filesAnalyzed: false,
            supplier: 'Organization: Debian',
            externalRefs: [
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:deb/debian/libnghttp2-14@1.52.0-1',
              },
            ],
          },
          {
            name: 'openssl',
            SPDXID: 'SPDXRef-Package-deb-openssl',
            versionInfo: '3.0.11-1',
            downloadLocation: 'NOASSERTION',
          },
          { name: 'nginx', SPDXID: 'SPDXRef-Package-deb-nginx', versionInfo: '1.25.3-1~bookworm' },
        ],
        files: [
          {
            fileName: '/usr/sbin/nginx',
            SPDXID: 'SPDXRef-File-nginx',
            checksums: [{ algorithm: 'SHA1', checksumValue: 'da39a3ee' }],
          },
        ],
        relationships: [
          {
            spdxElementId: 'SPDXRef-DOCUMENT',
            relatedSpdxElement: 'SPDXRef-Package-deb-nginx',
            relationshipType: 'DESCRIBES',
          },
        ],
      },
    },
    status: {},
  };
}

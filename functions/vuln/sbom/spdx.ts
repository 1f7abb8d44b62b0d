/**
 * SPDX 2.3 JSON writer. Layout follows syft's image SBOMs so Kubescape consumers find what they
 * expect: the image as the described root package (CONTAINER purpose), every cataloged package
 * CONTAINed by it, evidence files (package databases, manifests) with real checksums, and
 * `OTHER` relationships carrying syft's `evident-by:` comment from a package to its evidence.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Package } from '../catalog/types.js';
import { toSpdxExpression, type LicenseRef } from './licenses.js';

export interface SpdxEvidenceFile {
  path: string;
  sha1: string;
  sha256: string;
  layerDigest?: string;
}

export interface SpdxInput {
  /** Image reference as requested (docker.io/library/nginx:1.25). */
  image: string;
  digest: string;
  platform?: string;
  packages: readonly Package[];
  files: readonly SpdxEvidenceFile[];
  toolName: string;
  toolVersion: string;
  /** Fixed in tests; now otherwise. */
  created?: Date;
  namespaceId?: string;
}

export interface SpdxJson {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { licenseListVersion: string; creators: string[]; created: string };
  packages: Record<string, unknown>[];
  files: Record<string, unknown>[];
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string }[];
  relationships: { spdxElementId: string; relatedSpdxElement: string; relationshipType: string; comment?: string }[];
}

const idSafe = (s: string): string => s.replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 80);
const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

export function packageSpdxId(p: Package): string {
  return `SPDXRef-Package-${idSafe(p.type)}-${idSafe(p.name)}-${short(`${p.purl}|${p.locations[0]?.path ?? ''}`)}`;
}

export const fileSpdxId = (path: string): string => `SPDXRef-File-${idSafe(path.split('/').pop() ?? 'file')}-${short(path)}`;

function supplier(s: string | undefined): string {
  if (!s) return 'NOASSERTION';
  const clean = s.replace(/\s+/g, ' ').trim();
  return /@|<|,/.test(clean) || !/\s/.test(clean) ? `Person: ${clean}` : `Organization: ${clean}`;
}

function purpose(p: Package): string {
  return p.type === 'java-archive' || p.type === 'npm' || p.type === 'python' || p.type === 'go-module' ? 'LIBRARY' : 'LIBRARY';
}

export function toSpdx(input: SpdxInput): SpdxJson {
  const created = (input.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const refs = new Map<string, LicenseRef>();
  const rootId = `SPDXRef-DocumentRoot-Image-${idSafe(input.image)}`.slice(0, 120);
  const packages: Record<string, unknown>[] = [
    {
      name: input.image,
      SPDXID: rootId,
      versionInfo: input.digest,
      supplier: 'NOASSERTION',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      checksums: /^sha256:[a-f0-9]{64}$/.test(input.digest) ? [{ algorithm: 'SHA256', checksumValue: input.digest.slice(7) }] : undefined,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      externalRefs: [oci(input.image, input.digest, input.platform)].filter((x): x is NonNullable<typeof x> => x !== undefined),
      primaryPackagePurpose: 'CONTAINER',
    },
  ];
  const relationships: SpdxJson['relationships'] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: rootId, relationshipType: 'DESCRIBES' }];
  const fileIds = new Map(input.files.map((f) => [f.path, fileSpdxId(f.path)]));
  const seen = new Set<string>();
  for (const p of input.packages) {
    const id = packageSpdxId(p);
    if (seen.has(id)) continue;
    seen.add(id);
    const declared = toSpdxExpression(p.licenses, refs);
    packages.push({
      name: p.name,
      SPDXID: id,
      versionInfo: p.version,
      supplier: supplier(p.supplier),
      originator: p.supplier ? supplier(p.supplier) : undefined,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      sourceInfo: `acquired package info from ${p.foundBy}: ${p.locations.map((l) => l.path).join(', ')}`,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declared,
      copyrightText: 'NOASSERTION',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
      primaryPackagePurpose: purpose(p),
    });
    relationships.push({ spdxElementId: rootId, relatedSpdxElement: id, relationshipType: 'CONTAINS' });
    for (const l of p.locations) {
      const fid = fileIds.get(l.path);
      if (fid) relationships.push({ spdxElementId: id, relatedSpdxElement: fid, relationshipType: 'OTHER', comment: 'evident-by: indicates the package\'s existence is evident by the given file' });
    }
  }
  const files = input.files.map((f) => ({
    fileName: f.path,
    SPDXID: fileIds.get(f.path)!,
    fileTypes: ['TEXT'],
    checksums: [
      { algorithm: 'SHA1', checksumValue: f.sha1 },
      { algorithm: 'SHA256', checksumValue: f.sha256 },
    ],
    licenseConcluded: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    comment: f.layerDigest ? `layerID: ${f.layerDigest}` : undefined,
  }));
  for (const f of files) relationships.push({ spdxElementId: rootId, relatedSpdxElement: f.SPDXID, relationshipType: 'CONTAINS' });
  const doc: SpdxJson = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: input.image,
    documentNamespace: `https://kscape.io/spdx/image/${encodeURIComponent(input.image.replace(/[:/@]/g, '-'))}-${input.namespaceId ?? randomUUID()}`,
    creationInfo: { licenseListVersion: '3.25', creators: ['Organization: kscape', `Tool: ${input.toolName}-${input.toolVersion}`], created },
    packages: packages.map(dropUndefined),
    files: files.map(dropUndefined),
    relationships,
  };
  if (refs.size) doc.hasExtractedLicensingInfos = [...refs.values()].map((r) => ({ licenseId: r.id, extractedText: r.text }));
  return doc;
}

function oci(image: string, digest: string, platform?: string): Record<string, string> | undefined {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) return undefined;
  const repo = image.replace(/[:@].*$/, '').replace(/^(oci|oci-archive|docker-archive):/, '');
  const name = repo.split('/').pop() || 'image';
  const q = [`repository_url=${encodeURIComponent(repo)}`];
  if (platform) q.push(`arch=${encodeURIComponent(platform.split('/')[1] ?? '')}`);
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(digest)}?${q.join('&')}` };
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

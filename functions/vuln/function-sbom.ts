/**
 * What the vuln function reads back from a stored SBOM, and the relevancy filter.
 *
 * The SBOMSPDXv2p3 stored by the function is the source of truth for every later step (matching,
 * relevancy), whether it was generated now or reused from storage, so a cached SBOM and a fresh one
 * give the same results. SPDX has no field for "files a package database says the package owns"
 * short of one `files` entry per path (each needing checksums we do not compute: layers are
 * streamed, not hashed per file), so the owned paths travel as an SPDX package annotation
 * (`annotationType: OTHER`, comment `kscape:owned-files` + one path per line): valid SPDX 2.3,
 * compact (paths only), and ignored by consumers that do not know it.
 */
import type { Package, PackageType } from './catalog/types.js';
import { parsePurl, type SbomPackage } from './osv/match.js';
import { packageSpdxId, type SpdxJson } from './sbom/spdx.js';

export const OWNED_FILES_MARKER = 'kscape:owned-files';
export const FILES_IN_USE_MARKER = 'kscape:files-in-use';

interface SpdxAnnotation {
  annotator: string;
  annotationDate: string;
  annotationType: string;
  comment: string;
}

/** One package of a stored SBOM, as matching, manifests and relevancy use it. */
export interface ScanPackage {
  spdxId: string;
  name: string;
  version: string;
  /** Syft-style type derived from the purl (deb, apk, npm, python, go-module ...). */
  type: string;
  purl: string;
  licenses: string[];
  locations: { path: string; layerID?: string }[];
  files: string[];
  sourceName?: string;
  sourceVersion?: string;
}

const PURL_TYPE: Record<string, PackageType> = {
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'python',
  golang: 'go-module',
  maven: 'java-archive',
  cargo: 'rust-crate',
  gem: 'gem',
  composer: 'php-composer',
  nuget: 'dotnet',
};

/** The SPDX document with each package's owned files attached (see the module comment). */
export function withOwnedFiles(doc: SpdxJson, packages: readonly Package[], toolCreator: string): SpdxJson {
  const owned = new Map<string, Set<string>>();
  for (const p of packages) {
    if (!p.files?.length) continue;
    const id = packageSpdxId(p);
    const set = owned.get(id) ?? new Set<string>();
    for (const f of p.files) set.add(f);
    owned.set(id, set);
  }
  const date = doc.creationInfo.created;
  return {
    ...doc,
    packages: doc.packages.map((p) => {
      const files = owned.get(String(p.SPDXID));
      if (!files) return p;
      const ann: SpdxAnnotation = {
        annotator: toolCreator,
        annotationDate: date,
        annotationType: 'OTHER',
        comment: `${OWNED_FILES_MARKER}\n${[...files].sort().join('\n')}`,
      };
      return { ...p, annotations: [...((p.annotations as SpdxAnnotation[] | undefined) ?? []), ann] };
    }),
  };
}

function annotatedFiles(p: Record<string, unknown>, marker: string): string[] {
  const anns = Array.isArray(p.annotations) ? (p.annotations as Partial<SpdxAnnotation>[]) : [];
  const out: string[] = [];
  for (const a of anns) {
    if (typeof a.comment !== 'string' || !a.comment.startsWith(`${marker}\n`)) continue;
    for (const line of a.comment.slice(marker.length + 1).split('\n')) if (line.startsWith('/')) out.push(line);
  }
  return out;
}

function purlOf(p: Record<string, unknown>): string | undefined {
  const refs = Array.isArray(p.externalRefs) ? (p.externalRefs as { referenceType?: string; referenceLocator?: string }[]) : [];
  return refs.find((r) => r.referenceType === 'purl' && typeof r.referenceLocator === 'string')?.referenceLocator;
}

/** The root package(s) the document DESCRIBES: the image itself, not a cataloged package. */
function rootIds(doc: Pick<SpdxJson, 'relationships'>): Set<string> {
  return new Set(doc.relationships.filter((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES').map((r) => r.relatedSpdxElement));
}

/** Packages of a stored SBOM (generated now or read back from storage). */
export function packagesFromSpdx(doc: SpdxJson): ScanPackage[] {
  const roots = rootIds(doc);
  const fileById = new Map<string, { path: string; layerID?: string }>();
  for (const f of doc.files ?? []) {
    const layer = typeof f.comment === 'string' ? /^layerID: (\S+)/.exec(f.comment)?.[1] : undefined;
    fileById.set(String(f.SPDXID), { path: String(f.fileName), ...(layer ? { layerID: layer } : {}) });
  }
  const evidence = new Map<string, { path: string; layerID?: string }[]>();
  for (const r of doc.relationships) {
    const f = r.relationshipType === 'OTHER' ? fileById.get(r.relatedSpdxElement) : undefined;
    if (!f) continue;
    const list = evidence.get(r.spdxElementId) ?? [];
    list.push(f);
    evidence.set(r.spdxElementId, list);
  }
  const out: ScanPackage[] = [];
  for (const p of doc.packages) {
    const id = String(p.SPDXID);
    if (roots.has(id) || p.primaryPackagePurpose === 'CONTAINER') continue;
    const purl = purlOf(p);
    if (!purl) continue;
    const parsed = parsePurl(purl);
    const upstream = parsed?.qualifiers.upstream;
    const at = upstream?.indexOf('@') ?? -1;
    const declared = typeof p.licenseDeclared === 'string' && p.licenseDeclared !== 'NOASSERTION' && p.licenseDeclared !== 'NONE' ? [p.licenseDeclared] : [];
    out.push({
      spdxId: id,
      name: String(p.name),
      version: typeof p.versionInfo === 'string' ? p.versionInfo : '',
      type: (parsed && PURL_TYPE[parsed.type]) ?? parsed?.type ?? 'unknown',
      purl,
      licenses: declared,
      locations: evidence.get(id) ?? [],
      files: annotatedFiles(p, OWNED_FILES_MARKER),
      ...(upstream ? { sourceName: at > 0 ? upstream.slice(0, at) : upstream } : {}),
      ...(upstream && at > 0 ? { sourceVersion: upstream.slice(at + 1) } : {}),
    });
  }
  return out;
}

/** What the OSV matcher needs (the distro comes from the purl's `distro=` qualifier). */
export function toSbomPackage(p: ScanPackage): SbomPackage {
  return {
    name: p.name,
    version: p.version,
    type: p.type,
    purl: p.purl,
    ...(p.sourceName ? { sourceName: p.sourceName } : {}),
    ...(p.sourceVersion ? { sourceVersion: p.sourceVersion } : {}),
  };
}

/** os-release distro of the image, from the `distro=` qualifier of its OS packages. */
export function distroOf(packages: readonly ScanPackage[]): { name: string; version: string } | undefined {
  for (const p of packages) {
    if (p.type !== 'deb' && p.type !== 'apk' && p.type !== 'rpm') continue;
    const d = parsePurl(p.purl)?.qualifiers.distro;
    const m = d ? /^([a-z-]+?)-(\d[\w.]*)$/.exec(d) : null;
    if (m) return { name: m[1]!, version: m[2]! };
  }
  return undefined;
}

/**
 * usrmerge: on merged-/usr distributions /lib, /bin, /sbin are symlinks into /usr, so a package
 * database may list /lib/x86_64-linux-gnu/libc.so.6 while a running process maps the real path
 * /usr/lib/x86_64-linux-gnu/libc.so.6. Both sides are compared in the /usr form.
 */
export function canonicalPath(path: string): string {
  return path.replace(/^\/(lib|lib32|lib64|libx32|bin|sbin)(\/|$)/, '/usr/$1$2');
}

/**
 * npm databases list no files: a file in use inside the package's directory (and not inside a
 * nested node_modules of it) belongs to the package.
 */
function npmFilesInUse(p: ScanPackage, used: ReadonlySet<string>): string[] {
  const dirs = p.locations.filter((l) => l.path.endsWith('/package.json')).map((l) => canonicalPath(l.path.slice(0, -'package.json'.length)));
  const out: string[] = [];
  for (const f of used) {
    for (const d of dirs) if (f.startsWith(d) && !f.slice(d.length).includes('node_modules/')) out.push(f);
  }
  return out;
}

export interface FilteredSbom {
  doc: SpdxJson;
  kept: ScanPackage[];
  /** Files in use that no package owns (application files, interpreters' scripts ...). */
  unowned: number;
}

/**
 * The SBOM reduced to the packages owning at least one file in use (kubevuln filterSBOM): the
 * image root, those packages (their annotation now lists only the files in use), their evidence
 * files and the relationships between what remains.
 */
export function filterSbom(doc: SpdxJson, filesInUse: readonly string[], toolCreator: string, created: string): FilteredSbom {
  const used = new Set(filesInUse.map(canonicalPath));
  const packages = packagesFromSpdx(doc);
  const kept: ScanPackage[] = [];
  const inUseById = new Map<string, string[]>();
  const owned = new Set<string>();
  for (const p of packages) {
    const hits = [...p.files, ...p.locations.map((l) => l.path)].filter((f) => used.has(canonicalPath(f)));
    if (p.type === 'npm') hits.push(...npmFilesInUse(p, used));
    for (const f of p.files) owned.add(canonicalPath(f));
    if (hits.length === 0) continue;
    kept.push(p);
    inUseById.set(p.spdxId, [...new Set(hits)].sort());
  }
  const roots = rootIds(doc);
  const keepIds = new Set<string>([...roots, ...kept.map((p) => p.spdxId)]);
  const evidenceIds = new Set(
    doc.relationships.filter((r) => r.relationshipType === 'OTHER' && keepIds.has(r.spdxElementId) && !roots.has(r.spdxElementId)).map((r) => r.relatedSpdxElement),
  );
  const files = doc.files.filter((f) => evidenceIds.has(String(f.SPDXID)));
  for (const f of files) keepIds.add(String(f.SPDXID));
  const filtered: SpdxJson = {
    ...doc,
    documentNamespace: `${doc.documentNamespace}-filtered`,
    creationInfo: { ...doc.creationInfo, created },
    packages: doc.packages
      .filter((p) => keepIds.has(String(p.SPDXID)))
      .map((p) => {
        const hits = inUseById.get(String(p.SPDXID));
        if (!hits) return p;
        const others = ((p.annotations as SpdxAnnotation[] | undefined) ?? []).filter((a) => !a.comment.startsWith(`${OWNED_FILES_MARKER}\n`));
        return {
          ...p,
          annotations: [...others, { annotator: toolCreator, annotationDate: created, annotationType: 'OTHER', comment: `${FILES_IN_USE_MARKER}\n${hits.join('\n')}` }],
        };
      }),
    files,
    relationships: doc.relationships.filter((r) => (r.spdxElementId === 'SPDXRef-DOCUMENT' || keepIds.has(r.spdxElementId)) && keepIds.has(r.relatedSpdxElement)),
  };
  let unowned = 0;
  for (const f of used) if (!owned.has(f)) unowned++;
  return { doc: filtered, kept, unowned };
}

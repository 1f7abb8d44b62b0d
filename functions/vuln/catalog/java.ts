/**
 * Java archives (jar, war, ear, and the Jenkins/JBoss variants), spooled by the layer walker and
 * read by random access. Per archive:
 *   - every `META-INF/maven/<g>/<a>/pom.properties` is a package (groupId, artifactId, version),
 *     with licenses from the pom.xml next to it;
 *   - without any, MANIFEST.MF names the package (Implementation-Title/-Version, Bundle-SymbolicName/
 *     -Version, else the file name), like syft's fallback;
 *   - nested archives (WEB-INF/lib, BOOT-INF/lib, lib/ of an ear, shaded jars in jars) are read into
 *     memory and walked the same way, up to MAX_DEPTH levels, each under a size cap, with one
 *     inflate budget per top-level archive so a nested zip bomb ends early.
 * Packages found inside another archive carry `metadata.virtualPath` (`/app.war:WEB-INF/lib/x.jar`)
 * and the outer file as location. purls: pkg:maven/<groupId>/<artifactId>@<version>.
 */
import { basename } from 'node:path';
import type { ContentRule } from '../layers/filesystem.js';
import { purl } from './purl.js';
import { abs, location, type CatalogContext, type Cataloger, type Package } from './types.js';
import { ZipError, forEachZipEntry } from './zip.js';

const ARCHIVE = /\.(?:jar|war|ear|par|sar|nar|jpi|hpi|kar|lpkg)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const POM_XML = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.xml$/;
const MANIFEST = /^META-INF\/MANIFEST\.MF$/i;

export interface JavaLimits {
  /** Nesting levels below the image file (1 = jars inside a war; 3 covers ear → war → jar → jar). */
  maxDepth: number;
  /** Largest nested archive read into memory. */
  maxNestedBytes: number;
  /** Inflated bytes per top-level archive (all nested archives and metadata files together). */
  maxInflatedBytes: number;
  /** Largest metadata file (pom.properties, pom.xml, MANIFEST.MF). */
  maxMetadataBytes: number;
}

export const DEFAULT_JAVA_LIMITS: JavaLimits = {
  maxDepth: 3,
  maxNestedBytes: 64 * 1024 * 1024,
  maxInflatedBytes: 512 * 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
};

export const javaRules: ContentRule[] = [{ id: 'java-archive', match: (p) => ARCHIVE.test(p), maxBytes: 1024 * 1024 * 1024, store: 'spool' }];

/** Java .properties (the subset pom.properties uses: `k=v` / `k: v`, `#`/`!` comments). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === '!') continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** Main section of a MANIFEST.MF (72-byte lines continued by a leading space). */
export function parseManifest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      if (Object.keys(out).length) break;
      continue;
    }
    if (line[0] === ' ' && last) {
      out[last] += line.slice(1);
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim();
    out[last] = line.slice(i + 1).trim();
  }
  return out;
}

/** `<licenses><license><name>…` of a pom.xml (no XML parser for one list of names). */
export function pomLicenses(xml: string): string[] {
  const block = /<licenses>([\s\S]*?)<\/licenses>/.exec(xml)?.[1];
  if (!block) return [];
  return [...block.matchAll(/<license>[\s\S]*?<name>\s*([^<]+?)\s*<\/name>/g)].map((m) => m[1]!).slice(0, 20);
}

/** `commons-lang3-3.12.0.jar` → { name: 'commons-lang3', version: '3.12.0' }. */
export function nameFromFile(file: string): { name: string; version?: string } {
  const stem = basename(file).replace(ARCHIVE, '');
  const m = /^(.+?)-(\d[\w.+~-]*)$/.exec(stem);
  return m ? { name: m[1]!, version: m[2] } : { name: stem };
}

export interface JavaArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  licenses: string[];
  /** `outer.war:WEB-INF/lib/x.jar` for nested archives; the file path for top-level ones. */
  virtualPath: string;
  source: 'pom.properties' | 'manifest';
}

export interface JavaBudget {
  left: number;
  skipped: { path: string; reason: string }[];
}

/** Walk one archive (file path or nested bytes) and everything nested in it. */
export async function scanJavaArchive(source: string | Buffer, virtualPath: string, limits: JavaLimits = DEFAULT_JAVA_LIMITS, depth = 0, budget?: JavaBudget): Promise<JavaArtifact[]> {
  const b: JavaBudget = budget ?? { left: limits.maxInflatedBytes, skipped: [] };
  const poms = new Map<string, { props?: Record<string, string>; licenses?: string[] }>();
  let manifest: Record<string, string> | undefined;
  const nested: JavaArtifact[] = [];
  const read = async (e: { name: string; uncompressedSize: number; read(max: number): Promise<Buffer> }, max: number): Promise<Buffer | undefined> => {
    const cap = Math.min(max, b.left);
    if (e.uncompressedSize > cap) {
      b.skipped.push({ path: `${virtualPath}:${e.name}`, reason: `${e.uncompressedSize} bytes > ${cap} (java-archive)` });
      return undefined;
    }
    try {
      const buf = await e.read(cap);
      b.left -= buf.length;
      return buf;
    } catch (err) {
      // A lying entry (declared size ≠ inflated size, bad CRC) loses that entry, not the archive.
      if (!(err instanceof ZipError)) throw err;
      b.skipped.push({ path: `${virtualPath}:${e.name}`, reason: err.message });
      return undefined;
    }
  };
  await forEachZipEntry(source, async (e) => {
    if (e.name.endsWith('/')) return;
    if (POM_PROPERTIES.test(e.name) || POM_XML.test(e.name)) {
      const buf = await read(e, limits.maxMetadataBytes);
      if (!buf) return;
      const dir = e.name.slice(0, e.name.lastIndexOf('/'));
      const slot = poms.get(dir) ?? {};
      if (e.name.endsWith('.properties')) slot.props = parseProperties(buf.toString('utf8'));
      else slot.licenses = pomLicenses(buf.toString('utf8'));
      poms.set(dir, slot);
    } else if (MANIFEST.test(e.name)) {
      const buf = await read(e, limits.maxMetadataBytes);
      if (buf) manifest = parseManifest(buf.toString('utf8'));
    } else if (ARCHIVE.test(e.name)) {
      const inner = `${virtualPath}:${e.name}`;
      if (depth + 1 > limits.maxDepth) {
        b.skipped.push({ path: inner, reason: `nested deeper than ${limits.maxDepth} archives` });
        return;
      }
      const buf = await read(e, limits.maxNestedBytes);
      if (!buf) return;
      try {
        nested.push(...(await scanJavaArchive(buf, inner, limits, depth + 1, b)));
      } catch (err) {
        if (!(err instanceof ZipError)) throw err;
        b.skipped.push({ path: inner, reason: `unreadable archive: ${err.message}` });
      }
    }
  });
  const out: JavaArtifact[] = [];
  const manifestLicenses = manifest?.['Bundle-License'] ? [manifest['Bundle-License']] : [];
  for (const { props, licenses } of poms.values()) {
    if (!props?.groupId || !props.artifactId || !props.version) continue;
    out.push({ groupId: props.groupId, artifactId: props.artifactId, version: props.version, licenses: licenses?.length ? licenses : manifestLicenses, virtualPath, source: 'pom.properties' });
  }
  if (!out.length && manifest) {
    const fromFile = nameFromFile(virtualPath.slice(virtualPath.lastIndexOf(':') + 1));
    const symbolic = manifest['Bundle-SymbolicName']?.split(';')[0]?.trim();
    const artifactId = manifest['Implementation-Title'] || symbolic || fromFile.name;
    const version = manifest['Implementation-Version'] || manifest['Bundle-Version'] || fromFile.version;
    const groupId = manifest['Implementation-Vendor-Id'] || (symbolic && symbolic !== artifactId ? symbolic : undefined) || manifest['Automatic-Module-Name'] || artifactId;
    if (artifactId && version) out.push({ groupId, artifactId, version, licenses: manifestLicenses, virtualPath, source: 'manifest' });
  }
  out.push(...nested);
  return out;
}

export const javaCataloger: Cataloger = {
  id: 'java-archive-cataloger',
  rules: javaRules,
  async catalog(ctx: CatalogContext): Promise<Package[]> {
    const out: Package[] = [];
    for (const m of ctx.fs.captured('java-archive')) {
      const spool = ctx.fs.spooled(m.path);
      if (!spool) continue;
      const budget: JavaBudget = { left: DEFAULT_JAVA_LIMITS.maxInflatedBytes, skipped: ctx.fs.skipped };
      let found: JavaArtifact[];
      try {
        found = await scanJavaArchive(spool, abs(m.path), DEFAULT_JAVA_LIMITS, 0, budget);
      } catch (e) {
        if (!(e instanceof ZipError)) throw e;
        ctx.fs.skipped.push({ path: m.path, reason: `unreadable archive: ${e.message}` });
        continue;
      }
      const loc = location(ctx, m.path);
      for (const a of found) {
        out.push({
          name: a.artifactId,
          version: a.version,
          type: 'java-archive',
          purl: purl('maven', a.groupId, a.artifactId, a.version),
          licenses: a.licenses,
          locations: [loc],
          foundBy: 'java-archive-cataloger',
          metadata: { groupId: a.groupId, artifactId: a.artifactId, virtualPath: a.virtualPath, source: a.source },
        });
      }
    }
    return out;
  },
};

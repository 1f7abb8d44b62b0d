/** Package model shared by the catalogers and the SBOM writers. */
import type { ContentRule, ImageFilesystem } from '../layers/filesystem.js';

export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'python' | 'java-archive' | 'go-module' | 'rust-crate' | 'gem' | 'php-composer' | 'dotnet';

export interface Location {
  /** Absolute path in the image. */
  path: string;
  /** Digest of the layer that last wrote the file. */
  layerDigest?: string;
}

export interface Package {
  name: string;
  version: string;
  type: PackageType;
  purl: string;
  /** Declared licenses as written by the package (SPDX expressions when the ecosystem uses them). */
  licenses: string[];
  locations: Location[];
  /** Files the package database says the package owns (absolute paths). */
  files?: string[];
  /** Source/origin package (dpkg Source:, apk origin). */
  sourceName?: string;
  sourceVersion?: string;
  supplier?: string;
  /** Cataloger id that found it. */
  foundBy: string;
  /** Ecosystem-specific extras (arch, groupId ...), small and JSON-safe. */
  metadata?: Record<string, string>;
}

export interface Distro {
  /** os-release ID (debian, alpine, ubuntu, rhel ...). */
  id: string;
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
  idLike?: string[];
}

export interface CatalogContext {
  fs: ImageFilesystem;
  distro?: Distro;
}

export interface Cataloger {
  id: string;
  rules: ContentRule[];
  catalog(ctx: CatalogContext): Promise<Package[]> | Package[];
}

/** Absolute form of a filesystem path, as SBOMs print them. */
export const abs = (p: string): string => `/${p}`;

export function location(ctx: CatalogContext, path: string): Location {
  return { path: abs(path), layerDigest: ctx.fs.layerDigestOf(path) };
}

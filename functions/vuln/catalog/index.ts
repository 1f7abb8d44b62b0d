/** The catalogers run on every image, in SBOM order (OS packages first). */
import { apkCataloger } from './apk.js';
import { composerCataloger } from './composer.js';
import { dotnetCataloger } from './dotnet.js';
import { dpkgCataloger } from './dpkg.js';
import { goCataloger } from './golang.js';
import { javaCataloger } from './java.js';
import { npmCataloger } from './npm.js';
import { OS_RULES } from './os.js';
import { pythonCataloger } from './python.js';
import { rpmCataloger } from './rpm.js';
import { rubyCataloger } from './ruby.js';
import { rustCataloger } from './rust.js';
import type { Cataloger } from './types.js';
import type { ContentRule } from '../layers/filesystem.js';

export const DEFAULT_CATALOGERS: Cataloger[] = [dpkgCataloger, apkCataloger, rpmCataloger, npmCataloger, pythonCataloger, javaCataloger, rubyCataloger, composerCataloger, dotnetCataloger, goCataloger, rustCataloger];

export function contentRules(catalogers: readonly Cataloger[]): ContentRule[] {
  return [...OS_RULES, ...catalogers.flatMap((c) => c.rules)];
}

export * from './types.js';
export { detectDistro } from './os.js';

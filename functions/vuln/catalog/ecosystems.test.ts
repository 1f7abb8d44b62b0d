/**
 * Ruby gems against `gem list --local` on this machine (Debian's ruby: default gems and bundled
 * gems), and PHP Composer / .NET deps.json on files in the formats those tools write (neither
 * toolchain is installable here: no php/dotnet packages reach this machine's registries).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ImageFilesystem } from '../layers/filesystem.js';
import { composerCataloger, parseInstalledJson } from './composer.js';
import { dotnetCataloger } from './dotnet.js';
import { contentRules } from './index.js';
import { parseGemspec, rubyCataloger } from './ruby.js';
import { tarOf, type TarFile } from './testing.js';
import type { Cataloger, Package } from './types.js';

async function run(c: Cataloger, files: Record<string, TarFile>): Promise<{ pkgs: Package[]; fs: ImageFilesystem }> {
  const fs = new ImageFilesystem(contentRules([c]));
  await fs.applyLayer(Readable.from([tarOf(files)]), 'sha256:eco');
  return { pkgs: await c.catalog({ fs }), fs };
}

const gemDirs = (() => {
  try {
    const out = execFileSync('gem', ['env', 'gempath'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return out.split(':').filter((d) => existsSync(`${d}/specifications`));
  } catch {
    return [];
  }
})();

describe('ruby gems', () => {
  test.skipIf(gemDirs.length === 0)('installed gemspecs on this machine equal `gem list --local`', async () => {
    const truth = new Set<string>();
    for (const line of execFileSync('gem', ['list', '--local']).toString().split('\n')) {
      const m = /^(\S+) \((.+)\)$/.exec(line.trim());
      if (!m) continue;
      for (const v of m[2]!.split(', ')) truth.add(`${m[1]}@${v.replace(/^default: /, '')}`);
    }
    expect(truth.size).toBeGreaterThan(5);
    const files = execFileSync('find', [...gemDirs.map((d) => `${d}/specifications`), '-name', '*.gemspec'])
      .toString()
      .trim()
      .split('\n');
    const tarred = execFileSync('tar', ['-cf', '-', '--null', '-T', '-'], { input: files.join('\0'), maxBuffer: 256 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
    const fs = new ImageFilesystem(contentRules([rubyCataloger]));
    await fs.applyLayer(Readable.from([tarred]), 'sha256:ruby');
    const found = new Set((await rubyCataloger.catalog({ fs })).map((p) => `${p.name}@${p.version}`));
    expect([...truth].filter((t) => !found.has(t))).toEqual([]);
    expect([...found].filter((f) => !truth.has(f))).toEqual([]);
  });

  test('gemspec as RubyGems writes it: name, version, licenses, authors, owned files under gems/<name>-<version>', async () => {
    const spec = `# -*- encoding: utf-8 -*-
# stub: rake 13.0.6 ruby lib

Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.0.6"

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Hiroshi SHIBATA".freeze, "Eric Hodel".freeze]
  s.files = ["exe/rake".freeze, "lib/rake.rb".freeze,
    "lib/rake/application.rb".freeze]
  s.homepage = "https://github.com/ruby/rake".freeze
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.5".freeze
end
`;
    expect(parseGemspec(spec)).toMatchObject({ name: 'rake', version: '13.0.6', licenses: ['MIT'], authors: ['Hiroshi SHIBATA', 'Eric Hodel'] });
    const { pkgs } = await run(rubyCataloger, { 'usr/local/bundle/specifications/rake-13.0.6.gemspec': spec, 'usr/local/bundle/specifications/notes.txt': 'x' });
    expect(pkgs).toEqual([
      expect.objectContaining({
        purl: 'pkg:gem/rake@13.0.6',
        licenses: ['MIT'],
        files: ['/usr/local/bundle/gems/rake-13.0.6/exe/rake', '/usr/local/bundle/gems/rake-13.0.6/lib/rake.rb', '/usr/local/bundle/gems/rake-13.0.6/lib/rake/application.rb'],
        locations: [{ path: '/usr/local/bundle/specifications/rake-13.0.6.gemspec', layerDigest: 'sha256:eco' }],
      }),
    ]);
  });
});

describe('php composer installed.json', () => {
  const v1 = [
    { name: 'monolog/monolog', version: '2.9.1', version_normalized: '2.9.1.0', type: 'library', license: ['MIT'], authors: [{ name: 'Jordi Boggiano' }] },
    { name: 'psr/log', version: '1.1.4', license: ['MIT'] },
  ];
  const v2 = { packages: [{ name: 'symfony/console', version: 'v5.4.0', license: ['MIT'], 'install-path': '../symfony/console' }, { name: 'phpunit/phpunit', version: '9.6.13', license: ['BSD-3-Clause'] }], dev: true, 'dev-package-names': ['phpunit/phpunit'] };

  test('Composer 1 (array) and Composer 2 (packages + dev-package-names) formats', async () => {
    const { pkgs } = await run(composerCataloger, { 'app/vendor/composer/installed.json': JSON.stringify(v1), 'srv/vendor/composer/installed.json': JSON.stringify(v2) });
    expect(pkgs.map((p) => [p.purl, p.licenses, p.locations[0]!.path, p.metadata?.dev])).toEqual([
      ['pkg:composer/monolog/monolog@2.9.1', ['MIT'], '/app/vendor/composer/installed.json', undefined],
      ['pkg:composer/psr/log@1.1.4', ['MIT'], '/app/vendor/composer/installed.json', undefined],
      ['pkg:composer/symfony/console@v5.4.0', ['MIT'], '/srv/vendor/composer/installed.json', undefined],
      ['pkg:composer/phpunit/phpunit@9.6.13', ['BSD-3-Clause'], '/srv/vendor/composer/installed.json', 'true'],
    ]);
    expect(pkgs[0]!.supplier).toBe('Jordi Boggiano');
  });

  test('invalid JSON is reported, not fatal; entries without vendor/name are ignored', async () => {
    expect(parseInstalledJson(JSON.stringify([{ name: 'novendor', version: '1' }, { name: 'a/b' }]))).toEqual([]);
    const { pkgs, fs } = await run(composerCataloger, { 'vendor/composer/installed.json': '{"packages": [' });
    expect(pkgs).toEqual([]);
    expect(fs.skipped).toEqual([{ path: 'vendor/composer/installed.json', reason: 'invalid JSON' }]);
  });
});

describe('.NET deps.json', () => {
  test('libraries of type package and project, nuget purls, sha512 kept', async () => {
    const deps = {
      runtimeTarget: { name: '.NETCoreApp,Version=v8.0', signature: '' },
      targets: { '.NETCoreApp,Version=v8.0': { 'MyApp/1.0.0': { dependencies: { 'Newtonsoft.Json': '13.0.3' } }, 'Newtonsoft.Json/13.0.3': { runtime: { 'lib/net6.0/Newtonsoft.Json.dll': {} } } } },
      libraries: {
        'MyApp/1.0.0': { type: 'project', serviceable: false, sha512: '' },
        'Newtonsoft.Json/13.0.3': { type: 'package', serviceable: true, sha512: 'sha512-HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==', path: 'newtonsoft.json/13.0.3' },
        'runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0': { type: 'runtimepack', serviceable: false, sha512: '' },
      },
    };
    const { pkgs } = await run(dotnetCataloger, { 'app/MyApp.deps.json': JSON.stringify(deps) });
    expect(pkgs.map((p) => [p.purl, p.metadata?.type])).toEqual([
      ['pkg:nuget/MyApp@1.0.0', 'project'],
      ['pkg:nuget/Newtonsoft.Json@13.0.3', 'package'],
    ]);
    expect(pkgs[1]!.metadata?.sha512).toMatch(/^sha512-/);
    expect(pkgs[1]!.locations[0]!.path).toBe('/app/MyApp.deps.json');
  });
});

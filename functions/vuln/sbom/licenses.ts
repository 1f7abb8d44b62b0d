/**
 * Declared licenses → SPDX license expressions. Values that are SPDX identifiers (or expressions
 * of them) pass through; anything else (Debian's `GPL-2+`, free text) becomes a
 * `LicenseRef-<sanitised>` with its text kept in hasExtractedLicensingInfos, as syft does.
 */
const KNOWN = new Set(
  `0BSD AFL-3.0 AGPL-3.0 AGPL-3.0-only AGPL-3.0-or-later Apache-1.1 Apache-2.0 Artistic-1.0 Artistic-2.0 BSD-1-Clause BSD-2-Clause
BSD-3-Clause BSD-4-Clause BSL-1.0 CC-BY-3.0 CC-BY-4.0 CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 EPL-1.0 EPL-2.0 EUPL-1.2
GFDL-1.2 GFDL-1.3 GPL-1.0-or-later GPL-2.0 GPL-2.0-only GPL-2.0-or-later GPL-3.0 GPL-3.0-only GPL-3.0-or-later ISC LGPL-2.0 LGPL-2.0-only
LGPL-2.0-or-later LGPL-2.1 LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0 LGPL-3.0-only LGPL-3.0-or-later MIT MIT-0 MPL-1.1 MPL-2.0
OpenSSL PSF-2.0 Python-2.0 Ruby Unlicense UPL-1.0 WTFPL X11 Zlib curl BlueOak-1.0.0 Unicode-DFS-2016 Unicode-3.0 Beerware
Classpath-exception-2.0 LLVM-exception GCC-exception-3.1 Autoconf-exception-3.0 Bison-exception-2.2 HPND bzip2-1.0.6 MIT-CMU`
    .split(/\s+/)
    .map((s) => s.toLowerCase()),
);

export const isKnownSpdxId = (s: string): boolean => KNOWN.has(s.toLowerCase());

export interface LicenseRef {
  id: string;
  text: string;
}

function isSpdxExpression(s: string): boolean {
  const tokens = s.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean);
  if (!tokens.length) return false;
  return tokens.every((t, i) => (i % 2 === 1 ? /^(AND|OR|WITH)$/.test(t) : KNOWN.has(t.toLowerCase().replace(/\+$/, '')) || t.startsWith('LicenseRef-')));
}

export function licenseRefId(text: string): string {
  return `LicenseRef-${text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'unknown'}`;
}

/** One SPDX expression for a package's declared licenses, collecting LicenseRefs it needs. */
export function toSpdxExpression(licenses: readonly string[], refs: Map<string, LicenseRef>): string {
  if (!licenses.length) return 'NOASSERTION';
  const parts = licenses.map((l) => {
    const t = l.trim();
    if (isSpdxExpression(t)) return t.includes(' ') && licenses.length > 1 ? `(${t})` : t;
    const id = licenseRefId(t);
    if (!refs.has(id)) refs.set(id, { id, text: t });
    return id;
  });
  return [...new Set(parts)].join(' AND ');
}

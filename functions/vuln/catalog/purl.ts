/**
 * Package URLs (github.com/package-url/purl-spec). Segments are percent-encoded like
 * packageurl-go (what syft uses) so our purls compare equal to syft's for the same package.
 * Qualifiers keep the caller's order: syft writes deb/apk purls as arch, upstream, distro.
 */
// encodeURIComponent plus the RFC 3986 sub-delims it leaves alone (Go's url.QueryEscape, which
// packageurl-go builds on, escapes them): (devel) → %28devel%29.
const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function purl(type: string, namespace: string | undefined, name: string, version: string | undefined, qualifiers: [string, string | undefined][] = []): string {
  let s = `pkg:${type}/`;
  if (namespace) s += `${namespace.split('/').map(enc).join('/')}/`;
  s += enc(name);
  if (version) s += `@${enc(version)}`;
  const q = qualifiers.filter((x): x is [string, string] => x[1] !== undefined && x[1] !== '');
  if (q.length) s += `?${q.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`;
  return s;
}

/** `distro=debian-12` qualifier value from os-release. */
export function distroQualifier(d: { id: string; versionId?: string } | undefined): string | undefined {
  if (!d) return undefined;
  return d.versionId ? `${d.id}-${d.versionId}` : d.id;
}

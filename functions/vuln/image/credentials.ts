/**
 * Registry credentials: Kubernetes imagePullSecrets (`.dockerconfigjson` / legacy `.dockercfg`),
 * kubevuln's credentialsList entries, and one configured secret. Matching follows the kubelet's
 * rules (pkg/credentialprovider/keyring.go): keys are normalised (scheme and /v1/ /v2/ stripped,
 * Docker Hub aliases folded), wildcards match one DNS label per `*`, a key with a path only matches
 * repositories under it, and the most specific key wins.
 */
import { InvalidInputError } from '../errors.js';
import { DOCKER_HUB } from './reference.js';

export interface RegistryCredential {
  /** Registry key as written in the secret (host[:port][/path], may contain `*`, may be a URL). */
  server: string;
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker `identitytoken`): exchanged at the token realm. */
  identityToken?: string;
  /** A ready bearer token (docker `registrytoken`). */
  registryToken?: string;
}

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function normaliseKey(server: string): { host: string; path: string } {
  let s = server.trim().replace(/^[a-z]+:\/\//i, '');
  s = s.replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const slash = s.indexOf('/');
  let host = (slash >= 0 ? s.slice(0, slash) : s).toLowerCase();
  const path = slash >= 0 ? s.slice(slash + 1) : '';
  if (HUB_ALIASES.has(host)) host = DOCKER_HUB;
  return { host, path };
}

function hostMatches(pattern: string, host: string): boolean {
  const [pHost, pPort] = splitPort(pattern);
  const [hHost, hPort] = splitPort(host);
  if (pPort !== hPort) return false;
  const pl = pHost.split('.');
  const hl = hHost.split('.');
  if (pl.length !== hl.length) return false;
  return pl.every((p, i) => p === hl[i] || (p.includes('*') && globLabel(p, hl[i]!)));
}

function globLabel(p: string, s: string): boolean {
  const re = new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(s);
}

function splitPort(h: string): [string, string] {
  const i = h.lastIndexOf(':');
  return i > 0 && !h.includes(']', i) ? [h.slice(0, i), h.slice(i + 1)] : [h, ''];
}

/** The best credential for `registry/repository`, or undefined (anonymous). */
export function matchCredential(creds: readonly RegistryCredential[], registry: string, repository: string): RegistryCredential | undefined {
  const reg = normaliseKey(registry).host;
  let best: { c: RegistryCredential; score: number } | undefined;
  for (const c of creds) {
    const k = normaliseKey(c.server);
    if (!hostMatches(k.host, reg)) continue;
    if (k.path && !(repository === k.path || repository.startsWith(`${k.path}/`))) continue;
    // Exact hosts beat wildcards; longer paths beat shorter ones.
    const score = (k.host.includes('*') ? 0 : 1_000_000) + k.path.length * 10 + k.host.length;
    if (!best || score > best.score) best = { c, score };
  }
  return best?.c;
}

function decodeAuth(auth: string): { username?: string; password?: string } {
  const raw = Buffer.from(auth, 'base64').toString('utf8');
  const i = raw.indexOf(':');
  return i < 0 ? {} : { username: raw.slice(0, i), password: raw.slice(i + 1) };
}

/**
 * Credentials from a Secret's data: `.dockerconfigjson` ({auths: {server: {...}}}) or the legacy
 * `.dockercfg` ({server: {...}}). Values may be the decoded JSON string or the Secret's base64.
 */
export function credentialsFromDockerConfig(json: string | Record<string, unknown>): RegistryCredential[] {
  let doc: unknown = json;
  if (typeof json === 'string') {
    const text = json.trimStart().startsWith('{') ? json : Buffer.from(json, 'base64').toString('utf8');
    if (text.length > 1024 * 1024) throw new InvalidInputError('docker config larger than 1 MiB');
    try {
      doc = JSON.parse(text);
    } catch {
      throw new InvalidInputError('docker config is not valid JSON');
    }
  }
  if (typeof doc !== 'object' || doc === null) throw new InvalidInputError('docker config is not an object');
  const d = doc as Record<string, unknown>;
  const auths = (typeof d.auths === 'object' && d.auths !== null ? d.auths : d) as Record<string, unknown>;
  const out: RegistryCredential[] = [];
  for (const [server, v] of Object.entries(auths)) {
    if (typeof v !== 'object' || v === null) continue;
    const e = v as Record<string, unknown>;
    const c: RegistryCredential = { server };
    if (typeof e.username === 'string') c.username = e.username;
    if (typeof e.password === 'string') c.password = e.password;
    if ((!c.username || c.password === undefined) && typeof e.auth === 'string' && e.auth) Object.assign(c, decodeAuth(e.auth));
    if (typeof e.identitytoken === 'string' && e.identitytoken) c.identityToken = e.identitytoken;
    if (typeof e.registrytoken === 'string' && e.registrytoken) c.registryToken = e.registrytoken;
    out.push(c);
  }
  return out;
}

/** A Kubernetes Secret (type kubernetes.io/dockerconfigjson or dockercfg) → credentials. */
export function credentialsFromSecret(secret: { data?: Record<string, string> }): RegistryCredential[] {
  const data = secret.data ?? {};
  const v = data['.dockerconfigjson'] ?? data['.dockercfg'];
  return v ? credentialsFromDockerConfig(Buffer.from(v, 'base64').toString('utf8')) : [];
}

/** kubevuln's `credentialsList` entries ({username,password,serveraddress,identitytoken}). */
export function credentialsFromKubevuln(list: readonly { username?: string; password?: string; serveraddress?: string; identitytoken?: string }[]): RegistryCredential[] {
  return list
    .filter((c) => c.serveraddress)
    .map((c) => ({ server: c.serveraddress!, username: c.username, password: c.password, identityToken: c.identitytoken || undefined }));
}

/**
 * Image references, named like skopeo's transports:
 *   docker://registry/repo:tag, registry/repo@sha256:…, nginx (→ docker.io/library/nginx:latest)
 *   oci:DIR[:TAG|@DIGEST], oci-archive:PATH[:TAG], docker-archive:PATH[:REF]
 * Normalisation follows the Docker distribution reference rules: the first path component is a
 * registry host only if it has a `.` or `:` or is `localhost`; docker.io is served by
 * registry-1.docker.io and single-name repositories get `library/`.
 */
import { InvalidInputError } from '../errors.js';

export interface RegistryReference {
  transport: 'docker';
  /** Host[:port] as written (docker.io normalised). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** Canonical name, e.g. docker.io/library/nginx:1.25 or ghcr.io/a/b@sha256:… */
  canonical: string;
}

export interface LocalReference {
  transport: 'oci' | 'oci-archive' | 'docker-archive';
  path: string;
  /** Tag (oci/oci-archive: index annotation org.opencontainers.image.ref.name) or RepoTag. */
  tag?: string;
  digest?: string;
  canonical: string;
}

export type ImageReference = RegistryReference | LocalReference;

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';

const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REPO_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const MAX_REF = 4096;

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** Host used for API calls (docker.io → registry-1.docker.io). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

export function parseReference(input: string): ImageReference {
  if (input.length === 0 || input.length > MAX_REF) throw new InvalidInputError('image reference is empty or too long');
  const m = /^(oci|oci-archive|docker-archive|docker):(.*)$/.exec(input);
  if (m && m[1] !== 'docker') return parseLocal(m[1] as LocalReference['transport'], m[2]!);
  let rest = m ? m[2]! : input;
  if (m) {
    if (!rest.startsWith('//')) throw new InvalidInputError(`docker transport needs docker://, got "${input}"`);
    rest = rest.slice(2);
  }
  return parseRegistryRef(rest);
}

export function parseRegistryRef(input: string): RegistryReference {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new InvalidInputError(`invalid digest in "${input}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidInputError(`invalid tag in "${input}"`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first.toLowerCase();
    parts.shift();
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  if (parts.length === 0 || !parts.every((p) => REPO_COMPONENT_RE.test(p)))
    throw new InvalidInputError(`invalid repository in "${input}"`);
  const repository = parts.join('/');
  if (!tag && !digest) tag = 'latest';
  const canonical = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { transport: 'docker', registry, repository, tag, digest, canonical };
}

function parseLocal(transport: LocalReference['transport'], spec: string): LocalReference {
  if (spec === '') throw new InvalidInputError(`${transport}: missing path`);
  let path = spec;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = spec.lastIndexOf('@');
  if (transport === 'oci' && at > 0 && isDigest(spec.slice(at + 1))) {
    digest = spec.slice(at + 1);
    path = spec.slice(0, at);
  } else {
    // PATH:TAG split at the first ':' as skopeo does (the docker-archive tag is itself repo:tag,
    // and may contain '/'); paths containing ':' are not supported, as in skopeo.
    const colon = spec.indexOf(':');
    if (colon > 0) {
      tag = spec.slice(colon + 1) || undefined;
      path = spec.slice(0, colon);
    }
  }
  return { transport, path, tag, digest, canonical: `${transport}:${spec}` };
}

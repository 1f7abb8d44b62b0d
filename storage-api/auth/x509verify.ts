/**
 * Client-certificate chain verification, done by us per request rather than by OpenSSL per
 * connection.
 *
 * Why not let the TLS layer verify: the server trusts two unrelated CAs (the front-proxy
 * "requestheader" CA and the optional client CA) and what a certificate proves depends on WHICH
 * one it chains to: a requestheader certificate lets its holder assert any user through
 * X-Remote-* headers, a client-CA certificate only proves its own CN. OpenSSL's `authorized` flag
 * only says "chains to one of the CAs in `ca`", so trusting it would let an ordinary client-CA user
 * impersonate anyone. We therefore ask for the certificate with `rejectUnauthorized: false` and
 * verify it here against one specific trust pool at a time, like Go's `x509.Certificate.Verify`
 * with `KeyUsages: [ClientAuth]` does in k8s.io/apiserver.
 *
 * Checks, per link: issuer name / key identifier match and signature (node's X509Certificate
 * `checkIssued` + `verify`), validity window of every certificate including the anchor, CA basic
 * constraints and path length on intermediates, the client-auth extended key usage on every
 * certificate that carries an EKU extension (absent = any usage, as in Go), and no unhandled
 * critical extension. Name constraints are not implemented, so a critical nameConstraints
 * extension makes the chain fail rather than silently pass.
 */
import { X509Certificate as NodeX509, createHash } from 'node:crypto';
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';
import { x509 } from './x509lib.js';

export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_ANY = '2.5.29.37.0';

/** Extensions we either enforce or that carry no constraint for client authentication. */
const HANDLED_CRITICAL = new Set([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extendedKeyUsage
  '2.5.29.17', // subjectAltName (names are not used for client auth)
  '2.5.29.32', // certificatePolicies (no policy is required, as in Go)
]);

const MAX_CHAIN_DEPTH = 8;

export interface ParsedCert {
  readonly der: Buffer;
  /** SHA-256 of the DER, hex; stable identity for logs and caches. */
  readonly fingerprint: string;
  readonly node: NodeX509;
  readonly parsed: x509.X509Certificate;
  readonly commonNames: readonly string[];
  readonly organizations: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function parseCert(der: Buffer | Uint8Array): ParsedCert {
  const buf = Buffer.from(der);
  const parsed = new x509.X509Certificate(buf);
  return {
    der: buf,
    fingerprint: createHash('sha256').update(buf).digest('hex'),
    node: new NodeX509(buf),
    parsed,
    commonNames: parsed.subjectName.getField('CN'),
    organizations: parsed.subjectName.getField('O'),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  };
}

/**
 * Parse a PEM bundle (one or more CERTIFICATE blocks). Throws when the bundle contains no
 * certificate or an unparsable one: a CA file that silently trusts nothing hides configuration
 * mistakes until the first 401.
 */
export function parsePemBundle(pem: string, source = 'PEM bundle'): ParsedCert[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${source}: no PEM CERTIFICATE block found`);
  return blocks.map((b, i) => {
    try {
      return parseCert(Buffer.from(x509.PemConverter.decodeFirst(b)));
    } catch (e) {
      throw new Error(`${source}: certificate #${i + 1} cannot be parsed: ${(e as Error).message}`, { cause: e });
    }
  });
}

/**
 * The certificates the TLS peer presented, leaf first, as DER. Empty when the client sent none.
 * Node links `issuerCertificate` through the peer's chain (and may append certificates from the
 * server's own `ca` store); everything after the leaf is only used as candidate intermediates,
 * never as a trust anchor.
 */
export function peerCertificates(socket: TLSSocket): Buffer[] {
  if (typeof socket.getPeerCertificate !== 'function') return [];
  const leaf = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  if (!leaf || !('raw' in leaf) || !leaf.raw) return [];
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = leaf as DetailedPeerCertificate;
  while (cur?.raw && out.length < MAX_CHAIN_DEPTH + 2) {
    const key = cur.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    out.push(cur.raw);
    cur = cur.issuerCertificate;
  }
  return out;
}

export type ChainResult =
  | { ok: true; leaf: ParsedCert; chain: ParsedCert[] }
  /** `temporal`: the failure involved a validity window, so the same chain may pass at another time. */
  | { ok: false; reason: string; temporal?: boolean };

function ekuAllows(c: ParsedCert, usage: string): boolean {
  const ext = c.parsed.getExtension(x509.ExtendedKeyUsageExtension);
  if (!ext) return true;
  const usages = ext.usages.map(String);
  return usages.includes(usage) || usages.includes(EKU_ANY);
}

function unhandledCritical(c: ParsedCert): string | undefined {
  return c.parsed.extensions.find((e) => e.critical && !HANDLED_CRITICAL.has(e.type))?.type;
}

function timeProblem(c: ParsedCert, now: Date, role: string): string | undefined {
  if (now < c.notBefore) return `${role} certificate is not valid before ${c.notBefore.toISOString()}`;
  if (now > c.notAfter) return `${role} certificate expired at ${c.notAfter.toISOString()}`;
  return undefined;
}

function issuedBy(child: ParsedCert, issuer: ParsedCert): boolean {
  // checkIssued: subject/issuer names and key identifiers match (and issuer keyUsage, if present,
  // permits certificate signing); verify: the signature really is the issuer's.
  try {
    return child.node.checkIssued(issuer.node) && child.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

/**
 * Verify `presented` (leaf first, then optional intermediates) against `roots` for `usage`.
 * Returns the chain leaf → anchor on success.
 */
export function verifyChain(
  presented: readonly ParsedCert[],
  roots: readonly ParsedCert[],
  now: Date,
  usage: string = EKU_CLIENT_AUTH,
): ChainResult {
  const leaf = presented[0];
  if (!leaf) return { ok: false, reason: 'no client certificate' };
  if (roots.length === 0) return { ok: false, reason: 'no trusted CA configured' };

  const check = (c: ParsedCert, role: string): string | undefined => {
    const t = timeProblem(c, now, role);
    if (t) return t;
    if (!ekuAllows(c, usage)) return `${role} certificate does not allow ${usage === EKU_CLIENT_AUTH ? 'client' : usage} authentication (extended key usage)`;
    const crit = unhandledCritical(c);
    if (crit) return `${role} certificate has an unsupported critical extension ${crit}`;
    return undefined;
  };

  const leafTime = timeProblem(leaf, now, 'client');
  if (leafTime) return { ok: false, reason: leafTime, temporal: true };
  const leafProblem = check(leaf, 'client');
  if (leafProblem) return { ok: false, reason: leafProblem };

  const intermediates = presented.slice(1);
  const chain: ParsedCert[] = [leaf];
  const used = new Set<string>([leaf.fingerprint]);
  let current = leaf;
  let lastError = 'certificate signed by unknown authority';
  let temporal = false;
  for (let depth = 0; depth <= MAX_CHAIN_DEPTH; depth++) {
    // Anchor first: a trusted root that issued the current certificate ends the walk.
    for (const root of roots) {
      if (!issuedBy(current, root)) continue;
      const t = timeProblem(root, now, 'CA');
      const p = t ?? (ekuAllows(root, usage) ? undefined : 'CA certificate does not allow client authentication');
      if (p) {
        lastError = p;
        temporal ||= t !== undefined;
        continue;
      }
      return { ok: true, leaf, chain: [...chain, root] };
    }
    // Otherwise climb through an intermediate the client presented.
    let next: ParsedCert | undefined;
    for (const cand of intermediates) {
      if (used.has(cand.fingerprint) || !issuedBy(current, cand)) continue;
      const bc = cand.parsed.getExtension(x509.BasicConstraintsExtension);
      if (!bc?.ca) {
        lastError = 'intermediate certificate is not a CA';
        continue;
      }
      // pathLength counts the intermediates below this one (the leaf excluded).
      const below = chain.length - 1;
      if (bc.pathLength !== undefined && below > bc.pathLength) {
        lastError = 'intermediate certificate path length constraint exceeded';
        continue;
      }
      const p = check(cand, 'intermediate');
      if (p) {
        lastError = p;
        temporal ||= timeProblem(cand, now, '') !== undefined;
        continue;
      }
      next = cand;
      break;
    }
    if (!next) return { ok: false, reason: lastError, ...(temporal ? { temporal } : {}) };
    used.add(next.fingerprint);
    chain.push(next);
    current = next;
  }
  return { ok: false, reason: 'certificate chain too long' };
}

/** Parse the peer's certificates; a malformed certificate is a failure, not an exception. */
export function parsePresented(ders: readonly Buffer[]): ParsedCert[] | { error: string } {
  try {
    return ders.map((d) => parseCert(d));
  } catch (e) {
    return { error: `client certificate cannot be parsed: ${(e as Error).message}` };
  }
}

/**
 * The single CN of a certificate. Multiple CN attributes are refused: Go keeps the last one while
 * other stacks keep the first, and an ambiguous identity must not reach an allow-list check.
 */
export function singleCommonName(c: ParsedCert): string | undefined {
  return c.commonNames.length === 1 ? c.commonNames[0] : undefined;
}

/**
 * Verify the TLS peer of `socket` against `roots`, remembering the outcome per connection.
 *
 * The aggregator proxies every request over a handful of long-lived keep-alive connections, so
 * parsing and signature-checking the same proxy certificate on each request is wasted work. The
 * memo is keyed on the socket (a connection's peer certificate cannot change) and on the identity
 * of the `roots` array (a CA rotation swaps the array, invalidating it). Validity dates are
 * re-checked on every call, so a connection outliving its certificate stops authenticating.
 */
const peerMemo = new WeakMap<TLSSocket, Map<readonly ParsedCert[], ChainResult>>();

export function verifyPeer(
  socket: TLSSocket,
  roots: readonly ParsedCert[],
  now: Date,
  usage: string = EKU_CLIENT_AUTH,
): ChainResult | undefined {
  let perSocket = peerMemo.get(socket);
  const memo = perSocket?.get(roots);
  if (memo?.ok) {
    // Same connection, same pool: only time can have changed the answer.
    if (memo.chain.every((c) => !timeProblem(c, now, ''))) return memo;
  } else if (memo && !memo.temporal) {
    return memo; // wrong CA, bad EKU, malformed: permanent for this connection and pool
  }
  const ders = peerCertificates(socket);
  if (ders.length === 0) return undefined;
  const presented = parsePresented(ders);
  const result: ChainResult = 'error' in presented ? { ok: false, reason: presented.error } : verifyChain(presented, roots, now, usage);
  if (!perSocket) peerMemo.set(socket, (perSocket = new Map()));
  // A pool array is replaced on every CA rotation; keep only a few so stale pools do not pile up.
  if (perSocket.size >= 4) perSocket.clear();
  perSocket.set(roots, result);
  return result;
}

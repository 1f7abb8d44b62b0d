/**
 * Serving certificate and TLS server options for the storage API.
 *
 * Production mounts a certificate (cert-manager or a Secret) whose SANs include
 * `<service>.<namespace>.svc`, the name the aggregator dials. Without one we generate a
 * self-signed CA and a serving certificate signed by it on each start, as k8s.io/apiserver does
 * (`GenerateSelfSignedCertKey`), and say so: the APIService then needs
 * `insecureSkipTLSVerify: true` or the printed CA in `caBundle`.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { ServerOptions } from 'node:https';
import { isIP } from 'node:net';
import { webcrypto } from 'node:crypto';
import { x509 } from './x509lib.js';
import { type Logger, logger } from '../../lib/log/index.js';

export interface ServingTls {
  /** PEM serving certificate chain (leaf first). */
  cert: string;
  /** PEM private key. */
  key: string;
  /** True when generated at start-up (no files configured). */
  generated: boolean;
  /** For generated certificates: the PEM CA that signed the serving certificate (for caBundle / kubeconfig). */
  caCert?: string;
}

export interface LoadServingTlsOptions {
  certFile?: string;
  keyFile?: string;
  /** DNS names and IP addresses the generated certificate is valid for; the first is its CN. */
  hosts: readonly string[];
  /** Validity of generated certificates. Default 365 days. */
  validityDays?: number;
  log?: Logger;
}

export const DEFAULT_SERVING_HOSTS = [
  'kscape-storage-api.kubescape.svc',
  'kscape-storage-api.kubescape.svc.cluster.local',
  'kscape-storage-api',
  'localhost',
  '127.0.0.1',
  '::1',
] as const;


/** Load the serving certificate from files, or generate one when neither file is configured. */
export async function loadServingTls(opts: LoadServingTlsOptions): Promise<ServingTls> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) {
      throw new Error('TLS certificate and key files must be configured together (KSCAPE_STORAGE_TLS_CERT_FILE and KSCAPE_STORAGE_TLS_KEY_FILE)');
    }
    return readServingFiles(opts.certFile, opts.keyFile);
  }
  const generated = await generateSelfSigned(opts.hosts, opts.validityDays ?? 365);
  (opts.log ?? logger('storage-api.auth')).warn(
    { hosts: opts.hosts, notAfter: generated.notAfter.toISOString() },
    'no TLS certificate configured: generated a self-signed serving certificate (set KSCAPE_STORAGE_TLS_CERT_FILE/KEY_FILE for production; the APIService needs insecureSkipTLSVerify or this CA as caBundle)',
  );
  return { cert: generated.cert, key: generated.key, caCert: generated.caCert, generated: true };
}

/** Read and validate a certificate/key pair (mismatched pairs fail here, not on the first handshake). */
export async function readServingFiles(certFile: string, keyFile: string): Promise<ServingTls> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new Error(`TLS certificate ${certFile} / key ${keyFile} are not a usable pair: ${(e as Error).message}`, { cause: e });
  }
  return { cert, key, generated: false };
}

export async function generateSelfSigned(
  hosts: readonly string[],
  validityDays = 365,
  now: Date = new Date(),
): Promise<{ cert: string; key: string; caCert: string; notAfter: Date }> {
  if (hosts.length === 0) throw new Error('at least one host is needed for a serving certificate');
  const alg: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
  const sig: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate small clock skew of clients
  const notAfter = new Date(now.getTime() + validityDays * 86_400_000);

  const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caName = `CN=${hosts[0]}-ca@${Math.floor(now.getTime() / 1000)}`;
  const ca = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: caName,
    issuer: caName,
    notBefore,
    notAfter,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: sig,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [hosts[0]!] }],
    issuer: ca.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: sig,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
      ),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const caPem = ca.toString('pem') + '\n';
  return {
    // Leaf then CA, like kube's generated bundle, so clients that pin the chain see the issuer.
    cert: leaf.toString('pem') + '\n' + caPem,
    key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    caCert: caPem,
    notAfter,
  };
}

function randomSerial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  // Positive and minimally DER-encoded: a leading 0x00 byte would be an invalid INTEGER encoding.
  b[0] = (b[0]! & 0x7f) || 0x01;
  return Buffer.from(b).toString('hex');
}

/**
 * `https.createServer` options. Client certificates are requested but not required or verified by
 * OpenSSL (`rejectUnauthorized: false`): token-authenticated clients have no certificate, and
 * which CA a certificate chains to decides what it proves, so the authenticators verify chains per
 * request (see x509verify.ts). `ca` still matters: its subjects are sent in the TLS
 * CertificateRequest, and Go clients (the aggregator) only offer a certificate issued by one of
 * them, so it must contain the requestheader CA and the client CA.
 */
export function httpsServerOptions(serving: Pick<ServingTls, 'cert' | 'key'>, clientCAs: readonly string[] = []): ServerOptions {
  const ca = clientCAs.filter((c) => c.trim().length > 0);
  return {
    cert: serving.cert,
    key: serving.key,
    requestCert: true,
    rejectUnauthorized: false,
    ...(ca.length ? { ca } : {}),
    minVersion: 'TLSv1.2',
  };
}

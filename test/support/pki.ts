/**
 * Test PKI: generate certificate authorities, serving certificates and client certificates in
 * memory with @peculiar/x509 on Node's WebCrypto. Every suite that needs TLS (storage-api auth,
 * engine, kubectl end-to-end, fake kube-apiservers) builds its own throw-away PKI with these
 * helpers instead of checking key material into the repository.
 *
 * Everything is PEM so the results plug straight into `https.createServer({ cert, key, ca })`,
 * `https.request({ cert, key, ca })` and kubeconfig `*-data` fields (base64 of the PEM).
 *
 * Example:
 *   const ca = await createCA({ commonName: 'front-proxy-ca' });
 *   const proxy = await issueClientCert(ca, { commonName: 'front-proxy-client' });
 *   const server = await issueServerCert(ca, { hosts: ['localhost', '127.0.0.1'] });
 */
// Polyfill first: @peculiar/x509 2.x needs Reflect metadata before it loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyAlgorithm = 'ec-p256' | 'rsa-2048';
export type Usage = 'serverAuth' | 'clientAuth';

export interface KeyPairPem {
  /** PEM certificate (leaf only). */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** Leaf followed by intermediates (not the root), as a TLS peer should present it. */
  chain: string;
  /** Parsed certificate, for assertions. */
  x509: x509.X509Certificate;
  /** Internal: the key pair, so this identity can sign others when it is a CA. */
  keys: webcrypto.CryptoKeyPair;
  algorithm: KeyAlgorithm;
}

export interface CertOptions {
  commonName: string;
  /** Subject O= values; for Kubernetes client certificates these are the groups. */
  organizations?: string[];
  /** Default: one hour ago (tolerates clock skew in tests). */
  notBefore?: Date;
  /** Default: one day from now. */
  notAfter?: Date;
  algorithm?: KeyAlgorithm;
}

export interface LeafOptions extends CertOptions {
  /** Extended key usages; `[]` omits the extension (meaning "any usage" in X.509). */
  usages?: Usage[];
  /** DNS names and IP addresses for the subjectAltName extension. */
  hosts?: string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ALGORITHMS: Record<KeyAlgorithm, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
};

function signingAlgorithm(alg: KeyAlgorithm): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return alg === 'ec-p256' ? { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams : { name: 'RSASSA-PKCS1-v1_5' };
}

async function generateKeys(alg: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHMS[alg], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function subject(opts: CertOptions): x509.JsonName {
  const name: x509.JsonName = [{ CN: [opts.commonName] }];
  for (const o of opts.organizations ?? []) name.push({ O: [o] });
  return name;
}

function serial(): string {
  // Positive 16-byte serial (high bit cleared) as RFC 5280 asks.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  // Positive and minimally DER-encoded: a leading 0x00 byte would be an invalid INTEGER encoding.
  b[0] = (b[0]! & 0x7f) || 0x01;
  return Buffer.from(b).toString('hex');
}

async function finish(
  cert: x509.X509Certificate,
  keys: webcrypto.CryptoKeyPair,
  alg: KeyAlgorithm,
  issuer?: KeyPairPem,
): Promise<KeyPairPem> {
  const pem = cert.toString('pem');
  // The chain a peer presents: leaf + its issuer's chain, minus the self-signed root.
  const issuerChain = issuer && !isSelfSigned(issuer.x509) ? issuer.chain : '';
  return {
    cert: pem + '\n',
    key: await exportKey(keys.privateKey),
    chain: pem + '\n' + issuerChain,
    x509: cert,
    keys,
    algorithm: alg,
  };
}

function isSelfSigned(c: x509.X509Certificate): boolean {
  return c.subject === c.issuer;
}

/** A self-signed root CA. */
export async function createCA(opts: CertOptions): Promise<KeyPairPem> {
  const alg = opts.algorithm ?? 'ec-p256';
  const keys = await generateKeys(alg);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(opts),
    issuer: subject(opts),
    notBefore: opts.notBefore ?? new Date(Date.now() - HOUR),
    notAfter: opts.notAfter ?? new Date(Date.now() + DAY),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: signingAlgorithm(alg),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return finish(cert, keys, alg);
}

/** An intermediate CA signed by `parent`. */
export async function createIntermediateCA(parent: KeyPairPem, opts: CertOptions & { usages?: Usage[] }): Promise<KeyPairPem> {
  const alg = opts.algorithm ?? 'ec-p256';
  const keys = await generateKeys(alg);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(parent.keys.publicKey),
  ];
  if (opts.usages && opts.usages.length) extensions.push(ekuExtension(opts.usages));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(opts),
    issuer: parent.x509.subjectName,
    notBefore: opts.notBefore ?? new Date(Date.now() - HOUR),
    notAfter: opts.notAfter ?? new Date(Date.now() + DAY),
    publicKey: keys.publicKey,
    signingKey: parent.keys.privateKey,
    signingAlgorithm: signingAlgorithm(parent.algorithm),
    extensions,
  });
  return finish(cert, keys, alg, parent);
}

function ekuExtension(usages: Usage[]): x509.ExtendedKeyUsageExtension {
  return new x509.ExtendedKeyUsageExtension(usages.map((u) => x509.ExtendedKeyUsage[u]), false);
}

/** A leaf certificate signed by `ca`. */
export async function issueCert(ca: KeyPairPem, opts: LeafOptions): Promise<KeyPairPem> {
  const alg = opts.algorithm ?? 'ec-p256';
  const keys = await generateKeys(alg);
  const usages = opts.usages ?? ['clientAuth'];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (alg === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (usages.length) extensions.push(ekuExtension(usages));
  if (opts.hosts?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        opts.hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(opts),
    issuer: ca.x509.subjectName,
    notBefore: opts.notBefore ?? new Date(Date.now() - HOUR),
    notAfter: opts.notAfter ?? new Date(Date.now() + DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: signingAlgorithm(ca.algorithm),
    extensions,
  });
  return finish(cert, keys, alg, ca);
}

/** A TLS server certificate for `hosts` (default localhost and 127.0.0.1). */
export function issueServerCert(
  ca: KeyPairPem,
  opts: Partial<LeafOptions> & { hosts?: string[] } = {},
): Promise<KeyPairPem> {
  const hosts = opts.hosts ?? ['localhost', '127.0.0.1'];
  return issueCert(ca, { commonName: hosts[0] ?? 'localhost', usages: ['serverAuth'], ...opts, hosts });
}

/** A TLS client certificate: CN is the user name, O the groups (Kubernetes x509 conventions). */
export function issueClientCert(ca: KeyPairPem, opts: LeafOptions): Promise<KeyPairPem> {
  return issueCert(ca, { usages: ['clientAuth'], ...opts });
}

/** Base64 of a PEM, for kubeconfig `certificate-authority-data` and friends. */
export function b64(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

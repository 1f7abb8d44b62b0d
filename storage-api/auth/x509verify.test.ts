import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type KeyPairPem,
  createCA,
  createIntermediateCA,
  issueCert,
  issueClientCert,
} from '../../test/support/pki.js';
import { x509 } from './x509lib.js';
import { type ParsedCert, parseCert, parsePemBundle, singleCommonName, verifyChain } from './x509verify.js';

const DAY = 86_400_000;
let root: KeyPairPem;
let otherRoot: KeyPairPem;

const pem = (k: KeyPairPem): ParsedCert[] => parsePemBundle(k.chain);
const roots = (...k: KeyPairPem[]): ParsedCert[] => k.flatMap((x) => parsePemBundle(x.cert));

beforeAll(async () => {
  [root, otherRoot] = await Promise.all([createCA({ commonName: 'root' }), createCA({ commonName: 'other' })]);
});

describe('verifyChain', () => {
  it('accepts a leaf signed by the root and returns the chain', async () => {
    const leaf = await issueClientCert(root, { commonName: 'a' });
    const r = verifyChain(pem(leaf), roots(otherRoot, root), new Date());
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.chain.map((c) => c.commonNames[0])).toEqual(['a', 'root']);
  });

  it('works with RSA keys too', async () => {
    const rsaRoot = await createCA({ commonName: 'rsa-root', algorithm: 'rsa-2048' });
    const leaf = await issueClientCert(rsaRoot, { commonName: 'r', algorithm: 'rsa-2048' });
    expect(verifyChain(pem(leaf), roots(rsaRoot), new Date()).ok).toBe(true);
  });

  it('rejects a leaf from another CA, even one with the same subject name', async () => {
    const impostor = await createCA({ commonName: 'root' });
    const leaf = await issueClientCert(impostor, { commonName: 'a' });
    expect(verifyChain(pem(leaf), roots(root), new Date())).toMatchObject({ ok: false, reason: /unknown authority/ });
  });

  it('does not let the client supply its own trust anchor', async () => {
    // The client sends the impostor root along as an "intermediate": still no path to our root.
    const impostor = await createCA({ commonName: 'root' });
    const leaf = await issueClientCert(impostor, { commonName: 'a' });
    const presented = [...pem(leaf), ...parsePemBundle(impostor.cert)];
    expect(verifyChain(presented, roots(root), new Date()).ok).toBe(false);
  });

  it('checks validity of leaf, intermediate and root against the given time', async () => {
    const leaf = await issueClientCert(root, { commonName: 'a' });
    expect(verifyChain(pem(leaf), roots(root), new Date(Date.now() + 2 * DAY))).toMatchObject({ ok: false, reason: /expired/ });
    expect(verifyChain(pem(leaf), roots(root), new Date(Date.now() - 2 * 3_600_000))).toMatchObject({ ok: false, reason: /not valid before/ });

    const shortRoot = await createCA({ commonName: 'short', notAfter: new Date(Date.now() + 60_000) });
    const longLeaf = await issueClientCert(shortRoot, { commonName: 'a', notAfter: new Date(Date.now() + DAY) });
    expect(verifyChain(pem(longLeaf), roots(shortRoot), new Date()).ok).toBe(true);
    expect(verifyChain(pem(longLeaf), roots(shortRoot), new Date(Date.now() + 120_000))).toMatchObject({ ok: false, reason: /CA certificate expired/ });
  });

  it('requires the client-auth EKU when an EKU extension is present; none = any usage', async () => {
    const serverOnly = await issueCert(root, { commonName: 's', usages: ['serverAuth'] });
    const both = await issueCert(root, { commonName: 'b', usages: ['serverAuth', 'clientAuth'] });
    const none = await issueCert(root, { commonName: 'n', usages: [] });
    expect(verifyChain(pem(serverOnly), roots(root), new Date())).toMatchObject({ ok: false, reason: /extended key usage/ });
    expect(verifyChain(pem(both), roots(root), new Date()).ok).toBe(true);
    expect(verifyChain(pem(none), roots(root), new Date()).ok).toBe(true);
  });

  it('follows presented intermediates, which must be CAs allowing client auth', async () => {
    const inter = await createIntermediateCA(root, { commonName: 'inter' });
    const leaf = await issueClientCert(inter, { commonName: 'a' });
    expect(verifyChain(pem(leaf), roots(root), new Date()).ok).toBe(true);
    // Without the intermediate there is no path.
    expect(verifyChain(pem(leaf).slice(0, 1), roots(root), new Date()).ok).toBe(false);

    const serverInter = await createIntermediateCA(root, { commonName: 'server-inter', usages: ['serverAuth'] });
    const leaf2 = await issueClientCert(serverInter, { commonName: 'b' });
    expect(verifyChain(pem(leaf2), roots(root), new Date())).toMatchObject({ ok: false, reason: /extended key usage/ });
  });

  it('refuses a non-CA certificate used as an issuer', async () => {
    const notCA = await issueClientCert(root, { commonName: 'not-a-ca', usages: [] });
    // Sign a "leaf" with the non-CA key: checkIssued fails (keyUsage lacks keyCertSign) or the
    // basic-constraints check does; either way no chain.
    const forged = await issueClientCert(notCA, { commonName: 'forged' });
    expect(verifyChain(pem(forged), roots(root), new Date()).ok).toBe(false);
  });

  it('enforces intermediate path length', async () => {
    const i1 = await createIntermediateCA(root, { commonName: 'i1' }); // pathLen 0
    const i2 = await createIntermediateCA(i1, { commonName: 'i2' });
    const leaf = await issueClientCert(i2, { commonName: 'deep' });
    expect(verifyChain(pem(leaf), roots(root), new Date())).toMatchObject({ ok: false, reason: /path length/ });
  });

  it('refuses an issuer whose basic constraints say it is not a CA, even with keyCertSign', async () => {
    const keys = await newKeys();
    const fakeCA = await x509.X509CertificateGenerator.create({
      subject: 'CN=fake-ca',
      issuer: root.x509.subjectName,
      publicKey: keys.publicKey,
      signingKey: root.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + DAY),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const fakeCAPair = { ...root, x509: fakeCA, keys, chain: fakeCA.toString('pem'), cert: fakeCA.toString('pem') };
    const leaf = await issueClientCert(fakeCAPair, { commonName: 'via-fake-ca' });
    const presented = [parseCert(Buffer.from((await leafDer(leaf)))), parseCert(Buffer.from(fakeCA.rawData))];
    expect(verifyChain(presented, roots(root), new Date())).toMatchObject({ ok: false, reason: /not a CA/ });
  });

  it('rejects unknown critical extensions', async () => {
    const ca = root;
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      subject: 'CN=odd',
      issuer: ca.x509.subjectName,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + DAY),
      extensions: [
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
        new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00])),
      ],
    });
    const r = verifyChain([parseCert(Buffer.from(cert.rawData))], roots(root), new Date());
    expect(r).toMatchObject({ ok: false, reason: /critical extension 1\.3\.6\.1\.4\.1\.99999\.1/ });
  });

  it('singleCommonName refuses ambiguous subjects', async () => {
    const c = await issueClientCert(root, { commonName: 'x' });
    expect(singleCommonName(pem(c)[0]!)).toBe('x');
    const two = await createCA({ commonName: 'y' });
    const parsed = pem(two)[0]!;
    expect(singleCommonName({ ...parsed, commonNames: ['a', 'b'] })).toBeUndefined();
  });
});

async function newKeys(): Promise<KeyPairPem['keys']> {
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as KeyPairPem['keys'];
}

async function leafDer(k: KeyPairPem): Promise<Uint8Array> {
  return new Uint8Array(k.x509.rawData);
}

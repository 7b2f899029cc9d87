import { createHash, createPrivateKey, generateKeyPairSync, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ed25519Multibase } from '../formats/vc/contexts.js';
import type { FormatId } from '../record.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };

/** EU DCC extended key usage: a document signer for vaccination certificates. */
export const EU_DCC_VACCINATION_EKU = '1.3.6.1.4.1.1847.2021.1.2';

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** The authority outlives the signers it certifies; a signer's certificates outlive its use. */
const AUTHORITY_YEARS = 10;
const SIGNER_YEARS = 2;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** What the tenant's authority is to the formats: the CSCA certificate and the key that signs signers. */
export interface AuthorityMaterial {
  certificate: Buffer;
  privateKey: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/** A new signing key as stored: the private key as PKCS #8 DER (sealed before it is stored). */
export interface KeyMaterial {
  format: FormatId;
  /** For VC the key's own part only (its `publicKeyMultibase`): the verification method id adds the issuer URL. */
  kid: string;
  algorithm: 'ES256' | 'Ed25519';
  publicJwk: JWK;
  privateKey: Buffer;
  certificate?: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export interface Issuer {
  name: string;
  country: string;
}

/** The EU DCC kid: base64 of the first 8 bytes of SHA-256 of the DSC's DER. */
export function euDccKid(certificateDer: Buffer): string {
  return createHash('sha256').update(certificateDer).digest().subarray(0, 8).toString('base64');
}

function name(issuer: Issuer, commonName: string): x509.JsonName {
  return [{ C: [issuer.country] }, { O: [issuer.name] }, { CN: [commonName] }];
}

function wholeSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

function serial(): string {
  // Positive, 16 bytes: the high bit clear.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

/** A country signing certificate authority: self-signed, ES256, the country in its subject. */
export async function createAuthority(issuer: Issuer, at = new Date()): Promise<AuthorityMaterial> {
  const now = wholeSecond(at);
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as KeyPair;
  const notAfter = new Date(now.getTime() + AUTHORITY_YEARS * YEAR_MS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: name(issuer, `CSCA ${issuer.country}`),
    notBefore: now,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate: Buffer.from(certificate.rawData),
    privateKey: KeyObject.from(keys.privateKey).export({ format: 'der', type: 'pkcs8' }),
    notBefore: now,
    notAfter,
  };
}

/** A document signing certificate for EU DCC, signed by the authority, with the vaccination EKU. */
async function createDocumentSigner(issuer: Issuer, authority: AuthorityMaterial, now: Date): Promise<KeyMaterial> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as KeyPair;
  const ca = new x509.X509Certificate(authority.certificate);
  const caKey = await createPrivateKey({ key: authority.privateKey, format: 'der', type: 'pkcs8' }).toCryptoKey(EC, false, ['sign']);
  const notAfter = new Date(Math.min(now.getTime() + SIGNER_YEARS * YEAR_MS, authority.notAfter.getTime()));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: name(issuer, `DSC ${issuer.country} ${now.toISOString().slice(0, 10)}`),
    issuer: ca.subject,
    notBefore: now,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([EU_DCC_VACCINATION_EKU]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  const der = Buffer.from(certificate.rawData);
  const publicKey = KeyObject.from(keys.publicKey);
  return {
    format: 'eu-dcc',
    kid: euDccKid(der),
    algorithm: 'ES256',
    publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
    privateKey: KeyObject.from(keys.privateKey).export({ format: 'der', type: 'pkcs8' }),
    certificate: der,
    notBefore: now,
    notAfter,
  };
}

/**
 * A new key for a format. EU DCC: a DSC under the authority. SMART Health Cards: P-256 with the
 * RFC 7638 thumbprint as kid. VC: Ed25519, named by its `publicKeyMultibase` (the verification
 * method id `<issuer url>#<publicKeyMultibase>` adds the issuer's URL when the key is used).
 */
export async function createSigningKey(
  format: FormatId,
  issuer: Issuer,
  authority?: AuthorityMaterial,
  at = new Date(),
): Promise<KeyMaterial> {
  // Whole seconds: formats sign times in seconds (SMART Health Cards `nbf`, CWT `iat`), and a
  // certificate signed in the key's first second must not look older than the key.
  const now = wholeSecond(at);
  if (format === 'eu-dcc') {
    if (!authority) throw new Error('an EU DCC signer needs the country signing authority');
    return createDocumentSigner(issuer, authority, now);
  }
  const { publicKey, privateKey } = format === 'shc' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  return {
    format,
    kid: format === 'shc' ? await calculateJwkThumbprint(publicJwk, 'sha256') : ed25519Multibase(publicKey)!,
    algorithm: format === 'shc' ? 'ES256' : 'Ed25519',
    publicJwk,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }),
    notBefore: now,
    notAfter: new Date(now.getTime() + SIGNER_YEARS * YEAR_MS),
  };
}

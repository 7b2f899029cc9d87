import { createPublicKey } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JWK } from 'jose';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { PublishedKey, SigningKeyStore } from './keys/key-store.js';
import type { FormatId, TrustList } from './record.js';

/** The trust list as served to verifier apps (`GET /api/v1/certificates/trust-list`). */
export interface TrustListDocument {
  country: string;
  issuer: string;
  issuerUrl: string;
  /** The country signing authority (EU DCC CSCA), base64 DER, when the tenant issues EU DCC. */
  authorityCertificate?: string;
  keys: {
    format: FormatId;
    kid: string;
    alg: 'ES256' | 'Ed25519';
    publicKey: JWK;
    certificate?: string;
    notBefore: string;
    notAfter: string;
    state: 'active' | 'retired';
  }[];
  revoked: string[];
  generatedAt: string;
}

export async function revokedCertificateIds(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ certificate_id: string }[]>(
    `select certificate_id from certificate where state = 'revoked' order by revoked_at, certificate_id`,
  );
  return rows.map((row) => row.certificate_id);
}

/** The tenant's trust list for verifying in this process: its published keys and revoked ids. */
export async function buildTrustList(
  em: EntityManager,
  keys: SigningKeyStore,
  config: TenantConfig,
  issuerUrl: string,
  /** Only this format's keys (the SMART Health Cards JWKS). */
  format?: FormatId,
): Promise<TrustList> {
  const published = (await keys.published(issuerUrl)).filter((key) => !format || key.format === format);
  return {
    country: config.certificates.issuer.country,
    issuerUrl,
    keys: published.map((key) => ({
      kid: key.kid,
      algorithm: key.algorithm,
      publicKey: createPublicKey({ key: key.publicJwk, format: 'jwk' }),
      ...(key.certificate ? { certificate: key.certificate } : {}),
      notBefore: key.notBefore.toISOString(),
      notAfter: key.notAfter.toISOString(),
    })),
    revoked: new Set(await revokedCertificateIds(em)),
  };
}

export function publicKeyEntry(key: PublishedKey): TrustListDocument['keys'][number] {
  return {
    format: key.format,
    kid: key.kid,
    alg: key.algorithm,
    publicKey: { ...key.publicJwk, kid: key.kid, alg: key.algorithm === 'ES256' ? 'ES256' : 'EdDSA', use: 'sig' },
    ...(key.certificate ? { certificate: key.certificate.toString('base64') } : {}),
    notBefore: key.notBefore.toISOString(),
    notAfter: key.notAfter.toISOString(),
    state: key.state,
  };
}

export async function trustListDocument(
  em: EntityManager,
  keys: SigningKeyStore,
  config: TenantConfig,
  issuerUrl: string,
  now = new Date(),
): Promise<TrustListDocument> {
  const authority = await keys.authorityCertificate();
  return {
    country: config.certificates.issuer.country,
    issuer: config.certificates.issuer.name,
    issuerUrl,
    ...(authority ? { authorityCertificate: authority.toString('base64') } : {}),
    keys: (await keys.published(issuerUrl, now)).map(publicKeyEntry),
    revoked: await revokedCertificateIds(em),
    generatedAt: now.toISOString(),
  };
}

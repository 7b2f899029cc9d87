import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JWK } from 'jose';
import { boundedMemo } from '../../kernel/cache/bounded-memo.js';
import type { TenantCrypto } from '../../kernel/crypto/tenant-crypto.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import type { FormatId, SigningKey } from '../record.js';
import { vcVerificationMethod } from '../verification-method.js';
import { type AuthorityMaterial, createAuthority, createSigningKey, type KeyMaterial } from './generate.js';

const AUTHORITY_ID = 'csca';
/** A key this close to its end is replaced at the next start, so it never signs past it. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** A key as the trust list publishes it: active, or retired but still within its validity. */
export interface PublishedKey {
  format: FormatId;
  kid: string;
  algorithm: 'ES256' | 'Ed25519';
  publicJwk: JWK;
  certificate?: Buffer;
  notBefore: Date;
  notAfter: Date;
  state: 'active' | 'retired';
}

interface KeyRow {
  format: FormatId;
  kid: string;
  algorithm: 'ES256' | 'Ed25519';
  public_jwk: JWK;
  private_key_enc: Buffer;
  certificate: Buffer | null;
  not_before: Date;
  not_after: Date;
  state: 'active' | 'retired';
}

/** A key row as ACTIVE_KEYS_JSON gives it: the sealed private key and the certificate in base64. */
export interface SealedKeyJson {
  format: FormatId;
  kid: string;
  algorithm: 'ES256' | 'Ed25519';
  public_jwk: JWK;
  private_key_enc: string;
  certificate: string | null;
}

/**
 * The active keys of the formats (a list of `?`, one per format) as one JSON array of
 * SealedKeyJson: a subquery, so that a statement reading more (issuance) reads them in the same
 * round trip.
 */
export function activeKeysJson(formats: readonly FormatId[]): string {
  if (formats.length === 0) return `'[]'::json`;
  return `coalesce((select json_agg(json_build_object('format', k.format, 'kid', k.kid, 'algorithm', k.algorithm,
      'public_jwk', k.public_jwk, 'private_key_enc', encode(k.private_key_enc, 'base64'), 'certificate', encode(k.certificate, 'base64')))
    from signing_key k where k.state = 'active' and k.format in (${formats.map(() => '?').join(', ')})), '[]')`;
}

/**
 * Unsealed keys, by issuer URL and sealed private key (unique to a key and a tenant): unsealing and
 * parsing a key took about 1 ms of CPU per certificate. A rotated key has a new sealed value, so
 * it is never served from here once the database no longer names it active; an entry only saves
 * the work, it never decides which key signs. Bounded: keys are few, and the map starts over when full.
 */
const unsealed = boundedMemo<SigningKey>(64);

/**
 * The tenant's signing keys in its database, private keys sealed with the tenant's key. Keys are
 * created when missing (at activation), rotated on demand, and never deleted: a retired key stays
 * published until its `not_after`, so every certificate it signed still verifies. Safe with many
 * processes: an insert that loses the race to the partial unique index (one active key per format)
 * does nothing, and everyone reads the winner.
 */
export class SigningKeyStore {
  constructor(
    private readonly em: EntityManager,
    private readonly crypto: TenantCrypto,
    private readonly config: TenantConfig,
  ) {}

  /** Creates the authority and each format's key where missing (or about to expire). Answers how many keys it made. */
  async provision(now = new Date()): Promise<number> {
    let created = 0;
    for (const format of this.config.certificates.formats) {
      const [row] = await this.em.execute<{ not_after: Date }[]>(
        `select not_after from signing_key where format = ? and state = 'active'`,
        [format],
      );
      if (row && new Date(row.not_after).getTime() - now.getTime() > RENEW_BEFORE_MS) continue;
      if (row) await this.retire(format);
      if (await this.insert(await this.material(format, now))) created++;
    }
    return created;
  }

  /** Retires the format's active key (it stays published until its end) and makes a new one. */
  async rotate(format: FormatId): Promise<string> {
    const material = await this.material(format, new Date());
    await this.em.transactional(async (em) => {
      await em.execute(`update signing_key set state = 'retired', retired_at = now() where format = ? and state = 'active'`, [format]);
      await new SigningKeyStore(em as EntityManager, this.crypto, this.config).insert(material);
    });
    const [row] = await this.em.execute<{ kid: string }[]>(`select kid from signing_key where format = ? and state = 'active'`, [format]);
    return row.kid;
  }

  /** The key a format signs with now. */
  async active(format: FormatId, issuerUrl: string): Promise<SigningKey> {
    const [row] = await this.em.execute<KeyRow[]>(`select * from signing_key where format = ? and state = 'active'`, [format]);
    if (!row) throw new Error(`no active ${format} key: the tenant's keys are not provisioned`);
    return this.signingKey(row, issuerUrl);
  }

  /**
   * The keys the formats sign with now, read in one query (a certificate is signed in every
   * format of the tenant). A format without an active key is missing from the answer.
   */
  async activeKeys(formats: readonly FormatId[], issuerUrl: string): Promise<Map<FormatId, () => SigningKey>> {
    if (formats.length === 0) return new Map();
    const rows = await this.em.execute<KeyRow[]>(
      `select * from signing_key where state = 'active' and format in (${formats.map(() => '?').join(', ')})`,
      [...formats],
    );
    // Unsealed only when asked for: a format that is not installed never touches its private key.
    return new Map(rows.map((row) => [row.format, () => this.signingKey(row, issuerUrl)]));
  }

  /** The keys of rows read with activeKeysJson, unsealed once per process and key. */
  keysFrom(rows: readonly SealedKeyJson[], issuerUrl: string): Map<FormatId, () => SigningKey> {
    return new Map(
      rows.map((row) => [
        row.format,
        () =>
          unsealed(`${issuerUrl}\n${row.private_key_enc}`, () =>
            this.signingKey(
              {
                ...row,
                private_key_enc: Buffer.from(row.private_key_enc, 'base64'),
                certificate: row.certificate === null ? null : Buffer.from(row.certificate, 'base64'),
              },
              issuerUrl,
            ),
          ),
      ]),
    );
  }

  private signingKey(
    row: Pick<KeyRow, 'format' | 'kid' | 'algorithm' | 'public_jwk' | 'private_key_enc' | 'certificate'>,
    issuerUrl: string,
  ): SigningKey {
    const der = Buffer.from(this.crypto.decrypt(Buffer.from(row.private_key_enc)), 'base64');
    return {
      kid: fullKid(row.format, row.kid, issuerUrl),
      algorithm: row.algorithm,
      privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: row.public_jwk, format: 'jwk' }),
      ...(row.certificate ? { certificate: Buffer.from(row.certificate) } : {}),
    };
  }

  /** Every key a verifier should hold: active ones and retired ones still within their validity. */
  async published(issuerUrl: string, now = new Date()): Promise<PublishedKey[]> {
    const rows = await this.em.execute<Omit<KeyRow, 'private_key_enc'>[]>(
      `select format, kid, algorithm, public_jwk, certificate, not_before, not_after, state from signing_key
       where state = 'active' or not_after > ? order by format, created_at`,
      [now],
    );
    return rows.map((row) => ({
      format: row.format,
      kid: fullKid(row.format, row.kid, issuerUrl),
      algorithm: row.algorithm,
      publicJwk: row.public_jwk,
      ...(row.certificate ? { certificate: Buffer.from(row.certificate) } : {}),
      notBefore: new Date(row.not_before),
      notAfter: new Date(row.not_after),
      state: row.state,
    }));
  }

  /** The country signing authority's certificate (DER), for verifier apps; none when EU DCC is not issued. */
  async authorityCertificate(): Promise<Buffer | undefined> {
    const [row] = await this.em.execute<{ certificate: Buffer }[]>('select certificate from signing_authority where id = ?', [
      AUTHORITY_ID,
    ]);
    return row ? Buffer.from(row.certificate) : undefined;
  }

  private async material(format: FormatId, now: Date): Promise<KeyMaterial> {
    const authority = format === 'eu-dcc' ? await this.authority(now) : undefined;
    return createSigningKey(format, this.config.certificates.issuer, authority, now);
  }

  /** The authority, created once: a loser of the race signs with the winner's. */
  private async authority(now: Date): Promise<AuthorityMaterial> {
    const [existing] = await this.em.execute<{ id: string }[]>('select id from signing_authority where id = ?', [AUTHORITY_ID]);
    if (!existing) {
      const made = await createAuthority(this.config.certificates.issuer, now);
      await this.em.execute(
        `insert into signing_authority (id, certificate, private_key_enc, not_before, not_after) values (?, ?, ?, ?, ?)
         on conflict (id) do nothing`,
        [AUTHORITY_ID, made.certificate, this.crypto.encrypt(made.privateKey.toString('base64')), made.notBefore, made.notAfter],
      );
    }
    const [row] = await this.em.execute<{ certificate: Buffer; private_key_enc: Buffer; not_before: Date; not_after: Date }[]>(
      'select certificate, private_key_enc, not_before, not_after from signing_authority where id = ?',
      [AUTHORITY_ID],
    );
    return {
      certificate: Buffer.from(row.certificate),
      privateKey: Buffer.from(this.crypto.decrypt(Buffer.from(row.private_key_enc)), 'base64'),
      notBefore: new Date(row.not_before),
      notAfter: new Date(row.not_after),
    };
  }

  private async retire(format: FormatId): Promise<void> {
    await this.em.execute(`update signing_key set state = 'retired', retired_at = now() where format = ? and state = 'active'`, [format]);
  }

  /** Answers whether this insert won (false: another process's key is the active one). */
  private async insert(key: KeyMaterial): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>(
      `insert into signing_key (id, format, kid, algorithm, public_jwk, private_key_enc, certificate, not_before, not_after, state, created_at)
       values (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, 'active', now())
       on conflict (format) where state = 'active' do nothing
       returning id`,
      [
        randomUUID(),
        key.format,
        key.kid,
        key.algorithm,
        JSON.stringify(key.publicJwk),
        this.crypto.encrypt(key.privateKey.toString('base64')),
        key.certificate ?? null,
        key.notBefore,
        key.notAfter,
      ],
    );
    return rows.length > 0;
  }
}

/** The kid verifiers see: VC keys are named by a URL under the issuer; the others by their own kid. */
function fullKid(format: FormatId, kid: string, issuerUrl: string): string {
  return format === 'w3c-vc' ? vcVerificationMethod(issuerUrl, kid) : kid;
}

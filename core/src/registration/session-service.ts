import { createHmac, createSecretKey, type KeyObject, randomUUID, webcrypto } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errors as joseErrors, jwtVerify } from 'jose';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { runPrepared } from '../kernel/db/prepared.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { UnauthorizedError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AuthSession } from './auth-session.entity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SubjectType = 'citizen' | 'staff';

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  sessionId: string;
}

/** A session about to start: its row and its token are made from these. */
export interface PlannedSession {
  sessionId: string;
  /** Seconds since the epoch (the token's `iat`). */
  issuedAt: number;
  expiresAt: Date;
}

/**
 * The tenant's signing key as a WebCrypto key, imported once per tenant. jose signs and verifies
 * through WebCrypto: given raw bytes it imports a key on every sign and every verify (every
 * authenticated request), and given a KeyObject it converts it each time; an imported CryptoKey is
 * used as it is (measured: about a fifth less time per sign and verify).
 */
const signingKeys = new WeakMap<TenantCrypto, Promise<webcrypto.CryptoKey>>();
function signingKey(crypto: TenantCrypto): Promise<webcrypto.CryptoKey> {
  let key = signingKeys.get(crypto);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', crypto.tokenKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    signingKeys.set(crypto, key);
  }
  return key;
}

/**
 * The same key for signing with node:crypto's HMAC, made once per tenant. jose signs through
 * WebCrypto, whose every HMAC is an asynchronous crypto job: under the OTP benchmark that job was
 * 7 % of the server's time (measured alone: ~30 µs of CPU a token against ~4 µs here).
 */
const hmacKeys = new WeakMap<TenantCrypto, KeyObject>();
function hmacKey(crypto: TenantCrypto): KeyObject {
  let key = hmacKeys.get(crypto);
  if (!key) {
    key = createSecretKey(crypto.tokenKey);
    hmacKeys.set(crypto, key);
  }
  return key;
}

/** `{"alg":"HS256"}`, base64url: the protected header of every token, as jose writes it. */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

/** The session row, for the one statement of `issue` (OTP sign-in writes it inside its own statement). */
const INSERT_SESSION = `insert into auth_session (id, subject_type, subject_id, expires_at, created_at)
values ($1::uuid, $2::varchar, $3::uuid, $4::timestamptz, now())`;

/** Whether a token's session is live: runs on every authenticated request, so it is prepared. */
const LIVE_SESSION = `select true as live from auth_session
where id = $1::uuid and subject_id = $2::uuid and revoked_at is null and expires_at >= now()`;

/**
 * Sessions as signed JWTs (HS256, a key per tenant) carrying `exp`, whose `jti` is a session row,
 * so signing out revokes the token before it expires. A token from another tenant fails: different
 * key, issuer and audience.
 */
@injectable()
export class SessionService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
  ) {}

  private lifetime(subjectType: SubjectType): number {
    return subjectType === 'citizen' ? this.tenant.limits.citizenSessionSeconds : this.tenant.limits.staffSessionSeconds;
  }

  /** The id and times of a new session, before its row exists. */
  plan(subjectType: SubjectType): PlannedSession {
    const issuedAt = Math.floor(Date.now() / 1000);
    return { sessionId: randomUUID(), issuedAt, expiresAt: new Date((issuedAt + this.lifetime(subjectType)) * 1000) };
  }

  async issue(subjectType: SubjectType, subjectId: string): Promise<IssuedToken> {
    const planned = this.plan(subjectType);
    // One statement, no unit of work: an ORM flush would wrap the insert in begin/commit.
    await runPrepared(this.em, 'teeka-session-insert', INSERT_SESSION, [planned.sessionId, subjectType, subjectId, planned.expiresAt]);
    return this.sign(subjectType, subjectId, planned);
  }

  /** The token of a session whose row has been written (by `issue`, or by the caller's own statement). */
  async sign(subjectType: SubjectType, subjectId: string, { sessionId, issuedAt, expiresAt }: PlannedSession): Promise<IssuedToken> {
    // A compact JWS (RFC 7515) is header.payload.signature in base64url, the signature an HMAC of
    // the first two: signed here with node:crypto, byte for byte the token jose's SignJWT makes
    // (same header, claims in the same order; a test compares them). Verifying stays with jose.
    const claims = {
      typ: subjectType,
      sub: subjectId,
      jti: sessionId,
      iss: `teeka:${this.tenant.code}`,
      aud: `teeka:${this.tenant.code}`,
      iat: issuedAt,
      exp: Math.floor(expiresAt.getTime() / 1000),
    };
    const signed = `${HS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${signed}.${createHmac('sha256', hmacKey(this.crypto)).update(signed).digest('base64url')}`;
    return { token, expiresAt, sessionId };
  }

  /** The session behind a token, or UnauthorizedError (expired, revoked, forged, other tenant). */
  async verify(token: string, subjectType: SubjectType): Promise<{ subjectId: string; sessionId: string }> {
    let claims: { jti: string; sub: string };
    try {
      const { payload } = await jwtVerify(token, await signingKey(this.crypto), {
        algorithms: ['HS256'],
        issuer: `teeka:${this.tenant.code}`,
        audience: `teeka:${this.tenant.code}`,
      });
      if (payload.typ !== subjectType || !UUID.test(payload.jti ?? '') || !UUID.test(payload.sub ?? '')) throw new UnauthorizedError();
      claims = { jti: payload.jti as string, sub: payload.sub as string };
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('session-ended', 'token expired');
      throw new UnauthorizedError();
    }
    // One indexed read, no entity: this runs on every authenticated request. Outside the try: a
    // database that does not answer is an outage (503), not a signed-out citizen.
    const {
      rows: [live],
    } = await runPrepared<{ live: boolean }>(this.em, 'teeka-session-live', LIVE_SESSION, [claims.jti, claims.sub]);
    if (!live) throw new UnauthorizedError('session-ended', 'session revoked or expired');
    return { subjectId: claims.sub, sessionId: claims.jti };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.em.nativeUpdate(AuthSession, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
  }
}

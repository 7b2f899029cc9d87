import { createHmac, createSecretKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
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
 * The tenant's token key for node:crypto's HMAC, made once per tenant. jose signs and verifies
 * through WebCrypto, whose every HMAC is an asynchronous crypto job: signing was 7 % of the OTP
 * benchmark server's time, verifying 6 % of the booking benchmark's (measured alone: ~53 µs of CPU
 * per verify with jose against ~6 µs here).
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

/** The HS256 signature of a token's `header.payload`, base64url: what `sign` appends and `tokenClaims` expects. */
function signatureOf(crypto: TenantCrypto, signed: string): string {
  return createHmac('sha256', hmacKey(crypto)).update(signed).digest('base64url');
}

/** `{"alg":"HS256"}`, base64url: the protected header of every token, as jose writes it. */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

/**
 * The claims of a token this tenant signed for this kind of subject, 'expired', or undefined for
 * anything else. The same answers as jose's jwtVerify with our issuer and audience (a test holds
 * them to it), or stricter, with node:crypto's HMAC: the header must be exactly the one `sign`
 * writes (no other algorithm, no `crit`), the signature its exact base64url HMAC, compared in
 * constant time; then issuer, audience, `nbf` if present, `exp` (required; expired from that second
 * on, as jose), the subject type and the ids. Only a correctly signed payload is parsed.
 */
export function tokenClaims(
  token: string,
  crypto: TenantCrypto,
  tenantCode: string,
  subjectType: SubjectType,
): { jti: string; sub: string } | 'expired' | undefined {
  if (typeof token !== 'string') return undefined;
  const [header, body, signature, extra] = token.split('.');
  if (header !== HS256_HEADER || body === undefined || signature === undefined || extra !== undefined) return undefined;
  const expected = Buffer.from(signatureOf(crypto, `${header}.${body}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const party = `teeka:${tenantCode}`;
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.iss !== party || !audience.includes(party)) return undefined;
  const now = Math.floor(Date.now() / 1000);
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) return undefined;
  if (typeof payload.exp !== 'number') return undefined;
  if (payload.exp <= now) return 'expired';
  if (payload.typ !== subjectType || typeof payload.jti !== 'string' || !UUID.test(payload.jti)) return undefined;
  if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return undefined;
  return { jti: payload.jti, sub: payload.sub };
}

/** The session row, for the one statement of `issue` (OTP sign-in writes it inside its own statement). */
const INSERT_SESSION = `insert into auth_session (id, subject_type, subject_id, expires_at, created_at)
values ($1::uuid, $2::varchar, $3::uuid, $4::timestamptz, now())`;

/**
 * The condition under which the `auth_session` row `s` still signs its subject in: not revoked, not
 * expired. The one definition for every statement that checks a session (LIVE_SESSION, the staff
 * request's, the booking's), so they cannot drift apart.
 */
export const liveSessionWhere = (s: string) => `${s}.revoked_at is null and ${s}.expires_at >= now()`;

/** Whether a token's session is live: runs on every authenticated request, so it is prepared. */
const LIVE_SESSION = `select true as live from auth_session s
where s.id = $1::uuid and s.subject_id = $2::uuid and ${liveSessionWhere('s')}`;

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
    const token = `${signed}.${signatureOf(this.crypto, signed)}`;
    return { token, expiresAt, sessionId };
  }

  /** The session behind a token, or UnauthorizedError (expired, revoked, forged, other tenant). */
  async verify(token: string, subjectType: SubjectType): Promise<{ subjectId: string; sessionId: string }> {
    const { subjectId, sessionId } = this.claims(token, subjectType);
    await this.assertLive(sessionId, subjectId);
    return { subjectId, sessionId };
  }

  /** UnauthorizedError (`session-ended`) unless the session row is live: not revoked, not expired. */
  async assertLive(sessionId: string, subjectId: string): Promise<void> {
    // One indexed read, no entity: this runs on every authenticated request. A database that does
    // not answer is an outage (503), not a signed-out citizen.
    const {
      rows: [live],
    } = await runPrepared<{ live: boolean }>(this.em, 'teeka-session-live', LIVE_SESSION, [sessionId, subjectId]);
    if (!live) throw new UnauthorizedError('session-ended', 'session revoked or expired');
  }

  /**
   * The subject and session a token names, when this tenant signed it for this kind of subject and
   * it has not expired; UnauthorizedError otherwise. Says nothing about the session row: `verify`
   * (or a caller's own statement, as requireStaff's) must still find it live.
   */
  claims(token: string, subjectType: SubjectType): { subjectId: string; sessionId: string } {
    const claims = tokenClaims(token, this.crypto, this.tenant.code, subjectType);
    if (claims === 'expired') throw new UnauthorizedError('session-ended', 'token expired');
    if (!claims) throw new UnauthorizedError();
    return { subjectId: claims.sub, sessionId: claims.jti };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.em.nativeUpdate(AuthSession, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
  }
}

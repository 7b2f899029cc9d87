import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
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

  async issue(subjectType: SubjectType, subjectId: string): Promise<IssuedToken> {
    const sessionId = randomUUID();
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = new Date((issuedAt + this.lifetime(subjectType)) * 1000);
    this.em.persist(this.em.create(AuthSession, { id: sessionId, subjectType, subjectId, expiresAt, createdAt: new Date() }));
    await this.em.flush();
    const token = await new SignJWT({ typ: subjectType })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subjectId)
      .setJti(sessionId)
      .setIssuer(`teeka:${this.tenant.code}`)
      .setAudience(`teeka:${this.tenant.code}`)
      .setIssuedAt(issuedAt)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.crypto.tokenKey);
    return { token, expiresAt, sessionId };
  }

  /** The session behind a token, or UnauthorizedError (expired, revoked, forged, other tenant). */
  async verify(token: string, subjectType: SubjectType): Promise<{ subjectId: string; sessionId: string }> {
    let claims: { jti: string; sub: string };
    try {
      const { payload } = await jwtVerify(token, this.crypto.tokenKey, {
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
    const [live] = await this.em.execute<{ live: boolean }[]>(
      'select true as live from auth_session where id = ? and subject_id = ? and revoked_at is null and expires_at >= now()',
      [claims.jti, claims.sub],
    );
    if (!live) throw new UnauthorizedError('session-ended', 'session revoked or expired');
    return { subjectId: claims.sub, sessionId: claims.jti };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.em.nativeUpdate(AuthSession, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
  }
}

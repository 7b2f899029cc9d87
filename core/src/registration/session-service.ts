import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { UnauthorizedError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AuthSession } from './auth-session.entity.js';

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
    try {
      const { payload } = await jwtVerify(token, this.crypto.tokenKey, {
        algorithms: ['HS256'],
        issuer: `teeka:${this.tenant.code}`,
        audience: `teeka:${this.tenant.code}`,
      });
      if (payload.typ !== subjectType || !payload.jti || !payload.sub) throw new UnauthorizedError();
      const session = await this.em.findOne(AuthSession, { id: payload.jti });
      if (!session || session.revokedAt || session.expiresAt < new Date() || session.subjectId !== payload.sub) {
        throw new UnauthorizedError('session-ended', 'session revoked or expired');
      }
      return { subjectId: payload.sub, sessionId: payload.jti };
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('session-ended', 'token expired');
      throw new UnauthorizedError();
    }
  }

  async revoke(sessionId: string): Promise<void> {
    await this.em.nativeUpdate(AuthSession, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
  }
}

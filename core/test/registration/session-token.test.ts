import test from 'ava';
import { jwtVerify, SignJWT } from 'jose';
import { TenantCrypto } from '../../src/kernel/crypto/tenant-crypto.js';
import type { TenantConfig } from '../../src/kernel/tenancy/tenant-config.js';
import { SessionService } from '../../src/registration/session-service.js';

// No database: signing a token only needs the tenant's key and code.
const crypto = new TenantCrypto({ encryptionKey: 'e', hashKey: 'h', tokenKey: 'token secret of the test tenant' });
const tenant = { code: 'in', limits: { citizenSessionSeconds: 900, staffSessionSeconds: 28_800 } } as unknown as TenantConfig;
const sessions = new SessionService(undefined as never, crypto, tenant);

test('a session token is byte for byte the one jose signs, and jose verifies it', async (t) => {
  for (const type of ['citizen', 'staff'] as const) {
    const planned = sessions.plan(type);
    const subject = '2f6c8a53-5c1e-4c59-9b8e-3f2d7c1a9e40';
    const { token } = await sessions.sign(type, subject, planned);
    const key = crypto.tokenKey;
    const expected = await new SignJWT({ typ: type })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setJti(planned.sessionId)
      .setIssuer('teeka:in')
      .setAudience('teeka:in')
      .setIssuedAt(planned.issuedAt)
      .setExpirationTime(Math.floor(planned.expiresAt.getTime() / 1000))
      .sign(key);
    t.is(token, expected);
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'teeka:in', audience: 'teeka:in' });
    t.like(payload, { typ: type, sub: subject, jti: planned.sessionId });
    t.is(payload.exp! - payload.iat!, type === 'citizen' ? 900 : 28_800);
  }
});

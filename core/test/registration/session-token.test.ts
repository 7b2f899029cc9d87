import test from 'ava';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { TenantCrypto } from '../../src/kernel/crypto/tenant-crypto.js';
import type { TenantConfig } from '../../src/kernel/tenancy/tenant-config.js';
import { SessionService, type SubjectType, tokenClaims } from '../../src/registration/session-service.js';

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

/** What jwtVerify, with our issuer and audience and the checks verify() adds, answers for a token. */
async function joseAnswer(token: string, type: SubjectType): Promise<unknown> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  try {
    const { payload } = await jwtVerify(token, crypto.tokenKey, { algorithms: ['HS256'], issuer: 'teeka:in', audience: 'teeka:in' });
    if (payload.typ !== type || !uuid.test(payload.jti ?? '') || !uuid.test(payload.sub ?? '')) return undefined;
    return { jti: payload.jti, sub: payload.sub };
  } catch (error) {
    return error instanceof joseErrors.JWTExpired ? 'expired' : undefined;
  }
}

test('tokens are checked with the answers jose gives, and stricter where the platform never signs such a token', async (t) => {
  const subject = '2f6c8a53-5c1e-4c59-9b8e-3f2d7c1a9e40';
  const session = '7d0f3c1e-2a4b-4c5d-8e6f-9a0b1c2d3e4f';
  const now = Math.floor(Date.now() / 1000);
  const jwt = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256' }, key = crypto.tokenKey) =>
    new SignJWT({ typ: 'citizen', sub: subject, jti: session, iss: 'teeka:in', aud: 'teeka:in', iat: now, exp: now + 900, ...claims })
      .setProtectedHeader(header as { alg: string })
      .sign(key);
  const valid = await jwt({});
  const [header, body, signature] = valid.split('.');
  const otherTenant = new TenantCrypto({ encryptionKey: 'e', hashKey: 'h', tokenKey: 'token secret of another tenant' }).tokenKey;
  const same: Record<string, string> = {
    valid,
    'staff token': await jwt({ typ: 'staff' }),
    'audience list': await jwt({ aud: ['teeka:in', 'teeka:lk'] }),
    'another tenant’s key': await jwt({}, undefined, otherTenant),
    'another tenant’s issuer': await jwt({ iss: 'teeka:lk', aud: 'teeka:lk' }),
    'expired a second ago': await jwt({ exp: now - 1 }),
    'expires this second': await jwt({ exp: now }),
    'not before a minute from now': await jwt({ nbf: now + 60 }),
    'subject not an id': await jwt({ sub: 'admin' }),
    'no session id': await jwt({ jti: undefined }),
    'payload changed': `${header}.${Buffer.from(JSON.stringify({ typ: 'citizen', sub: subject, jti: session, iss: 'teeka:in', aud: 'teeka:in', exp: now + 99_999 })).toString('base64url')}.${signature}`,
    'signature changed': `${header}.${body}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`,
    'signature cut': `${header}.${body}.${signature.slice(0, -1)}`,
    'no signature': `${header}.${body}.`,
    'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`,
    'four parts': `${valid}.${signature}`,
    empty: '',
    garbage: 'not.a.token',
  };
  for (const [name, token] of Object.entries(same)) {
    for (const type of ['citizen', 'staff'] as const) {
      t.deepEqual(tokenClaims(token, crypto, 'in', type), await joseAnswer(token, type), `${name}, as ${type}`);
    }
  }
  t.deepEqual(tokenClaims(valid, crypto, 'in', 'citizen'), { jti: session, sub: subject });
  t.is(tokenClaims(same['expired a second ago'], crypto, 'in', 'citizen'), 'expired');
  // jose accepts these; the platform never signs them, so they are refused.
  const stricter: Record<string, string> = {
    'another header': await jwt({}, { alg: 'HS256', typ: 'JWT' }),
    'no expiry': await jwt({ exp: undefined }),
    'signature with padding': `${valid}=`,
  };
  for (const [name, token] of Object.entries(stricter)) {
    t.is(tokenClaims(token, crypto, 'in', 'citizen'), undefined, name);
  }
  t.like(await joseAnswer(stricter['another header'], 'citizen'), { sub: subject }, 'jose takes another header');
});

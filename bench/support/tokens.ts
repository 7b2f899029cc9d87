/**
 * Citizen sign-ins minted for the bench, as SessionService.issue makes them (an `auth_session` row
 * and an HS256 JWT with the tenant's token key), for accounts written straight into the database.
 * The server gets the same secret through TEEKA_IN_TOKEN_KEY, so its tokens and these agree.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { TenantCrypto } from '@teeka/core/dist/src/kernel/crypto/tenant-crypto.js';
import { SignJWT } from 'jose';
import type pg from 'pg';

export function benchSecrets(code: string): Record<string, string> {
  const upper = code.toUpperCase();
  return {
    [`TEEKA_${upper}_TOKEN_KEY`]: randomBytes(32).toString('hex'),
    [`TEEKA_${upper}_ENCRYPTION_KEY`]: randomBytes(32).toString('hex'),
    [`TEEKA_${upper}_HASH_KEY`]: randomBytes(32).toString('hex'),
  };
}

export async function citizenTokens(
  client: pg.Client,
  code: string,
  secrets: Record<string, string>,
  accountIds: string[],
): Promise<string[]> {
  const upper = code.toUpperCase();
  const crypto = new TenantCrypto({
    tokenKey: secrets[`TEEKA_${upper}_TOKEN_KEY`],
    encryptionKey: secrets[`TEEKA_${upper}_ENCRYPTION_KEY`],
    hashKey: secrets[`TEEKA_${upper}_HASH_KEY`],
  });
  const issuedAt = Math.floor(Date.now() / 1000);
  const expires = issuedAt + 3600;
  const sessions = accountIds.map(() => randomUUID());
  await client.query(
    `insert into auth_session (id, subject_type, subject_id, expires_at)
     select s, 'citizen', a, to_timestamp($3) from unnest($1::uuid[], $2::uuid[]) as t(s, a)`,
    [sessions, accountIds, expires],
  );
  return Promise.all(
    accountIds.map((account, index) =>
      new SignJWT({ typ: 'citizen' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(account)
        .setJti(sessions[index])
        .setIssuer(`teeka:${code}`)
        .setAudience(`teeka:${code}`)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expires)
        .sign(crypto.tokenKey),
    ),
  );
}

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TenantCrypto } from '../../src/kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { newReferenceId } from '../../src/registration/reference-id.js';
import { SessionService } from '../../src/registration/session-service.js';
import { todayIn } from '../../src/scheduling/slots.js';
import { addDays } from '../../src/vaccination/dose-schedule.js';
import type { TestPlatform } from './platform.js';

export interface TestCitizen {
  accountId: string;
  phone: string;
  token: string;
  /** Beneficiaries' reference ids and database ids, in the order asked for. */
  beneficiaries: { referenceId: string; id: string }[];
}

/** A date `days` from today in the tenant's calendar. */
export function dayFromToday(app: TestPlatform, code: string, days: number): string {
  return addDays(todayIn(app.platform.tenants.byCode(code)!.config.timeZone), days);
}

export function tenantDb(app: TestPlatform, code: string): pg.Client {
  return new pg.Client({ connectionString: app.platform.database.urlFor(app.platform.tenants.byCode(code)!.database) });
}

/** One query on the tenant's database, on a connection of its own (outside the platform's pool). */
export async function tenantQuery<T = Record<string, unknown>>(
  app: TestPlatform,
  code: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = tenantDb(app, code);
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

let phoneCounter = 0;

/**
 * Citizens with beneficiaries, written straight into the tenant's database (the registration API is
 * rate limited and slow for hundreds of people), with session tokens issued by the real service.
 * Documents are hashed and encrypted with the tenant's keys like real ones.
 */
export async function makeCitizens(app: TestPlatform, code: string, birthYears: number[][]): Promise<TestCitizen[]> {
  const tenant = app.platform.tenants.byCode(code)!;
  const crypto = tenant.container.resolve<TenantCrypto>(TOKENS.Crypto);
  const client = tenantDb(app, code);
  await client.connect();
  const citizens: TestCitizen[] = [];
  try {
    const accounts: unknown[][] = [[], [], [], []];
    const people: unknown[][] = Array.from({ length: 9 }, () => []);
    for (const years of birthYears) {
      const accountId = randomUUID();
      const phone = `+9198${String(process.pid % 10000).padStart(4, '0')}${String(phoneCounter++).padStart(4, '0')}`;
      accounts[0].push(accountId);
      accounts[1].push(crypto.keyedHash('phone', phone));
      accounts[2].push(crypto.encrypt(phone));
      accounts[3].push('en');
      const beneficiaries = years.map((year) => {
        const id = randomUUID();
        const referenceId = newReferenceId();
        const document = randomUUID();
        for (const [index, value] of [
          id,
          referenceId,
          accountId,
          `Person ${referenceId.slice(-4)}`,
          year,
          crypto.keyedHash('document:passport', document),
          crypto.encrypt(document),
          'XXXX',
          'passport',
        ].entries())
          people[index].push(value);
        return { id, referenceId };
      });
      citizens.push({ accountId, phone, token: '', beneficiaries });
    }
    await client.query(
      `insert into account (id, phone_hash, phone_enc, language)
       select * from unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[])`,
      accounts,
    );
    await client.query(
      `insert into beneficiary (id, reference_id, account_id, name, birth_year, document_hash, document_enc, document_masked,
         document_type, document_verifier, gender, consent_version, consent_at)
       select *, 'passport', 'F', '2021-01', now()
       from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::bytea[], $8::text[], $9::text[])`,
      people,
    );
  } finally {
    await client.end();
  }
  const sessions = new SessionService(tenant.orm.em.fork(), crypto, tenant.config);
  for (const citizen of citizens) citizen.token = (await sessions.issue('citizen', citizen.accountId)).token;
  return citizens;
}

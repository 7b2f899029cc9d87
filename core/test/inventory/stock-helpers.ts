import { bearer } from '../support/citizen.js';
import type { TestPlatform, TestResponse } from '../support/platform.js';
import { tenantDb } from '../support/scheduling.js';

/** Small builders for the inventory tests: staff sign-in, batches, stock calls, the ledger check. */
export const HOST = 'in.localhost';
export type Headers = Record<string, string>;

export async function staffSignIn(app: TestPlatform, username: string, password: string): Promise<Headers> {
  const response = await app.request(HOST, '/api/v1/staff/sign-in', { method: 'POST', body: { username, password } });
  if (response.status !== 200) throw new Error(`sign-in ${username}: ${response.status} ${response.text}`);
  return bearer(response.json().token);
}

/** A member of staff holding one role, created by the administrator, signed in. */
export async function staffWith(app: TestPlatform, admin: Headers, username: string, role: string, scopeType: string, scopeId: string) {
  const created = await app.request(HOST, '/api/v1/staff/users', {
    method: 'POST',
    headers: admin,
    body: { username, displayName: username, password: 'inventory-pass-1', roles: [{ role, scopeType, scopeId }] },
  });
  if (created.status !== 201) throw new Error(`create ${username}: ${created.status} ${created.text}`);
  return staffSignIn(app, username, 'inventory-pass-1');
}

export function inventory(app: TestPlatform, headers: Headers) {
  const call = (method: string, path: string, body?: unknown): Promise<TestResponse> =>
    app.request(HOST, `/api/v1/staff/inventory${path}`, { method, headers, body });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
  };
}

let lots = 0;
export async function newBatch(app: TestPlatform, admin: Headers, fields: Record<string, unknown> = {}): Promise<string> {
  const response = await inventory(app, admin).post('/batches', {
    vaccine: 'covishield',
    lotNumber: `4121Z${process.pid % 1000}${String(lots++).padStart(3, '0')}`,
    expiresOn: '2099-12-31',
    ...fields,
  });
  if (response.status !== 201) throw new Error(`batch: ${response.status} ${response.text}`);
  return response.json().id;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the tests' assertions
export async function expect2xx(response: Promise<TestResponse>): Promise<any> {
  const answer = await response;
  if (answer.status >= 300) throw new Error(`${answer.status} ${answer.text}`);
  return answer.json();
}

/** Every balance row against the sum of its movements, straight from the database. */
export async function ledgerMismatches(app: TestPlatform): Promise<unknown[]> {
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    const { rows } = await client.query(
      `select b.location_kind, b.location_id, b.batch_id, b.doses, coalesce(sum(m.doses), 0)::int as ledger
       from stock_balance b left join stock_movement m
         on m.location_kind = b.location_kind and m.location_id = b.location_id and m.batch_id = b.batch_id
       group by b.location_kind, b.location_id, b.batch_id, b.doses
       having b.doses <> coalesce(sum(m.doses), 0) or b.doses < 0`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: rows, checked by the tests' assertions
export async function sql(app: TestPlatform, text: string, params: unknown[] = []): Promise<any[]> {
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

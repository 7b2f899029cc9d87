import { randomInt } from 'node:crypto';
import { stdnum } from 'stdnum';
import { expect2xx, type Headers, HOST, inventory, newBatch, sql } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import type { TestPlatform, TestResponse } from '../support/platform.js';
import { dayFromToday, type TestCitizen } from '../support/scheduling.js';

/** Builders for the centre workflow tests: stock at a centre, a session today, bookings, walk-ins. */
export const KEM = 1001;
export const JJ = 1002;

export function vaccination(app: TestPlatform, headers: Headers) {
  const call = (method: string, path: string, body?: unknown, extra: Headers = {}): Promise<TestResponse> =>
    app.request(HOST, `/api/v1/staff/vaccination${path}`, { method, headers: { ...headers, ...extra }, body });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}, extra: Headers = {}) => call('POST', path, body, extra),
  };
}

/** A batch of `doses` received at a store and transferred to the facility (received in full). */
export async function stockAt(app: TestPlatform, admin: Headers, facilityId: number, doses: number, fields: Record<string, unknown> = {}) {
  const api = inventory(app, admin);
  const batch = await newBatch(app, admin, fields);
  const store = await expect2xx(api.post('/stores', { name: `Store ${batch.slice(0, 8)}`, tier: 'district', area: 'district:395' }));
  await expect2xx(api.post('/receipts', { location: store.location, batchId: batch, doses: doses + 10, reference: 'GRN' }));
  const sent = await expect2xx(api.post('/transfers', { from: store.location, to: `facility:${facilityId}`, batchId: batch, doses }));
  await expect2xx(api.post(`/transfers/${sent.transferId}/receive`, { doses }));
  return batch;
}

export async function sessionToday(
  app: TestPlatform,
  admin: Headers,
  facilityId: number,
  capacities = [{ dose: 1, online: 6, walkin: 3 }],
) {
  const response = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId,
      date: dayFromToday(app, 'in', 0),
      vaccine: 'covishield',
      minAge: 18,
      slots: ['09:00AM-01:00PM', '01:00PM-05:00PM'],
      capacities,
    },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json<{ id: string }>().id;
}

/** Books the citizen's first beneficiary into the session; answers the appointment (with its security code). */
export async function book(app: TestPlatform, citizen: TestCitizen, sessionId: string) {
  const response = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId, slot: '09:00AM-01:00PM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
  });
  if (response.status !== 201) throw new Error(`book: ${response.status} ${response.text}`);
  return response.json<{ appointments: { id: string; securityCode: string }[] }>().appointments[0];
}

/** A valid Aadhaar number (Verhoeff check digit), different on every call. */
export function aadhaar(): string {
  const body = `${randomInt(2, 10)}${String(randomInt(0, 10 ** 10)).padStart(10, '0')}`;
  for (let digit = 0; digit <= 9; digit++) if (stdnum.IN.aadhaar.validate(`${body}${digit}`).isValid) return `${body}${digit}`;
  throw new Error('no check digit');
}

export const walkIn = (sessionId: string, fields: Record<string, unknown> = {}) => ({
  sessionId,
  name: 'Walk-in Person',
  gender: 'F',
  birthYear: 1975,
  document: { type: 'aadhaar', number: aadhaar() },
  consentVersion: '2021-01',
  ...fields,
});

export const wrongCode = (code: string) => String((Number(code) + 1) % 10000).padStart(4, '0');

export async function facilityBalance(app: TestPlatform, admin: Headers, facilityId: number, batchId: string) {
  const answer = await expect2xx(inventory(app, admin).get(`/balances?location=facility:${facilityId}`));
  return answer.batches.find((b: { batchId: string }) => b.batchId === batchId);
}

export async function movementsSum(app: TestPlatform, batchId: string): Promise<Record<string, number>> {
  const rows = await sql(app, 'select kind, sum(doses)::int as doses from stock_movement where batch_id = $1 group by kind', [batchId]);
  return Object.fromEntries(rows.map((r: { kind: string; doses: number }) => [r.kind, r.doses]));
}

import { randomUUID } from 'node:crypto';
import { type Headers, HOST, sql } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import type { TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen } from '../support/scheduling.js';
import { book, KEM, sessionToday, vaccination } from '../vaccination/centre-helpers.js';

/** Builders for the certificate tests: a person given a dose at the centre through the API, their certificates. */
export interface Summary {
  certificateId: string;
  beneficiary: string;
  kind: string;
  version: number;
  state: string;
  formats: string[];
}

/** Earlier doses straight into the database (`daysAgo` each, oldest first), so the next one is due today. */
export async function earlierDoses(app: TestPlatform, citizen: TestCitizen, daysAgo: number[], batchId: string): Promise<void> {
  for (const [index, days] of daysAgo.entries()) {
    await sql(
      app,
      `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, batch_id, recorded_at)
       values ($1, $2, 'covishield', $3, $4, $5, $6, now())`,
      [randomUUID(), citizen.beneficiaries[0].id, index + 1, dayFromToday(app, 'in', -days), KEM, batchId],
    );
  }
}

/** Books the person into a session today for `doseNumber`, verifies them by code and records the dose. */
export async function giveDose(app: TestPlatform, desk: Headers, admin: Headers, citizen: TestCitizen, batchId: string, doseNumber = 1) {
  const sessionId = await sessionToday(app, admin, KEM, [{ dose: doseNumber, online: 4, walkin: 0 }]);
  const appointment = await book(app, citizen, sessionId);
  const centre = vaccination(app, desk);
  const verified = await centre.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode });
  if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${verified.text}`);
  const given = await centre.post('/doses', {
    sessionId,
    beneficiary: citizen.beneficiaries[0].referenceId,
    batchId,
    doseNumber,
    injectionSite: 'left-deltoid',
  });
  if (given.status !== 201) throw new Error(`dose: ${given.status} ${given.text}`);
  return given.json<{ id: string }>();
}

export async function newCitizen(app: TestPlatform, birthYear = 1980): Promise<TestCitizen> {
  return (await makeCitizens(app, 'in', [[birthYear]]))[0];
}

export async function certificatesOf(app: TestPlatform, citizen: TestCitizen): Promise<Summary[]> {
  const response = await app.request(HOST, '/api/v1/certificates', { headers: bearer(citizen.token) });
  if (response.status !== 200) throw new Error(`certificates: ${response.status} ${response.text}`);
  return response.json().certificates;
}

/** Waits for the job to issue the person's `count`-th certificate; answers the newest. */
export async function certificateNumber(app: TestPlatform, citizen: TestCitizen, count: number): Promise<Summary> {
  return eventually(`certificate ${count}`, async () => {
    const list = await certificatesOf(app, citizen);
    return list.length >= count ? list[0] : undefined;
  });
}

export function certificatePath(certificateId: string, rest = ''): string {
  return `/api/v1/certificates/${encodeURIComponent(certificateId)}${rest}`;
}

export async function verify(app: TestPlatform, payload: unknown, headers: Headers = {}) {
  return app.request(HOST, '/api/v1/certificates/verify', { method: 'POST', body: { payload }, headers });
}

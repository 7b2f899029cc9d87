import test from 'ava';
import { type Headers, HOST, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer, latestOtp } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens } from '../support/scheduling.js';
import { KEM, sessionToday, stockAt, vaccination } from '../vaccination/centre-helpers.js';

/**
 * The round trips to PostgreSQL of the hot paths, as the request log counts them (`db`, from
 * kernel/db/statement-count.ts): a sign-in, a search, a booking, a dose. Round trips are most of
 * what these requests cost on a shared machine (bench/RESULTS.md), and a benchmark is too noisy to
 * notice one more; these counts are exact. A change that moves one moves it here on purpose: update
 * the budget with the reason in the commit.
 */
const ADMIN_PASSWORD = 'test-admin-password-statement-budget';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let vaccinator: Headers;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  vaccinator = await staffWith(app, admin, 'vaccinator-budget', 'vaccinator', 'facility', String(KEM));
});
test.after.always(async () => {
  await app?.stop();
});

/** The statements the request behind `response` sent, from its line in the request log. */
async function statementsOf(response: TestResponse): Promise<number> {
  const id = response.headers['x-request-id'];
  const line = await eventually(`the request log line of ${id}`, async () =>
    app.logs
      .map((text) => JSON.parse(text) as { requestId?: string; msg?: string; db?: number })
      .find((l) => l.requestId === id && l.msg === 'request'),
  );
  if (typeof line.db !== 'number') throw new Error(`no db count in ${JSON.stringify(line)}`);
  return line.db;
}

test.serial('sign-in: asking for a code and confirming it', async (t) => {
  const counts: number[] = [];
  for (const mobile of ['9811100001', '9811100002']) {
    const generated = await app.request(HOST, '/api/v1/auth/otp', { method: 'POST', body: { mobile } });
    t.is(generated.status, 200);
    const otp = await latestOtp(app, HOST, `+91${mobile}`);
    const confirmed = await app.request(HOST, '/api/v1/auth/otp/confirm', { method: 'POST', body: { txnId: generated.json().txnId, otp } });
    t.is(confirmed.status, 200);
    counts.push(await statementsOf(generated), await statementsOf(confirmed));
  }
  // Asking: the one statement of OTP_GENERATE_SQL (limits, cooldown, challenge, queued SMS record),
  // the development gateway's outbox row and the SMS's outcome. Confirming: OTP_CONFIRM_SQL alone.
  t.deepEqual(counts, [3, 1, 3, 1]);
});

test.serial('availability: a district read, then answered from the cache', async (t) => {
  const from = dayFromToday(app, 'in', 1);
  const native = `/api/v1/availability?area=district:395&from=${from}&days=7`;
  const cowin = `/cowin/v2/appointment/sessions/public/calendarByDistrict?district_id=395&date=${cowinDate(from)}`;
  const counts: number[] = [];
  for (const path of [native, native, cowin, cowin, cowin, cowin, `${native}&lng=hi`]) {
    const answer = await app.request(HOST, path);
    t.is(answer.status, 200, path);
    counts.push(await statementsOf(answer));
  }
  // The district's entry: the look-up of one another process stored, then the read that stores it
  // (one statement). Then none: every search of it, native or Co-WIN, in any language, is cut from
  // that entry. Co-WIN's public searches count against the per-IP limit by leases of hits that grow
  // 1, 1, 2, 4… up to 6 at the default limit (rate-limiter.ts): a statement for the first, second
  // and third search, none for the fourth. The first also loads the area names, once.
  t.deepEqual(counts, [2, 0, 2, 1, 1, 0, 0]);
});

test.serial('a booking, its check-in by security code, and the dose', async (t) => {
  const desk = vaccination(app, vaccinator);
  const batch = await stockAt(app, admin, KEM, 20);
  const sessionId = await sessionToday(app, admin, KEM);
  const counts: number[] = [];
  for (const citizen of await makeCitizens(app, 'in', [[1980], [1985]])) {
    const booked = await app.request(HOST, '/api/v1/appointments', {
      method: 'POST',
      headers: bearer(citizen.token),
      body: { sessionId, slot: '09:00AM-01:00PM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
    });
    t.is(booked.status, 201);
    const appointment = booked.json<{ appointments: { id: string; securityCode: string }[] }>().appointments[0];
    const verified = await desk.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode });
    t.is(verified.status, 200, verified.text);
    const dose = await desk.post('/doses', {
      sessionId,
      beneficiary: citizen.beneficiaries[0].referenceId,
      batchId: batch,
      doseNumber: 1,
      injectionSite: 'left-deltoid',
    });
    t.is(dose.status, 201, dose.text);
    counts.push(await statementsOf(booked), await statementsOf(verified), await statementsOf(dose));
  }
  // Booking: the session with the people and whether the sign-in is live, then the one booking
  // statement (counters, slot, appointment, outbox row); the relay it awaits moves its notices to
  // the job queue in a transaction of its own (begin, claim, one job insert, delete, commit), shared
  // by the bookings that arrive meanwhile (here there are none).
  // Check-in: the staff member with their roles, the appointment, then the security code check, the
  // check-in and the person in one statement.
  // Dose: the staff member, every fact in one read, then begin, the dose, its certificate job, the
  // stock (the lock and the vial in one call), commit; after it, the next-dose notice job.
  t.deepEqual(counts, [7, 3, 8, 7, 3, 8]);
});

/** Co-WIN's dates: DD-MM-YYYY. */
function cowinDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}-${m}-${y}`;
}

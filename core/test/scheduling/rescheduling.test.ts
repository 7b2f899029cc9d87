import { randomUUID } from 'node:crypto';
import test from 'ava';
import { phaseOpen } from '../../src/scheduling/eligibility.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen, tenantDb } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-rescheduling';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001; // Mumbai, open 09:00–17:00
const SLOTS = ['09:00AM-11:00AM', '11:00AM-01:00PM'];

let app: TestPlatform;
let admin: Record<string, string>;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  admin = bearer(signIn.json().token);
});
test.after.always(async () => {
  await app?.stop();
});

interface Counters {
  doses: Record<number, number>;
  slots: number[];
}

/** A session far from the demo window (days 20+), so demo data never mixes in. */
async function createSession(overrides: Record<string, unknown> = {}): Promise<{ id: string; date: string }> {
  const response = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId: KEM,
      date: dayFromToday(app, 'in', 30),
      vaccine: 'covishield',
      minAge: 18,
      slots: SLOTS,
      capacities: [
        { dose: 1, online: 4 },
        { dose: 2, online: 2 },
      ],
      ...overrides,
    },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json();
}

/** Counters straight from the database, and the booked rows they must equal. */
async function counters(sessionId: string): Promise<Counters & { rows: number }> {
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    const doses = await client.query('select dose_number, online_booked from session_capacity where session_id = $1 order by dose_number', [
      sessionId,
    ]);
    const slots = await client.query('select booked from session_slot where session_id = $1 order by slot_index', [sessionId]);
    const rows = await client.query(`select count(*)::int as n from appointment where session_id = $1 and state = 'booked'`, [sessionId]);
    return {
      doses: Object.fromEntries(doses.rows.map((r) => [r.dose_number, r.online_booked])),
      slots: slots.rows.map((r) => r.booked),
      rows: rows.rows[0].n,
    };
  } finally {
    await client.end();
  }
}

async function book(citizen: TestCitizen, sessionId: string, slot = SLOTS[0], who = [citizen.beneficiaries[0].referenceId]) {
  const response = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId, slot, beneficiaries: who },
  });
  if (response.status !== 201) throw new Error(`booking: ${response.status} ${response.text}`);
  return response.json<{ appointments: { id: string; securityCode: string }[] }>().appointments;
}

const reschedule = (citizen: TestCitizen, appointmentId: string, sessionId: string, slot: string) =>
  app.request(HOST, `/api/v1/appointments/${appointmentId}/reschedule`, {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId, slot },
  });

/** Waits for an SMS to `phone` with every part in it (notices go out through the job queue). */
const smsWith = (phone: string, ...parts: string[]) =>
  eventually(`an SMS to ${phone} with ${parts.join(', ')}`, async () => {
    const outbox = (await app.request(HOST, '/dev/outbox?limit=1000')).json<{ to: string; text: string }[]>();
    return outbox.find((m) => m.to === phone && parts.every((part) => m.text.includes(part)));
  });

async function recordDose(beneficiaryId: string, vaccine: string, doseNumber: number, givenOn: string) {
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    await client.query('insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on) values ($1, $2, $3, $4, $5)', [
      randomUUID(),
      beneficiaryId,
      vaccine,
      doseNumber,
      givenOn,
    ]);
  } finally {
    await client.end();
  }
}

test('rescheduling moves the place: the old session and slot get it back, the new ones give it, in one step', async (t) => {
  const [citizen] = await makeCitizens(app, 'in', [[1980]]);
  const first = await createSession();
  const second = await createSession({ date: dayFromToday(app, 'in', 31) });
  const [appointment] = await book(citizen, first.id);

  const moved = await reschedule(citizen, appointment.id, second.id, SLOTS[1]);
  t.is(moved.status, 200, moved.text);
  t.like(moved.json(), { id: appointment.id, sessionId: second.id, slot: SLOTS[1], state: 'booked', reschedules: 1, dose: 1 });
  t.is(moved.json().securityCode, appointment.securityCode, 'the security code stays');
  t.truthy(await smsWith(citizen.phone, 'has moved to', SLOTS[1].slice(0, 5)), 'the citizen gets the new slot by SMS');
  t.deepEqual(await counters(first.id), { doses: { 1: 0, 2: 0 }, slots: [0, 0], rows: 0 });
  t.deepEqual(await counters(second.id), { doses: { 1: 1, 2: 0 }, slots: [0, 1], rows: 1 });

  // Within the same session, only the slots change: possible even when the dose is fully booked.
  const full = await createSession({
    date: dayFromToday(app, 'in', 32),
    capacities: [{ dose: 1, online: 2 }],
    slotCapacities: [1, 1],
  });
  const [other] = await makeCitizens(app, 'in', [[1985]]);
  // One active appointment per dose: the citizen gives up the one above first.
  await app.request(HOST, `/api/v1/appointments/${appointment.id}`, { method: 'DELETE', headers: bearer(citizen.token) });
  const [mine] = await book(citizen, full.id, SLOTS[0]);
  const refused = await reschedule(other, mine.id, full.id, SLOTS[1]);
  t.is(refused.status, 404, "another account's appointment is not found");
  t.is((await reschedule(citizen, mine.id, full.id, SLOTS[1])).status, 200);
  t.deepEqual(await counters(full.id), { doses: { 1: 1 }, slots: [0, 1], rows: 1 });
  await book(other, full.id, SLOTS[0]);
  t.deepEqual(await counters(full.id), { doses: { 1: 2 }, slots: [1, 1], rows: 2 });

  // Into a full slot: refused, nothing moves.
  const intoFull = await reschedule(citizen, mine.id, full.id, SLOTS[0]);
  t.is(intoFull.status, 409, intoFull.text);
  t.is(intoFull.json().code, 'session-full');
  t.deepEqual(await counters(full.id), { doses: { 1: 2 }, slots: [1, 1], rows: 2 });
});

test('an appointment can be moved three times (the tenant default), then the citizen is told to cancel and rebook', async (t) => {
  const [citizen] = await makeCitizens(app, 'in', [[1970]]);
  const session = await createSession({ date: dayFromToday(app, 'in', 33) });
  const [appointment] = await book(citizen, session.id);
  for (const slot of [SLOTS[1], SLOTS[0], SLOTS[1]]) t.is((await reschedule(citizen, appointment.id, session.id, slot)).status, 200);
  const fourth = await reschedule(citizen, appointment.id, session.id, SLOTS[0]);
  t.is(fourth.status, 409);
  t.like(fourth.json(), { code: 'reschedule-limit' });
  t.regex(fourth.json().detail, /3/);
  const hindi = await app.request(HOST, `/api/v1/appointments/${appointment.id}/reschedule?lng=hi`, {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId: session.id, slot: SLOTS[0] },
  });
  t.regex(hindi.json().title, /[\u0900-\u097F]/, 'localised');
  t.deepEqual(await counters(session.id), { doses: { 1: 1, 2: 0 }, slots: [0, 1], rows: 1 });
});

test('rescheduling keeps the dose rules: a second dose cannot move before its interval', async (t) => {
  const [citizen] = await makeCitizens(app, 'in', [[1975]]);
  const person = citizen.beneficiaries[0];
  await recordDose(person.id, 'covaxin', 1, dayFromToday(app, 'in', -20)); // second dose due from day 8 to day 22
  const ok = await createSession({ vaccine: 'covaxin', minAge: 18, date: dayFromToday(app, 'in', 21) });
  const tooLate = await createSession({ vaccine: 'covaxin', minAge: 18, date: dayFromToday(app, 'in', 40) });
  const [appointment] = await book(citizen, ok.id);
  const refused = await reschedule(citizen, appointment.id, tooLate.id, SLOTS[0]);
  t.is(refused.status, 422, refused.text);
  t.deepEqual(
    refused.json().errors.map((e: { code: string }) => e.code),
    ['dose-too-late'],
  );
  const cancelled = await app.request(HOST, `/api/v1/appointments/${appointment.id}`, { method: 'DELETE', headers: bearer(citizen.token) });
  t.is(cancelled.status, 200);
  const afterCancel = await reschedule(citizen, appointment.id, ok.id, SLOTS[1]);
  t.is(afterCancel.status, 409);
  t.is(afterCancel.json().code, 'appointment-not-active');
});

test('staff cancel a session: its appointments are cancelled, counters return to zero, nothing more can be booked', async (t) => {
  const citizens = await makeCitizens(app, 'in', [[1980], [1981], [1982]]);
  const session = await createSession({ date: dayFromToday(app, 'in', 34) });
  for (const citizen of citizens.slice(0, 2)) await book(citizen, session.id);
  const cancelled = await app.request(HOST, `/api/v1/staff/sessions/${session.id}/cancel`, {
    method: 'POST',
    headers: admin,
    body: { reason: 'vaccine cold chain failure' },
  });
  t.is(cancelled.status, 200, cancelled.text);
  t.like(cancelled.json(), { cancelledAppointments: 2, session: { id: session.id, state: 'cancelled' } });
  t.deepEqual(await counters(session.id), { doses: { 1: 0, 2: 0 }, slots: [0, 0], rows: 0 });
  const mine = await app.request(HOST, '/api/v1/appointments', { headers: bearer(citizens[0].token) });
  t.is(mine.json().appointments[0].state, 'cancelled');
  for (const citizen of citizens.slice(0, 2))
    t.truthy(await smsWith(citizen.phone, 'KEM', 'has cancelled its vaccination session'), 'each person is told');

  const late = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizens[2].token),
    body: { sessionId: session.id, slot: SLOTS[0], beneficiaries: [citizens[2].beneficiaries[0].referenceId] },
  });
  t.is(late.status, 409);
  t.is(late.json().code, 'session-cancelled');
  const again = await app.request(HOST, `/api/v1/staff/sessions/${session.id}/cancel`, { method: 'POST', headers: admin, body: {} });
  t.is(again.status, 409, 'cancelling twice changes nothing');
  const listed = await app.request(HOST, `/api/v1/availability?facility=${KEM}&from=${session.date}&days=1`);
  t.false(JSON.stringify(listed.json()).includes(session.id), 'a cancelled session is no longer offered');
  const audit = await app.request(HOST, '/api/v1/staff/audit', { headers: admin });
  t.true(JSON.stringify(audit.json()).includes('session.cancel'));
});

test('staff move a session to another day: appointments that still fit move, the others are cancelled', async (t) => {
  const [first, second] = await makeCitizens(app, 'in', [[1980], [1981]]);
  // The second person's dose 2 of Covaxin is due from day 8 to day 22 (28–42 days after day -20).
  await recordDose(second.beneficiaries[0].id, 'covaxin', 1, dayFromToday(app, 'in', -20));
  const session = await createSession({ vaccine: 'covaxin', date: dayFromToday(app, 'in', 20) });
  const [kept] = await book(first, session.id);
  const [dropped] = await book(second, session.id, SLOTS[1]);
  const moved = await app.request(HOST, `/api/v1/staff/sessions/${session.id}/move`, {
    method: 'POST',
    headers: admin,
    body: { date: dayFromToday(app, 'in', 25), reason: 'centre closed for a holiday' },
  });
  t.is(moved.status, 200, moved.text);
  t.like(moved.json(), { movedAppointments: 1, cancelledAppointments: 1, session: { date: dayFromToday(app, 'in', 25) } });
  const mine = await app.request(HOST, '/api/v1/appointments', { headers: bearer(first.token) });
  t.like(
    mine.json().appointments.find((a: { id: string }) => a.id === kept.id),
    { state: 'booked', date: dayFromToday(app, 'in', 25) },
  );
  const theirs = await app.request(HOST, '/api/v1/appointments', { headers: bearer(second.token) });
  t.is(theirs.json().appointments.find((a: { id: string }) => a.id === dropped.id).state, 'cancelled');
  t.truthy(await smsWith(first.phone, 'has moved to', kept.securityCode), 'the person who moves is told the new day');
  t.truthy(await smsWith(second.phone, 'has cancelled its vaccination session'), 'the person who no longer fits is told');
  t.deepEqual(await counters(session.id), { doses: { 1: 1, 2: 0 }, slots: [1, 0], rows: 1 });

  const past = await app.request(HOST, `/api/v1/staff/sessions/${session.id}/move`, {
    method: 'POST',
    headers: admin,
    body: { date: dayFromToday(app, 'in', -1) },
  });
  t.is(past.status, 422);
  t.deepEqual(
    past.json().errors.map((e: { code: string }) => e.code),
    ['date-past'],
  );
  const citizenTries = await app.request(HOST, `/api/v1/staff/sessions/${session.id}/move`, {
    method: 'POST',
    headers: bearer(first.token),
    body: { date: dayFromToday(app, 'in', 26) },
  });
  t.is(citizenTries.status, 401, 'a citizen token is not a staff token');
});

test('availability: centres with a calendar of sessions, and freshness said in Cache-Control and Age', async (t) => {
  const session = await createSession({ date: dayFromToday(app, 'in', 40) });
  const from = dayFromToday(app, 'in', 38);
  const byCentre = await app.request(HOST, `/api/v1/availability?facility=${KEM}&from=${from}&days=5`);
  t.is(byCentre.status, 200, byCentre.text);
  const body = byCentre.json();
  t.like(body, { from, days: 5 });
  t.is(body.centres[0].facility.id, KEM);
  const found = body.centres[0].sessions.find((s: { id: string }) => s.id === session.id);
  t.like(found, { date: dayFromToday(app, 'in', 40), vaccine: 'covishield', state: 'active', bookableFrom: null });
  t.true(body.centres[0].sessions.every((s: { date: string }) => s.date >= from && s.date <= dayFromToday(app, 'in', 42)));
  const cacheControl = String(byCentre.headers['cache-control']);
  const maxAge = Number(/public, max-age=(\d+)/.exec(cacheControl)?.[1]);
  t.true(maxAge >= 0 && maxAge <= 10, cacheControl);
  t.regex(String(byCentre.headers.age), /^\d+$/);

  const byPin = await app.request(HOST, `/api/v1/availability?postalCode=400012&from=${from}&days=5`);
  t.true(byPin.json().centres.some((c: { facility: { id: number } }) => c.facility.id === KEM));
  const byDistrict = await app.request(HOST, `/api/v1/availability?area=district:395&from=${from}&days=5`);
  t.true(byDistrict.json().centres.some((c: { sessions: { id: string }[] }) => c.sessions.some((s) => s.id === session.id)));
  const near = await app.request(HOST, `/api/v1/availability?lat=19.0&long=72.84&radiusKm=5&from=${from}`);
  t.true(near.json().centres.some((c: { facility: { id: number } }) => c.facility.id === KEM));

  for (const query of [
    '',
    'facility=1001&postalCode=400012',
    'facility=1001&days=15',
    'lat=19',
    'facility=abc',
    'area=district:395&from=2026-02-30',
  ]) {
    const refused = await app.request(HOST, `/api/v1/availability?${query}`);
    t.is(refused.status, 422, `${query}: ${refused.text}`);
    t.regex(String(refused.headers['content-type']), /^application\/problem\+json/);
  }
  t.is((await app.request(HOST, '/api/v1/availability?facility=999999')).status, 404);
  t.is(
    (await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=2026-02-30`)).status,
    422,
    'an impossible date is refused, not a 500',
  );
});

test('eligibility by phase: the India tenant opens by age, 45+ with a comorbidity before other 45+', (t) => {
  const india = {
    minAgeYears: 12,
    phases: [
      { name: 'sixty-plus', minAgeYears: 60, requiresComorbidity: false, opensOn: '2021-03-01' },
      { name: 'forty-five-plus-comorbid', minAgeYears: 45, requiresComorbidity: true, opensOn: '2021-03-01' },
      { name: 'forty-five-plus', minAgeYears: 45, requiresComorbidity: false, opensOn: '2021-04-01' },
      { name: 'adults', minAgeYears: 18, requiresComorbidity: false, opensOn: '2021-05-01' },
      { name: 'fifteen-to-seventeen', minAgeYears: 15, maxAgeYears: 17, requiresComorbidity: false, opensOn: '2022-01-03' },
    ],
  };
  const table: [number, boolean, string, boolean][] = [
    [65, false, '2021-03-01', true],
    [50, false, '2021-03-01', false],
    [50, true, '2021-03-01', true],
    [50, false, '2021-04-01', true],
    [30, false, '2021-04-30', false],
    [30, false, '2021-05-01', true],
    [16, false, '2021-12-31', false],
    [16, false, '2022-01-03', true],
    [13, false, '2030-01-01', false],
    [11, true, '2030-01-01', false],
  ];
  for (const [age, hasComorbidity, date, open] of table) {
    t.is(phaseOpen(india, { age, hasComorbidity }, date), open, `${age} ${hasComorbidity ? 'with' : 'without'} comorbidity on ${date}`);
  }
  t.true(phaseOpen({ minAgeYears: 18 }, { age: 18, hasComorbidity: false }, '2000-01-01'), 'no phases: the minimum age only');
});

test('the demo tenant books children into the sessions their phase opened: a 12-year-old for Corbevax', async (t) => {
  const date = dayFromToday(app, 'in', 35);
  const year = Number(date.slice(0, 4));
  const [family] = await makeCitizens(app, 'in', [[year - 12, year - 40]]);
  const session = await createSession({ vaccine: 'corbevax', minAge: 12, maxAge: 14, date });
  const response = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(family.token),
    body: { sessionId: session.id, slot: SLOTS[0], beneficiaries: family.beneficiaries.map((b) => b.referenceId) },
  });
  t.is(response.status, 422);
  t.deepEqual(response.json().errors, [{ path: '/beneficiaries/1', code: 'age-not-eligible', message: response.json().errors[0].message }]);
  const child = await book(family, session.id, SLOTS[0], [family.beneficiaries[0].referenceId]);
  t.is(child.length, 1);
});

test('an earlier second dose for travel: allowed from the exception minimum with the reason, recorded on the appointment', async (t) => {
  const [traveller, tooSoon] = await makeCitizens(app, 'in', [[1990], [1991]]);
  await recordDose(traveller.beneficiaries[0].id, 'covishield', 1, dayFromToday(app, 'in', -10)); // 84 days → day 74; travel 28 → day 18
  await recordDose(tooSoon.beneficiaries[0].id, 'covishield', 1, dayFromToday(app, 'in', 10)); // travel allows day 38 at the earliest
  const session = await createSession({ date: dayFromToday(app, 'in', 36) });
  const ask = (citizen: TestCitizen, intervalException?: string) =>
    app.request(HOST, '/api/v1/appointments', {
      method: 'POST',
      headers: bearer(citizen.token),
      body: { sessionId: session.id, slot: SLOTS[0], beneficiaries: [citizen.beneficiaries[0].referenceId], intervalException },
    });
  const codes = async (response: Awaited<ReturnType<typeof ask>>) => response.json().errors.map((e: { code: string }) => e.code);
  t.deepEqual(await codes(await ask(traveller)), ['dose-too-early'], 'without a reason: the usual 84 days');
  t.deepEqual(await codes(await ask(traveller, 'holiday')), ['dose-too-early'], 'a reason the tenant does not accept');
  t.deepEqual(await codes(await ask(tooSoon, 'travel')), ['dose-too-early'], 'travel still needs its own 28 days');
  const booked = await ask(traveller, 'travel');
  t.is(booked.status, 201, booked.text);
  t.like(booked.json().appointments[0], { dose: 2, intervalException: 'travel' });
});

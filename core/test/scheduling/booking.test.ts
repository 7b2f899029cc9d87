import { randomUUID } from 'node:crypto';
import test from 'ava';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen, tenantDb } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-sessions';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001; // KEM Hospital, Mumbai (tenants/in/facilities.json), open 09:00–17:00

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

const session = (overrides: Record<string, unknown> = {}) => ({
  facilityId: KEM,
  date: dayFromToday(app, 'in', 3),
  vaccine: 'covishield',
  minAge: 18,
  slots: ['09:00AM-11:00AM', '11:00AM-01:00PM'],
  capacities: [
    { dose: 1, online: 6, walkin: 2 },
    { dose: 2, online: 4 },
  ],
  ...overrides,
});

async function createSession(overrides: Record<string, unknown> = {}) {
  const response = await app.request(HOST, '/api/v1/staff/sessions', { method: 'POST', headers: admin, body: session(overrides) });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json<{ id: string; date: string; slots: { label: string; capacity: number; available: number }[] }>();
}

const book = (citizen: TestCitizen, body: unknown, headers: Record<string, string> = {}) =>
  app.request(HOST, '/api/v1/appointments', { method: 'POST', body, headers: { ...bearer(citizen.token), ...headers } });

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

test('staff create a session; the public sees its free places per dose and slot', async (t) => {
  const created = await createSession({
    date: dayFromToday(app, 'in', 10),
    slots: ['9:00am-10:30am', '10:30AM-12:00PM', '02:00PM-04:00PM'],
  });
  t.deepEqual(
    created.slots.map((s) => [s.label, s.capacity]),
    [
      ['09:00AM-10:30AM', 4],
      ['10:30AM-12:00PM', 3],
      ['02:00PM-04:00PM', 3],
    ],
    'labels normalised, 10 online places split evenly',
  );
  t.deepEqual(
    (created as { stockWarnings?: unknown }).stockWarnings,
    [{ facilityId: KEM, date: created.date, vaccine: 'covishield', planned: 12, inStock: 0, shortBy: 12 }],
    'planned beyond the stock at the centre (none yet): created, with a warning and the numbers',
  );
  const listed = await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${created.date}`);
  t.is(listed.status, 200, listed.text);
  const [found] = listed.json().sessions;
  t.like(found, { id: created.id, facilityId: KEM, vaccine: 'covishield', minAge: 18, maxAge: null });
  t.deepEqual(found.doses, [
    { dose: 1, onlineCapacity: 6, available: 6, walkin: 2 },
    { dose: 2, onlineCapacity: 4, available: 4, walkin: 0 },
  ]);

  const audit = await app.request(HOST, '/api/v1/staff/audit', { headers: admin });
  t.true(JSON.stringify(audit.json()).includes(created.id), 'the creation is audited');
});

test('session validation: past date, unknown vaccine, overlapping or malformed slots, outside hours; bulk is all or nothing', async (t) => {
  const refused = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: session({
      date: dayFromToday(app, 'in', -1),
      vaccine: 'sputnik',
      slots: ['09:00AM-11:00AM', '10:00AM-12:00PM', '9-10', '05:00PM-06:00PM'],
    }),
  });
  t.is(refused.status, 422, refused.text);
  t.deepEqual(
    refused.json().errors.map((e: { path: string; code: string }) => [e.path, e.code]),
    [
      ['/date', 'date-past'],
      ['/vaccine', 'choice'],
      ['/slots/1', 'slot-overlap'],
      ['/slots/2', 'slot-invalid'],
      ['/slots/3', 'slot-outside-hours'],
    ],
  );
  t.truthy(refused.json().errors[0].message);

  const date = dayFromToday(app, 'in', 20);
  const bulk = await app.request(HOST, '/api/v1/staff/sessions/bulk', {
    method: 'POST',
    headers: admin,
    body: [session({ date }), session({ date, minAge: 10 })],
  });
  t.is(bulk.status, 422);
  t.deepEqual(bulk.json().errors, [{ path: '/1/minAge', code: 'age-below-vaccine', message: bulk.json().errors[0].message }]);
  t.deepEqual((await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${date}`)).json().sessions, [], 'nothing stored');

  const ok = await app.request(HOST, '/api/v1/staff/sessions/bulk', {
    method: 'POST',
    headers: admin,
    body: [session({ date }), session({ date, vaccine: 'covaxin' })],
  });
  t.is(ok.status, 201, ok.text);
  t.is((await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${date}`)).json().sessions.length, 2);

  const citizen = (await makeCitizens(app, 'in', [[1990]]))[0];
  const asCitizen = await app.request(HOST, '/api/v1/staff/sessions', { method: 'POST', headers: bearer(citizen.token), body: session() });
  t.is(asCitizen.status, 401, 'a citizen token is not a staff token');
});

test('book, list, one active appointment per dose, cancel gives the place back', async (t) => {
  const created = await createSession();
  const [family] = await makeCitizens(app, 'in', [[1980, 1985]]);
  const refs = family.beneficiaries.map((b) => b.referenceId);
  const booked = await book(family, { sessionId: created.id, slot: '09:00AM-11:00AM', beneficiaries: refs });
  t.is(booked.status, 201, booked.text);
  const appointments = booked.json().appointments;
  t.is(appointments.length, 2);
  for (const [index, appointment] of appointments.entries()) {
    t.like(appointment, {
      beneficiary: refs[index],
      sessionId: created.id,
      facilityId: KEM,
      slot: '09:00AM-11:00AM',
      dose: 1,
      state: 'booked',
    });
    t.regex(appointment.securityCode, /^\d{4}$/);
  }
  // Confirmations go out through the job queue, just after the answer.
  const outbox = await eventually('two confirmations', async () => {
    const sent = (await app.request(HOST, '/dev/outbox')).json<{ to: string; text: string }[]>().filter((m) => m.to === family.phone);
    return sent.length >= 2 ? sent : undefined;
  });
  t.is(outbox.length, 2, 'one SMS per appointment');
  t.true(outbox.some((m) => m.text.includes(appointments[0].securityCode) && m.text.includes('KEM Hospital')));

  const again = await book(family, { sessionId: created.id, slot: '11:00AM-01:00PM', beneficiaries: [refs[0]] });
  t.is(again.status, 409);
  t.is(again.json().code, 'already-booked');

  let [state] = (await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${created.date}`))
    .json()
    .sessions.filter((s: { id: string }) => s.id === created.id);
  t.is(state.doses[0].available, 4);
  t.is(state.slots[0].available, 3);

  const listed = await app.request(HOST, '/api/v1/appointments', { headers: bearer(family.token) });
  t.deepEqual(
    listed
      .json()
      .appointments.map((a: { id: string }) => a.id)
      .sort(),
    appointments.map((a: { id: string }) => a.id).sort(),
  );

  const [stranger] = await makeCitizens(app, 'in', [[1980]]);
  const theirs = await app.request(HOST, `/api/v1/appointments/${appointments[0].id}`, {
    method: 'DELETE',
    headers: bearer(stranger.token),
  });
  t.is(theirs.status, 404, "someone else's appointment is not found");

  const cancelled = await app.request(HOST, `/api/v1/appointments/${appointments[0].id}`, {
    method: 'DELETE',
    headers: bearer(family.token),
  });
  t.is(cancelled.status, 200, cancelled.text);
  t.like(cancelled.json(), { state: 'cancelled' });
  t.truthy(cancelled.json().cancelledAt);
  const twice = await app.request(HOST, `/api/v1/appointments/${appointments[0].id}`, { method: 'DELETE', headers: bearer(family.token) });
  t.is(twice.json().code, 'appointment-not-active');
  [state] = (await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${created.date}`))
    .json()
    .sessions.filter((s: { id: string }) => s.id === created.id);
  t.is(state.doses[0].available, 5, 'the dose place is back');
  t.is(state.slots[0].available, 4, 'the slot place is back');

  const rebooked = await book(family, { sessionId: created.id, slot: '11:00AM-01:00PM', beneficiaries: [refs[0]] });
  t.is(rebooked.status, 201, 'after cancelling, the dose can be booked again');

  const locked = await app.request(HOST, `/api/v1/beneficiaries/${refs[1]}`, { method: 'DELETE', headers: bearer(family.token) });
  t.is(locked.json().code, 'beneficiary-locked', 'a booked person cannot be deleted');
});

test('eligibility: too young, second dose too early, wrong vaccine, unknown person; each named', async (t) => {
  const created = await createSession({ maxAge: 44 });
  const year = Number(created.date.slice(0, 4));
  const [family] = await makeCitizens(app, 'in', [[year - 16, year - 30, year - 30, year - 50]]);
  const [young, early, other, old] = family.beneficiaries;
  await recordDose(early.id, 'covishield', 1, dayFromToday(app, 'in', -20)); // 84 days needed
  await recordDose(other.id, 'covaxin', 1, dayFromToday(app, 'in', -30));
  const refused = await book(family, {
    sessionId: created.id,
    slot: '09:00AM-11:00AM',
    beneficiaries: [young.referenceId, early.referenceId, other.referenceId, old.referenceId, '12345678901234'],
  });
  t.is(refused.status, 422, refused.text);
  t.deepEqual(
    refused.json().errors.map((e: { path: string; code: string }) => [e.path, e.code]),
    [
      ['/beneficiaries/0', 'age-not-eligible'],
      ['/beneficiaries/1', 'dose-too-early'],
      ['/beneficiaries/2', 'vaccine-mismatch'],
      ['/beneficiaries/3', 'age-not-eligible'],
      ['/beneficiaries/4', 'beneficiary-unknown'],
    ],
  );
  const [state] = (await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${created.date}`))
    .json()
    .sessions.filter((s: { id: string }) => s.id === created.id);
  t.is(state.doses[0].available, 6, 'nothing was taken');

  // A second dose that is due (84–112 days after the first) takes a dose-2 place.
  const [second] = await makeCitizens(app, 'in', [[year - 30]]);
  await recordDose(second.beneficiaries[0].id, 'covishield', 1, dayFromToday(app, 'in', -90));
  const booked = await book(second, {
    sessionId: created.id,
    slot: '09:00AM-11:00AM',
    beneficiaries: [second.beneficiaries[0].referenceId],
  });
  t.is(booked.status, 201, booked.text);
  t.is(booked.json().appointments[0].dose, 2);
});

test('an Idempotency-Key replays the first answer; another body with the same key is refused', async (t) => {
  const created = await createSession();
  const [citizen] = await makeCitizens(app, 'in', [[1970, 1972]]);
  const body = { sessionId: created.id, slot: '11:00AM-01:00PM', beneficiaries: [citizen.beneficiaries[0].referenceId] };
  const key = `retry-${randomUUID()}`;
  const [first, concurrent] = await Promise.all([
    book(citizen, body, { 'Idempotency-Key': key }),
    book(citizen, body, { 'Idempotency-Key': key }),
  ]);
  t.is(first.status, 201, first.text);
  t.is(concurrent.status, 201, concurrent.text);
  t.deepEqual(concurrent.json(), first.json(), 'the concurrent retry gets the same appointment');
  const later = await book(citizen, body, { 'Idempotency-Key': key });
  t.is(later.status, 201);
  t.is(later.headers['idempotent-replayed'], 'true');
  t.deepEqual(later.json(), first.json());
  const other = await book(citizen, { ...body, beneficiaries: [citizen.beneficiaries[1].referenceId] }, { 'Idempotency-Key': key });
  t.is(other.status, 422);
  t.is(other.json().code, 'idempotency-key-reused');
  const [state] = (await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${created.date}`))
    .json()
    .sessions.filter((s: { id: string }) => s.id === created.id);
  t.is(state.doses[0].available, 5, 'one place taken, however many retries');
});

test('a signed-out or expired sign-in books nothing, replays nothing, and learns nothing: 401 session-ended', async (t) => {
  const created = await createSession();
  const [stays, leaves, lapses] = await makeCitizens(app, 'in', [[1970], [1971], [1972]]);
  const bodyOf = (citizen: TestCitizen) => ({
    sessionId: created.id,
    slot: '09:00AM-11:00AM',
    beneficiaries: [citizen.beneficiaries[0].referenceId],
  });
  // One who books with a key first, so a replay of it has something to answer.
  const key = `signed-out-${randomUUID()}`;
  t.is((await book(leaves, bodyOf(leaves), { 'Idempotency-Key': key })).status, 201);
  t.is((await app.request(HOST, '/api/v1/auth/sign-out', { method: 'POST', headers: bearer(leaves.token) })).status, 204);
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    await client.query(`update auth_session set expires_at = now() - interval '1 second' where subject_id = $1`, [lapses.accountId]);
    // This test's session only: the file's other tests book at the same time.
    const appointments = async () =>
      Number((await client.query('select count(*)::int as n from appointment where session_id = $1', [created.id])).rows[0].n);
    const before = await appointments();
    for (const [who, body, headers] of [
      [leaves, bodyOf(leaves), { 'Idempotency-Key': key }], // the replay of what it booked
      [leaves, { ...bodyOf(leaves), slot: '11:00AM-01:00PM' }, {}],
      [leaves, { ...bodyOf(leaves), sessionId: randomUUID() }, {}], // no such session: still 401, not 404
      [lapses, bodyOf(lapses), {}],
    ] as const) {
      const answer = await book(who, body, headers);
      t.is(answer.status, 401, answer.text);
      t.is(answer.json().code, 'session-ended');
    }
    t.is(await appointments(), before, 'nothing written');
    // A live sign-in still books.
    t.is((await book(stays, bodyOf(stays))).status, 201);
  } finally {
    await client.end();
  }
});

import { randomUUID } from 'node:crypto';
import test from 'ava';
import { expect2xx, type Headers, inventory, ledgerMismatches, newBatch, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { makeCitizens } from '../support/scheduling.js';
import { book, facilityBalance, JJ, KEM, movementsSum, sessionToday, stockAt, vaccination, walkIn, wrongCode } from './centre-helpers.js';

/**
 * The vaccination workflow at the centre over HTTP against PostgreSQL: people verified by their
 * security code or document, walk-ins registered, doses recorded with the stock, the appointment
 * and the walk-in places moving in the same transaction, and the ledger exact throughout.
 */
const ADMIN_PASSWORD = 'test-admin-password-vaccination-workflow';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let vaccinator: Headers;
let elsewhere: Headers;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  vaccinator = await staffWith(app, admin, 'vaccinator-kem', 'vaccinator', 'facility', String(KEM));
  elsewhere = await staffWith(app, admin, 'vaccinator-jj', 'vaccinator', 'facility', String(JJ));
});
test.after.always(async () => {
  await app?.stop();
});

const dose = (sessionId: string, beneficiary: string, batchId: string, fields: Record<string, unknown> = {}) => ({
  sessionId,
  beneficiary,
  batchId,
  doseNumber: 1,
  injectionSite: 'left-deltoid',
  ...fields,
});

test.serial('received, transferred, given to booked people and walk-ins, wasted: an exact balance', async (t) => {
  const desk = vaccination(app, vaccinator);
  const batch = await stockAt(app, admin, KEM, 50);
  const sessionId = await sessionToday(app, admin, KEM);
  const [anita, bilal, chitra] = await makeCitizens(app, 'in', [[1980], [1985], [1990]]);
  const appointments = [await book(app, anita, sessionId), await book(app, bilal, sessionId), await book(app, chitra, sessionId)];

  // The day: three people expected, none arrived; walk-in places left.
  const day = await expect2xx(desk.get(`/day?facility=${KEM}`));
  const session = day.sessions.find((s: { id: string }) => s.id === sessionId);
  t.is(session.appointments.length, 3);
  t.like(
    session.appointments.find((a: { id: string }) => a.id === appointments[0].id),
    {
      beneficiary: anita.beneficiaries[0].referenceId,
      age: Number(day.date.slice(0, 4)) - 1980,
      dose: 1,
      slot: '09:00AM-01:00PM',
      state: 'booked',
      arrived: false,
    },
  );
  t.like(session.doses[0], { dose: 1, walkinCapacity: 3, walkinUsed: 0, walkinLeft: 3 });
  t.false(JSON.stringify(day).includes(appointments[0].securityCode), 'no security code in the day view');

  // Anita arrives, is verified by her code and vaccinated.
  const arrived = await expect2xx(desk.post(`/appointments/${appointments[0].id}/arrival`));
  t.like(arrived, { checkIn: { verifiedBy: null } });
  const verified = await expect2xx(
    desk.post(`/appointments/${appointments[0].id}/verification`, { securityCode: appointments[0].securityCode }),
  );
  t.like(verified, {
    referenceId: anita.beneficiaries[0].referenceId,
    due: { status: 'due', doseNumber: 1 },
    appointment: { id: appointments[0].id, dose: 1, slot: '09:00AM-01:00PM', state: 'booked' },
    checkIn: { arrivedAt: arrived.checkIn.arrivedAt, verifiedBy: 'security-code' },
  });
  t.true(Date.parse(verified.checkIn.verifiedAt) >= Date.parse(arrived.checkIn.arrivedAt), 'verified after arriving');
  const given = await desk.post('/doses', dose(sessionId, anita.beneficiaries[0].referenceId, batch), {
    'Idempotency-Key': `dose-${randomUUID()}`,
  });
  t.is(given.status, 201, given.text);
  t.like(given.json(), {
    doseNumber: 1,
    vaccine: 'covishield',
    appointmentId: appointments[0].id,
    state: 'recorded',
    injectionSite: 'left-deltoid',
  });
  t.is(given.json().batch.id, batch);

  // Bilal's appointment with a wrong code: refused, and no dose can be recorded for him.
  const wrong = await desk.post(`/appointments/${appointments[1].id}/verification`, {
    securityCode: wrongCode(appointments[1].securityCode),
  });
  t.is(wrong.status, 422);
  t.like(wrong.json(), { code: 'security-code-invalid', detail: 'The security code does not match this appointment. 4 tries left.' });
  const unverified = await desk.post('/doses', dose(sessionId, bilal.beneficiaries[0].referenceId, batch));
  t.is(unverified.status, 409);
  t.is(unverified.json().code, 'not-verified');
  await expect2xx(desk.post(`/appointments/${appointments[1].id}/verification`, { securityCode: appointments[1].securityCode }));
  await expect2xx(desk.post('/doses', dose(sessionId, bilal.beneficiaries[0].referenceId, batch, { injectionSite: 'right-deltoid' })));

  // Two walk-ins: one without a mobile number, one with; each takes a walk-in place.
  const first = await desk.post('/walk-ins', walkIn(sessionId));
  t.is(first.status, 201, first.text);
  t.like(first.json(), { checkIn: { verifiedBy: 'document' }, appointment: null, walkinPlacesLeft: 3 });
  t.regex(first.json().document.masked, /^X/, 'the document is shown masked');
  await expect2xx(desk.post('/doses', dose(sessionId, first.json().referenceId, batch)));
  const document = walkIn(sessionId, { mobile: '98765 43210', name: 'Second Walk-in' });
  const second = await expect2xx(desk.post('/walk-ins', document));
  const again = await expect2xx(desk.post('/document-verification', { sessionId, document: document.document }));
  t.is(again.referenceId, second.referenceId, 'found again by the document');
  const [{ account_id }] = await sql(app, 'select account_id from beneficiary where reference_id = $1', [second.referenceId]);
  t.truthy(account_id, 'a walk-in with a mobile joins that number’s account');
  const [{ account_id: none }] = await sql(app, 'select account_id from beneficiary where reference_id = $1', [first.json().referenceId]);
  t.is(none, null, 'a walk-in without a mobile belongs to no account');

  // A double submit (two identical requests at once, same key): recorded once, both answer it.
  const key = { 'Idempotency-Key': `dose-${randomUUID()}` };
  const twice = await Promise.all([
    desk.post('/doses', dose(sessionId, second.referenceId, batch), key),
    desk.post('/doses', dose(sessionId, second.referenceId, batch), key),
  ]);
  t.deepEqual(
    twice.map((r) => r.status),
    [201, 201],
    twice.map((r) => r.text).join('\n'),
  );
  t.is(twice[0].json().id, twice[1].json().id);
  t.is(twice.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 1);
  const replay = await desk.post('/doses', dose(sessionId, second.referenceId, batch), key);
  t.is(replay.json().id, twice[0].json().id, 'a later retry answers the first record');
  const withoutKey = await desk.post('/doses', dose(sessionId, second.referenceId, batch));
  t.is(withoutKey.status, 409);
  t.is(withoutKey.json().code, 'dose-already-recorded');
  t.is(
    (
      await sql(
        app,
        'select count(*)::int as n from dose_record d join beneficiary b on b.id = d.beneficiary_id where b.reference_id = $1',
        [second.referenceId],
      )
    )[0].n,
    1,
  );

  // Two doses wasted (a dropped vial's worth is not needed: two unopened doses).
  await expect2xx(inventory(app, admin).post('/wastage', { location: `facility:${KEM}`, batchId: batch, doses: 2, reason: 'broken' }));

  // Exact: 50 received, 4 administered, 2 wasted.
  t.like(await facilityBalance(app, admin, KEM, batch), { doses: 44, ledgerSum: 44 });
  t.like(await movementsSum(app, batch), { administered: -4, wastage: -2 });
  t.deepEqual(await ledgerMismatches(app), []);
  const states = await sql(app, 'select id, state from appointment where session_id = $1 order by id', [sessionId]);
  t.deepEqual(Object.fromEntries(states.map((a: { id: string; state: string }) => [a.id, a.state])), {
    [appointments[0].id]: 'completed',
    [appointments[1].id]: 'completed',
    [appointments[2].id]: 'booked',
  });
  const [{ walkin_used }] = await sql(app, 'select walkin_used from session_capacity where session_id = $1 and dose_number = 1', [
    sessionId,
  ]);
  const [{ n: walkinDoses }] = await sql(
    app,
    'select count(*)::int as n from dose_record where session_id = $1 and appointment_id is null',
    [sessionId],
  );
  t.is(walkin_used, 2);
  t.is(walkinDoses, 2, 'the walk-in counter equals the walk-in doses');

  const after = await expect2xx(desk.get(`/day?facility=${KEM}`));
  const today = after.sessions.find((s: { id: string }) => s.id === sessionId);
  t.like(
    today.appointments.find((a: { id: string }) => a.id === appointments[0].id),
    { state: 'completed', arrived: true, verifiedBy: 'security-code' },
  );
  t.is(today.walkIns.length, 2);
  t.like(today.doses[0], { walkinUsed: 2, walkinLeft: 1 });

  const history = await expect2xx(desk.get(`/beneficiaries/${anita.beneficiaries[0].referenceId}/doses`));
  t.is(history.doses.length, 1);
  t.like(history.doses[0], { doseNumber: 1, givenOn: day.date, facilityId: KEM, state: 'recorded' });
});

test.serial('an expired batch is refused and nothing changes', async (t) => {
  const desk = vaccination(app, vaccinator);
  const sessionId = await sessionToday(app, admin, KEM);
  const expired = await newBatch(app, admin);
  await expect2xx(inventory(app, admin).post('/receipts', { location: `facility:${KEM}`, batchId: expired, doses: 20 }));
  await sql(app, 'update batch set expires_on = current_date - 2 where id = $1', [expired]);
  const [citizen] = await makeCitizens(app, 'in', [[1970]]);
  const appointment = await book(app, citizen, sessionId);
  await expect2xx(desk.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode }));
  const walker = await expect2xx(desk.post('/walk-ins', walkIn(sessionId)));

  for (const person of [citizen.beneficiaries[0].referenceId, walker.referenceId]) {
    const refused = await desk.post('/doses', dose(sessionId, person, expired));
    t.is(refused.status, 409);
    t.is(refused.json().code, 'batch-expired');
  }
  t.like(await facilityBalance(app, admin, KEM, expired), { doses: 20, ledgerSum: 20 });
  t.deepEqual(await sql(app, 'select id from dose_record where batch_id = $1', [expired]), []);
  t.deepEqual(await sql(app, 'select state from appointment where id = $1', [appointment.id]), [{ state: 'booked' }]);
  t.deepEqual(await sql(app, 'select walkin_used from session_capacity where session_id = $1', [sessionId]), [{ walkin_used: 0 }]);
});

test.serial('repeated wrong security codes lock the appointment, audited; then even the right code is refused', async (t) => {
  const desk = vaccination(app, vaccinator);
  const sessionId = await sessionToday(app, admin, KEM);
  const [citizen] = await makeCitizens(app, 'in', [[1965]]);
  const appointment = await book(app, citizen, sessionId);
  const guess = { securityCode: wrongCode(appointment.securityCode) };
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await desk.post(`/appointments/${appointment.id}/verification`, guess));
  t.deepEqual(
    answers.map((a) => [a.status, a.json().code, a.json().detail.match(/(\d) tries left/)?.[1]]),
    [
      [422, 'security-code-invalid', '4'],
      [422, 'security-code-invalid', '3'],
      [422, 'security-code-invalid', '2'],
      [422, 'security-code-invalid', '1'],
      [409, 'security-code-locked', undefined],
    ],
  );
  const right = await desk.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode });
  t.is(right.status, 409, 'locked: even the right code is refused');
  t.is(right.json().code, 'security-code-locked');
  const audit = await sql(app, `select action from audit_entry where target_id = $1 order by at`, [appointment.id]);
  t.true(audit.some((a: { action: string }) => a.action === 'vaccination.security-code-locked'));
  t.false(
    app.logs.some((line) => line.includes(`"${appointment.securityCode}"`)),
    'the code is never logged',
  );
  t.deepEqual(await sql(app, 'select count(*)::int as n from check_in where appointment_id = $1', [appointment.id]), [{ n: 0 }]);

  // A wrong code first, then the right one: verified (the failure counted stays), audited once, by the vaccinator.
  const [other] = await makeCitizens(app, 'in', [[1966]]);
  const booked = await book(app, other, sessionId);
  t.is((await desk.post(`/appointments/${booked.id}/verification`, { securityCode: wrongCode(booked.securityCode) })).status, 422);
  const verified = await desk.post(`/appointments/${booked.id}/verification`, { securityCode: booked.securityCode });
  t.is(verified.status, 200, verified.text);
  t.like(verified.json(), { checkIn: { verifiedBy: 'security-code' } });
  t.deepEqual(await sql(app, 'select failures from security_code_check where appointment_id = $1', [booked.id]), [{ failures: 1 }]);
  const entries = await sql(
    app,
    `select action, actor_id is not null as by_staff, details from audit_entry where action = 'vaccination.verify' and details->>'appointmentId' = $1`,
    [booked.id],
  );
  t.deepEqual(entries, [{ action: 'vaccination.verify', by_staff: true, details: { method: 'security-code', appointmentId: booked.id } }]);
});

test.serial('a vaccinator of another facility is refused at this one', async (t) => {
  const other = vaccination(app, elsewhere);
  const desk = vaccination(app, vaccinator);
  const batch = await stockAt(app, admin, KEM, 5);
  const sessionId = await sessionToday(app, admin, KEM);
  const [citizen] = await makeCitizens(app, 'in', [[1988]]);
  const appointment = await book(app, citizen, sessionId);
  t.is((await other.get(`/day?facility=${KEM}`)).status, 403);
  t.is((await other.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode })).status, 403);
  await expect2xx(desk.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode }));
  const refused = await other.post('/doses', dose(sessionId, citizen.beneficiaries[0].referenceId, batch));
  t.is(refused.status, 403);
  t.is((await other.post('/walk-ins', walkIn(sessionId))).status, 403);
  t.like(await facilityBalance(app, admin, KEM, batch), { doses: 5 });
});

test.serial('the dose number is checked against the schedule; bad input is a 422 with field codes', async (t) => {
  const desk = vaccination(app, vaccinator);
  const batch = await stockAt(app, admin, KEM, 5);
  const sessionId = await sessionToday(app, admin, KEM);
  const person = await expect2xx(desk.post('/walk-ins', walkIn(sessionId)));
  const second = await desk.post('/doses', dose(sessionId, person.referenceId, batch, { doseNumber: 2 }));
  t.is(second.status, 422);
  t.deepEqual(
    second.json().errors.map((e: { code: string }) => e.code),
    ['dose-number-mismatch'],
  );
  const bad = await desk.post('/doses', dose(sessionId, person.referenceId, batch, { injectionSite: 'elbow' }));
  t.is(bad.status, 422);
  t.is(bad.json().errors[0].path, '/injectionSite');
  const young = await desk.post('/walk-ins', walkIn(sessionId, { birthYear: new Date().getFullYear() - 10 }));
  t.is(young.status, 422);
  t.is(young.json().errors[0].code, 'age-not-eligible');
  t.like(await facilityBalance(app, admin, KEM, batch), { doses: 5 });
});

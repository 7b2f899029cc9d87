import test from 'ava';
import { type Headers, ledgerMismatches, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { makeCitizens } from '../support/scheduling.js';
import { book, KEM, sessionToday, stockAt, vaccination, walkIn } from './centre-helpers.js';

/**
 * Many doses recorded at one centre at the same moment, as on a busy day: they all take stock from
 * the same balance row and walk-in places from the same counter. Whatever the interleaving, the
 * stock never goes below zero, the balance is what came in minus the doses recorded, the counters
 * equal the rows, and every dose recorded gets exactly one certificate.
 */
const ADMIN_PASSWORD = 'test-admin-password-concurrent-doses';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let vaccinator: Headers;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  vaccinator = await staffWith(app, admin, 'vaccinator-concurrent', 'vaccinator', 'facility', String(KEM));
});
test.after.always(async () => {
  await app?.stop();
});

const BOOKED = 20;
const WALK_INS = 3;
const WALKIN_PLACES = 2;
/** One dose fewer than booked people plus walk-in places: the last one must be refused, not overdrawn. */
const STOCK = BOOKED + WALKIN_PLACES - 1;

// A multi-dose product (vials opened as doses are taken) and a single-dose one take different paths.
for (const dosesPerVial of [10, 1]) {
  test.serial(`${BOOKED} booked people and ${WALK_INS} walk-ins given a dose at once, ${dosesPerVial} dose(s) per vial`, async (t) => {
    const desk = vaccination(app, vaccinator);
    const batch = await stockAt(app, admin, KEM, STOCK, { dosesPerVial });
    // Places split over the session's two slots; everyone books the first.
    const sessionId = await sessionToday(app, admin, KEM, [{ dose: 1, online: 2 * BOOKED, walkin: WALKIN_PLACES }]);
    const citizens = await makeCitizens(
      app,
      'in',
      Array.from({ length: BOOKED }, () => [1980]),
    );
    const people: string[] = [];
    for (const citizen of citizens) {
      const appointment = await book(app, citizen, sessionId);
      const verified = await desk.post(`/appointments/${appointment.id}/verification`, { securityCode: appointment.securityCode });
      t.is(verified.status, 200, verified.text);
      people.push(citizen.beneficiaries[0].referenceId);
    }
    const walkers: string[] = [];
    for (let i = 0; i < WALK_INS; i++) {
      const registered = await desk.post('/walk-ins', walkIn(sessionId));
      t.is(registered.status, 201, registered.text);
      walkers.push(registered.json().referenceId);
    }

    const answers = await Promise.all(
      [...people, ...walkers].map((beneficiary) =>
        desk.post('/doses', { sessionId, beneficiary, batchId: batch, doseNumber: 1, injectionSite: 'left-deltoid' }),
      ),
    );
    const given = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    // 22 could be given (20 booked + 2 walk-in places) but there are 21 doses: exactly 21 are given.
    t.is(given.length, STOCK, JSON.stringify(refused.map((a) => a.text)));
    for (const answer of refused) {
      t.is(answer.status, 409, answer.text);
      t.true(['out-of-stock', 'walkin-full'].includes(answer.json().code), answer.text);
    }

    const [balance] = await sql(
      app,
      `select doses from stock_balance where location_kind = 'facility' and location_id = $1 and batch_id = $2`,
      [String(KEM), batch],
    );
    t.is(balance.doses, STOCK - given.length, 'the balance is what came in minus the doses given');
    t.is(balance.doses, 0);
    const [{ n: administered }] = await sql(
      app,
      `select coalesce(-sum(doses), 0)::int as n from stock_movement where batch_id = $1 and kind = 'administered'`,
      [batch],
    );
    t.is(administered, given.length, 'one administered movement per dose');
    t.deepEqual(await ledgerMismatches(app), [], 'every balance equals its ledger, none below zero');
    const vials = await sql(app, 'select doses_in_vial, doses_left, state from open_vial where batch_id = $1', [batch]);
    if (dosesPerVial === 1) t.deepEqual(vials, []);
    else {
      t.is(
        vials.reduce((sum: number, v: { doses_in_vial: number; doses_left: number }) => sum + v.doses_in_vial - v.doses_left, 0),
        given.length,
        'the doses taken from vials are the doses given',
      );
      t.true(vials.every((v: { doses_left: number }) => v.doses_left === 0));
    }

    const doses = await sql(app, 'select id, appointment_id, stock_location from dose_record where session_id = $1', [sessionId]);
    t.is(doses.length, given.length, 'a record for each dose given, none for a refused one');
    t.true(doses.every((d: { stock_location: string }) => d.stock_location === `facility:${KEM}`));
    const [{ n: completed }] = await sql(app, `select count(*)::int as n from appointment where session_id = $1 and state = 'completed'`, [
      sessionId,
    ]);
    t.is(completed, doses.filter((d: { appointment_id: string | null }) => d.appointment_id !== null).length);
    const [{ walkin_used }] = await sql(app, 'select walkin_used from session_capacity where session_id = $1 and dose_number = 1', [
      sessionId,
    ]);
    const walkinDoses = doses.filter((d: { appointment_id: string | null }) => d.appointment_id === null).length;
    t.is(walkin_used, walkinDoses, 'the walk-in counter equals the walk-in doses');
    t.true(walkin_used <= WALKIN_PLACES);

    // Every dose recorded gets its certificate, exactly once.
    const counts = await eventually('a certificate for every dose', async () => {
      const rows = await sql(
        app,
        `select d.id, count(c.id)::int as n from dose_record d left join certificate c on c.dose_record_id = d.id
         where d.session_id = $1 group by d.id`,
        [sessionId],
      );
      return rows.every((r: { n: number }) => r.n > 0) ? rows : undefined;
    });
    t.true(
      counts.every((r: { n: number }) => r.n === 1),
      JSON.stringify(counts),
    );
    const [{ n: certificates }] = await sql(
      app,
      `select count(*)::int as n from certificate c join beneficiary b on b.id = c.beneficiary_id
       where b.reference_id = any($1::text[])`,
      [[...people, ...walkers]],
    );
    t.is(certificates, given.length, 'no certificate for a refused dose');
  });
}

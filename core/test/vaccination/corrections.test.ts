import test from 'ava';
import { expect2xx, type Headers, ledgerMismatches, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { facilityBalance, KEM, movementsSum, sessionToday, stockAt, vaccination, walkIn } from './centre-helpers.js';

/**
 * Supervisors correct and void wrong dose records with a reason: the values before are kept, the
 * change is audited, and the stock ledger stays exact (a dose moved between batches, a voided
 * dose back in stock, its walk-in place given back).
 */
const ADMIN_PASSWORD = 'test-admin-password-vaccination-corrections';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let vaccinator: Headers;
let manager: Headers;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  vaccinator = await staffWith(app, admin, 'vaccinator-kem', 'vaccinator', 'facility', String(KEM));
  manager = await staffWith(app, admin, 'manager-kem', 'facility-manager', 'facility', String(KEM));
});
test.after.always(async () => {
  await app?.stop();
});

async function walkInDose(sessionId: string, batchId: string) {
  const desk = vaccination(app, vaccinator);
  const person = await expect2xx(desk.post('/walk-ins', walkIn(sessionId)));
  const dose = await expect2xx(
    desk.post('/doses', { sessionId, beneficiary: person.referenceId, batchId, doseNumber: 1, injectionSite: 'left-deltoid' }),
  );
  return { person, dose };
}

test.serial('a wrong batch corrected by the facility manager moves the dose between batches; kept and audited', async (t) => {
  const [wrongBatch, rightBatch] = [await stockAt(app, admin, KEM, 20), await stockAt(app, admin, KEM, 20)];
  const sessionId = await sessionToday(app, admin, KEM);
  const { dose } = await walkInDose(sessionId, wrongBatch);
  t.like(await facilityBalance(app, admin, KEM, wrongBatch), { doses: 19 });

  const refused = await vaccination(app, vaccinator).post(`/doses/${dose.id}/correction`, {
    reason: 'wrong batch entered',
    batchId: rightBatch,
  });
  t.is(refused.status, 403, 'a vaccinator does not correct records');
  const noReason = await vaccination(app, manager).post(`/doses/${dose.id}/correction`, { batchId: rightBatch });
  t.is(noReason.status, 422);

  const corrected = await expect2xx(
    vaccination(app, manager).post(`/doses/${dose.id}/correction`, {
      reason: 'wrong batch entered',
      batchId: rightBatch,
      injectionSite: 'right-deltoid',
    }),
  );
  t.like(corrected, { id: dose.id, state: 'corrected', injectionSite: 'right-deltoid' });
  t.is(corrected.batch.id, rightBatch);
  t.like(await facilityBalance(app, admin, KEM, wrongBatch), { doses: 20, ledgerSum: 20 });
  t.like(await facilityBalance(app, admin, KEM, rightBatch), { doses: 19, ledgerSum: 19 });
  t.like(await movementsSum(app, wrongBatch), { administered: -1, adjustment: 1 });
  t.like(await movementsSum(app, rightBatch), { administered: -1 });
  t.deepEqual(await ledgerMismatches(app), []);

  const [kept] = await sql(app, 'select kind, reason, previous, changes from dose_correction where dose_record_id = $1', [dose.id]);
  t.like(kept, { kind: 'correction', reason: 'wrong batch entered' });
  t.is(kept.previous.batchId, wrongBatch);
  t.is(kept.previous.injectionSite, 'left-deltoid');
  t.deepEqual(kept.changes, { batchId: rightBatch, injectionSite: 'right-deltoid' });
  const audit = await sql(app, 'select action, details from audit_entry where target_id = $1 order by at', [dose.id]);
  t.deepEqual(
    audit.map((a: { action: string }) => a.action),
    ['vaccination.dose.record', 'vaccination.dose.correct'],
  );
  t.false(JSON.stringify(audit).includes('wrong batch entered'), 'the free-text reason stays out of the audit log');

  const same = await vaccination(app, manager).post(`/doses/${dose.id}/correction`, { reason: 'again', batchId: rightBatch });
  t.is(same.status, 422);
  t.is(same.json().errors[0].code, 'no-change');
});

test.serial('a voided dose goes back to stock and gives back its walk-in place; the dose can be recorded again', async (t) => {
  const batch = await stockAt(app, admin, KEM, 10);
  const sessionId = await sessionToday(app, admin, KEM, [{ dose: 1, online: 2, walkin: 1 }]);
  const { person, dose } = await walkInDose(sessionId, batch);
  t.deepEqual(await sql(app, 'select walkin_used from session_capacity where session_id = $1', [sessionId]), [{ walkin_used: 1 }]);

  const voided = await expect2xx(vaccination(app, manager).post(`/doses/${dose.id}/void`, { reason: 'recorded for the wrong person' }));
  t.is(voided.state, 'voided');
  t.like(await facilityBalance(app, admin, KEM, batch), { doses: 10, ledgerSum: 10 });
  t.deepEqual(await sql(app, 'select walkin_used from session_capacity where session_id = $1', [sessionId]), [{ walkin_used: 0 }]);
  const again = await vaccination(app, manager).post(`/doses/${dose.id}/void`, { reason: 'twice' });
  t.is(again.status, 409);
  t.is(again.json().code, 'dose-voided');

  const recorded = await expect2xx(
    vaccination(app, vaccinator).post('/doses', {
      sessionId,
      beneficiary: person.referenceId,
      batchId: batch,
      doseNumber: 1,
      injectionSite: 'left-thigh',
    }),
  );
  t.not(recorded.id, dose.id);
  const history = await expect2xx(vaccination(app, vaccinator).get(`/beneficiaries/${person.referenceId}/doses`));
  t.deepEqual(
    history.doses.map((d: { state: string }) => d.state),
    ['voided', 'recorded'],
  );
  t.like(await facilityBalance(app, admin, KEM, batch), { doses: 9, ledgerSum: 9 });
  t.deepEqual(await ledgerMismatches(app), []);
});

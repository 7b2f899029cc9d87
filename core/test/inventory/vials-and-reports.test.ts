import test from 'ava';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';
import { expect2xx, type Headers, HOST, inventory, ledgerMismatches, newBatch, sql, staffSignIn } from './stock-helpers.js';

/**
 * Open multi-dose vials (used first, discarded with their doses recorded as wastage), stock issued
 * to a session, the alerts and reports over the ledger, and planned sessions against stock.
 */
const ADMIN_PASSWORD = 'test-admin-password-inventory-vials';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const BKC = 1004;
const HINDUJA = 1005;
const NAIR = 1003;

let app: TestPlatform;
let admin: Headers;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('an open vial is used first; past its discard time its doses are wasted, and a new one is opened', async (t) => {
  const api = inventory(app, admin);
  const batch = await newBatch(app, admin);
  const at = `facility:${BKC}`;
  await expect2xx(api.post('/receipts', { location: at, batchId: batch, doses: 25 }));

  const vial = await expect2xx(api.post('/open-vials', { location: at, batchId: batch }));
  t.like(vial, { dosesInVial: 10, dosesLeft: 10, location: at });
  const hours = (Date.parse(vial.discardAt) - Date.parse(vial.openedAt)) / 3_600_000;
  t.is(Math.round(hours), 6, 'COVISHIELD: 6 hours after opening (tenants/in.yaml)');

  const given = await expect2xx(api.post('/administrations', { facilityId: BKC, batchId: batch, doses: 4, reference: 'r1' }));
  t.deepEqual(
    given.vials.map((v: { id: string; dosesLeft: number }) => [v.id, v.dosesLeft]),
    [[vial.id, 6]],
  );

  await sql(app, `update open_vial set discard_at = now() - interval '1 minute' where id = $1`, [vial.id]);
  const listed = await expect2xx(api.get(`/open-vials?location=${at}`));
  t.like(listed.vials[0], { id: vial.id, dosesLeft: 6, due: true });
  const next = await expect2xx(api.post('/administrations', { facilityId: BKC, batchId: batch, reference: 'r2' }));
  t.is(next.balance, 25 - 4 - 6 - 1, 'the expired vial’s 6 doses were wasted');
  t.not(next.vials[0].id, vial.id);
  t.is(next.vials[0].dosesLeft, 9);

  const discarded = await expect2xx(api.post(`/open-vials/${next.vials[0].id}/discard`, { reason: 'temperature-excursion' }));
  t.like(discarded, { wasted: 9, balance: 5 });
  t.is((await api.post(`/open-vials/${next.vials[0].id}/discard`, {})).json().code, 'vial-closed');

  const partial = await expect2xx(api.post('/open-vials', { location: at, batchId: batch }));
  t.like(partial, { dosesInVial: 5, dosesLeft: 5 }, 'what is left is less than a vial');
  t.is((await api.post('/open-vials', { location: at, batchId: batch })).json().code, 'out-of-stock');

  const wastage = (await expect2xx(api.get(`/movements?location=${at}&batchId=${batch}`))).movements.filter(
    (m: { kind: string }) => m.kind === 'wastage',
  );
  t.deepEqual(
    wastage.map((m: { doses: number; reason: string }) => [m.doses, m.reason]),
    [
      [-6, 'open-vial-expired'],
      [-9, 'temperature-excursion'],
    ],
  );
  t.deepEqual(await ledgerMismatches(app), []);
});

test.serial('stock issued to a session is used there first, and what is unopened goes back', async (t) => {
  const api = inventory(app, admin);
  const batch = await newBatch(app, admin);
  await expect2xx(api.post('/receipts', { location: `facility:${NAIR}`, batchId: batch, doses: 40 }));
  const session = await expect2xx(
    app.request(HOST, '/api/v1/staff/sessions', {
      method: 'POST',
      headers: admin,
      body: {
        facilityId: NAIR,
        date: dayFromToday(app, 'in', 2),
        vaccine: 'covishield',
        minAge: 18,
        slots: ['09:00AM-11:00AM'],
        capacities: [{ dose: 1, online: 50, walkin: 10 }],
      },
    }),
  );
  const range = `from=${dayFromToday(app, 'in', 0)}&to=${dayFromToday(app, 'in', 7)}`;
  const planned = await expect2xx(api.get(`/facilities/${NAIR}/planned-vs-stock?${range}`));
  t.deepEqual(planned.vaccines, [{ vaccine: 'covishield', planned: 60, inStock: 40, shortBy: 20 }]);
  t.true(planned.warning, 'planned 60 doses, 40 in stock');

  t.like(await expect2xx(api.post('/issues', { sessionId: session.id, batchId: batch, doses: 20 })), { balance: 20 });
  const given = await expect2xx(api.post('/administrations', { facilityId: NAIR, sessionId: session.id, batchId: batch, reference: 's1' }));
  t.like(given, { location: `session:${session.id}`, balance: 19 });
  const tooMany = await api.post('/returns', { sessionId: session.id, batchId: batch, doses: 11 });
  t.is(tooMany.json().code, 'out-of-stock', '9 doses are in the open vial');
  t.like(await expect2xx(api.post('/returns', { sessionId: session.id, batchId: batch, doses: 10 })), { balance: 30 });
  const still = await expect2xx(api.get(`/facilities/${NAIR}/planned-vs-stock?${range}`));
  t.is(still.vaccines[0].inStock, 39, 'the session’s stock counts with its facility');
  t.deepEqual(await ledgerMismatches(app), []);
});

test.serial('alerts: stock lasting fewer days than the threshold, and batches about to expire', async (t) => {
  const api = inventory(app, admin);
  const lasting = await newBatch(app, admin, { vaccine: 'covaxin', dosesPerVial: 1 });
  const soon = await newBatch(app, admin, { vaccine: 'corbevax', dosesPerVial: 1, expiresOn: dayFromToday(app, 'in', 10) });
  await expect2xx(api.post('/receipts', { location: `facility:${HINDUJA}`, batchId: lasting, doses: 30 }));
  await expect2xx(api.post('/receipts', { location: `facility:${HINDUJA}`, batchId: soon, doses: 50 }));
  await expect2xx(api.post('/administrations', { facilityId: HINDUJA, batchId: lasting, doses: 28, reference: 'day-tally' }));

  const alerts = await expect2xx(api.get(`/alerts?facility=${HINDUJA}`));
  t.like(alerts.lowStock, { thresholdDays: 7, usageWindowDays: 14 });
  t.deepEqual(alerts.lowStock.items, [{ facilityId: HINDUJA, vaccine: 'covaxin', doses: 2, averageDailyUse: 2, daysOfStock: 1 }]);
  t.deepEqual(
    alerts.expiring.items.map((e: { batchId: string; doses: number; expired: boolean }) => [e.batchId, e.doses, e.expired]),
    [[soon, 50, false]],
  );
  t.is((await expect2xx(api.get(`/alerts?facility=${HINDUJA}&withinDays=5`))).expiring.items.length, 0);
});

test.serial('reports: stock by area and facility, consumption and wastage rate', async (t) => {
  const api = inventory(app, admin);
  await expect2xx(
    api.post('/wastage', { location: `facility:${HINDUJA}`, batchId: (await covaxinAt(HINDUJA)) as string, doses: 2, reason: 'broken' }),
  );

  const consumption = await expect2xx(api.get(`/reports/consumption?facility=${HINDUJA}`));
  t.deepEqual(consumption.totals, [{ vaccine: 'covaxin', administered: 28 }]);
  const wastage = await expect2xx(api.get(`/reports/wastage?facility=${HINDUJA}`));
  t.deepEqual(wastage.vaccines, [
    { vaccine: 'covaxin', administered: 28, wasted: 2, byReason: { broken: 2 }, discrepancy: 0, wastageRate: 0.0667 },
  ]);

  const stock = await expect2xx(api.get('/reports/stock?area=district:395'));
  const hinduja = stock.facilities.filter((f: { location: string }) => f.location === `facility:${HINDUJA}`);
  t.deepEqual(
    hinduja.map((f: { vaccine: string; doses: number; usable: number }) => [f.vaccine, f.doses, f.usable]),
    [['corbevax', 50, 50]],
    'covaxin is used up: no row',
  );
  const mumbai = stock.areas.find((a: { area: string; vaccine: string }) => a.area === 'district:395' && a.vaccine === 'covishield');
  t.true(mumbai.doses > 0, 'facilities’ stock summed in their district');
  t.is((await expect2xx(api.get('/reports/stock?area=district:363'))).facilities.length, 0, 'nothing in Pune');
});

async function covaxinAt(facility: number): Promise<string | undefined> {
  const balances = await expect2xx(inventory(app, admin).get(`/balances?location=facility:${facility}`));
  return balances.batches.find((b: { vaccine: string }) => b.vaccine === 'covaxin')?.batchId;
}

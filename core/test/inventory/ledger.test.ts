import test from 'ava';
import { StockService } from '../../src/inventory/stock-service.js';
import { TeekaError } from '../../src/kernel/errors.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { expect2xx, type Headers, HOST, inventory, ledgerMismatches, newBatch, sql, staffSignIn, staffWith } from './stock-helpers.js';

/**
 * The stock ledger over HTTP against PostgreSQL: balances always equal the sum of the movements,
 * never go negative under concurrent use, expired and recalled batches are refused, and staff
 * only touch stock within their scope.
 */
const ADMIN_PASSWORD = 'test-admin-password-inventory-ledger';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const KEM = 1001;
const JJ = 1002;
const NAIR = 1003;
const SASSOON_PUNE = 1101;

let app: TestPlatform;
let admin: Headers;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
});
test.after.always(async () => {
  await app?.stop();
});

const balanceOf = async (location: string, batchId: string) => {
  const answer = await expect2xx(inventory(app, admin).get(`/balances?location=${location}`));
  return answer.batches.find((b: { batchId: string }) => b.batchId === batchId);
};

test.serial('received, transferred with a discrepancy, administered, wasted and counted: every balance equals its ledger', async (t) => {
  const api = inventory(app, admin);
  const store = await expect2xx(api.post('/stores', { name: 'Mumbai district vaccine store', tier: 'district', area: 'district:395' }));
  t.is(store.location, `store:${store.id}`);
  const batch = await newBatch(app, admin);

  t.like(await expect2xx(api.post('/receipts', { location: store.location, batchId: batch, doses: 500, reference: 'GRN-1' })), {
    balance: 500,
  });
  const sent = await expect2xx(api.post('/transfers', { from: store.location, to: `facility:${KEM}`, batchId: batch, doses: 200 }));
  t.is(sent.balance, 300);
  t.like(await balanceOf(`transit:${sent.transferId}`, batch), { doses: 200 }, 'in transit until received');

  const received = await expect2xx(api.post(`/transfers/${sent.transferId}/receive`, { doses: 190, reason: 'vials-broken-in-transit' }));
  t.like(received, { balance: 190, discrepancy: -10, location: `facility:${KEM}` });
  t.like(await balanceOf(`transit:${sent.transferId}`, batch), { doses: 0 });
  const again = await api.post(`/transfers/${sent.transferId}/receive`, { doses: 190 });
  t.is(again.status, 409);
  t.is(again.json().code, 'transfer-received');
  const transfers = await expect2xx(api.get(`/transfers?location=facility:${KEM}`));
  t.like(transfers.transfers[0], { dosesSent: 200, dosesReceived: 190, state: 'received', discrepancyReason: 'vials-broken-in-transit' });

  const given = await expect2xx(api.post('/administrations', { facilityId: KEM, batchId: batch, doses: 3, reference: 'dose-record-1' }));
  t.like(given, { balance: 187, location: `facility:${KEM}` });
  t.is(given.vials.length, 1, 'a 10-dose vial was opened');
  t.is(given.vials[0].dosesLeft, 7);

  t.like(await expect2xx(api.post('/wastage', { location: `facility:${KEM}`, batchId: batch, doses: 10, reason: 'broken' })), {
    balance: 177,
  });
  const tooMuch = await api.post('/wastage', { location: `facility:${KEM}`, batchId: batch, doses: 171, reason: 'broken' });
  t.is(tooMuch.status, 409, 'the 7 doses in the open vial are not free to waste');
  t.like(tooMuch.json(), { code: 'out-of-stock' });

  const counted = await expect2xx(api.post('/adjustments', { location: `facility:${KEM}`, batchId: batch, counted: 175 }));
  t.like(counted, { balance: 175, difference: -2 });
  const belowVials = await api.post('/adjustments', { location: `facility:${KEM}`, batchId: batch, counted: 5 });
  t.is(belowVials.status, 422);
  t.is(belowVials.json().errors[0].code, 'count-below-open-vials');

  t.like(await balanceOf(`facility:${KEM}`, batch), { doses: 175, ledgerSum: 175, inOpenVials: 7, usable: true });
  t.like(await balanceOf(store.location, batch), { doses: 300, ledgerSum: 300 });
  const movements = await expect2xx(api.get(`/movements?location=facility:${KEM}&batchId=${batch}`));
  t.deepEqual(
    movements.movements.map((m: { kind: string; doses: number }) => [m.kind, m.doses]),
    [
      ['transfer-in', 200],
      ['discrepancy', -10],
      ['administered', -3],
      ['wastage', -10],
      ['adjustment', -2],
    ],
  );
  t.deepEqual(await ledgerMismatches(app), []);
  const audit = await expect2xx(app.request(HOST, '/api/v1/staff/audit', { headers: admin }));
  t.true(JSON.stringify(audit).includes('inventory.transfer.receive'), 'stock changes are audited');
});

test.serial('50 concurrent administrations of a batch with 20 doses: exactly 20 are given, none below zero', async (t) => {
  const batch = await newBatch(app, admin);
  await expect2xx(inventory(app, admin).post('/receipts', { location: `facility:${JJ}`, batchId: batch, doses: 20 }));
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      inventory(app, admin).post('/administrations', { facilityId: JJ, batchId: batch, reference: `concurrent-${i}` }),
    ),
  );
  t.is(answers.filter((a) => a.status === 201).length, 20);
  t.deepEqual([...new Set(answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.json().code}`))], ['409 out-of-stock']);
  t.like(await balanceOf(`facility:${JJ}`, batch), { doses: 0, ledgerSum: 0, inOpenVials: 0 });
  const vials = await sql(app, 'select state, doses_left from open_vial where batch_id = $1', [batch]);
  t.deepEqual(vials, [
    { state: 'used-up', doses_left: 0 },
    { state: 'used-up', doses_left: 0 },
  ]);
  t.deepEqual(await ledgerMismatches(app), []);
});

test.serial('expired and recalled batches are refused for receipt, administration and vials; they may still be wasted', async (t) => {
  const api = inventory(app, admin);
  const expired = await newBatch(app, admin);
  const recalled = await newBatch(app, admin);
  for (const batch of [expired, recalled])
    await expect2xx(api.post('/receipts', { location: `facility:${NAIR}`, batchId: batch, doses: 30 }));
  await sql(app, `update batch set expires_on = current_date - 2 where id = $1`, [expired]);
  const recall = await expect2xx(api.post(`/batches/${recalled}/recall`, { reason: 'AEFI cluster under investigation' }));
  t.like(recall, { state: 'recalled', recallReason: 'AEFI cluster under investigation' });
  t.like(await expect2xx(api.get(`/batches/${expired}`)), { expired: true, state: 'active' });

  for (const [batch, code] of [
    [expired, 'batch-expired'],
    [recalled, 'batch-recalled'],
  ]) {
    const given = await api.post('/administrations', { facilityId: NAIR, batchId: batch, reference: 'refused' });
    t.is(given.status, 409);
    t.is(given.json().code, code);
    t.truthy(given.json().title);
    t.is((await api.post('/open-vials', { location: `facility:${NAIR}`, batchId: batch })).json().code, code);
    t.is((await api.post('/receipts', { location: `facility:${NAIR}`, batchId: batch, doses: 5 })).json().code, code);
  }
  t.like(await balanceOf(`facility:${NAIR}`, expired), { doses: 30, usable: false });
  t.like(await expect2xx(api.post('/wastage', { location: `facility:${NAIR}`, batchId: expired, doses: 30, reason: 'expired' })), {
    balance: 0,
  });
  t.deepEqual(await ledgerMismatches(app), []);
});

test.serial('StockService.administer works inside the caller’s transaction: a rollback leaves the stock untouched', async (t) => {
  const batch = await newBatch(app, admin, { vaccine: 'covaxin', dosesPerVial: 1 });
  await expect2xx(inventory(app, admin).post('/receipts', { location: `facility:${NAIR}`, batchId: batch, doses: 5 }));
  const tenant = app.platform.tenants.byCode('in')!;
  const stock = tenant.container.resolve(StockService);

  await t.throwsAsync(
    tenant.orm.em.fork().transactional(async (em) => {
      const given = await stock.administer(em as never, { facilityId: NAIR, batchId: batch, doses: 2, reference: 'rolled-back' });
      t.is(given.balance, 3);
      throw new Error('the dose record could not be stored');
    }),
    { message: 'the dose record could not be stored' },
  );
  t.like(await balanceOf(`facility:${NAIR}`, batch), { doses: 5, ledgerSum: 5 });

  const given = await tenant.orm.em
    .fork()
    .transactional((em) => stock.administer(em as never, { facilityId: NAIR, batchId: batch, vaccine: 'covaxin', reference: 'committed' }));
  t.like(given, { balance: 4, vials: [] });
  const error = await t.throwsAsync(
    stock.administer(tenant.orm.em.fork() as never, { facilityId: NAIR, batchId: batch, doses: 9, reference: 'x' }),
  );
  t.true(error instanceof TeekaError);
  t.like(error as TeekaError, { code: 'out-of-stock', status: 409, params: { requested: 9, available: 4 } });
  const mismatch = await t.throwsAsync(
    stock.administer(tenant.orm.em.fork() as never, { facilityId: NAIR, batchId: batch, vaccine: 'covishield', reference: 'x' }),
  );
  t.is((mismatch as TeekaError).code, 'batch-vaccine-mismatch');
});

test.serial('staff touch stock only within their scope', async (t) => {
  const batch = await newBatch(app, admin);
  const jjManager = await staffWith(app, admin, 'manager.jj', 'facility-manager', 'facility', String(JJ));
  const kemVaccinator = await staffWith(app, admin, 'vaccinator.kem', 'vaccinator', 'facility', String(KEM));
  const mumbaiOfficer = await staffWith(app, admin, 'officer.mumbai.stock', 'district-officer', 'area', 'district:395');

  const receipt = (headers: Headers, facility: number) =>
    inventory(app, headers).post('/receipts', { location: `facility:${facility}`, batchId: batch, doses: 10 });
  const refused = await receipt(jjManager, KEM);
  t.is(refused.status, 403, 'a facility manager of another facility');
  t.is(refused.json().code, 'forbidden');
  t.is((await receipt(jjManager, JJ)).status, 201);
  t.is((await inventory(app, jjManager).get(`/balances?location=facility:${KEM}`)).status, 403);

  t.is((await receipt(kemVaccinator, KEM)).status, 403, 'vaccinators do not manage stock');
  t.is((await inventory(app, kemVaccinator).get(`/balances?location=facility:${KEM}`)).status, 200, 'they read it at their facility');
  t.is((await inventory(app, kemVaccinator).get(`/balances?location=facility:${JJ}`)).status, 403);

  t.is((await receipt(mumbaiOfficer, KEM)).status, 201, 'a district officer in their district');
  t.is((await receipt(mumbaiOfficer, SASSOON_PUNE)).status, 403, 'and not outside it');
  t.is((await inventory(app, mumbaiOfficer).get('/reports/stock')).status, 403, 'the whole country is not theirs');
  t.is((await inventory(app, mumbaiOfficer).get('/reports/stock?area=district:395')).status, 200);
  t.is((await inventory(app, mumbaiOfficer).post(`/batches/${batch}/recall`, { reason: 'x' })).status, 403, 'only administrators recall');
  t.is((await app.request(HOST, '/api/v1/staff/inventory/balances?location=facility:1001')).status, 401);
});

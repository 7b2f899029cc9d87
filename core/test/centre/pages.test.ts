import test from 'ava';
import { expect2xx, type Headers, HOST, inventory, newBatch, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { makeCitizens } from '../support/scheduling.js';
import { aadhaar, book, sessionToday, wrongCode } from '../vaccination/centre-helpers.js';

/**
 * The centre pages for staff over real HTTP: signed in through the page with a cookie, forms posted
 * as a browser posts them, the answers read as HTML, and their effect checked through the API.
 */
const ADMIN_PASSWORD = 'test-admin-password-centre-pages';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
process.env.TEEKA_AE_ADMIN_PASSWORD = ADMIN_PASSWORD;
const KEM = 1001;

let app: TestPlatform;
let admin: Headers;
let batch: string;
let lot: string;
const cookies: Record<string, string> = {};

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'ae'], demoSessions: false } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  await staffWith(app, admin, 'kem-manager', 'facility-manager', 'facility', String(KEM));
  await staffWith(app, admin, 'kem-vaccinator', 'vaccinator', 'facility', String(KEM));
  batch = await newBatch(app, admin);
  lot = (await expect2xx(inventory(app, admin).get(`/batches/${batch}`))).lotNumber;
  for (const username of ['kem-manager', 'kem-vaccinator']) cookies[username] = await pageSignIn(username, 'inventory-pass-1');
});
test.after.always(async () => {
  await app?.stop();
});

async function pageSignIn(username: string, password: string): Promise<string> {
  const signedIn = await post('/staff/sign-in', { username, password });
  if (signedIn.status !== 303) throw new Error(`sign-in ${username}: ${signedIn.status}`);
  return [signedIn.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('teeka_staff='))!
    .split(';')[0];
}

function post(path: string, form: Record<string, string>, cookie?: string): Promise<TestResponse> {
  return app.request(HOST, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

function page(path: string, cookie: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  return app.request(HOST, path, { headers: { Cookie: cookie, ...headers } });
}

const balance = async (batchId: string): Promise<number | undefined> =>
  (await expect2xx(inventory(app, admin).get(`/balances?location=facility:${KEM}`))).batches.find(
    (b: { batchId: string }) => b.batchId === batchId,
  )?.doses;

test.serial('the stock pages ask for a staff sign-in first', async (t) => {
  const away = await app.request(HOST, '/staff/stock');
  t.is(away.status, 302);
  t.is(away.headers.location, '/staff/sign-in');
  const refused = await post('/staff/stock/wastage', { facility: String(KEM), batchId: batch, doses: '1', reason: 'broken' });
  t.is(refused.status, 401);
});

test.serial('a delivery received through the form shows on the stock page with its balance', async (t) => {
  const manager = cookies['kem-manager'];
  const form = await page(`/staff/stock/receive?facility=${KEM}`, manager);
  t.is(form.status, 200, form.text.slice(0, 300));
  t.regex(form.text, new RegExp(`<option value="${batch}">COVISHIELD, lot ${lot}, expires`));
  t.regex(form.text, /<label for="doses">Doses received<\/label>/);

  const received = await post('/staff/stock/receive', { facility: String(KEM), batchId: batch, doses: '120', reference: 'GRN-7' }, manager);
  t.is(received.status, 303, received.text.slice(0, 500));
  t.is(received.headers.location, `/staff/stock?facility=${KEM}&done=received`);
  t.is(await balance(batch), 120);

  const stock = await page(received.headers.location as string, manager);
  t.is(stock.status, 200);
  t.is(stock.headers['cache-control'], 'no-store');
  t.regex(stock.text, /role="status">The delivery is recorded\./);
  t.regex(stock.text, /Centre: KEM Hospital, Parel/);
  const row = stock.text.slice(stock.text.indexOf(lot) - 200, stock.text.indexOf(lot) + 400);
  t.regex(row, /<th scope="row">COVISHIELD<\/th>/);
  t.regex(row, /<td class="num">120<\/td>/);
  t.regex(row, /Usable/);
  t.regex(stock.text, /href="\/staff\/stock\/wastage\?facility=1001"/, 'the manager may record wastage');
});

test.serial('a wastage form with a bad quantity shows a localised error and changes nothing', async (t) => {
  const manager = cookies['kem-manager'];
  const fields = { facility: String(KEM), batchId: batch, reason: 'broken' };
  const bad = await post('/staff/stock/wastage', { ...fields, doses: 'ten' }, manager);
  t.is(bad.status, 422);
  t.regex(bad.text, /role="alert"/);
  t.regex(bad.text, /<p class="field-error" id="doses-error">This is not in the expected format\.<\/p>/);
  t.regex(bad.text, /<a href="#doses">Doses wasted: This is not in the expected format\.<\/a>/);
  t.regex(bad.text, /id="doses"[^>]*value="ten"[^>]*aria-invalid="true"/, 'what was typed is kept to correct it');
  t.regex(bad.text, new RegExp(`<option value="${batch}" selected>`));

  const zero = await post('/staff/stock/wastage', { ...fields, doses: '0' }, manager);
  t.is(zero.status, 422);
  t.regex(zero.text, /This value is out of range\./);
  const tooMany = await post('/staff/stock/wastage', { ...fields, doses: '500' }, manager);
  t.is(tooMany.status, 409);
  t.regex(tooMany.text, /Not enough stock/);
  t.regex(tooMany.text, /500 doses were asked for, but only 120 are available here\./);
  const noReason = await post('/staff/stock/wastage', { ...fields, reason: '', doses: '2' }, manager);
  t.is(noReason.status, 422);
  t.regex(noReason.text, /id="reason-error"/);
  t.is(await balance(batch), 120, 'nothing was wasted');

  const good = await post('/staff/stock/wastage', { ...fields, doses: '४' }, manager);
  t.is(good.status, 303, 'digits typed on a Devanagari keyboard count');
  t.is(await balance(batch), 116);
});

test.serial('a physical count records the difference as an adjustment', async (t) => {
  const manager = cookies['kem-manager'];
  const counted = await post(
    '/staff/stock/count',
    { facility: String(KEM), batchId: batch, counted: '110', reason: 'physical-count' },
    manager,
  );
  t.is(counted.status, 303, counted.text.slice(0, 300));
  t.is(await balance(batch), 110);
  const movements = await expect2xx(inventory(app, admin).get(`/movements?location=facility:${KEM}&batchId=${batch}`));
  t.like(movements.movements.at(-1), { kind: 'adjustment', doses: -6, reason: 'physical-count' });
});

test.serial('in Hindi the stock page is in Hindi', async (t) => {
  const stock = await page('/staff/stock', cookies['kem-manager'], { 'Accept-Language': 'hi' });
  t.is(stock.status, 200);
  t.regex(stock.text, /<html lang="hi" dir="ltr">/);
  t.regex(stock.text, /<h1>उपलब्ध स्टॉक<\/h1>/);
  t.regex(stock.text, /<h2 id="balances-heading">हर बैच की खुराकें<\/h2>/);
  t.regex(stock.text, /उपयोग योग्य/);
  t.notRegex(stock.text, /Doses per batch|Stock at hand/);
  const bad = await post(
    '/staff/stock/wastage?lng=hi',
    { facility: String(KEM), batchId: batch, reason: 'broken', doses: 'x' },
    cookies['kem-manager'],
  );
  t.is(bad.status, 422);
  t.notRegex(bad.text, /This is not in the expected format/);
});

test.serial('a vaccinator sees the stock but not the forms that change it', async (t) => {
  const vaccinator = cookies['kem-vaccinator'];
  const stock = await page('/staff/stock', vaccinator);
  t.is(stock.status, 200);
  t.true(stock.text.includes(lot));
  t.false(stock.text.includes('/staff/stock/wastage'));
  t.is((await page(`/staff/stock/receive?facility=${KEM}`, vaccinator)).status, 403);
  const refused = await post('/staff/stock/wastage', { facility: String(KEM), batchId: batch, doses: '1', reason: 'broken' }, vaccinator);
  t.is(refused.status, 403);
  t.is(await balance(batch), 110);
});

/** The value of a hidden input of a form page. */
const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
const amp = (url: string) => url.replaceAll('&', '&amp;');

test.serial(
  'a vaccinator records a dose through the forms for a booked person verified by code; a double submit records once',
  async (t) => {
    const vaccinator = cookies['kem-vaccinator'];
    const sessionId = await sessionToday(app, admin, KEM);
    const [citizen] = await makeCitizens(app, 'in', [[1980]]);
    const person = citizen.beneficiaries[0].referenceId;
    const appointment = await book(app, citizen, sessionId);

    const day = await page('/staff/day', vaccinator);
    t.is(day.status, 200, day.text.slice(0, 300));
    t.regex(day.text, /<h1>Today at the centre<\/h1>/);
    t.regex(day.text, /Dose 1: 1 of 6 online places booked; walk-in places left: 3/);
    t.regex(day.text, /Expected: 1\. Arrived: 0\. Vaccinated: 0\./);
    const verifyUrl = `/staff/day/verify?facility=${KEM}&appointment=${appointment.id}`;
    t.true(day.text.includes(`href="${amp(verifyUrl)}"`), 'the person is expected, to be verified');
    t.false(day.text.includes(appointment.securityCode), 'the day never shows security codes');

    const verify = await page(verifyUrl, vaccinator);
    t.is(verify.status, 200);
    t.regex(verify.text, /<label for="securityCode">Security code<\/label>/);
    const form = { facility: String(KEM), session: hidden(verify.text, 'session'), appointment: appointment.id };
    t.is(form.session, sessionId);

    const wrong = await post('/staff/day/verify', { ...form, securityCode: wrongCode(appointment.securityCode) }, vaccinator);
    t.is(wrong.status, 422);
    t.regex(wrong.text, /role="alert"/);
    t.regex(wrong.text, /Wrong security code/);
    t.regex(wrong.text, /The security code does not match this appointment\. 4 tries left\./);
    const malformed = await post('/staff/day/verify', { ...form, securityCode: '12a' }, vaccinator);
    t.is(malformed.status, 422);
    t.regex(malformed.text, /<p class="field-error" id="securityCode-error">This is not in the expected format\.<\/p>/);
    const early = await post(
      '/staff/day/dose',
      { facility: String(KEM), session: sessionId, person, dose: '1', batchId: batch, injectionSite: 'left-deltoid' },
      vaccinator,
    );
    t.is(early.status, 409, 'nobody unverified is vaccinated');
    t.regex(early.text, /Person not verified/);

    const verified = await post('/staff/day/verify', { ...form, securityCode: appointment.securityCode }, vaccinator);
    t.is(verified.status, 303, verified.text.slice(0, 300));
    const doseUrl = `/staff/day/dose?facility=${KEM}&session=${sessionId}&person=${person}&dose=1`;
    t.is(verified.headers.location, doseUrl);

    const doseForm = await page(doseUrl, vaccinator);
    t.is(doseForm.status, 200);
    t.regex(doseForm.text, new RegExp(`<option value="${batch}">COVISHIELD, lot ${lot}, expires 31 Dec 2099: 110 doses here</option>`));
    t.regex(doseForm.text, /<input type="radio" name="injectionSite" value="left-deltoid" required> Left upper arm<\/label>/);
    const key = hidden(doseForm.text, 'idempotencyKey');
    t.regex(key, /^[0-9a-f-]{36}$/);
    const fields = { facility: String(KEM), session: sessionId, person, dose: '1', idempotencyKey: key, batchId: batch };

    const noSite = await post('/staff/day/dose', fields, vaccinator);
    t.is(noSite.status, 422);
    t.regex(noSite.text, /<p class="field-error" id="injectionSite-error">This is required\.<\/p>/);
    t.not(hidden(noSite.text, 'idempotencyKey'), key, 'a refused form gets a fresh key');

    // Two clicks on the button: both requests carry the form's key; one dose is recorded.
    const [first, second] = await Promise.all([
      post('/staff/day/dose', { ...fields, injectionSite: 'left-deltoid' }, vaccinator),
      post('/staff/day/dose', { ...fields, injectionSite: 'left-deltoid' }, vaccinator),
    ]);
    t.deepEqual([first.status, second.status], [303, 303], 'both clicks answer the one recorded dose');
    const resubmitted = await post('/staff/day/dose', { ...fields, injectionSite: 'left-deltoid' }, vaccinator);
    t.is(resubmitted.status, 303, 'the form sent again (back and submit) answers the recorded dose');
    t.is(resubmitted.headers.location, `/staff/day?facility=${KEM}&done=dose`);
    const records = await sql(
      app,
      `select d.id from dose_record d join beneficiary b on b.id = d.beneficiary_id where b.reference_id = $1`,
      [person],
    );
    t.is(records.length, 1, 'one dose recorded');
    t.is(await balance(batch), 109, 'one dose taken from stock');

    const after = await page(resubmitted.headers.location as string, vaccinator);
    t.regex(after.text, /role="status">The dose is recorded\./);
    t.regex(after.text, /Expected: 1\. Arrived: 1\. Vaccinated: 1\./);
    t.regex(after.text, /<strong>Vaccinated<\/strong>/);
  },
);

test.serial('a walk-in is registered and verified by document, then vaccinated; an unknown document is named as such', async (t) => {
  const vaccinator = cookies['kem-vaccinator'];
  const day = await page('/staff/day', vaccinator);
  const sessionId = /href="\/staff\/day\/walk-in\?facility=1001&amp;session=([0-9a-f-]{36})"/.exec(day.text)?.[1] ?? '';
  t.regex(sessionId, /^[0-9a-f-]{36}$/, 'walk-in places are offered');

  const number = aadhaar();
  const unknown = await post(
    '/staff/day/document',
    { facility: String(KEM), session: sessionId, documentType: 'aadhaar', documentNumber: number },
    vaccinator,
  );
  t.is(unknown.status, 404);
  t.regex(unknown.text, /Nobody is registered with this document\. Register the person as a walk-in\./);

  const form = await page(`/staff/day/walk-in?facility=${KEM}&session=${sessionId}`, vaccinator);
  t.is(form.status, 200);
  const person = {
    facility: String(KEM),
    session: sessionId,
    name: 'Walk-in Person',
    gender: 'F',
    birthYear: '1975',
    documentType: 'aadhaar',
  };
  const noConsent = await post('/staff/day/walk-in', { ...person, documentNumber: number }, vaccinator);
  t.is(noConsent.status, 422);
  t.regex(noConsent.text, /id="consent-error"/);
  t.regex(noConsent.text, /value="Walk-in Person"/, 'what was typed comes back');
  t.false(noConsent.text.includes(number), 'the document number is never put back in a page');

  const registered = await post('/staff/day/walk-in', { ...person, documentNumber: number, consent: 'yes' }, vaccinator);
  t.is(registered.status, 303, registered.text.slice(0, 500));
  const doseUrl = registered.headers.location as string;
  t.regex(doseUrl, new RegExp(`^/staff/day/dose\\?facility=1001&session=${sessionId}&person=[0-9]{14}&dose=1$`));
  const again = await post(
    '/staff/day/document',
    { facility: String(KEM), session: sessionId, documentType: 'aadhaar', documentNumber: number },
    vaccinator,
  );
  t.is(again.status, 303, 'now the document finds the person');
  t.is(again.headers.location, doseUrl);

  const doseForm = await page(doseUrl, vaccinator);
  const recorded = await post(
    '/staff/day/dose',
    {
      facility: String(KEM),
      session: sessionId,
      person: hidden(doseForm.text, 'person'),
      dose: hidden(doseForm.text, 'dose'),
      idempotencyKey: hidden(doseForm.text, 'idempotencyKey'),
      batchId: batch,
      injectionSite: 'right-deltoid',
    },
    vaccinator,
  );
  t.is(recorded.status, 303, recorded.text.slice(0, 500));
  const after = await page(recorded.headers.location as string, vaccinator);
  t.regex(after.text, /Dose 1: 1 of 6 online places booked; walk-in places left: 2/);
  t.regex(after.text, /<h3>Walk-ins<\/h3>/);
});

test.serial('a vaccinator of another centre cannot use this centre’s desk', async (t) => {
  await staffWith(app, admin, 'jj-vaccinator', 'vaccinator', 'facility', '1002');
  const other = await pageSignIn('jj-vaccinator', 'inventory-pass-1');
  t.is((await page(`/staff/day?facility=${KEM}`, other)).status, 404);
  const stock = await page(`/staff/stock?facility=${KEM}`, other);
  t.false(stock.text.includes(lot), 'their own centre is shown instead');
});

test.serial('in Arabic the centre pages read right to left', async (t) => {
  const signedIn = await app.request('ae.localhost', '/staff/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD }).toString(),
  });
  t.is(signedIn.status, 303);
  const cookie = [signedIn.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('teeka_staff='))!
    .split(';')[0];
  for (const [path, heading] of [
    ['/staff/stock', 'المخزون المتوفر'],
    ['/staff/day', 'اليوم في المركز'],
  ]) {
    const answer = await app.request('ae.localhost', path, { headers: { Cookie: cookie } });
    t.is(answer.status, 200, answer.text.slice(0, 300));
    t.regex(answer.text, /<html lang="ar" dir="rtl">/);
    t.true(answer.text.includes(`<h1>${heading}</h1>`), path);
    t.regex(answer.text, /<nav class="centre-nav" aria-label="العمل في المركز">/);
  }
});

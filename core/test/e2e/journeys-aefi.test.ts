import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { certificateNumber, certificatePath, giveDose } from '../certificates/certificate-helpers.js';
import { sql, staffWith } from '../inventory/stock-helpers.js';
import { browserTest, hasChromium, launchChromium, screenshot } from '../support/browser.js';
import { bearer } from '../support/citizen.js';
import { AxeLog, axePages, type Headers, originOf, sessionToday, staffToken } from '../support/journey.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens } from '../support/scheduling.js';
import { KEM, stockAt } from '../vaccination/centre-helpers.js';

/**
 * End to end in Chromium for the AEFI and correction pages: a citizen in Hindi reports a side
 * effect through the form; a district officer approves a certificate correction on its page (in
 * Hindi); the staff centre-day pages, the AEFI and correction pages and the public dashboard in
 * Arabic, right to left (UAE). axe-core on every page, screenshots under test-artifacts/screenshots/.
 */
const ADMIN_PASSWORD = 'test-admin-password-e2e-aefi';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
process.env.TEEKA_AE_ADMIN_PASSWORD = ADMIN_PASSWORD;
const SKMC = 3001;
const OFFICER_PASSWORD = 'inventory-pass-1';

let app: TestPlatform;
let browser: Browser;
let admin: Headers;
let aeSession: string;
const axe = new AxeLog();

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'ae'], demoSessions: false }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffToken(app, 'in', 'admin', ADMIN_PASSWORD);
  const aeAdmin = await staffToken(app, 'ae', 'admin', ADMIN_PASSWORD);
  aeSession = await sessionToday(app, 'ae', aeAdmin, SKMC, 'sinopharm');
  if (hasChromium) browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
});

async function check(page: Page, code: string, name: string) {
  await axe.check(page, `${code} ${name}`);
  await screenshot(page, code, name);
}

browserTest('a citizen in Hindi reports a side effect through the form', async (t) => {
  t.timeout(60_000);
  const [citizen] = await makeCitizens(app, 'in', [[1985]]);
  const who = citizen.beneficiaries[0].referenceId;
  await sql(
    app,
    `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, administered_at, recorded_at)
     values ($1, $2, 'covishield', 1, $3, $4, $5, now())`,
    [randomUUID(), citizen.beneficiaries[0].id, dayFromToday(app, 'in', -1), KEM, `${dayFromToday(app, 'in', -1)}T10:00:00+05:30`],
  );
  const origin = originOf(app, 'in');
  const context = await browser.newContext({ locale: 'hi-IN' });
  try {
    await context.addCookies([{ name: 'teeka_session', value: citizen.token, url: origin }]);
    const page = await context.newPage();
    await page.goto(`${origin}/certificates?lng=hi`);
    await Promise.all([page.waitForURL(/\/side-effects\/new/), page.click('a[href="/side-effects/new"]')]);
    t.is(await page.getAttribute('html', 'lang'), 'hi');
    t.regex(await page.locator('h1').innerText(), /दुष्प्रभाव दर्ज करें/);
    await check(page, 'in', 'hi-aefi-report');

    // Sent without a symptom: the form comes back with the error, in Hindi, and the focus target linked.
    await page.selectOption('#dose', `${who}:1`);
    await page.fill('#onsetAt', `${dayFromToday(app, 'in', -1)}T20:15`);
    await page.check('input[name="severity"][value="minor"]');
    await page.click('form[action="/side-effects"] button[type="submit"]');
    await page.waitForSelector('.error-summary');
    t.regex(await page.locator('.error-summary').innerText(), /लक्षण/);
    await screenshot(page, 'in', 'hi-aefi-report-errors');

    await page.check('input[name="symptoms"][value="fever"]');
    await page.check('input[name="symptoms"][value="fatigue"]');
    await page.fill('#description', 'रात भर बाँह में दर्द');
    await Promise.all([
      page.waitForURL(/\/side-effects\/[0-9a-f-]{36}\?reported=1/),
      page.click('form[action="/side-effects"] button[type="submit"]'),
    ]);
    t.regex(await page.locator('[role="status"]').innerText(), /रिपोर्ट भेज दी गई/);
    await check(page, 'in', 'hi-aefi-confirmation');
    const id = new URL(page.url()).pathname.split('/').pop();
    const [row] = await sql(app, 'select symptoms, severity, reporter_type from aefi_case where id = $1', [id]);
    t.like(row, { severity: 'minor', reporter_type: 'citizen' });
    t.deepEqual(row.symptoms, ['fever', 'fatigue']);

    await page.goto(`${origin}/side-effects?lng=hi`);
    t.is(await page.locator(`a[href="/side-effects/${id}"]`).count(), 1);
    await screenshot(page, 'in', 'hi-aefi-reports');
  } finally {
    await context.close();
  }
});

browserTest('a district officer approves a correction on its page, in Hindi', async (t) => {
  t.timeout(90_000);
  const desk = await staffWith(app, admin, 'e2e-aefi-desk', 'vaccinator', 'facility', String(KEM));
  await staffWith(app, admin, 'e2e-aefi-officer', 'district-officer', 'area', 'district:395');
  const batch = await stockAt(app, admin, KEM, 5);
  const [citizen] = await makeCitizens(app, 'in', [[1979]]);
  await giveDose(app, desk, admin, citizen, batch);
  const first = await certificateNumber(app, citizen, 1);
  const asked = await app.request('in.localhost', certificatePath(first.certificateId, '/corrections'), {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { field: 'name', value: 'Sunita Devi Rao', reason: 'Spelling at registration' },
  });
  t.is(asked.status, 201, asked.text);
  const origin = originOf(app, 'in');
  const context = await browser.newContext({ locale: 'hi-IN' });
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/staff/sign-in?lng=hi`);
    await page.fill('#username', 'e2e-aefi-officer');
    await page.fill('#password', OFFICER_PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/day/), page.click('form[action="/staff/sign-in"] button[type="submit"]')]);
    await Promise.all([page.waitForURL(/\/staff\/corrections$/), page.click('a[href="/staff/corrections"]')]);
    t.regex(await page.locator('h1').innerText(), /प्रमाणपत्र सुधार/);
    await check(page, 'in', 'hi-staff-corrections');
    await Promise.all([
      page.waitForURL(new RegExp(`/staff/corrections/${asked.json().id}`)),
      page.click(`a[href="/staff/corrections/${asked.json().id}"]`),
    ]);
    t.is(await page.locator('td.requested').innerText(), 'Sunita Devi Rao');
    await check(page, 'in', 'hi-staff-correction');
    await Promise.all([page.waitForURL(/done=approved/), page.click('form[action$="/approve"] button[type="submit"]')]);
    t.regex(await page.locator('[role="status"]').innerText(), /सुधार स्वीकार हुआ/);
    await screenshot(page, 'in', 'hi-staff-corrections-approved');
    const second = await certificateNumber(app, citizen, 2);
    t.is(second.version, 2);

    // The officer's AEFI case list, in Hindi.
    await page.goto(`${origin}/staff/aefi?lng=hi`);
    await screenshot(page, 'in', 'hi-staff-aefi-cases');
  } finally {
    await context.close();
  }
});

browserTest('the staff centre-day, AEFI and correction pages and the public dashboard in Arabic, right to left', async (t) => {
  t.timeout(90_000);
  const origin = originOf(app, 'ae');
  const context = await browser.newContext({ locale: 'ar-AE' });
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/staff/sign-in`);
    await page.fill('#username', 'admin');
    await page.fill('#password', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/day/), page.click('form[action="/staff/sign-in"] button[type="submit"]')]);
    t.is(await page.evaluate('getComputedStyle(document.body).direction'), 'rtl', 'laid out right to left');
    await axePages(
      t,
      app,
      context,
      'ae',
      axe,
      [
        ['staff-day', `/staff/day?facility=${SKMC}`],
        ['staff-day-walk-in', `/staff/day/walk-in?facility=${SKMC}&session=${aeSession}`],
        ['staff-aefi-cases', '/staff/aefi'],
        ['staff-aefi-report', `/staff/aefi/new?facility=${SKMC}&person=12345678901234`],
        ['staff-corrections', '/staff/corrections'],
        ['dashboard', '/dashboard'],
      ],
      { lng: 'ar', htmlLang: 'ar', dir: 'rtl' },
    );
  } finally {
    await context.close();
  }
});

browserTest('axe-core finds no serious or critical violation on the pages visited', (t) => {
  t.log(`${axe.pages} pages checked in ${axe.milliseconds} ms`);
  t.is(axe.found.length, 0, axe.report());
});

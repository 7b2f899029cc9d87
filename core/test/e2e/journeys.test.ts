import test from 'ava';
import type { Browser } from 'playwright-core';
import { browserTest, hasChromium, launchChromium, screenshot } from '../support/browser.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import {
  AxeLog,
  checkPageWeight,
  citizenJourney,
  type Headers,
  hostOf,
  originOf,
  sessionToday,
  staffToken,
  stockAt,
  type Tenant,
  textOf,
  vaccinatorAt,
} from '../support/journey.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens } from '../support/scheduling.js';
import { aadhaar } from '../vaccination/centre-helpers.js';

/**
 * End to end in Chromium, India: a citizen in Hindi from sign-in to the certificate's PDF, a
 * vaccinator recording a dose on the centre's pages, an administrator creating sessions one by one
 * and from CSV lines, the public dashboard, axe-core on every page, page weight, screenshots.
 */
const ADMIN_PASSWORD = 'test-admin-password-e2e-journeys';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const VACCINATOR_PASSWORD = 'e2e-vaccinator-pass-1';
const KEM = 1001;

const INDIA: Tenant = {
  code: 'in',
  lng: 'hi',
  locale: 'hi-IN',
  htmlLang: 'hi',
  dir: 'ltr',
  languageMark: /[\u0900-\u097F]{3,}/,
  mobile: '9812340001',
  e164: '+919812340001',
  document: { type: 'aadhaar', number: aadhaar() },
  birthYear: 1980,
  facility: { id: KEM, latitude: 19.0024, longitude: 72.8424 },
  vaccine: 'covishield',
};

let app: TestPlatform;
let browser: Browser;
let admin: Headers;
let desk: Headers;
let batchId: string;
let sessionId: string;
const axe = new AxeLog();

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffToken(app, 'in', 'admin', ADMIN_PASSWORD);
  desk = await vaccinatorAt(app, 'in', admin, 'e2e-vaccinator', VACCINATOR_PASSWORD, KEM);
  batchId = await stockAt(app, 'in', admin, KEM, 'covishield');
  sessionId = await sessionToday(app, 'in', admin, KEM, 'covishield');
  if (hasChromium) browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
});

browserTest('a citizen in Hindi signs in, adds a beneficiary, books, and downloads the certificate', async (t) => {
  t.timeout(120_000);
  const context = await browser.newContext({ locale: INDIA.locale, acceptDownloads: true });
  try {
    await citizenJourney(t, app, context, INDIA, { desk, batchId, sessionId, axe });
    const page = await context.newPage();
    await page.goto(`${originOf(app, 'in')}/appointments`);
    t.regex(await textOf(page), /[\u0900-\u097F]{3,}/, 'the appointments page is in Hindi');
    await checkPageWeight(t, app, context, 'in', [
      '/',
      '/sign-in',
      '/centres',
      `/centres/${KEM}`,
      '/appointments',
      '/certificates',
      '/verify',
    ]);
  } finally {
    await context.close();
  }
});

browserTest('a vaccinator signs in, verifies a booked person by code and records the dose', async (t) => {
  t.timeout(60_000);
  const [citizen] = await makeCitizens(app, 'in', [[1975]]);
  const booked = await app.request(hostOf('in'), '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId, slot: '09:00AM-11:00AM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
  });
  t.is(booked.status, 201, booked.text);
  const appointment = booked.json<{ appointments: { id: string; securityCode: string }[] }>().appointments[0];

  const context = await browser.newContext({ locale: 'en-IN' });
  try {
    const page = await context.newPage();
    const origin = originOf(app, 'in');
    await page.goto(`${origin}/staff/sign-in`);
    await axe.check(page, 'in staff-sign-in');
    await screenshot(page, 'in', 'staff-sign-in');
    await page.fill('#username', 'e2e-vaccinator');
    await page.fill('#password', VACCINATOR_PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/day/), page.click('form[action="/staff/sign-in"] button[type="submit"]')]);
    await axe.check(page, 'in staff-day');
    await screenshot(page, 'in', 'staff-day');

    await Promise.all([page.waitForURL(/\/staff\/day\/verify/), page.click(`a[href*="appointment=${appointment.id}"]`)]);
    await axe.check(page, 'in staff-day-verify');
    await page.fill('#securityCode', appointment.securityCode);
    await Promise.all([page.waitForURL(/\/staff\/day\/dose/), page.click('form[action="/staff/day/verify"] button[type="submit"]')]);
    await axe.check(page, 'in staff-day-dose');
    await screenshot(page, 'in', 'staff-day-dose');
    if ((await page.locator('#batchId option').count()) > 1) await page.selectOption('#batchId', batchId);
    await page.check('input[name="injectionSite"][value="left-deltoid"]');
    await Promise.all([page.waitForURL(/done=dose/), page.click('form[action="/staff/day/dose"] button[type="submit"]')]);
    t.regex(await page.innerText('.notice.success[role="status"]'), /The dose is recorded\./);
    await axe.check(page, 'in staff-day-recorded');
    await screenshot(page, 'in', 'staff-day-recorded');
    const certificates = await eventually('the certificate of the dose', async () => {
      const list = (await app.request(hostOf('in'), '/api/v1/certificates', { headers: bearer(citizen.token) })).json().certificates;
      return list.length > 0 ? list : undefined;
    });
    t.is(certificates.length, 1, 'the dose recorded on the page is on a certificate');
  } finally {
    await context.close();
  }
});

browserTest('an administrator creates a session with the form and more from CSV lines', async (t) => {
  t.timeout(60_000);
  const context = await browser.newContext({ locale: 'en-IN' });
  try {
    const page = await context.newPage();
    const origin = originOf(app, 'in');
    await page.goto(`${origin}/staff/sign-in`);
    await page.fill('#username', 'admin');
    await page.fill('#password', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(/\/staff\/day/), page.click('form[action="/staff/sign-in"] button[type="submit"]')]);

    await page.goto(`${origin}/staff/sessions/new`);
    await axe.check(page, 'in staff-sessions-new');
    await screenshot(page, 'in', 'staff-sessions-new');
    const date = dayFromToday(app, 'in', 4);
    await page.selectOption('#facilityId', '1002');
    await page.fill('#date', date);
    await page.selectOption('#vaccine', 'covishield');
    await page.fill('#minAge', '18');
    await page.fill('#online1', '20');
    await page.fill('#walkin1', '5');
    await page.fill('#slots', '09:00AM-11:00AM\n11:00AM-01:00PM');
    await Promise.all([page.waitForURL(/\/staff\/sessions\/new\?/), page.click('form[action="/staff/sessions"] button[type="submit"]')]);
    t.truthy(await page.$('.notice.success[role="status"]'), await textOf(page));
    const sessions = async (facility: number, day: string) =>
      (await app.request(hostOf('in'), `/api/v1/sessions?facility=${facility}&date=${day}`)).json().sessions.length;
    t.is(await sessions(1002, date), 1, 'the session exists');

    await page.goto(`${origin}/staff/sessions/bulk`);
    await axe.check(page, 'in staff-sessions-bulk');
    const day = (n: number) => dayFromToday(app, 'in', n);
    await page.fill(
      '#csv',
      [
        'facility,date,vaccine,minAge,maxAge,d1online,d1walkin,d2online,d2walkin,slots',
        `1002,${day(5)},covishield,18,,30,5,20,0,09:00AM-11:00AM|11:00AM-01:00PM`,
        `1002,${day(6)},covaxin,45,60,10,0,10,0,02:00PM-04:00PM`,
      ].join('\n'),
    );
    await Promise.all([page.waitForURL(/created=2/), page.click('form[action="/staff/sessions/bulk"] button[type="submit"]')]);
    t.truthy(await page.$('.notice.success[role="status"]'));
    await screenshot(page, 'in', 'staff-sessions-bulk');
    t.is(await sessions(1002, day(5)), 1);
    t.is(await sessions(1002, day(6)), 1);
  } finally {
    await context.close();
  }
});

browserTest('the public dashboard renders its charts and tables', async (t) => {
  const probe = await app.request(hostOf('in'), '/dashboard');
  if (probe.status === 404) {
    t.log('no /dashboard on this build yet: skipped');
    t.pass();
    return;
  }
  t.is(probe.status, 200);
  const context = await browser.newContext({ locale: 'en-IN' });
  try {
    const page = await context.newPage();
    await page.goto(`${originOf(app, 'in')}/dashboard`);
    t.truthy(await page.$('h1'));
    t.true((await page.locator('table').count()) > 0, 'tables');
    t.true((await page.locator('svg, canvas, figure').count()) > 0, 'charts');
    await axe.check(page, 'in dashboard');
    await screenshot(page, 'in', 'dashboard');
  } finally {
    await context.close();
  }
});

browserTest('axe-core finds no serious or critical violation on the pages visited', (t) => {
  t.is(axe.found.length, 0, axe.report());
});

import test from 'ava';
import type { Browser } from 'playwright-core';
import { browserTest, hasChromium, launchChromium } from '../support/browser.js';
import {
  AxeLog,
  axePages,
  checkPageWeight,
  citizenJourney,
  type Headers,
  originOf,
  sessionToday,
  staffToken,
  stockAt,
  type Tenant,
  vaccinatorAt,
} from '../support/journey.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * End to end in Chromium, the United Arab Emirates: a citizen in Arabic, right to left, from
 * sign-in to the certificate's PDF; then the same main pages in English. axe-core on every page,
 * page weight, screenshots under test-artifacts/screenshots/ae/.
 */
const ADMIN_PASSWORD = 'test-admin-password-e2e-journeys-ae';
process.env.TEEKA_AE_ADMIN_PASSWORD = ADMIN_PASSWORD;
const SKMC = 3001;

const UAE: Tenant = {
  code: 'ae',
  locale: 'ar-AE',
  htmlLang: 'ar',
  dir: 'rtl',
  languageMark: /[\u0600-\u06FF]{3,}/,
  mobile: '0501230001',
  e164: '+971501230001',
  document: { type: 'emirates-id', number: '784199012345676' },
  birthYear: 1990,
  facility: { id: SKMC, latitude: 24.4764, longitude: 54.37 },
  vaccine: 'sinopharm',
};

let app: TestPlatform;
let browser: Browser;
let admin: Headers;
let desk: Headers;
let batchId: string;
let sessionId: string;
const axe = new AxeLog();

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['ae'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffToken(app, 'ae', 'admin', ADMIN_PASSWORD);
  desk = await vaccinatorAt(app, 'ae', admin, 'e2e-vaccinator', 'e2e-vaccinator-pass-1', SKMC);
  batchId = await stockAt(app, 'ae', admin, SKMC, 'sinopharm');
  sessionId = await sessionToday(app, 'ae', admin, SKMC, 'sinopharm');
  if (hasChromium) browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
});

browserTest('a citizen in Arabic, right to left, books and downloads the certificate; the pages also work in English', async (t) => {
  t.timeout(120_000);
  const context = await browser.newContext({ locale: UAE.locale, acceptDownloads: true });
  try {
    const { certificateId } = await citizenJourney(t, app, context, UAE, { desk, batchId, sessionId, axe });
    const origin = originOf(app, 'ae');
    const page = await context.newPage();
    await page.goto(`${origin}/appointments`);
    t.is(await page.evaluate('getComputedStyle(document.body).direction'), 'rtl', 'laid out right to left');

    // The same pages in English, left to right.
    await axePages(
      t,
      app,
      context,
      'ae',
      axe,
      [
        ['home', '/'],
        ['sign-in', '/sign-in'],
        ['centres', '/centres'],
        ['centre', `/centres/${SKMC}`],
        ['beneficiaries', '/beneficiaries'],
        ['appointments', '/appointments'],
        ['certificates', '/certificates'],
        ['certificate', `/certificates/${encodeURIComponent(certificateId)}`],
        ['verify', '/verify'],
      ],
      { lng: 'en', htmlLang: 'en', dir: 'ltr' },
    );
    await checkPageWeight(t, app, context, 'ae', [
      '/',
      '/sign-in',
      '/centres',
      `/centres/${SKMC}`,
      '/appointments',
      '/certificates',
      '/verify',
    ]);
  } finally {
    await context.close();
  }
});

browserTest('axe-core finds no serious or critical violation on the pages visited', (t) => {
  t.is(axe.found.length, 0, axe.report());
});

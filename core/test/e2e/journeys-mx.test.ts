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
  textOf,
  vaccinatorAt,
} from '../support/journey.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * End to end in Chromium, Mexico: a citizen in Spanish with a CURP, JavaScript turned off, from
 * sign-in to the certificate's PDF. axe-core on every page, page weight, screenshots under
 * test-artifacts/screenshots/mx/.
 */
const ADMIN_PASSWORD = 'test-admin-password-e2e-journeys-mx';
process.env.TEEKA_MX_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOSPITAL_GENERAL = 2001;

const MEXICO: Tenant = {
  code: 'mx',
  locale: 'es-MX',
  htmlLang: 'es',
  dir: 'ltr',
  languageMark: /vacuna/i,
  mobile: '5512340001',
  e164: '+525512340001',
  // 10 November 1972, mujer (M), Veracruz.
  document: { type: 'curp', number: 'COME721110MVZNRR03' },
  birthYear: 1972,
  facility: { id: HOSPITAL_GENERAL, latitude: 19.4124, longitude: -99.1525 },
  vaccine: 'convidecia',
};

let app: TestPlatform;
let browser: Browser;
let admin: Headers;
let desk: Headers;
let batchId: string;
let sessionId: string;
const axe = new AxeLog();

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['mx'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffToken(app, 'mx', 'admin', ADMIN_PASSWORD);
  desk = await vaccinatorAt(app, 'mx', admin, 'e2e-vaccinator', 'e2e-vaccinator-pass-1', HOSPITAL_GENERAL);
  batchId = await stockAt(app, 'mx', admin, HOSPITAL_GENERAL, MEXICO.vaccine);
  sessionId = await sessionToday(app, 'mx', admin, HOSPITAL_GENERAL, MEXICO.vaccine);
  if (hasChromium) browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
});

browserTest('a citizen in Spanish, with JavaScript off, books with a CURP and downloads the certificate', async (t) => {
  t.timeout(120_000);
  // The portal works without JavaScript: every step is a link or a form the server answers.
  const context = await browser.newContext({ locale: MEXICO.locale, acceptDownloads: true, javaScriptEnabled: false });
  try {
    const { certificateId } = await citizenJourney(t, app, context, MEXICO, { desk, batchId, sessionId, axe, javaScript: false });
    const page = await context.newPage();
    await page.goto(`${originOf(app, 'mx')}/certificates`);
    t.regex(await textOf(page), /certificado/i, 'the certificates page is in Spanish');
    // axe-core needs JavaScript: the pages of the journey are checked again with it on.
    await axePages(
      t,
      app,
      context,
      'mx',
      axe,
      [
        ['home', '/'],
        ['sign-in', '/sign-in'],
        ['beneficiary-form', '/beneficiaries/new'],
        ['beneficiaries', '/beneficiaries'],
        ['centres', '/centres'],
        ['centre', `/centres/${HOSPITAL_GENERAL}`],
        ['appointments', '/appointments'],
        ['certificates', '/certificates'],
        ['certificate', `/certificates/${encodeURIComponent(certificateId)}`],
        ['verify', '/verify'],
      ],
      { htmlLang: 'es', dir: 'ltr' },
    );
    await checkPageWeight(t, app, context, 'mx', [
      '/',
      '/sign-in',
      '/centres',
      `/centres/${HOSPITAL_GENERAL}`,
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

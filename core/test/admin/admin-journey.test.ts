import test from 'ava';
import type { Browser } from 'playwright-core';
import { browserTest, hasChromium, launchChromium, screenshot } from '../support/browser.js';
import { AxeLog, axePages, hostOf, originOf, staffToken, stockAt, textOf } from '../support/journey.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, tenantDb } from '../support/scheduling.js';

/**
 * End to end in Chromium, the United Arab Emirates (Arabic, right to left): an administrator signs
 * in, adds a facility, plans a session there and gives a new member of staff a second role, all
 * through the administration pages without help from the API; then axe-core checks every
 * administration page in Arabic and in English. Screenshots under test-artifacts/screenshots/ae/.
 */
const ADMIN_PASSWORD = 'test-admin-password-admin-journey-ae';
process.env.TEEKA_AE_ADMIN_PASSWORD = ADMIN_PASSWORD;
const DUBAI = 'emirate:2';

let app: TestPlatform;
let browser: Browser;
const axe = new AxeLog();

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['ae'], demoSessions: false } });
  if (hasChromium) browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: rows, checked by the tests' assertions
async function sql(text: string, params: unknown[] = []): Promise<any[]> {
  const db = tenantDb(app, 'ae');
  await db.connect();
  try {
    return (await db.query(text, params)).rows;
  } finally {
    await db.end();
  }
}

browserTest(
  'an administrator adds a facility, plans a session there and grants a role; every admin page passes axe in Arabic and English',
  async (t) => {
    t.timeout(180_000);
    const context = await browser.newContext({ locale: 'ar-AE' });
    const started = Date.now();
    try {
      const page = await context.newPage();
      const origin = originOf(app, 'ae');
      await page.goto(`${origin}/staff/sign-in`);
      await page.fill('#username', 'admin');
      await page.fill('#password', ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(/\/staff\/day/), page.click('form[action="/staff/sign-in"] button[type="submit"]')]);

      // A facility, through the form: a name in Arabic (the default) and in English.
      await page.goto(`${origin}/staff/admin/facilities/new`);
      t.is(await page.getAttribute('html', 'dir'), 'rtl');
      await page.fill('#name', 'مركز دبي للتطعيم');
      await page.fill('#name-en', 'Dubai Vaccination Centre');
      await page.selectOption('#area', DUBAI);
      await page.fill('#latitude', '25.2048');
      await page.fill('#longitude', '55.2708');
      await page.fill('#opensAt', '08:00');
      await page.fill('#closesAt', '18:00');
      await Promise.all([
        page.waitForURL(/\/staff\/admin\/facilities\/\d+\?saved=created/),
        page.click('form[action="/staff/admin/facilities"] button[type="submit"]'),
      ]);
      t.truthy(await page.$('.notice.success[role="status"]'), await textOf(page));
      const facilityId = Number(/facilities\/(\d+)/.exec(page.url())![1]);
      const [facility] = await sql('select name, names, area_level, area_id from facility where id = $1', [facilityId]);
      t.deepEqual(facility, { name: 'مركز دبي للتطعيم', names: { en: 'Dubai Vaccination Centre' }, area_level: 'emirate', area_id: 2 });
      await screenshot(page, 'ae', 'admin-facility-created');

      // A session at the new facility, reached from the administration pages.
      await page.goto(`${origin}/staff/admin/sessions`);
      await Promise.all([page.waitForURL(/\/staff\/sessions\/new/), page.click('a[href="/staff/sessions/new"].button')]);
      const date = dayFromToday(app, 'ae', 3);
      await page.selectOption('#facilityId', String(facilityId));
      await page.fill('#date', date);
      await page.selectOption('#vaccine', 'sinopharm');
      await page.fill('#minAge', '18');
      await page.fill('#online1', '20');
      await page.fill('#slots', '09:00AM-11:00AM\n11:00AM-01:00PM');
      await Promise.all([page.waitForURL(/\/staff\/sessions\/new\?/), page.click('form[action="/staff/sessions"] button[type="submit"]')]);
      t.truthy(await page.$('.notice.success[role="status"]'), await textOf(page));
      const sessions = (await app.request(hostOf('ae'), `/api/v1/sessions?facility=${facilityId}&date=${date}`)).json().sessions;
      t.is(sessions.length, 1, 'the session exists at the new facility');

      // A member of staff (vaccinator at the new facility), then a second role: facility manager there.
      await page.goto(`${origin}/staff/admin/staff/new`);
      await page.fill('#username', 'dubai.nurse');
      await page.fill('#displayName', 'ممرضة دبي');
      await page.fill('#password', 'dubai-nurse-pass-1');
      await page.selectOption('#role', 'vaccinator');
      await page.selectOption('#scope', `facility:${facilityId}`);
      await Promise.all([page.waitForURL(/done=created/), page.click('form[action="/staff/admin/staff"] button[type="submit"]')]);
      await page.selectOption('#role', 'facility-manager');
      await page.selectOption('#scope', `facility:${facilityId}`);
      await Promise.all([page.waitForURL(/done=granted/), page.click('form[action$="/grant"] button[type="submit"]')]);
      t.truthy(await page.$('.notice.success[role="status"]'), await textOf(page));
      const memberPath = new URL(page.url()).pathname;
      const roles = await sql(
        `select r.role, r.scope_id from staff_role r join staff_user u on u.id = r.user_id where u.username = 'dubai.nurse' order by r.role`,
      );
      t.deepEqual(
        roles.map((r) => `${r.role}@${r.scope_id}`),
        [`facility-manager@${facilityId}`, `vaccinator@${facilityId}`],
      );
      await screenshot(page, 'ae', 'admin-staff-member');

      t.log(`the journey itself: ${Date.now() - started} ms`);
      // Stock at the new facility, so the inventory page's tables and recall forms are checked too.
      await stockAt(app, 'ae', await staffToken(app, 'ae', 'admin', ADMIN_PASSWORD), facilityId, 'sinopharm');
      const pages: [string, string][] = [
        ['admin-index', '/staff/admin'],
        ['admin-areas', '/staff/admin/areas'],
        ['admin-area-new', '/staff/admin/areas/new?level=area'],
        ['admin-facilities', '/staff/admin/facilities'],
        ['admin-facility-new', '/staff/admin/facilities/new'],
        ['admin-facility-edit', `/staff/admin/facilities/${facilityId}`],
        ['admin-sessions', '/staff/admin/sessions'],
        ['admin-staff', '/staff/admin/staff'],
        ['admin-staff-new', '/staff/admin/staff/new'],
        ['admin-staff-member', memberPath],
        ['admin-inventory', '/staff/admin/inventory'],
        ['admin-dashboard', '/staff/admin/dashboard'],
        ['admin-settings', '/staff/admin/settings'],
      ];
      await axePages(t, app, context, 'ae', axe, pages, { lng: 'ar', htmlLang: 'ar', dir: 'rtl' });
      // In English, the pages with forms and tables of their own (the rest share their templates' parts).
      const english = new Set([
        'admin-index',
        'admin-facility-edit',
        'admin-staff-member',
        'admin-inventory',
        'admin-dashboard',
        'admin-settings',
      ]);
      await axePages(
        t,
        app,
        context,
        'ae',
        axe,
        pages.filter(([name]) => english.has(name)),
        { lng: 'en', htmlLang: 'en', dir: 'ltr' },
      );
      t.log(`axe-core: ${axe.pages} pages in ${axe.milliseconds} ms`);
      t.deepEqual(axe.found, [], axe.report());
    } finally {
      await context.close();
    }
  },
);

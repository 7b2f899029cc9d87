import { readFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import { type AxeViolation, describeViolations, screenshot, seriousViolations, weigh } from './browser.js';
import { bearer, latestOtp } from './citizen.js';
import { eventually } from './eventually.js';
import type { TestPlatform } from './platform.js';
import { dayFromToday } from './scheduling.js';

/**
 * A citizen's journey in a real browser, for one tenant: OTP sign-in, a beneficiary added through
 * the form, a centre found, a slot booked, the slip, then (the dose recorded by the centre through
 * the staff API) the certificate page and its PDF. Every main page is checked with axe-core and
 * kept as a screenshot under test-artifacts/screenshots/<tenant>/.
 */
export type Headers = Record<string, string>;

export interface Tenant {
  code: string;
  /** `?lng=` for the journey; the tenant's default language when absent. */
  lng?: string;
  /** The browser's locale (Accept-Language). */
  locale: string;
  htmlLang: string;
  dir: 'ltr' | 'rtl';
  /** Text in the journey's language (and script) the home page must show. */
  languageMark: RegExp;
  mobile: string;
  e164: string;
  document: { type: string; number: string };
  /** The beneficiary's year of birth (matching the document where it tells it); a woman. */
  birthYear: number;
  facility: { id: number; latitude: number; longitude: number };
  vaccine: string;
}

export const hostOf = (code: string) => `${code}.localhost`;
export const originOf = (app: TestPlatform, code: string) => `http://${hostOf(code)}:${app.platform.port}`;

/** Staff API calls for one tenant. */
export function staffApi(app: TestPlatform, code: string, headers: Headers = {}) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(hostOf(code), `/api/v1/staff${path}`, { method, headers, body });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return response.json();
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
  };
}

export async function staffToken(app: TestPlatform, code: string, username: string, password: string): Promise<Headers> {
  const answer = await staffApi(app, code).post('/sign-in', { username, password });
  return bearer(answer.token);
}

/** A vaccinator at the facility, created by the administrator; answers its API headers. */
export async function vaccinatorAt(
  app: TestPlatform,
  code: string,
  admin: Headers,
  username: string,
  password: string,
  facilityId: number,
) {
  await staffApi(app, code, admin).post('/users', {
    username,
    displayName: username,
    password,
    roles: [{ role: 'vaccinator', scopeType: 'facility', scopeId: String(facilityId) }],
  });
  return staffToken(app, code, username, password);
}

let lots = 0;
/** A batch of `doses` received at a national store and transferred to the facility; answers its id. */
export async function stockAt(app: TestPlatform, code: string, admin: Headers, facilityId: number, vaccine: string, doses = 20) {
  const api = staffApi(app, code, admin);
  const batch = await api.post('/inventory/batches', {
    vaccine,
    lotNumber: `E2E${process.pid % 1000}${String(lots++).padStart(3, '0')}`,
    expiresOn: '2099-12-31',
  });
  const store = await api.post('/inventory/stores', { name: `Store ${code} ${lots}`, tier: 'national' });
  await api.post('/inventory/receipts', { location: store.location, batchId: batch.id, doses: doses + 10, reference: 'GRN' });
  const sent = await api.post('/inventory/transfers', { from: store.location, to: `facility:${facilityId}`, batchId: batch.id, doses });
  await api.post(`/inventory/transfers/${sent.transferId}/receive`, { doses });
  return batch.id as string;
}

/** A session today at the facility (dose 1), created through the staff API; answers its id. */
export async function sessionToday(app: TestPlatform, code: string, admin: Headers, facilityId: number, vaccine: string) {
  const created = await staffApi(app, code, admin).post('/sessions', {
    facilityId,
    date: dayFromToday(app, code, 0),
    vaccine,
    minAge: 18,
    slots: ['09:00AM-11:00AM', '11:00AM-01:00PM'],
    capacities: [{ dose: 1, online: 20, walkin: 5 }],
  });
  return created.id as string;
}

/** Collects the serious and critical axe-core violations of every page checked, for one assertion at the end. */
export class AxeLog {
  readonly found: { page: string; violations: AxeViolation[] }[] = [];
  pages = 0;
  milliseconds = 0;
  async check(page: Page, name: string): Promise<void> {
    const started = Date.now();
    const violations = await seriousViolations(page);
    this.pages++;
    this.milliseconds += Date.now() - started;
    if (violations.length > 0) this.found.push({ page: name, violations });
  }
  report(): string {
    return this.found.map(({ page, violations }) => `${page}:\n${describeViolations(violations)}`).join('\n');
  }
}

export interface JourneyResult {
  referenceId: string;
  appointmentId: string;
  certificateId: string;
  token: string;
}

/** The text of the page as a reader sees it, spaces collapsed. */
export async function textOf(page: Page): Promise<string> {
  return (await page.innerText('body')).replace(/\s+/g, ' ');
}

let screenshotMilliseconds = 0;
async function visit(page: Page, tenant: Tenant, axe: AxeLog | undefined, name: string) {
  await axe?.check(page, `${tenant.code} ${name}`);
  const started = Date.now();
  await screenshot(page, tenant.code, name);
  screenshotMilliseconds += Date.now() - started;
}

/**
 * The whole citizen journey in `context` (a fresh browser context). The dose is recorded by `desk`
 * (a vaccinator at the facility) with `batchId`, in the session `sessionId` held today.
 */
export async function citizenJourney(
  t: ExecutionContext,
  app: TestPlatform,
  context: BrowserContext,
  tenant: Tenant,
  setting: { desk: Headers; batchId: string; sessionId: string; axe: AxeLog; javaScript?: boolean },
): Promise<JourneyResult> {
  // axe-core runs as a script in the page: with JavaScript off, the pages are checked afterwards (`axePages`).
  const axe = setting.javaScript === false ? undefined : setting.axe;
  const journeyStarted = Date.now();
  const origin = originOf(app, tenant.code);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const name = `Journey ${tenant.code.toUpperCase()} Person`;

  // Home, in the journey's language (the choice is kept for the pages after).
  await page.goto(`${origin}/${tenant.lng ? `?lng=${tenant.lng}` : ''}`);
  t.is(await page.getAttribute('html', 'lang'), tenant.htmlLang);
  t.is(await page.getAttribute('html', 'dir'), tenant.dir);
  t.regex(await textOf(page), tenant.languageMark);
  await visit(page, tenant, axe, 'home');

  // Sign in with the OTP the development gateway kept.
  await page.goto(`${origin}/sign-in`);
  t.is(await page.getAttribute('html', 'lang'), tenant.htmlLang, 'the language chosen is kept');
  await visit(page, tenant, axe, 'sign-in');
  await page.fill('#mobile', tenant.mobile);
  await Promise.all([page.waitForURL(/\/sign-in\/verify\?txn=/), page.click('form[action="/sign-in"] button[type="submit"]')]);
  const otp = await eventually('the OTP', () => latestOtp(app, hostOf(tenant.code), tenant.e164).catch(() => undefined));
  await page.fill('#otp', otp);
  await Promise.all([page.waitForURL(/\/beneficiaries$/), page.click('form[action="/sign-in/verify"] button[type="submit"]')]);
  const token = (await context.cookies(origin)).find((c) => c.name === 'teeka_session')?.value;
  t.truthy(token, 'signed in: the session cookie is set');

  // A beneficiary through the form.
  await page.goto(`${origin}/beneficiaries/new`);
  await visit(page, tenant, axe, 'beneficiary-form');
  await page.fill('#name', name);
  await page.check('input[name="gender"][value="F"]');
  await page.fill('#birthYear', String(tenant.birthYear));
  await page.selectOption('#documentType', tenant.document.type);
  await page.fill('#documentNumber', tenant.document.number);
  await page.check('#consent');
  await Promise.all([page.waitForURL(/\/beneficiaries$/), page.click('form[action="/beneficiaries"] button[type="submit"]')]);
  t.true((await textOf(page)).includes(name), 'the new beneficiary is listed');
  await visit(page, tenant, axe, 'beneficiaries');

  // Find the centre near its coordinates.
  await page.goto(`${origin}/centres`);
  await visit(page, tenant, axe, 'centres');
  const near = page.locator('form[data-near-me]');
  await near.locator('#lat').fill(String(tenant.facility.latitude));
  await near.locator('#lon').fill(String(tenant.facility.longitude));
  await Promise.all([page.waitForURL(/by=near/), near.locator('button[type="submit"]').click()]);
  await visit(page, tenant, axe, 'centres-results');
  await Promise.all([
    page.waitForURL(new RegExp(`/centres/${tenant.facility.id}$`)),
    page.click(`h3 a[href="/centres/${tenant.facility.id}"]`),
  ]);

  // Book the first slot of today's session for the beneficiary.
  await visit(page, tenant, axe, 'centre');
  const slot = page.locator(`input[name="choice"][value*="${setting.sessionId}"]`).first();
  await slot.check();
  await page.locator('input[name="beneficiaries"]').first().check();
  await Promise.all([page.waitForURL(/\/confirm\?/), page.click('form.booking button[type="submit"]')]);
  await visit(page, tenant, axe, 'booking-confirm');
  await Promise.all([page.waitForURL(/\/appointments(\?|$)/), page.click('form.actions button[type="submit"]')]);
  t.truthy(await page.$('.notice.success[role="status"]'), 'the booking is confirmed');
  t.true((await textOf(page)).includes(name));
  await visit(page, tenant, axe, 'appointments');

  // The slip: the security code the centre asks for.
  const slipLink = page.locator('a[href$="/slip"]').first();
  const appointmentId = /\/appointments\/([^/]+)\/slip/.exec((await slipLink.getAttribute('href')) ?? '')?.[1];
  t.truthy(appointmentId);
  await Promise.all([page.waitForURL(/\/slip$/), slipLink.click()]);
  const securityCode = (await page.innerText('.security-code strong')).trim();
  t.regex(securityCode, /^\d{4}$/);
  const referenceId = (await page.innerText('.slip dd span[dir="ltr"]')).trim();
  t.regex(referenceId, /^\d{14}$/);
  await visit(page, tenant, axe, 'slip');

  // The centre verifies the person by the code and records the dose (staff API).
  const desk = staffApi(app, tenant.code, setting.desk);
  await desk.post(`/vaccination/appointments/${appointmentId}/verification`, { securityCode });
  await desk.post('/vaccination/doses', {
    sessionId: setting.sessionId,
    beneficiary: referenceId,
    batchId: setting.batchId,
    doseNumber: 1,
    injectionSite: 'left-deltoid',
  });

  // The certificate job issues the certificate: the citizen sees it and downloads the PDF.
  const certificateId = await eventually(
    'the certificate',
    async () => {
      const list = await app.request(hostOf(tenant.code), '/api/v1/certificates', { headers: bearer(token!) });
      return list.json<{ certificates: { certificateId: string }[] }>().certificates[0]?.certificateId;
    },
    45_000,
  );
  await page.goto(`${origin}/certificates`);
  t.true((await textOf(page)).includes(name), 'the certificate is listed');
  await visit(page, tenant, axe, 'certificates');
  await page.click(`a[href="/certificates/${encodeURIComponent(certificateId)}"]`);
  await page.waitForSelector('#certificate-heading');
  t.is(await page.getAttribute('html', 'dir'), tenant.dir);
  await visit(page, tenant, axe, 'certificate');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.certificate-page .actions a[download]')]);
  const pdf = readFileSync((await download.path())!);
  t.is(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'the download is a PDF');
  t.true(pdf.length > 1000);

  // The public verification page, in the same language.
  await page.goto(`${origin}/verify`);
  await visit(page, tenant, axe, 'verify');
  t.deepEqual(errors, [], 'no script error on any page');
  t.log(
    `journey ${((Date.now() - journeyStarted) / 1000).toFixed(1)} s: axe ${axe?.pages ?? 0} pages ${((axe?.milliseconds ?? 0) / 1000).toFixed(1)} s, screenshots ${(screenshotMilliseconds / 1000).toFixed(1)} s`,
  );
  await page.close();
  return { referenceId, appointmentId: appointmentId!, certificateId, token: token! };
}

/**
 * axe-core and a screenshot for each page, in a new JavaScript-enabled context signed in like
 * `context`; `lng` (optional) chooses the language and prefixes the screenshots' names.
 */
export async function axePages(
  t: ExecutionContext,
  app: TestPlatform,
  context: BrowserContext,
  code: string,
  axe: AxeLog,
  pages: [name: string, path: string][],
  expect: { lng?: string; htmlLang: string; dir: 'ltr' | 'rtl' },
) {
  const origin = originOf(app, code);
  const checking = await context.browser()!.newContext({ serviceWorkers: 'block' });
  await checking.addCookies(await context.cookies(origin));
  const page = await checking.newPage();
  for (const [name, path] of pages) {
    await page.goto(`${origin}${path}${expect.lng ? `${path.includes('?') ? '&' : '?'}lng=${expect.lng}` : ''}`);
    t.is(await page.getAttribute('html', 'lang'), expect.htmlLang, path);
    t.is(await page.getAttribute('html', 'dir'), expect.dir, path);
    await axe.check(page, `${code}${expect.lng ? ` ${expect.lng}` : ''} ${name}`);
    await screenshot(page, code, expect.lng ? `${expect.lng}-${name}` : name);
  }
  await checking.close();
}

/** The main citizen pages (signed in through `context`), each under 100 KB before images, with nothing from another origin. */
export async function checkPageWeight(t: ExecutionContext, app: TestPlatform, context: BrowserContext, code: string, paths: string[]) {
  const origin = originOf(app, code);
  // A first visit: no service worker (the verification page's keeps assets), no HTTP cache; the same sign-in.
  const fresh = await context.browser()!.newContext({ serviceWorkers: 'block' });
  await fresh.addCookies(await context.cookies(origin));
  for (const path of paths) {
    const page = await fresh.newPage();
    const weight = await weigh(page, `${origin}${path}`);
    await page.close();
    t.log(`${code} ${path}: ${(weight.bytes / 1024).toFixed(1)} KB (HTML, CSS, JS), ${weight.urls.length} requests`);
    t.true(weight.bytes < 100 * 1024, `${code} ${path}: ${weight.bytes} bytes`);
    t.deepEqual(
      weight.urls.filter((url) => new URL(url).origin !== origin && !url.startsWith('data:')),
      [],
      `${code} ${path}: no request leaves the site`,
    );
    t.deepEqual(weight.failed, [], `${code} ${path}: no request failed`);
  }
  await fresh.close();
}

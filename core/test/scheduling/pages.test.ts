import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen, tenantDb } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-pages';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001; // KEM Hospital, Parel, Mumbai: PIN 400012, district 395 (Mumbai)
const HINDI_NAME = 'प्रिया शर्मा';
const MAX_PAGE_BYTES = 100 * 1024;
// jsqr is CommonJS whose types say `export default`: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

let app: TestPlatform;
let admin: Record<string, string>;
let sessionId: string;
let sessionDate: string;
let citizen: TestCitizen;

/** A browser by hand: one host, its cookies, urlencoded forms, redirects not followed. */
class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly headers: Record<string, string> = {}) {}

  get(path: string): Promise<TestResponse> {
    return this.send('GET', path);
  }

  post(path: string, form: Record<string, string | string[]> = {}): Promise<TestResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) body.append(name, one);
    return this.send('POST', path, body.toString());
  }

  private async send(method: string, path: string, body?: string): Promise<TestResponse> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const response = await app.request(HOST, path, { method, headers, body });
    for (const line of [response.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

function page(t: ExecutionContext, response: TestResponse, status = 200): string {
  if (response.status === 500) t.log(app.logs.filter((line) => /error|err/i.test(line)).slice(-2));
  t.is(response.status, status, response.text.slice(0, 200));
  t.regex(String(response.headers['content-type']), /^text\/html/);
  t.true(Buffer.byteLength(response.text) < MAX_PAGE_BYTES, `page of ${Buffer.byteLength(response.text)} bytes`);
  return response.text;
}

/** The value of a hidden input in a page. */
function hidden(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`, 'g'))].map((m) => m[1]);
}

const decode = (value: string) => value.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

async function createSession(overrides: Record<string, unknown> = {}) {
  const response = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId: KEM,
      date: dayFromToday(app, 'in', 2),
      vaccine: 'covishield',
      minAge: 18,
      slots: ['09:00AM-11:00AM', '11:00AM-01:00PM'],
      capacities: [{ dose: 1, online: 10, walkin: 2 }],
      ...overrides,
    },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json<{ id: string; date: string }>();
}

async function freePlaces(id: string, date: string): Promise<number> {
  const listed = await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${date}`);
  const session = listed.json().sessions.find((s: { id: string }) => s.id === id);
  return session.doses[0].available;
}

function citizenBrowser(who: TestCitizen, language?: string): Browser {
  const browser = new Browser(language ? { 'Accept-Language': language } : {});
  browser.cookies.set('teeka_session', who.token);
  return browser;
}

/** Books through the pages: centre page, confirmation page, then the confirmation form. */
async function bookThroughPages(t: ExecutionContext, browser: Browser, referenceIds: string[]) {
  const choice = `${sessionId}/09:00AM-11:00AM`;
  const centre = page(t, await browser.get(`/centres/${KEM}`));
  t.true(centre.includes(`value="${choice}"`), 'each slot is a choice');
  for (const id of referenceIds) t.true(centre.includes(`name="beneficiaries" value="${id}"`), 'each person is a checkbox');
  const query = new URLSearchParams({ choice });
  for (const id of referenceIds) query.append('beneficiaries', id);
  const confirm = page(t, await browser.get(`/centres/${KEM}/confirm?${query}`));
  const form = {
    facilityId: hidden(confirm, 'facilityId')[0],
    choice: decode(hidden(confirm, 'choice')[0]),
    idempotencyKey: hidden(confirm, 'idempotencyKey')[0],
    beneficiaries: hidden(confirm, 'beneficiaries'),
  };
  t.deepEqual(form.beneficiaries, referenceIds);
  t.regex(form.idempotencyKey, /^[0-9a-f-]{36}$/);
  return form;
}

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], demoSessions: false } });
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  admin = bearer(signIn.json().token);
  const session = await createSession();
  sessionId = session.id;
  sessionDate = session.date;
  [citizen] = await makeCitizens(app, 'in', [[1990, 1992, 2015]]);
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    await client.query('update beneficiary set name = $1 where reference_id = $2', [HINDI_NAME, citizen.beneficiaries[0].referenceId]);
  } finally {
    await client.end();
  }
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('search by postal code and by area finds the centre with its week of free places', async (t) => {
  const browser = new Browser();
  const byPostal = page(t, await browser.get('/centres?by=postal&postalCode=400012'));
  t.regex(byPostal, /KEM Hospital, Parel/);
  t.true(byPostal.includes(`href="/centres/${KEM}"`));
  t.regex(byPostal, /10 free/, 'the session’s free places on its day');
  t.regex(byPostal, /<span class="pill free">Free<\/span>/);

  const client = tenantDb(app, 'in');
  await client.connect();
  const { rows } = await client.query("select parent_id from area where level = 'district' and id = 395");
  await client.end();
  const state = rows[0].parent_id;
  const byState = page(t, await browser.get(`/centres?by=area&top=${state}`));
  t.regex(byState, /<select id="sub" name="sub"/, 'choosing a state offers its districts');
  t.regex(byState, /<option value="395">Mumbai<\/option>/);
  const byDistrict = page(t, await browser.get(`/centres?by=area&top=${state}&sub=395`));
  t.true(byDistrict.includes(`href="/centres/${KEM}"`));

  const wrong = page(t, await browser.get('/centres?by=postal&postalCode=12'), 422);
  t.regex(wrong, /role="alert"/);
  t.regex(wrong, /id="postalCode-error"/);

  const hindi = page(t, await new Browser({ 'Accept-Language': 'hi' }).get('/centres?by=postal&postalCode=400012'));
  t.regex(hindi, /केईएम अस्पताल, परेल/, 'the centre’s Hindi name');
  t.regex(hindi, /निःशुल्क/);
});

test.serial('booking through the forms creates one appointment even when submitted twice; the slip shows its security code', async (t) => {
  const browser = citizenBrowser(citizen);
  const before = await freePlaces(sessionId, sessionDate);
  const form = await bookThroughPages(t, browser, [citizen.beneficiaries[1].referenceId]);
  const [first, second] = await Promise.all([browser.post('/appointments', form), browser.post('/appointments', form)]);
  t.is(first.status, 303, first.text);
  t.is(second.status, 303, second.text);
  t.is(first.headers.location, second.headers.location, 'the second submit replays the first');
  t.is(await freePlaces(sessionId, sessionDate), before - 1, 'one place taken');

  const list = page(t, await browser.get(String(first.headers.location)));
  t.regex(list, /role="status"/);
  const api = (await app.request(HOST, '/api/v1/appointments', { headers: bearer(citizen.token) })).json().appointments;
  const mine = api.filter((a: { beneficiary: string }) => a.beneficiary === citizen.beneficiaries[1].referenceId);
  t.is(mine.length, 1);
  t.true(list.includes(`<strong class="code" dir="ltr">${mine[0].securityCode}</strong>`));

  const slip = page(t, await browser.get(`/appointments/${mine[0].id}/slip`));
  t.true(slip.includes(mine[0].securityCode));
  t.true(slip.includes(mine[0].id));
  t.regex(slip, /<svg role="img" aria-label="QR code of the appointment ID" class="qr"/);
  t.regex(slip, /KEM Hospital, Parel/);
});

test.serial('an ineligible person gets the reason in Hindi next to their name, and nothing is booked', async (t) => {
  const browser = citizenBrowser(citizen, 'hi');
  const child = citizen.beneficiaries[2].referenceId; // born 2015: below the session's 18 years
  const form = await bookThroughPages(t, browser, [child]);
  const refused = page(t, await browser.post('/appointments', form), 422);
  const hindi = JSON.parse(readFileSync(join(projectPaths().root, 'locales', 'hi', 'errors.json'), 'utf8'));
  t.true(refused.includes(hindi.fields['age-not-eligible']), 'the Hindi message');
  t.true(refused.includes(`id="${child}-error"`), 'next to the person’s checkbox');
  t.true(refused.includes(`href="#person-${child}"`), 'linked from the summary');
  t.regex(refused, /<html lang="hi"/);
  const api = (await app.request(HOST, '/api/v1/appointments', { headers: bearer(citizen.token) })).json().appointments;
  t.false(api.some((a: { beneficiary: string }) => a.beneficiary === child));
});

test.serial('cancelling through the confirmation step frees the place', async (t) => {
  const browser = citizenBrowser(citizen);
  const person = citizen.beneficiaries[0].referenceId;
  const form = await bookThroughPages(t, browser, [person]);
  t.is((await browser.post('/appointments', form)).status, 303);
  const before = await freePlaces(sessionId, sessionDate);
  const api = (await app.request(HOST, '/api/v1/appointments', { headers: bearer(citizen.token) })).json().appointments;
  const booked = api.find((a: { beneficiary: string; state: string }) => a.beneficiary === person && a.state === 'booked');

  const ask = page(t, await browser.get(`/appointments/${booked.id}/cancel`));
  t.true(ask.includes(`<form method="post" action="/appointments/${booked.id}/cancel"`));
  const done = await browser.post(`/appointments/${booked.id}/cancel`);
  t.is(done.status, 303);
  t.is(done.headers.location, '/appointments?cancelled=1');
  t.is(await freePlaces(sessionId, sessionDate), before + 1);
  const again = page(t, await browser.post(`/appointments/${booked.id}/cancel`), 409);
  t.regex(again, /role="alert"/, 'a second cancel is refused on the page, not with an error page');
});

test.serial('slip.pdf is a PDF in Hindi with English beside, the name in Devanagari and the fonts embedded', async (t) => {
  const browser = citizenBrowser(citizen, 'hi');
  const person = citizen.beneficiaries[0].referenceId;
  const form = await bookThroughPages(t, browser, [person]);
  t.is((await browser.post('/appointments', form)).status, 303);
  const api = (await app.request(HOST, '/api/v1/appointments', { headers: bearer(citizen.token) })).json().appointments;
  const booked = api.find((a: { beneficiary: string; state: string }) => a.beneficiary === person && a.state === 'booked');

  const pdf = await new Promise<Buffer>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: app.platform.port,
          path: `/appointments/${booked.id}/slip.pdf`,
          headers: { Host: HOST, Cookie: `teeka_session=${citizen.token}`, 'Accept-Language': 'hi' },
        },
        (res) => {
          t.is(res.statusCode, 200);
          t.is(res.headers['content-type'], 'application/pdf');
          t.regex(String(res.headers['content-disposition']), /attachment; filename="appointment-[0-9a-f-]+\.pdf"/);
          const chunks: Buffer[] = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        },
      );
      req.on('error', reject);
      req.end();
    }, reject);
  });
  t.is(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  t.true(pdf.length < 200_000, `${pdf.length} bytes`);
  const raw = pdf.toString('latin1');
  t.regex(raw, /\/BaseFont \/[A-Z]{6}\+NotoSans/, 'Noto Sans embedded as a subset');
  t.regex(raw, /\/FontFile2/);

  if (!hasTool('pdftotext')) {
    // CI installs poppler-utils (.ci/run): there the text must be checked, never skipped.
    if (process.env.CI) t.fail('pdftotext (poppler-utils) is missing: .ci/run should have installed it');
    else t.log('pdftotext (poppler-utils) is not installed: the text of the PDF is not checked');
    return;
  }
  // -raw: in the order the page draws it (each run of a script is its own piece of text).
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', '-', '-'], { input: pdf }).toString('utf8');
  t.true(text.replace(/\s+/g, '').includes(booked.securityCode), 'the security code');
  t.true(text.includes(booked.id), 'the appointment id');
  t.true(text.includes(person), 'the reference id');
  t.true(text.includes(HINDI_NAME), 'the name in Devanagari, extractable');
  t.regex(text, /सुरक्षा कोड\s*· Security code/, 'labels in Hindi with English beside');
  t.regex(text, /केईएम अस्पताल\s*,\s*परेल/, 'the centre’s Hindi name');
  const fonts = execFileSync('pdffonts', ['-'], { input: pdf }).toString('utf8');
  t.regex(fonts, /NotoSans/);
  t.regex(fonts, /yes yes/, 'embedded subsets');

  // The QR code, read back from the page as an image, is the appointment id.
  const png = PNG.sync.read(execFileSync('pdftoppm', ['-r', '100', '-png', '-singlefile', '-'], { input: pdf }));
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  t.is(qr?.data, booked.id);
});

test.serial('an appointment is moved to another session through the reschedule pages', async (t) => {
  const later = await createSession({ date: dayFromToday(app, 'in', 3), slots: ['02:00PM-04:00PM'] });
  const browser = citizenBrowser(citizen);
  const person = citizen.beneficiaries[1].referenceId;
  const api = async () =>
    (await app.request(HOST, '/api/v1/appointments', { headers: bearer(citizen.token) }))
      .json()
      .appointments.find((a: { beneficiary: string; state: string }) => a.beneficiary === person && a.state === 'booked');
  const booked = await api();
  const list = page(t, await browser.get('/appointments'));
  t.true(list.includes(`href="/centres/${KEM}?reschedule=${booked.id}"`), 'a reschedule link per appointment');
  const choice = `${later.id}/02:00PM-04:00PM`;
  const confirm = page(t, await browser.get(`/centres/${KEM}/confirm?${new URLSearchParams({ choice, reschedule: booked.id })}`));
  t.true(confirm.includes(`action="/appointments/${booked.id}/reschedule"`));
  const moved = await browser.post(`/appointments/${booked.id}/reschedule`, {
    facilityId: String(KEM),
    choice: decode(hidden(confirm, 'choice')[0]),
  });
  t.is(moved.status, 303, moved.text.slice(0, 300));
  t.is(moved.headers.location, '/appointments?moved=1');
  const now = await api();
  t.is(now.id, booked.id);
  t.is(now.sessionId, later.id);
  t.is(now.slot, '02:00PM-04:00PM');
});

function hasTool(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

import test from 'ava';
import { type Headers, HOST, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { KEM, stockAt } from '../vaccination/centre-helpers.js';
import { certificateNumber, certificatePath, certificatesOf, giveDose, newCitizen } from './certificate-helpers.js';

/**
 * The officers' correction pages over real HTTP: the requests of their area only, one request with
 * the requested change beside the current details, approval that changes the person, revokes and
 * reissues (as the API does, audited the same), and rejection with a coded reason. Refusals change
 * nothing.
 */
const ADMIN_PASSWORD = 'test-admin-password-correction-pages';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let desk: Headers;
let batch: string;
const cookies: Record<string, string> = {};

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], demoSessions: false }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  desk = await staffWith(app, admin, 'correction-pages-kem', 'vaccinator', 'facility', String(KEM));
  await staffWith(app, admin, 'correction-pages-mumbai', 'district-officer', 'area', 'district:395');
  await staffWith(app, admin, 'correction-pages-pune', 'district-officer', 'area', 'district:363');
  batch = await stockAt(app, admin, KEM, 10);
  for (const username of ['correction-pages-kem', 'correction-pages-mumbai', 'correction-pages-pune']) {
    cookies[username] = await pageSignIn(username);
  }
});
test.after.always(async () => {
  await app?.stop();
});

async function pageSignIn(username: string): Promise<string> {
  const signedIn = await post('/staff/sign-in', { username, password: 'inventory-pass-1' });
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

const page = (path: string, cookie: string, language = 'en') =>
  app.request(HOST, path, { headers: { Cookie: cookie, 'Accept-Language': language } });
const stateOf = async (id: string) => (await sql(app, 'select state from certificate_correction where id = $1', [id]))[0].state;

async function requested(field: string, value: string) {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const certificate = await certificateNumber(app, citizen, 1);
  const asked = await app.request(HOST, certificatePath(certificate.certificateId, '/corrections'), {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { field, value, reason: 'Spelling at registration' },
  });
  if (asked.status !== 201) throw new Error(`correction: ${asked.status} ${asked.text}`);
  return { citizen, certificate, id: asked.json().id as string };
}

test.serial('an officer approves a correction on its page: the person changes, the certificate is reissued', async (t) => {
  const { citizen, certificate, id } = await requested('name', 'Asha Kumari Verma');
  const officer = cookies['correction-pages-mumbai'];
  const [person] = await sql(app, 'select name from beneficiary where id = $1', [citizen.beneficiaries[0].id]);

  const list = await page('/staff/corrections', officer);
  t.is(list.status, 200, list.text.slice(0, 300));
  t.regex(list.text, new RegExp(`href="/staff/corrections/${id}"`));
  t.regex(list.text, /aria-current="page">Pending</);

  const shown = await page(`/staff/corrections/${id}`, officer);
  t.is(shown.status, 200);
  t.regex(shown.text, new RegExp(`<td class="current"><bdi>${person.name}</bdi></td>`));
  t.regex(shown.text, /<td class="requested"><strong><bdi>Asha Kumari Verma<\/bdi><\/strong><\/td>/);
  t.regex(shown.text, /Spelling at registration/);
  t.regex(shown.text, new RegExp(`action="/staff/corrections/${id}/approve"`));

  // Scope: an officer elsewhere and a vaccinator see nothing and decide nothing.
  for (const other of ['correction-pages-pune', 'correction-pages-kem']) {
    t.notRegex((await page('/staff/corrections', cookies[other])).text, new RegExp(id), other);
    t.is((await page(`/staff/corrections/${id}`, cookies[other])).status, 404, other);
    t.is((await post(`/staff/corrections/${id}/approve`, {}, cookies[other])).status, 404, other);
  }
  t.is((await post(`/staff/corrections/${id}/approve`, {})).status, 401, 'signed out');
  t.is(await stateOf(id), 'requested');

  const approved = await post(`/staff/corrections/${id}/approve`, {}, officer);
  t.is(approved.status, 303, approved.text.slice(0, 300));
  t.is(approved.headers.location, '/staff/corrections?done=approved');
  t.is(await stateOf(id), 'approved');
  t.is((await sql(app, 'select name from beneficiary where id = $1', [citizen.beneficiaries[0].id]))[0].name, 'Asha Kumari Verma');
  const fresh = await certificateNumber(app, citizen, 2);
  t.like(fresh, { version: 2, state: 'active' });
  t.like(
    (await certificatesOf(app, citizen)).find((c) => c.certificateId === certificate.certificateId),
    { state: 'revoked' },
  );
  const audit = await sql(
    app,
    `select actor_type, details from audit_entry where action = 'certificate.correction-approved' and target_id = $1`,
    [id],
  );
  t.is(audit.length, 1);
  t.false(JSON.stringify(audit).includes('Asha'), 'the audit names the field, not the value');

  // Deciding twice is refused on the page, with the localised message.
  const again = await post(`/staff/corrections/${id}/approve`, {}, officer);
  t.is(again.status, 409);
  t.regex(again.text, /role="alert"/);
  t.notRegex(again.text, /\/approve"/, 'a decided request offers no buttons');
  t.regex((await page('/staff/corrections?state=approved', officer)).text, new RegExp(id));
});

test.serial('a rejection needs a coded reason; it changes nothing of the person and is audited with it', async (t) => {
  const { citizen, id } = await requested('birthDate', '1980-02-29');
  const officer = cookies['correction-pages-mumbai'];
  const [before] = await sql(app, 'select birth_date, name from beneficiary where id = $1', [citizen.beneficiaries[0].id]);

  const noReason = await post(`/staff/corrections/${id}/reject`, {}, officer);
  t.is(noReason.status, 422);
  t.regex(noReason.text, /href="#reason"/);
  t.is((await post(`/staff/corrections/${id}/reject`, { reason: 'because' }, officer)).status, 422);
  t.is(await stateOf(id), 'requested');

  const rejected = await post(`/staff/corrections/${id}/reject`, { reason: 'evidence-missing' }, officer);
  t.is(rejected.status, 303);
  t.is(rejected.headers.location, '/staff/corrections?done=rejected');
  t.is(await stateOf(id), 'rejected');
  t.deepEqual((await sql(app, 'select birth_date, name from beneficiary where id = $1', [citizen.beneficiaries[0].id]))[0], before);
  const [audit] = await sql(app, `select details from audit_entry where action = 'certificate.correction-rejected' and target_id = $1`, [
    id,
  ]);
  t.like(audit.details, { field: 'birthDate', reason: 'evidence-missing' });
  const done = await page('/staff/corrections?done=rejected', officer, 'hi');
  t.regex(done.text, /role="status">सुधार अस्वीकार कर दिया गया।/);
  t.notRegex(done.text, new RegExp(id), 'no longer pending');
});

import { randomUUID } from 'node:crypto';
import test from 'ava';
import { type Headers, HOST, newBatch, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen } from '../support/scheduling.js';

/**
 * The AEFI pages over real HTTP: a citizen reports a side effect through the form (a refused form
 * changes nothing and says why in the page's language), sees the confirmation and the list; staff
 * report from the centre, district officers list the cases of their area only and close a case
 * with its causality; a vaccinator may not; someone else's case is "not found".
 */
const ADMIN_PASSWORD = 'test-admin-password-aefi-pages';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const KEM = 1001;
const PUNE_SASSOON = 1101;

let app: TestPlatform;
let admin: Headers;
let citizens: TestCitizen[];
const doses: string[] = [];
const cookies: Record<string, string> = {};

const yesterdayAt = (time: string) => `${dayFromToday(app, 'in', -1)}T${time}`;

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], demoSessions: false } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  await staffWith(app, admin, 'aefi-page-mumbai', 'district-officer', 'area', 'district:395');
  await staffWith(app, admin, 'aefi-page-pune', 'district-officer', 'area', 'district:363');
  await staffWith(app, admin, 'aefi-page-kem', 'vaccinator', 'facility', String(KEM));
  const batch = await newBatch(app, admin);
  citizens = await makeCitizens(app, 'in', [[1980], [1981], [1982]]);
  // Each person had one dose yesterday at 10:00 (India): two at KEM (Mumbai), the third in Pune.
  for (const [index, citizen] of citizens.entries()) {
    const id = randomUUID();
    doses.push(id);
    await sql(
      app,
      `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, batch_id, administered_at, recorded_at)
       values ($1, $2, 'covishield', 1, $3, $4, $5, $6, now())`,
      [
        id,
        citizen.beneficiaries[0].id,
        dayFromToday(app, 'in', -1),
        index === 2 ? PUNE_SASSOON : KEM,
        batch,
        `${yesterdayAt('10:00')}+05:30`,
      ],
    );
  }
  for (const username of ['aefi-page-mumbai', 'aefi-page-pune', 'aefi-page-kem']) cookies[username] = await pageSignIn(username);
});
test.after.always(async () => {
  await app?.stop();
});

async function pageSignIn(username: string): Promise<string> {
  const signedIn = await post('/staff/sign-in', [
    ['username', username],
    ['password', 'inventory-pass-1'],
  ]);
  if (signedIn.status !== 303) throw new Error(`sign-in ${username}: ${signedIn.status}`);
  return [signedIn.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('teeka_staff='))!
    .split(';')[0];
}

const citizenCookie = (citizen: TestCitizen) => `teeka_session=${citizen.token}`;

function post(path: string, form: [string, string][], cookie?: string, language = 'en'): Promise<TestResponse> {
  return app.request(HOST, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': language, ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

function page(path: string, cookie: string, language = 'en'): Promise<TestResponse> {
  return app.request(HOST, path, { headers: { Cookie: cookie, 'Accept-Language': language } });
}

const caseCount = async () => Number((await sql(app, 'select count(*)::int as n from aefi_case'))[0].n);

test.serial('a citizen reports a side effect through the form, sees it confirmed and listed', async (t) => {
  const [citizen] = citizens;
  const who = citizen.beneficiaries[0].referenceId;
  const form = await page('/side-effects/new', citizenCookie(citizen));
  t.is(form.status, 200, form.text.slice(0, 300));
  t.regex(form.text, new RegExp(`<option value="${who}:1">Person ${who.slice(-4)}: COVISHIELD, `));
  t.regex(form.text, /<input type="checkbox" name="symptoms" value="fever"> Fever/);
  t.regex(form.text, /<label for="onsetAt">When it started<\/label>/);

  // Refused in Hindi: no symptom, onset before the dose. Nothing is stored, the answers stay.
  const before = await caseCount();
  const refused = await post(
    '/side-effects',
    [
      ['dose', `${who}:1`],
      ['onsetAt', yesterdayAt('08:00')],
      ['severity', 'minor'],
      ['description', 'arm hurt all night'],
    ],
    citizenCookie(citizen),
    'hi',
  );
  t.is(refused.status, 422, refused.text.slice(0, 300));
  t.regex(refused.text, /role="alert"/);
  t.regex(refused.text, /href="#symptoms"/);
  t.regex(refused.text, /लक्षण/, 'the messages are in Hindi');
  t.regex(refused.text, />arm hurt all night<\/textarea>/);
  t.is(await caseCount(), before);

  // A serious case without its criterion, starting before the dose, is refused too.
  const noCriteria = await post(
    '/side-effects',
    [
      ['dose', `${who}:1`],
      ['symptoms', 'fever'],
      ['onsetAt', yesterdayAt('08:00')],
      ['severity', 'serious'],
    ],
    citizenCookie(citizen),
  );
  t.is(noCriteria.status, 422);
  t.regex(noCriteria.text, /href="#seriousCriteria"/);
  t.regex(noCriteria.text, /href="#onsetAt"/);
  t.is(await caseCount(), before);

  const sent = await post(
    '/side-effects',
    [
      ['dose', `${who}:1`],
      ['symptoms', 'fever'],
      ['symptoms', 'headache'],
      ['onsetAt', yesterdayAt('18:30')],
      ['severity', 'minor'],
      ['outcome', 'recovering'],
      ['description', 'arm hurt all night'],
    ],
    citizenCookie(citizen),
  );
  t.is(sent.status, 303, sent.text.slice(0, 500));
  const location = String(sent.headers.location);
  t.regex(location, /^\/side-effects\/[0-9a-f-]{36}\?reported=1$/);
  const id = location.slice('/side-effects/'.length, -'?reported=1'.length);
  const [row] = await sql(app, 'select * from aefi_case where id = $1', [id]);
  t.like(row, { dose_record_id: doses[0], severity: 'minor', outcome: 'recovering', reporter_type: 'citizen', status: 'reported' });
  t.deepEqual(row.symptoms, ['fever', 'headache']);
  // 18:30 on the Indian clock is 13:00 UTC.
  t.is(new Date(row.onset_at).toISOString(), `${yesterdayAt('13:00')}:00.000Z`);

  const confirmation = await page(location, citizenCookie(citizen));
  t.is(confirmation.status, 200);
  t.regex(confirmation.text, /role="status">The report was sent/);
  t.regex(confirmation.text, /Fever, Headache/);
  t.regex(confirmation.text, /arm hurt all night/);
  const list = await page('/side-effects', citizenCookie(citizen));
  t.regex(list.text, new RegExp(`href="/side-effects/${id}"`));
  t.regex(list.text, /<span class="pill">Reported<\/span>/);

  // Someone else's case, and someone else's dose, are not found.
  t.is((await page(`/side-effects/${id}`, citizenCookie(citizens[1]))).status, 404);
  const foreign = await post(
    '/side-effects',
    [
      ['dose', `${who}:1`],
      ['symptoms', 'fever'],
      ['onsetAt', yesterdayAt('18:30')],
      ['severity', 'minor'],
    ],
    citizenCookie(citizens[1]),
  );
  t.is(foreign.status, 404);
  t.is(await caseCount(), before + 1);
});

test.serial('pages ask for a sign-in first', async (t) => {
  const away = await app.request(HOST, '/staff/aefi');
  t.is(away.status, 302);
  t.is(away.headers.location, '/staff/sign-in');
  t.is((await post('/staff/aefi/new', [['dose', doses[1]]])).status, 401);
  t.not((await app.request(HOST, '/side-effects')).status, 200);
});

test.serial('a vaccinator reports from the centre; officers see their area only and close a case', async (t) => {
  const vaccinator = cookies['aefi-page-kem'];
  const who = citizens[1].beneficiaries[0].referenceId;
  const form = await page(`/staff/aefi/new?facility=${KEM}&person=${who}`, vaccinator);
  t.is(form.status, 200, form.text.slice(0, 300));
  t.regex(form.text, new RegExp(`<option value="${doses[1]}">COVISHIELD, `));
  // The Pune person's dose is not at the vaccinator's centre: as if there were none.
  const pune = await page(`/staff/aefi/new?facility=${KEM}&person=${citizens[2].beneficiaries[0].referenceId}`, vaccinator);
  t.notRegex(pune.text, new RegExp(doses[2]));
  t.regex(pune.text, /No dose of this person was recorded at your centres/);

  const before = await caseCount();
  const bad = await post(
    '/staff/aefi/new',
    [
      ['facility', String(KEM)],
      ['person', who],
      ['dose', doses[1]],
      ['symptoms', 'seizure'],
      ['onsetAt', 'soon'],
      ['severity', 'serious'],
      ['seriousCriteria', 'hospitalisation'],
    ],
    vaccinator,
  );
  t.is(bad.status, 422);
  t.regex(bad.text, /href="#onsetAt"/);
  t.is(await caseCount(), before);

  const reported = await post(
    '/staff/aefi/new',
    [
      ['facility', String(KEM)],
      ['person', who],
      ['dose', doses[1]],
      ['symptoms', 'seizure'],
      ['onsetAt', yesterdayAt('11:00')],
      ['severity', 'serious'],
      ['seriousCriteria', 'hospitalisation'],
    ],
    vaccinator,
  );
  t.is(reported.status, 303, reported.text.slice(0, 500));
  const url = String(reported.headers.location).replace(/\?.*$/, '');
  const id = url.split('/').pop()!;
  t.like((await sql(app, 'select * from aefi_case where id = $1', [id]))[0], { reporter_type: 'staff', severity: 'serious' });

  const shown = await page(url, vaccinator);
  t.is(shown.status, 200);
  t.regex(shown.text, /Add a follow-up/);
  t.notRegex(shown.text, /Change the status/, 'investigation is for district officers');
  const refused = await post(`${url}/status`, [['status', 'under-investigation']], vaccinator);
  t.is(refused.status, 403);

  // Pune's officer neither lists nor opens the Mumbai case.
  const puneList = await page('/staff/aefi', cookies['aefi-page-pune']);
  t.is(puneList.status, 200);
  t.notRegex(puneList.text, new RegExp(id));
  t.is((await page(url, cookies['aefi-page-pune'])).status, 404);
  t.is((await post(`${url}/status`, [['status', 'under-investigation']], cookies['aefi-page-pune'])).status, 404);

  const officer = cookies['aefi-page-mumbai'];
  const serious = await page('/staff/aefi?severity=serious&status=reported', officer);
  t.regex(serious.text, new RegExp(`href="/staff/aefi/${id}"`));
  t.regex(serious.text, /<option value="serious" selected>/);
  const minorOnly = await page('/staff/aefi?severity=minor', officer);
  t.notRegex(minorOnly.text, new RegExp(`/staff/aefi/${id}`));
  t.is((await page('/staff/aefi?severity=bad', officer)).status, 422);

  // Closing needs the causality: refused, unchanged; then closed.
  const noCausality = await post(`${url}/status`, [['status', 'closed']], officer);
  t.is(noCausality.status, 422);
  t.regex(noCausality.text, /href="#causality"/);
  t.is((await sql(app, 'select status from aefi_case where id = $1', [id]))[0].status, 'reported');
  const followed = await post(
    `${url}/follow-up`,
    [
      ['note', 'called the family'],
      ['outcome', 'recovered'],
    ],
    officer,
  );
  t.is(followed.status, 303);
  const closed = await post(
    `${url}/status`,
    [
      ['status', 'closed'],
      ['causality', 'indeterminate'],
    ],
    officer,
  );
  t.is(closed.status, 303, closed.text.slice(0, 300));
  t.like((await sql(app, 'select * from aefi_case where id = $1', [id]))[0], {
    status: 'closed',
    causality: 'indeterminate',
    outcome: 'recovered',
  });
  const after = await page(url, officer);
  t.regex(after.text, /called the family/);
  t.notRegex(after.text, /Add a follow-up/, 'a closed case takes no more');
  const audit = await sql(app, `select action, details from audit_entry where target_id = $1 order by id`, [id]);
  t.deepEqual(
    audit.map((a: { action: string }) => a.action),
    ['aefi.report', 'aefi.serious-flagged', 'aefi.follow-up', 'aefi.status'],
  );
  t.false(JSON.stringify(audit).includes('called the family'));
});

import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens, tenantDb } from '../support/scheduling.js';

/**
 * The administration pages over HTTP: who reaches them (administrators and district officers, each
 * within their scope; facility roles get a themed 403), forms that change the database, and refused
 * forms shown again with localised messages while nothing changes.
 */
const ADMIN_PASSWORD = 'test-admin-password-admin-pages';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const STAFF_PASSWORD = 'admin-pages-pass-1';
// Mumbai (district 395) holds facilities 1001-1006; Pune (district 363) holds 1101 and 1102.
const MUMBAI = 'district:395';

let app: TestPlatform;
let admin: string;
let officer: string;
let manager: string;

async function signIn(username: string, password: string): Promise<string> {
  const response = await post('', '/staff/sign-in', { username, password });
  if (response.status !== 303) throw new Error(`sign-in ${username}: ${response.status}`);
  return [response.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('teeka_staff='))!
    .split(';')[0];
}

function post(cookie: string, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TestResponse> {
  return app.request(HOST, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}), ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

const get = (cookie: string, path: string, headers: Record<string, string> = {}) =>
  app.request(HOST, path, { headers: { Cookie: cookie, Accept: 'text/html', ...headers } });

// biome-ignore lint/suspicious/noExplicitAny: rows, checked by the tests' assertions
async function sql(text: string, params: unknown[] = []): Promise<any[]> {
  const db = tenantDb(app, 'in');
  await db.connect();
  try {
    return (await db.query(text, params)).rows;
  } finally {
    await db.end();
  }
}

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], demoSessions: false } });
  const token = await app.request(HOST, '/api/v1/staff/sign-in', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } });
  const api = bearer(token.json().token);
  for (const [username, role, scopeType, scopeId] of [
    ['mumbai.officer', 'district-officer', 'area', MUMBAI],
    ['kem.manager', 'facility-manager', 'facility', '1001'],
  ]) {
    const created = await app.request(HOST, '/api/v1/staff/users', {
      method: 'POST',
      headers: api,
      body: { username, displayName: username, password: STAFF_PASSWORD, roles: [{ role, scopeType, scopeId }] },
    });
    if (created.status !== 201) throw new Error(`${username}: ${created.status} ${created.text}`);
  }
  admin = await signIn('admin', ADMIN_PASSWORD);
  officer = await signIn('mumbai.officer', STAFF_PASSWORD);
  manager = await signIn('kem.manager', STAFF_PASSWORD);
});
test.after.always(async () => {
  await app?.stop();
});

const facilityForm = (fields: Record<string, string> = {}) => ({
  name: 'Worli Dome Vaccination Centre',
  'name-hi': 'वर्ली डोम टीकाकरण केंद्र',
  address: 'Worli, Mumbai',
  area: MUMBAI,
  postalCode: '400018',
  latitude: '19.0176',
  longitude: '72.8172',
  opensAt: '09:00',
  closesAt: '17:00',
  feeType: 'free',
  ...fields,
});

test('signed out, the pages ask for sign-in; a facility role gets a themed 403 page', async (t) => {
  const away = await app.request(HOST, '/staff/admin');
  t.is(away.status, 302);
  t.is(away.headers.location, '/staff/sign-in');
  for (const path of ['/staff/admin', '/staff/admin/facilities', '/staff/admin/staff', '/staff/admin/settings']) {
    const refused = await get(manager, path);
    t.is(refused.status, 403, path);
    t.regex(String(refused.headers['content-type']), /text\/html/);
    t.regex(refused.text, /<html lang="en"/);
    t.regex(refused.text, /You do not have permission to do this\./);
  }
  const refusedPost = await post(manager, '/staff/admin/facilities', facilityForm({ name: 'Manager Made Centre' }));
  t.is(refusedPost.status, 403);
  t.is((await sql(`select count(*)::int as n from facility where name = 'Manager Made Centre'`))[0].n, 0);
});

test('the index and every section render for an administrator and a district officer', async (t) => {
  for (const cookie of [admin, officer]) {
    for (const path of [
      '',
      '/areas',
      '/areas/new',
      '/facilities',
      '/facilities/new',
      '/sessions',
      '/staff',
      '/staff/new',
      '/inventory',
      '/dashboard',
      '/settings',
    ]) {
      const page = await get(cookie, `/staff/admin${path}`);
      t.is(page.status, 200, `${path}: ${page.text.slice(0, 300)}`);
      t.regex(page.text, /aria-label="Administration"/, path);
    }
  }
  const unknown = await get(admin, '/staff/admin/nothing-here');
  t.is(unknown.status, 404);
  t.regex(unknown.text, /<html lang="en"/);
  const newArea = await get(officer, '/staff/admin/areas/new');
  t.regex(newArea.text, /<option value="block" selected>Block<\/option>/, 'an officer adds areas below the district');
  t.notRegex(newArea.text, /<option value="district"/);
  const index = await get(officer, '/staff/admin');
  t.regex(index.text, /District: Mumbai/);
  const sessions = await get(officer, '/staff/sessions/new');
  t.regex(
    sessions.text,
    /<option value="1001">KEM Hospital, Parel \(1001\)<\/option>/,
    'the officer plans sessions at the district’s centres',
  );
  t.notRegex(sessions.text, /value="1101"/, 'and only there');
  const settings = await get(admin, '/staff/admin/settings');
  t.regex(settings.text, /aadhaar/);
  t.regex(settings.text, /Asia\/Kolkata/);
  t.notRegex(settings.text, /TEEKA_/, 'no secret, not even the name of its variable');
});

test.serial('the dashboard for an area counts only the doses given at its centres', async (t) => {
  const [citizen] = await makeCitizens(app, 'in', [[1980, 1985, 1990]]);
  const today = dayFromToday(app, 'in', 0);
  const [mumbai1, mumbai2, pune] = citizen.beneficiaries;
  for (const [person, facility] of [
    [mumbai1, 1001],
    [mumbai2, 1003],
    [pune, 1101],
  ] as const) {
    await sql(
      `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id) values (gen_random_uuid(), $1, 'covishield', 1, $2, $3)`,
      [person.id, today, facility],
    );
  }
  const headline = (html: string) => /<dt>Doses given<\/dt><dd>([^<]+)<\/dd>/.exec(html)?.[1];
  const district = await get(officer, '/staff/admin/dashboard');
  t.is(district.status, 200);
  t.regex(district.text, /<h1>Dashboard: Mumbai<\/h1>/);
  t.is(headline(district.text), '2', 'Mumbai’s two doses, not Pune’s');
  t.is(headline((await get(admin, '/staff/admin/dashboard')).text), '3', 'the administrator sees the whole country');
  t.is(headline((await get(admin, `/staff/admin/dashboard?area=${encodeURIComponent('district:363')}`)).text), '1');
  t.is((await get(officer, `/staff/admin/dashboard?area=${encodeURIComponent('district:363')}`)).status, 403);
});

test.serial('a district officer lists and edits only the district’s facilities', async (t) => {
  const list = await get(officer, '/staff/admin/facilities');
  t.regex(list.text, /KEM Hospital, Parel/);
  t.notRegex(list.text, /Sassoon General Hospital/, 'Pune is another district');
  t.is((await get(officer, '/staff/admin/facilities/1101')).status, 403);
  t.is((await get(officer, `/staff/admin/facilities?area=${encodeURIComponent('district:363')}`)).status, 403);
  const before = (await sql('select name, latitude::text from facility where id = 1101'))[0];
  const refused = await post(officer, '/staff/admin/facilities/1101', facilityForm({ name: 'Taken over', area: 'district:363' }));
  t.is(refused.status, 403);
  t.deepEqual((await sql('select name, latitude::text from facility where id = 1101'))[0], before, 'nothing changed');
  const moved = await post(officer, '/staff/admin/facilities/1002', facilityForm({ name: 'Sir J.J. Hospital', area: 'district:363' }));
  t.is(moved.status, 422, 'nor can a centre be moved out of the district');
  t.regex(moved.text, /id="area-error"/);

  const edited = await post(officer, '/staff/admin/facilities/1005', {
    ...facilityForm({ name: 'P. D. Hinduja National Hospital, Mahim', latitude: '١٩٫٠٣٣٠', longitude: '72.8380' }),
    'name-hi': '',
  });
  t.is(edited.status, 303, edited.text.slice(0, 300));
  const row = (await sql('select name, names, latitude::float8 as latitude from facility where id = 1005'))[0];
  t.is(row.name, 'P. D. Hinduja National Hospital, Mahim');
  t.is(row.latitude, 19.033, 'digits typed on an Arabic keyboard are read');
});

test.serial('an administrator adds a facility; a refused form names its fields in the reader’s language and adds nothing', async (t) => {
  const count = async () => (await sql(`select count(*)::int as n from facility`))[0].n;
  const before = await count();
  const refused = await post(admin, '/staff/admin/facilities', facilityForm({ latitude: '123', closesAt: '08:00', postalCode: '12' }), {
    'Accept-Language': 'hi',
  });
  t.is(refused.status, 422);
  t.regex(refused.text, /<html lang="hi"/);
  t.regex(refused.text, /role="alert"/);
  t.regex(refused.text, /id="latitude-error"/);
  t.regex(refused.text, /यह मान सीमा से बाहर है।/, 'the message in Hindi');
  t.true(refused.text.includes('value="Worli Dome Vaccination Centre"'), 'what was typed is kept');
  t.is(await count(), before, 'nothing added');

  const paidWithoutFees = await post(admin, '/staff/admin/facilities', facilityForm({ feeType: 'paid' }));
  t.is(paidWithoutFees.status, 422);
  t.is(await count(), before);

  const created = await post(admin, '/staff/admin/facilities', facilityForm({ feeType: 'paid', 'fee-covishield': '780.00' }));
  t.is(created.status, 303, created.text.slice(0, 300));
  const id = Number(/\/staff\/admin\/facilities\/(\d+)/.exec(String(created.headers.location))?.[1]);
  const row = (await sql('select * from facility where id = $1', [id]))[0];
  t.is(row.name, 'Worli Dome Vaccination Centre');
  t.deepEqual(row.names, { hi: 'वर्ली डोम टीकाकरण केंद्र' });
  t.deepEqual(row.fees, { covishield: '780.00' });
  t.is(`${row.area_level}:${row.area_id}`, MUMBAI);
  const [audit] = await sql(`select actor_id from audit_entry where action = 'admin.facility-created' and target_id = $1`, [String(id)]);
  t.truthy(audit?.actor_id, 'the change is audited, with who made it');
  const publicView = await app.request(HOST, `/api/v1/facilities/${id}`);
  t.is(publicView.status, 200, 'citizens find it');

  const closed = await post(officer, `/staff/admin/facilities/${id}/deactivate`, {});
  t.is(closed.status, 303);
  t.false((await sql('select active from facility where id = $1', [id]))[0].active);
  t.is((await app.request(HOST, `/api/v1/facilities/${id}`)).status, 404, 'a closed centre is no longer offered');
});

test.serial('areas: added under a parent in scope, renamed per language; another district is out of reach', async (t) => {
  const refused = await post(officer, '/staff/admin/areas', { level: 'block', parent: 'district:363', name: 'Hadapsar' });
  t.is(refused.status, 422);
  t.regex(refused.text, /id="parent-error"/);
  t.is((await sql(`select count(*)::int as n from area where name = 'Hadapsar'`))[0].n, 0);

  const created = await post(officer, '/staff/admin/areas', { level: 'block', parent: MUMBAI, name: 'Worli', 'name-hi': 'वर्ली' });
  t.is(created.status, 303, created.text.slice(0, 300));
  const [block] = await sql(`select * from area where level = 'block' and name = 'Worli'`);
  t.is(`${block.parent_level}:${block.parent_id}`, MUMBAI);
  t.deepEqual(block.names, { hi: 'वर्ली' });

  const empty = await post(officer, `/staff/admin/areas/block/${block.id}`, { name: '', 'name-hi': 'वर्ली' });
  t.is(empty.status, 422);
  t.regex(empty.text, /id="name-error"/);
  const renamed = await post(officer, `/staff/admin/areas/block/${block.id}`, { name: 'Worli Koliwada', 'name-hi': 'वर्ली कोलीवाडा' });
  t.is(renamed.status, 303);
  t.is((await sql(`select name from area where level = 'block' and id = $1`, [block.id]))[0].name, 'Worli Koliwada');
  t.is((await get(officer, '/staff/admin/areas/district/363')).status, 403);
  t.is((await post(officer, '/staff/admin/areas/district/363', { name: 'Poona' })).status, 403);
  t.is((await sql(`select name from area where level = 'district' and id = 363`))[0].name, 'Pune');
});

test.serial('staff: a member created and a role granted through the forms; refusals are shown on the page', async (t) => {
  const weak = await post(officer, '/staff/admin/staff', {
    username: 'dadar.vaccinator',
    displayName: 'Dadar Vaccinator',
    password: 'short',
    role: 'vaccinator',
    scope: 'facility:1001',
  });
  t.is(weak.status, 422);
  t.regex(weak.text, /id="password-error"/);
  t.is((await sql(`select count(*)::int as n from staff_user where username = 'dadar.vaccinator'`))[0].n, 0);

  const outside = await post(officer, '/staff/admin/staff', {
    username: 'pune.vaccinator',
    displayName: 'Pune Vaccinator',
    password: STAFF_PASSWORD,
    role: 'vaccinator',
    scope: 'facility:1101',
  });
  t.is(outside.status, 403);
  t.regex(outside.text, /You do not have permission to do this\./);
  t.is((await sql(`select count(*)::int as n from staff_user where username = 'pune.vaccinator'`))[0].n, 0);

  const created = await post(officer, '/staff/admin/staff', {
    username: 'dadar.vaccinator',
    displayName: 'Dadar Vaccinator',
    password: STAFF_PASSWORD,
    role: 'vaccinator',
    scope: 'facility:1001',
  });
  t.is(created.status, 303, created.text.slice(0, 300));
  const id = /\/staff\/admin\/staff\/([0-9a-f-]{36})/.exec(String(created.headers.location))![1];
  const granted = await post(officer, `/staff/admin/staff/${id}/grant`, { role: 'facility-manager', scope: 'facility:1002' });
  t.is(granted.status, 303);
  const roles = await sql('select role, scope_id from staff_role where user_id = $1 order by role', [id]);
  t.deepEqual(
    roles.map((r) => `${r.role}@${r.scope_id}`),
    ['facility-manager@1002', 'vaccinator@1001'],
  );
  const page = await get(officer, `/staff/admin/staff/${id}`);
  t.regex(page.text, /Facility manager at Sir J\.J\./);
  const revoked = await post(officer, `/staff/admin/staff/${id}/revoke`, { role: 'facility-manager', scope: 'facility:1002' });
  t.is(revoked.status, 303);
  t.is((await sql('select count(*)::int as n from staff_role where user_id = $1', [id]))[0].n, 1);

  const [me] = await sql(`select id from staff_user where username = 'admin'`);
  const last = await post(
    admin,
    `/staff/admin/staff/${me.id}/revoke`,
    { role: 'tenant-admin', scope: 'tenant' },
    { 'Accept-Language': 'hi' },
  );
  t.is(last.status, 409);
  t.regex(last.text, /यह अंतिम व्यवस्थापक है।/, 'the last administrator, said in Hindi on the page');
  t.is((await sql(`select count(*)::int as n from staff_role where role = 'tenant-admin'`))[0].n, 1);
});

test.serial('inventory: stock and batches in scope; an administrator recalls a batch with a reason', async (t) => {
  const token = bearer(
    (await app.request(HOST, '/api/v1/staff/sign-in', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } })).json()
      .token,
  );
  const batch = await app.request(HOST, '/api/v1/staff/inventory/batches', {
    method: 'POST',
    headers: token,
    body: { vaccine: 'covishield', lotNumber: 'ADMINLOT1', expiresOn: '2099-12-31' },
  });
  t.is(batch.status, 201, batch.text);
  const id = batch.json().id;
  const officerView = await get(officer, '/staff/admin/inventory');
  t.regex(officerView.text, /ADMINLOT1/);
  t.notRegex(officerView.text, /\/recall"/, 'only administrators recall');
  const noReason = await post(admin, `/staff/admin/inventory/batches/${id}/recall`, { reason: '' });
  t.is(noReason.status, 422);
  t.is((await sql('select state from batch where id = $1', [id]))[0].state, 'active');
  const byOfficer = await post(officer, `/staff/admin/inventory/batches/${id}/recall`, { reason: 'cold chain' });
  t.is(byOfficer.status, 403);
  t.is((await sql('select state from batch where id = $1', [id]))[0].state, 'active');
  const recalled = await post(admin, `/staff/admin/inventory/batches/${id}/recall`, { reason: 'temperature excursion' });
  t.is(recalled.status, 303);
  t.deepEqual((await sql('select state, recall_reason from batch where id = $1', [id]))[0], {
    state: 'recalled',
    recall_reason: 'temperature excursion',
  });
});

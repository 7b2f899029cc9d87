import test from 'ava';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-staff-pages';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';

let app: TestPlatform;
let cookie: string;

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], demoSessions: false } });
});
test.after.always(async () => {
  await app?.stop();
});

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TestResponse> {
  return app.request(HOST, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

async function sessionsOn(facility: number, date: string): Promise<number> {
  return (await app.request(HOST, `/api/v1/sessions?facility=${facility}&date=${date}`)).json().sessions.length;
}

test.serial('staff sign in through the page; the pages ask for sign-in first', async (t) => {
  const away = await app.request(HOST, '/staff/sessions/new');
  t.is(away.status, 302);
  t.is(away.headers.location, '/staff/sign-in');
  const wrong = await post('/staff/sign-in', { username: 'admin', password: 'not-the-password' });
  t.is(wrong.status, 401);
  t.regex(wrong.text, /role="alert"/);
  const signedIn = await post('/staff/sign-in', { username: 'admin', password: ADMIN_PASSWORD });
  t.is(signedIn.status, 303, signedIn.text.slice(0, 300));
  t.is(signedIn.headers.location, '/staff/day', 'staff land on the day at their centre');
  const line = [signedIn.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('teeka_staff='))!;
  t.regex(line, /httponly/i);
  cookie = line.split(';')[0];
  const form = await app.request(HOST, '/staff/sessions/new', { headers: { Cookie: cookie } });
  t.is(form.status, 200);
  t.regex(form.text, /<option value="1001">KEM Hospital, Parel \(1001\)<\/option>/, 'the centres the administrator manages');
});

test.serial('one session through the form; a refusal names the field', async (t) => {
  const date = dayFromToday(app, 'in', 4);
  const fields = { facilityId: '1001', date, vaccine: 'covishield', minAge: '18', maxAge: '', online1: '20', walkin1: '5', online2: '' };
  const bad = await post('/staff/sessions', { ...fields, slots: '09:00AM-11:00AM\n10:00AM-12:00PM' }, { Cookie: cookie });
  t.is(bad.status, 422);
  t.regex(bad.text, /id="slots-error"/);
  t.regex(bad.text, /Time slots must be in order and must not overlap/);
  t.is(await sessionsOn(1001, date), 0);
  const good = await post('/staff/sessions', { ...fields, slots: '09:00AM-11:00AM\n11:00AM-01:00PM' }, { Cookie: cookie });
  t.is(good.status, 303, good.text.slice(0, 300));
  t.is(await sessionsOn(1001, date), 1);
});

test.serial('bulk create with one bad line creates nothing and names the line', async (t) => {
  const day = (n: number) => dayFromToday(app, 'in', n);
  const csv = [
    'facility,date,vaccine,minAge,maxAge,d1online,d1walkin,d2online,d2walkin,slots',
    `1002,${day(5)},covishield,18,,30,5,20,0,09:00AM-11:00AM|11:00AM-01:00PM`,
    '',
    `1002,${day(-1)},covishield,18,,30,5,20,0,09:00AM-11:00AM`,
    `1002,${day(6)},covaxin,45,60,10,0,10,0,02:00PM-04:00PM`,
  ].join('\n');
  const refused = await post('/staff/sessions/bulk', { csv }, { Cookie: cookie });
  t.is(refused.status, 422, refused.text.slice(0, 300));
  t.regex(refused.text, /Line 4: Choose today or a later date\./, 'the line as numbered in the text');
  t.true(refused.text.includes(`1002,${day(5)},covishield`), 'the text is kept to correct it');
  t.is(await sessionsOn(1002, day(5)), 0, 'nothing half-created');
  t.is(await sessionsOn(1002, day(6)), 0);

  const fixed = csv.replace(`${day(-1)}`, day(7));
  const created = await post('/staff/sessions/bulk', { csv: fixed }, { Cookie: cookie });
  t.is(created.status, 303, created.text.slice(0, 300));
  t.is(created.headers.location, '/staff/sessions/bulk?created=3');
  t.is(await sessionsOn(1002, day(5)), 1);
  t.is(await sessionsOn(1002, day(7)), 1);
  const wrongColumns = await post('/staff/sessions/bulk', { csv: `1002,${day(5)},covishield` }, { Cookie: cookie });
  t.is(wrongColumns.status, 422);
  t.regex(wrongColumns.text, /Line 1: This line does not have the 10 columns\./);
});

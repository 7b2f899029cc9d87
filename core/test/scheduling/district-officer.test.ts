import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';

/**
 * A district officer's area reaches the facilities in it and every area below it, from the
 * tenant's areas and facilities: Mumbai's officer runs Mumbai's centres, not Pune's; a state
 * officer for Maharashtra runs both, not Bengaluru's.
 */
const ADMIN_PASSWORD = 'test-admin-password-districts';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const MUMBAI_KEM = 1001;
const PUNE_SASSOON = 1101;
const BENGALURU_VICTORIA = 1201;

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
});
test.after.always(async () => {
  await app?.stop();
});

async function signIn(username: string, password: string): Promise<Record<string, string>> {
  const response = await app.request(HOST, '/api/v1/staff/sign-in', { method: 'POST', body: { username, password } });
  if (response.status !== 200) throw new Error(`sign-in ${username}: ${response.status} ${response.text}`);
  return bearer(response.json().token);
}

async function officer(username: string, area: string): Promise<Record<string, string>> {
  const admin = await signIn('admin', ADMIN_PASSWORD);
  const created = await app.request(HOST, '/api/v1/staff/users', {
    method: 'POST',
    headers: admin,
    body: {
      username,
      displayName: username,
      password: 'officer-password-1',
      roles: [{ role: 'district-officer', scopeType: 'area', scopeId: area }],
    },
  });
  if (created.status !== 201) throw new Error(`create ${username}: ${created.status} ${created.text}`);
  return signIn(username, 'officer-password-1');
}

const vaccinatorAt = (headers: Record<string, string>, username: string, facility: number) =>
  app.request(HOST, '/api/v1/staff/users', {
    method: 'POST',
    headers,
    body: {
      username,
      displayName: username,
      password: 'vaccinator-pass-1',
      roles: [{ role: 'vaccinator', scopeType: 'facility', scopeId: String(facility) }],
    },
  });

const sessionAt = (headers: Record<string, string>, facilityId: number) =>
  app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers,
    body: {
      facilityId,
      date: dayFromToday(app, 'in', 2),
      vaccine: 'covaxin',
      minAge: 18,
      slots: ['09:00AM-11:00AM'],
      capacities: [{ dose: 1, online: 10 }],
    },
  });

test.serial('Mumbai’s district officer staffs and schedules Mumbai’s centres, and only those', async (t) => {
  const mumbai = await officer('officer.mumbai', 'district:395');
  t.is((await vaccinatorAt(mumbai, 'vacc.kem', MUMBAI_KEM)).status, 201);
  t.is((await vaccinatorAt(mumbai, 'vacc.sassoon', PUNE_SASSOON)).status, 403);
  t.is((await sessionAt(mumbai, MUMBAI_KEM)).status, 201);
  t.is((await sessionAt(mumbai, PUNE_SASSOON)).status, 403);
});

test.serial('a state officer covers the districts below the state', async (t) => {
  const maharashtra = await officer('officer.maharashtra', 'state:21');
  t.is((await vaccinatorAt(maharashtra, 'vacc.sassoon2', PUNE_SASSOON)).status, 201, 'Pune is in Maharashtra');
  t.is((await sessionAt(maharashtra, MUMBAI_KEM)).status, 201, 'so is Mumbai');
  t.is((await vaccinatorAt(maharashtra, 'vacc.victoria', BENGALURU_VICTORIA)).status, 403, 'Bengaluru is not');
});

test.serial('an area id without its level matches nothing (states and districts share numbers)', async (t) => {
  const ambiguous = await officer('officer.ambiguous', '395');
  t.is((await vaccinatorAt(ambiguous, 'vacc.kem2', MUMBAI_KEM)).status, 403);
});

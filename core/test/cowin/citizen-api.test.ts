import { createHash } from 'node:crypto';
import test from 'ava';
import { stdnum } from 'stdnum';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';

/**
 * A client written for Co-WIN's protected API, pointed at the India tenant: sign in as the citizen
 * web app did (the OTP sent as its SHA-256), register people, book, reschedule and cancel.
 */
const ADMIN_PASSWORD = 'test-admin-password-cowin-citizen';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001;

let app: TestPlatform;
let admin: Record<string, string>;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  admin = bearer(signIn.json().token);
});
test.after.always(async () => {
  await app?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(HOST, `/cowin/v2${path}`, { method: 'POST', body, headers });
const get = (path: string, headers: Record<string, string> = {}) => app.request(HOST, `/cowin/v2${path}`, { headers });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function aadhaar(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (stdnum.IN.aadhaar.validate(`${body}${digit}`).isValid) return `${body}${digit}`;
  throw new Error('no check digit');
}

let phoneCounter = 0;
/** Signs in through one of Co-WIN's flows; answers the token and the confirm body. */
async function cowinSignIn(flow: 'mobile' | 'public' | 'partner') {
  const mobile = `98${String(process.pid % 10000).padStart(4, '0')}${String(phoneCounter++).padStart(4, '0')}`;
  const [generate, confirm] =
    flow === 'mobile'
      ? ['/auth/generateMobileOTP', '/auth/validateMobileOtp']
      : flow === 'public'
        ? ['/auth/public/generateOTP', '/auth/public/confirmOTP']
        : ['/auth/generateOTP', '/auth/confirmOTP'];
  const headers: Record<string, string> = flow === 'partner' ? { 'x-api-key': 'any-partner-key' } : {};
  const generated = await post(generate, flow === 'mobile' ? { mobile, secret: 'U2FsdGVkX1+opaque' } : { mobile }, headers);
  if (generated.status !== 200) throw new Error(`${generate}: ${generated.status} ${generated.text}`);
  const otp = await latestOtp(app, HOST, `+91${mobile}`);
  const confirmed = await post(confirm, { otp: sha256(otp), txnId: generated.json().txnId }, headers);
  if (confirmed.status !== 200) throw new Error(`${confirm}: ${confirmed.status} ${confirmed.text}`);
  return { token: confirmed.json().token as string, body: confirmed.json(), mobile };
}

async function session(days: number) {
  const response = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId: KEM,
      date: dayFromToday(app, 'in', days),
      vaccine: 'covishield',
      minAge: 18,
      slots: ['09:00AM-11:00AM', '11:00AM-01:00PM'],
      capacities: [{ dose: 1, online: 3 }],
    },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json<{ id: string }>().id;
}

test('every sign-in flow gives an HS256 JWT with exp that works on every Bearer endpoint', async (t) => {
  const mobileFlow = await cowinSignIn('mobile');
  const [header, payload] = mobileFlow.token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  t.is(header.alg, 'HS256');
  const lifetime = payload.exp - Math.floor(Date.now() / 1000);
  t.true(lifetime > 800 && lifetime <= 900, `exp ${lifetime}s from now (15 minutes by default)`);
  t.deepEqual(Object.keys(mobileFlow.body), ['token']);

  const partner = await cowinSignIn('partner');
  t.deepEqual(partner.body.isNewAccount, 'Y');
  const publicFlow = await cowinSignIn('public');
  t.deepEqual(Object.keys(publicFlow.body), ['token']);

  // The same token works on the native API too: one sign-in for both.
  t.is((await app.request(HOST, '/api/v1/beneficiaries', { headers: bearer(publicFlow.token) })).status, 200);
  t.is((await get('/appointment/beneficiaries', bearer(publicFlow.token))).status, 200);

  const refused = await get('/appointment/beneficiaries');
  t.is(refused.status, 401);
  t.is(refused.text, 'Unauthenticated access!');
  t.is((await get('/appointment/beneficiaries', bearer('not.a.jwt'))).text, 'Unauthenticated access!');

  const wrongOtp = await post('/auth/validateMobileOtp', { otp: sha256('000000'), txnId: '00000000-0000-4000-8000-000000000000' });
  t.is(wrongOtp.status, 400);
  t.truthy(wrongOtp.json().errorCode);
  const plainOtp = await post('/auth/validateMobileOtp', { otp: '123456', txnId: '00000000-0000-4000-8000-000000000000' });
  t.is(plainOtp.status, 400, 'the OTP itself is not accepted: only its SHA-256');
  t.is((await post('/auth/generateMobileOTP', { mobile: '9876543210' })).status, 400, 'the secret is required (any text)');
});

test('a Co-WIN client registers people, books, reschedules and cancels through the native services', async (t) => {
  const { token, mobile } = await cowinSignIn('mobile');
  const auth = bearer(token);
  const idTypes = await get('/registration/beneficiary/idTypes', auth);
  const aadhaarType = idTypes.json().types.find((type: { code: string }) => type.code === 'aadhaar');
  t.truthy(aadhaarType, idTypes.text);
  t.deepEqual((await get('/registration/beneficiary/genders', auth)).json().genders[0], { gender: 'Male', id: 1 });

  const refs: string[] = [];
  for (const [index, name] of ['Asha Kumari', 'Ravi Kumar'].entries()) {
    const created = await post(
      '/registration/beneficiary/new',
      {
        name,
        birth_year: '1980',
        gender_id: index + 1,
        photo_id_type: aadhaarType.id,
        photo_id_number: aadhaar(`${3456789012 + index}`.slice(0, 11).padEnd(11, '1')),
        comorbidity_ind: index === 0 ? 'Y' : 'N',
        consent_version: '1',
      },
      auth,
    );
    t.is(created.status, 200, created.text);
    t.regex(created.json().beneficiary_reference_id, /^\d{14}$/);
    refs.push(created.json().beneficiary_reference_id);
  }

  const first = await session(4);
  const booked = await post('/appointment/schedule', { dose: 1, session_id: first, slot: '09:00AM-11:00AM', beneficiaries: refs }, auth);
  t.is(booked.status, 200, booked.text);
  t.deepEqual(Object.keys(booked.json()), ['appointment_confirmation_no', 'appointment_id']);
  const appointmentId = booked.json().appointment_id;

  const listed = await get('/appointment/beneficiaries', auth);
  const asha = listed.json().beneficiaries.find((b: { beneficiary_reference_id: string }) => b.beneficiary_reference_id === refs[0]);
  t.like(asha, {
    name: 'Asha Kumari',
    birth_year: '1980',
    gender: 'Male',
    mobile_number: `******${mobile.slice(-4)}`,
    comorbidity_ind: 'Y',
    vaccination_status: 'Not Vaccinated',
    vaccine: '',
    dose1_date: '',
    dose2_date: '',
  });
  t.regex(asha.photo_id_number, /^X{4,}|\*|x/i, 'masked');
  t.like(asha.appointments[0], { center_id: KEM, session_id: first, slot: '09:00AM-11:00AM', dose: 1, pincode: 400012 });

  // The session has 3 places: a third person in another account would fit, a second booking of ours is refused.
  const again = await post('/appointment/schedule', { dose: 1, session_id: first, slot: '09:00AM-11:00AM', beneficiaries: refs }, auth);
  t.is(again.status, 409);

  const second = await session(5); // 3 places: 2 in the first slot, 1 in the second
  const tooSmall = await post(
    '/appointment/reschedule',
    { appointment_id: appointmentId, session_id: second, slot: '11:00AM-01:00PM' },
    auth,
  );
  t.is(tooSmall.status, 409, 'two people do not fit a slot with one place: nobody moves');
  t.true(
    (await get('/appointment/beneficiaries', auth))
      .json()
      .beneficiaries.every((b: { appointments: { session_id: string }[] }) => b.appointments[0].session_id === first),
  );
  const moved = await post('/appointment/reschedule', { appointment_id: appointmentId, session_id: second, slot: '09:00AM-11:00AM' }, auth);
  t.is(moved.status, 204, moved.text);
  const afterMove = (await get('/appointment/beneficiaries', auth)).json().beneficiaries;
  t.true(
    afterMove.every((b: { appointments: { session_id: string }[] }) => b.appointments[0].session_id === second),
    'the whole booking moved',
  );

  const newId = afterMove[0].appointments[0].appointment_id;
  const cancelOne = await post('/appointment/cancel', { appointment_id: newId, beneficiariesToCancel: [refs[1]] }, auth);
  t.is(cancelOne.status, 204, cancelOne.text);
  const afterCancel = (await get('/appointment/beneficiaries', auth)).json().beneficiaries;
  t.deepEqual(
    afterCancel.map((b: { appointments: unknown[] }) => b.appointments.length),
    [1, 0],
  );
  const cancelRest = await post('/appointment/cancel', { appointment_id: newId, beneficiariesToCancel: [] }, auth);
  t.is(cancelRest.status, 204);

  const deleted = await post('/registration/beneficiary/delete', { beneficiary_reference_id: refs[1] }, auth);
  t.is(deleted.status, 204, deleted.text);
  t.is((await get('/appointment/beneficiaries', auth)).json().beneficiaries.length, 1);
});

test('booking a full session gets Co-WIN’s APPOIN0040; bad bodies get 400 USRRES0001', async (t) => {
  const full = await session(6);
  const people: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { token } = await cowinSignIn('mobile');
    const created = await post(
      '/registration/beneficiary/new',
      {
        name: `Person ${i}`,
        birth_year: '1985',
        gender_id: 2,
        photo_id_type: 'aadhaar',
        photo_id_number: aadhaar(`5678901234${i}`),
        comorbidity_ind: 'N',
      },
      bearer(token),
    );
    t.is(created.status, 200, created.text);
    people.push(token);
    const ref = created.json().beneficiary_reference_id;
    const answer = await post(
      '/appointment/schedule',
      { dose: 1, session_id: full, slot: '09:00AM-11:00AM', beneficiaries: [ref] },
      bearer(token),
    );
    if (i < 2) t.is(answer.status, 200, answer.text);
    else {
      t.is(answer.status, 409, answer.text);
      t.deepEqual(answer.json(), { errorCode: 'APPOIN0040', error: 'This vaccination center is completely booked for the selected date.' });
    }
  }
  for (const body of [
    {},
    { session_id: 'x', slot: 'a', dose: 1, beneficiaries: ['1'] },
    { session_id: full, slot: '09:00AM-11:00AM', dose: 1 },
  ]) {
    const refused = await post('/appointment/schedule', body, bearer(people[0]));
    t.is(refused.status, 400, JSON.stringify(body));
    t.is(refused.json().errorCode, 'USRRES0001');
  }
});

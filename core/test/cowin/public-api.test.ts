import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';

/**
 * Co-WIN's public API on the India tenant, checked the way its clients parse it: field names,
 * order and types as production served them (shared/reference/cowin-api.md).
 */
const ADMIN_PASSWORD = 'test-admin-password-cowin';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001; // Mumbai (395), PIN 400012, free
const HINDUJA = 1005; // Mumbai, PIN 400016, paid: Covishield 780, Covaxin 1410

let app: TestPlatform;
let sessionDay: string;
let kemSession: string;
let hindujaSession: string;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const admin = bearer(signIn.json().token);
  sessionDay = dayFromToday(app, 'in', 2);
  const create = async (facilityId: number, vaccine: string, minAge: number, maxAge?: number) => {
    const response = await app.request(HOST, '/api/v1/staff/sessions', {
      method: 'POST',
      headers: admin,
      body: {
        facilityId,
        date: sessionDay,
        vaccine,
        minAge,
        ...(maxAge ? { maxAge } : {}),
        slots: ['11:00AM-01:00PM', '01:00PM-03:00PM'],
        capacities: [
          { dose: 1, online: 30, walkin: 5 },
          { dose: 2, online: 20 },
          { dose: 3, online: 4 },
        ],
      },
    });
    if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
    return response.json<{ id: string }>().id;
  };
  kemSession = await create(KEM, 'covishield', 18);
  hindujaSession = await create(HINDUJA, 'covaxin', 45, 59);
});
test.after.always(async () => {
  await app?.stop();
});

const cowinDate = (iso: string) => `${iso.slice(8, 10)}-${iso.slice(5, 7)}-${iso.slice(0, 4)}`;
const get = (path: string, headers: Record<string, string> = {}) => app.request(HOST, `/cowin/v2${path}`, { headers });
const CENTRE_FIELDS = [
  'center_id',
  'name',
  'address',
  'state_name',
  'district_name',
  'block_name',
  'pincode',
  'lat',
  'long',
  'from',
  'to',
  'fee_type',
];

test('states and districts carry Co-WIN’s own ids; Maharashtra is 21 and Mumbai 395', async (t) => {
  const states = await get('/admin/location/states');
  t.is(states.status, 200, states.text);
  t.is(states.json().ttl, 24);
  t.deepEqual(
    states.json().states.find((s: { state_id: number }) => s.state_id === 21),
    { state_id: 21, state_name: 'Maharashtra' },
    'no *_l fields without Accept-Language',
  );
  const districts = await get('/admin/location/districts/21', { 'Accept-Language': 'hi_IN' });
  const mumbai = districts.json().districts.find((d: { district_id: number }) => d.district_id === 395);
  t.deepEqual(Object.keys(mumbai), ['state_id', 'district_id', 'district_name', 'district_name_l']);
  t.like(mumbai, { state_id: 21, district_id: 395, district_name: 'Mumbai' });
  t.is((await get('/admin/location/districts/abc')).status, 400);
  t.deepEqual((await get('/admin/location/districts/999999')).json().districts, [], 'an unknown state has no districts');
});

test('calendarByDistrict: centres with 7 days of sessions, typed and ordered as production served them', async (t) => {
  const response = await get(
    `/appointment/sessions/public/calendarByDistrict?district_id=395&date=${cowinDate(dayFromToday(app, 'in', 0))}`,
  );
  t.is(response.status, 200, response.text);
  t.regex(String(response.headers['cache-control']), /^public, max-age=\d+$/);
  t.regex(String(response.headers.age), /^\d+$/);
  const centres = response.json().centers;
  const kem = centres.find((c: { center_id: number }) => c.center_id === KEM);
  t.deepEqual(Object.keys(kem), [...CENTRE_FIELDS, 'sessions']);
  t.like(kem, {
    center_id: KEM,
    name: 'KEM Hospital, Parel',
    state_name: 'Maharashtra',
    district_name: 'Mumbai',
    block_name: '',
    pincode: 400012,
    lat: 19,
    long: 72,
    from: '09:00:00',
    to: '17:00:00',
    fee_type: 'Free',
  });
  const session = kem.sessions.find((s: { session_id: string }) => s.session_id === kemSession);
  t.deepEqual(Object.keys(session), [
    'session_id',
    'date',
    'available_capacity',
    'min_age_limit',
    'allow_all_age',
    'vaccine',
    'slots',
    'available_capacity_dose1',
    'available_capacity_dose2',
  ]);
  t.deepEqual(session, {
    session_id: kemSession,
    date: cowinDate(sessionDay),
    available_capacity: 54,
    min_age_limit: 18,
    allow_all_age: true,
    vaccine: 'COVISHIELD',
    slots: ['11:00AM-01:00PM', '01:00PM-03:00PM'],
    available_capacity_dose1: 30,
    available_capacity_dose2: 20,
  });

  const hinduja = centres.find((c: { center_id: number }) => c.center_id === HINDUJA);
  t.deepEqual(Object.keys(hinduja), [...CENTRE_FIELDS, 'sessions', 'vaccine_fees']);
  t.is(hinduja.fee_type, 'Paid');
  t.deepEqual(hinduja.vaccine_fees, [
    { vaccine: 'COVAXIN', fee: '1410' },
    { vaccine: 'COVISHIELD', fee: '780' },
  ]);
  t.like(hinduja.sessions[0], { min_age_limit: 45, max_age_limit: 59, allow_all_age: false, vaccine: 'COVAXIN' });
  t.false(
    centres.some((c: { sessions: unknown[] }) => c.sessions.length === 0),
    'centres without sessions are left out',
  );
});

test('findByDistrict and findByPin: one flat row per session that day, with the fee as a string', async (t) => {
  const byDistrict = await get(`/appointment/sessions/public/findByDistrict?district_id=395&date=${cowinDate(sessionDay)}`);
  t.is(byDistrict.status, 200, byDistrict.text);
  const row = byDistrict.json().sessions.find((s: { session_id: string }) => s.session_id === hindujaSession);
  t.deepEqual(Object.keys(row), [
    ...CENTRE_FIELDS,
    'session_id',
    'date',
    'available_capacity',
    'available_capacity_dose1',
    'available_capacity_dose2',
    'fee',
    'min_age_limit',
    'max_age_limit',
    'allow_all_age',
    'vaccine',
    'slots',
  ]);
  t.like(row, { center_id: HINDUJA, pincode: 400016, fee: '1410', date: cowinDate(sessionDay), available_capacity: 54 });

  const byPin = await get(`/appointment/sessions/public/findByPin?pincode=400012&date=${cowinDate(sessionDay)}`);
  t.deepEqual(
    byPin.json().sessions.map((s: { center_id: number; fee: string }) => [s.center_id, s.fee]),
    [[KEM, '0']],
  );
  const otherDay = await get(`/appointment/sessions/public/findByPin?pincode=400012&date=${cowinDate(dayFromToday(app, 'in', 3))}`);
  t.deepEqual(otherDay.json().sessions, [], 'only the day asked for');
  const unknownPin = await get(`/appointment/sessions/public/findByPin?pincode=999999&date=${cowinDate(sessionDay)}`);
  t.deepEqual(unknownPin.json(), { sessions: [] });
});

test('calendarByCenter answers one object; *_l fields carry translations when Accept-Language is sent', async (t) => {
  const response = await get(`/appointment/sessions/public/calendarByCenter?center_id=${KEM}&date=${cowinDate(sessionDay)}`, {
    'Accept-Language': 'hi_IN',
  });
  t.is(response.status, 200, response.text);
  const centre = response.json().centers;
  t.false(Array.isArray(centre));
  t.is(centre.center_id, KEM);
  t.is(centre.name, 'KEM Hospital, Parel', 'English names stay');
  t.is(centre.name_l, 'केईएम अस्पताल, परेल');
  for (const field of ['address_l', 'state_name_l', 'district_name_l', 'block_name_l']) t.is(typeof centre[field], 'string', field);
  const none = await get(`/appointment/sessions/public/calendarByCenter?center_id=999999&date=${cowinDate(sessionDay)}`);
  t.deepEqual(none.json(), { centers: {} });
});

test('findByLatLong: strings for pincode and 8-decimal coordinates, nearest first', async (t) => {
  const response = await get('/appointment/centers/public/findByLatLong?lat=19.0024&long=72.8424');
  t.is(response.status, 200, response.text);
  const [nearest] = response.json().centers;
  t.deepEqual(nearest, {
    center_id: KEM,
    name: 'KEM Hospital, Parel',
    district_name: 'Mumbai',
    state_name: 'Maharashtra',
    location: 'Acharya Donde Marg, Parel, Mumbai',
    pincode: '400012',
    block_name: '',
    lat: '19.00240000',
    long: '72.84240000',
  });
  t.is(response.json().ttl, 24);
});

test('bad input gets Co-WIN’s 400 {errorCode, error}, never a 500', async (t) => {
  for (const path of [
    '/appointment/sessions/public/findByDistrict?date=01-01-2030',
    '/appointment/sessions/public/findByDistrict?district_id=395',
    '/appointment/sessions/public/findByDistrict?district_id=395&date=2030-01-01',
    '/appointment/sessions/public/findByDistrict?district_id=395&date=30-02-2030',
    '/appointment/sessions/public/calendarByPin?pincode=&date=01-01-2030',
    '/appointment/sessions/public/calendarByCenter?center_id=-1&date=01-01-2030',
    '/appointment/centers/public/findByLatLong?lat=91&long=72',
    '/appointment/centers/public/findByLatLong?lat=abc&long=72',
  ]) {
    const response = await get(path);
    t.is(response.status, 400, `${path}: ${response.text}`);
    t.is(response.json().errorCode, 'USRRES0001', path);
    t.is(typeof response.json().error, 'string');
  }
  const hindi = await get('/appointment/sessions/public/findByDistrict?date=01-01-2030', { 'Accept-Language': 'hi_IN' });
  t.regex(hindi.json().error, /[\u0900-\u097F]/, 'the message in the client’s language');
});

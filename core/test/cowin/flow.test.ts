import { createHash, randomInt } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday } from '../support/scheduling.js';

/**
 * A client written for Co-WIN, pointed at two countries' Teeka, using only Co-WIN's paths: OTP
 * from the outbox -> token -> add a beneficiary -> search -> captcha -> schedule -> beneficiaries
 * show the appointment -> reschedule -> cancel. Every answer is checked against the typed field
 * lists of shared/reference/cowin-api.md, written out here from the reference (not from our output).
 */
process.env.TEEKA_IN_ADMIN_PASSWORD = 'test-admin-password-cowin-flow';
process.env.TEEKA_MX_ADMIN_PASSWORD = 'test-admin-password-cowin-flow';

type Kind = 'int' | 'num' | 'str' | 'bool' | 'str[]';
interface Shape {
  [field: string]: Kind | Shape | [Shape];
}

// The reference's "Typed field lists". `?` marks fields that may be absent.
const CENTRE: Shape = {
  center_id: 'int',
  name: 'str',
  address: 'str',
  state_name: 'str',
  district_name: 'str',
  block_name: 'str',
  pincode: 'int',
  lat: 'int',
  long: 'int',
  from: 'str',
  to: 'str',
  fee_type: 'str',
};
const CALENDAR_SESSION: Shape = {
  session_id: 'str',
  date: 'str',
  available_capacity: 'num',
  min_age_limit: 'int',
  'max_age_limit?': 'int',
  allow_all_age: 'bool',
  vaccine: 'str',
  slots: 'str[]',
  available_capacity_dose1: 'int',
  available_capacity_dose2: 'int',
};
const CALENDAR_CENTRE: Shape = { ...CENTRE, sessions: [CALENDAR_SESSION], 'vaccine_fees?': [{ vaccine: 'str', fee: 'str' }] };
const SHAPES = {
  states: { states: [{ state_id: 'int', state_name: 'str', 'state_name_l?': 'str' }], ttl: 'int' } as Shape,
  districts: {
    districts: [{ district_id: 'int', district_name: 'str', 'state_id?': 'int', 'district_name_l?': 'str' }],
    ttl: 'int',
  } as Shape,
  calendar: { centers: [CALENDAR_CENTRE] } as Shape,
  calendarByCenter: { centers: CALENDAR_CENTRE } as Shape,
  findBy: { sessions: [{ ...CENTRE, ...CALENDAR_SESSION, fee: 'str' }] } as Shape,
  findByLatLong: {
    centers: [
      {
        center_id: 'int',
        name: 'str',
        district_name: 'str',
        state_name: 'str',
        location: 'str',
        pincode: 'str',
        block_name: 'str',
        lat: 'str',
        long: 'str',
      },
    ],
    ttl: 'int',
  } as Shape,
  beneficiaries: {
    beneficiaries: [
      {
        beneficiary_reference_id: 'str',
        name: 'str',
        birth_year: 'str',
        gender: 'str',
        mobile_number: 'str',
        photo_id_type: 'str',
        photo_id_number: 'str',
        comorbidity_ind: 'str',
        vaccination_status: 'str',
        vaccine: 'str',
        dose1_date: 'str',
        dose2_date: 'str',
        appointments: [{ ...CENTRE, appointment_id: 'str', session_id: 'str', date: 'str', slot: 'str', dose: 'int' }],
      },
    ],
  } as Shape,
  txn: { txnId: 'str' } as Shape,
  token: { token: 'str' } as Shape,
  schedule: { appointment_confirmation_no: 'str', appointment_id: 'str' } as Shape,
};

/** Checks a value against a shape: every field present with its JSON type; *_l translations allowed beside. */
function conforms(t: ExecutionContext, value: unknown, shape: Shape, at: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    t.fail(`${at}: not an object`);
    return;
  }
  const object = value as Record<string, unknown>;
  for (const [rawKey, kind] of Object.entries(shape)) {
    const optional = rawKey.endsWith('?');
    const key = optional ? rawKey.slice(0, -1) : rawKey;
    const field = object[key];
    const path = `${at}.${key}`;
    if (field === undefined) {
      if (!optional) t.fail(`${path}: missing`);
      continue;
    }
    if (Array.isArray(kind)) {
      if (!Array.isArray(field)) t.fail(`${path}: not an array`);
      else for (const [index, item] of field.entries()) conforms(t, item, kind[0], `${path}[${index}]`);
    } else if (typeof kind === 'object') conforms(t, field, kind, path);
    else {
      const ok =
        kind === 'int'
          ? Number.isInteger(field)
          : kind === 'num'
            ? typeof field === 'number'
            : kind === 'str'
              ? typeof field === 'string'
              : kind === 'bool'
                ? typeof field === 'boolean'
                : Array.isArray(field) && field.every((item) => typeof item === 'string');
      if (!ok) t.fail(`${path}: ${JSON.stringify(field)} is not ${kind}`);
    }
  }
  const known = new Set(Object.keys(shape).map((key) => key.replace(/\?$/, '')));
  for (const key of Object.keys(object)) {
    if (!known.has(key) && !(key.endsWith('_l') && known.has(key.slice(0, -2)))) t.fail(`${at}.${key}: not in the reference`);
  }
}

interface Country {
  code: 'in' | 'mx';
  host: string;
  mobile: () => string;
  e164: (mobile: string) => string;
  facility: number;
  district: number;
  state: number;
  pincode: string;
  vaccine: string;
  lat: string;
  long: string;
  slots: [string, string];
}

const COUNTRIES: Country[] = [
  {
    code: 'in',
    host: 'in.localhost',
    mobile: () => `97${String(randomInt(0, 1e8)).padStart(8, '0')}`,
    e164: (m) => `+91${m}`,
    facility: 1002,
    district: 395,
    state: 21,
    pincode: '400008',
    vaccine: 'covishield',
    lat: '18.963',
    long: '72.8335',
    slots: ['09:00AM-11:00AM', '11:00AM-01:00PM'],
  },
  {
    code: 'mx',
    host: 'mx.localhost',
    mobile: () => `55${String(randomInt(0, 1e8)).padStart(8, '0')}`,
    e164: (m) => `+52${m}`,
    facility: 2001,
    district: 9015,
    state: 9,
    pincode: '06720',
    vaccine: 'comirnaty',
    lat: '19.4124',
    long: '-99.1525',
    slots: ['08:00AM-10:00AM', '10:00AM-12:00PM'],
  },
];

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'mx'] } });
});
test.after.always(async () => {
  await app?.stop();
});

const cowinDate = (iso: string) => `${iso.slice(8, 10)}-${iso.slice(5, 7)}-${iso.slice(0, 4)}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

for (const country of COUNTRIES) {
  test(`${country.code}: the whole citizen journey over Co-WIN's paths, every answer typed as the reference says`, async (t) => {
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      app.request(country.host, `/cowin/v2${path}`, { method, body, headers });

    // Staff open two sessions (native API): the client then finds them through Co-WIN's searches.
    const password = process.env[`TEEKA_${country.code.toUpperCase()}_ADMIN_PASSWORD`]!;
    const staff = await app.request(country.host, '/api/v1/staff/sign-in', { method: 'POST', body: { username: 'admin', password } });
    const sessions: string[] = [];
    for (const days of [3, 4]) {
      const created = await app.request(country.host, '/api/v1/staff/sessions', {
        method: 'POST',
        headers: bearer(staff.json().token),
        body: {
          facilityId: country.facility,
          date: dayFromToday(app, country.code, days),
          vaccine: country.vaccine,
          minAge: 18,
          slots: country.slots,
          capacities: [
            { dose: 1, online: 10 },
            { dose: 2, online: 10 },
          ],
        },
      });
      t.is(created.status, 201, created.text);
      sessions.push(created.json().id);
    }
    const day = cowinDate(dayFromToday(app, country.code, 3));

    // Public: the typed field lists.
    const states = await call('GET', '/admin/location/states', undefined, { 'Accept-Language': country.code === 'in' ? 'hi_IN' : 'es_MX' });
    conforms(t, states.json(), SHAPES.states, 'states');
    t.true(states.json().states.some((s: { state_id: number }) => s.state_id === country.state));
    const districts = await call('GET', `/admin/location/districts/${country.state}`);
    conforms(t, districts.json(), SHAPES.districts, 'districts');
    t.true(districts.json().districts.some((d: { district_id: number }) => d.district_id === country.district));
    for (const [path, shape] of [
      [`/appointment/sessions/public/findByPin?pincode=${country.pincode}&date=${day}`, SHAPES.findBy],
      [`/appointment/sessions/public/findByDistrict?district_id=${country.district}&date=${day}`, SHAPES.findBy],
      [`/appointment/sessions/public/calendarByPin?pincode=${country.pincode}&date=${day}`, SHAPES.calendar],
      [`/appointment/sessions/public/calendarByDistrict?district_id=${country.district}&date=${day}`, SHAPES.calendar],
      [`/appointment/sessions/public/calendarByCenter?center_id=${country.facility}&date=${day}`, SHAPES.calendarByCenter],
      [`/appointment/centers/public/findByLatLong?lat=${country.lat}&long=${country.long}`, SHAPES.findByLatLong],
    ] as const) {
      const response = await call('GET', path, undefined, { 'Accept-Language': 'en_US' });
      t.is(response.status, 200, `${path}: ${response.text}`);
      conforms(t, response.json(), shape, path);
    }

    // Sign in as the citizen web app did.
    const mobile = country.mobile();
    const generated = await call('POST', '/auth/generateMobileOTP', { mobile, secret: 'U2FsdGVkX19opaque' });
    conforms(t, generated.json(), SHAPES.txn, 'generateMobileOTP');
    const otp = await latestOtp(app, country.host, country.e164(mobile));
    const validated = await call('POST', '/auth/validateMobileOtp', { otp: sha256(otp), txnId: generated.json().txnId });
    conforms(t, validated.json(), SHAPES.token, 'validateMobileOtp');
    const auth = bearer(validated.json().token);

    // A beneficiary with the country's passport.
    const types = (await call('GET', '/registration/beneficiary/idTypes', undefined, auth)).json().types;
    const passport = types.find((type: { code: string }) => type.code === 'passport');
    const added = await call(
      'POST',
      '/registration/beneficiary/new',
      {
        name: country.code === 'in' ? 'Meera Nair' : 'María López',
        birth_year: '1975',
        gender_id: 2,
        photo_id_type: passport.id,
        photo_id_number: `N${String(randomInt(0, 1e7)).padStart(7, '0')}`,
        comorbidity_ind: 'N',
        consent_version: '1',
      },
      auth,
    );
    t.is(added.status, 200, added.text);
    const reference = added.json().beneficiary_reference_id;

    // Search as a signed-in client, with the vaccine filter.
    const search = await call(
      'GET',
      `/appointment/sessions/calendarByDistrict?district_id=${country.district}&date=${day}&vaccine=${country.vaccine.toUpperCase()}`,
      undefined,
      auth,
    );
    t.is(search.status, 200, search.text);
    conforms(t, search.json(), SHAPES.calendar, 'calendarByDistrict (signed in)');
    const centre = search.json().centers.find((c: { center_id: number }) => c.center_id === country.facility);
    const session = centre.sessions.find((s: { session_id: string }) => s.session_id === sessions[0]);
    t.truthy(session, 'the session is found');

    const captcha = await call('POST', '/auth/getRecaptcha', {}, auth);
    t.regex(captcha.json().captcha, /^<svg/);
    const scheduled = await call(
      'POST',
      '/appointment/schedule',
      { dose: 1, session_id: session.session_id, slot: session.slots[0], beneficiaries: [reference], captcha: 'anything' },
      auth,
    );
    t.is(scheduled.status, 200, scheduled.text);
    conforms(t, scheduled.json(), SHAPES.schedule, 'schedule');

    const listed = await call('GET', '/appointment/beneficiaries', undefined, auth);
    conforms(t, listed.json(), SHAPES.beneficiaries, 'beneficiaries');
    t.like(listed.json().beneficiaries[0].appointments[0], {
      appointment_id: scheduled.json().appointment_id,
      session_id: sessions[0],
      dose: 1,
    });

    const moved = await call(
      'POST',
      '/appointment/reschedule',
      { appointment_id: scheduled.json().appointment_id, session_id: sessions[1], slot: country.slots[1] },
      auth,
    );
    t.is(moved.status, 204, moved.text);
    const afterMove = (await call('GET', '/appointment/beneficiaries', undefined, auth)).json().beneficiaries[0].appointments[0];
    t.like(afterMove, { session_id: sessions[1], slot: country.slots[1] });
    const cancelled = await call(
      'POST',
      '/appointment/cancel',
      { appointment_id: afterMove.appointment_id, beneficiariesToCancel: [reference] },
      auth,
    );
    t.is(cancelled.status, 204, cancelled.text);
    t.deepEqual((await call('GET', '/appointment/beneficiaries', undefined, auth)).json().beneficiaries[0].appointments, []);

    // Every /cowin error in Co-WIN's shape, including a path it never had.
    const unknown = await call('GET', '/no/such/endpoint');
    t.is(unknown.status, 404);
    t.deepEqual(Object.keys(unknown.json()), ['errorCode', 'error']);
    t.is((await call('GET', '/appointment/beneficiaries')).text, 'Unauthenticated access!');
  });
}

test('signed-in searches are limited per login (20 by default), then 429 in Co-WIN’s shape', async (t) => {
  const country = COUNTRIES[0];
  const call = (path: string, headers: Record<string, string>) => app.request(country.host, `/cowin/v2${path}`, { headers });
  const mobile = country.mobile();
  const generated = await app.request(country.host, '/cowin/v2/auth/public/generateOTP', { method: 'POST', body: { mobile } });
  const otp = await latestOtp(app, country.host, country.e164(mobile));
  const token = (
    await app.request(country.host, '/cowin/v2/auth/public/confirmOTP', {
      method: 'POST',
      body: { otp: sha256(otp), txnId: generated.json().txnId },
    })
  ).json().token;
  const day = cowinDate(dayFromToday(app, 'in', 1));
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++)
    statuses.push((await call(`/appointment/sessions/findByPin?pincode=400008&date=${day}`, bearer(token))).status);
  t.deepEqual(statuses.slice(0, 20), Array(20).fill(200));
  const limited = await call(`/appointment/sessions/findByPin?pincode=400008&date=${day}`, bearer(token));
  t.is(limited.status, 429);
  t.deepEqual(Object.keys(limited.json()), ['errorCode', 'error']);
  t.truthy(limited.headers['retry-after']);
});

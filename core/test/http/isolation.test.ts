import { createHash } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { certificateNumber, certificatePath, giveDose } from '../certificates/certificate-helpers.js';
import { staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { makeCitizens } from '../support/scheduling.js';
import { book, KEM, sessionToday, stockAt } from '../vaccination/centre-helpers.js';

const PASSWORDS = { in: 'test-admin-password-isolation-in', mx: 'test-admin-password-isolation-mx' };
process.env.TEEKA_IN_ADMIN_PASSWORD = PASSWORDS.in;
process.env.TEEKA_MX_ADMIN_PASSWORD = PASSWORDS.mx;

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('a message written through one tenant is invisible to the others', async (t) => {
  const sent = await app.request('in.localhost', '/dev/sms', { method: 'POST', body: { to: '+919812345678', text: 'India only' } });
  t.is(sent.status, 202);

  const india = (await app.request('in.localhost', '/dev/outbox')).json<{ to: string; text: string }[]>();
  t.true(india.some((m) => m.text === 'India only' && m.to === '+919812345678'));
  for (const code of ['mx', 'ae']) {
    const other = await app.request(`${code}.localhost`, '/dev/outbox');
    t.is(other.status, 200);
    t.false(
      other.json<{ text: string }[]>().some((m) => m.text === 'India only'),
      `${code} must not see India's message`,
    );
  }
});

test.serial('each tenant has its own database, named after the tenant with the run prefix', async (t) => {
  const names = app.platform.tenants.all.map((tenant) => tenant.database).sort();
  t.deepEqual(
    names,
    ['ae', 'in', 'mx', 'ng', 'pe', 'ua'].map((code) => `${app.settings.databasePrefix}${code}`),
  );
  await app.request('mx.localhost', '/dev/sms', { method: 'POST', body: { to: '+525512345678', text: 'Hola' } });
  const client = new pg.Client({ connectionString: app.platform.database.urlFor(`${app.settings.databasePrefix}ae`) });
  await client.connect();
  try {
    const rows = await client.query("select count(*)::int as n from plugin_record where data->>'text' = 'Hola'");
    t.is(rows.rows[0].n, 0);
  } finally {
    await client.end();
  }
});

test.serial('the outbox is a top-level array, newest first, with full E.164 numbers and UTC timestamps', async (t) => {
  for (const text of ['first', 'second', 'third']) {
    await app.request('ae.localhost', '/dev/sms', { method: 'POST', body: { to: '+971501234567', text } });
  }
  const outbox = (await app.request('ae.localhost', '/dev/outbox')).json<{ to: string; text: string; createdAt: string }[]>();
  t.true(Array.isArray(outbox));
  t.deepEqual(
    outbox.slice(0, 3).map((m) => m.text),
    ['third', 'second', 'first'],
  );
  t.is(outbox[0].to, '+971501234567');
  t.regex(outbox[0].createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  t.deepEqual(Object.keys(outbox[0]).sort(), ['createdAt', 'text', 'to']);
});

test.serial('a test message with a bad number or empty text is refused and nothing is stored', async (t) => {
  const before = (await app.request('mx.localhost', '/dev/outbox')).json<unknown[]>().length;
  const response = await app.request('mx.localhost', '/dev/sms', { method: 'POST', body: { to: '5512345678', text: '' } });
  t.is(response.status, 422);
  t.is(response.headers['content-type'], 'application/problem+json');
  t.deepEqual(
    response.json().errors.map((e: { path: string }) => e.path),
    ['/to', '/text'],
  );
  t.is((await app.request('mx.localhost', '/dev/outbox')).json<unknown[]>().length, before);
});

/** A Co-WIN client's bearer token, through Co-WIN's own sign-in (the OTP sent hashed). */
async function cowinToken(host: string, mobile: string, e164: string): Promise<string> {
  const generated = await app.request(host, '/cowin/v2/auth/generateMobileOTP', {
    method: 'POST',
    body: { mobile, secret: 'U2FsdGVkX19opaque' },
  });
  const otp = createHash('sha256')
    .update(await latestOtp(app, host, e164))
    .digest('hex');
  const validated = await app.request(host, '/cowin/v2/auth/validateMobileOtp', {
    method: 'POST',
    body: { otp, txnId: generated.json().txnId },
  });
  if (validated.status !== 200) throw new Error(`cowin sign-in: ${validated.status} ${validated.text}`);
  return validated.json().token;
}

test.serial('under attack: tokens, cookies and ids of one tenant are refused by another, both ways, with no data', async (t) => {
  // India (A): a citizen with a certificate, another with an appointment, staff, a Co-WIN client.
  const admin = await staffSignIn(app, 'admin', PASSWORDS.in);
  const desk = await staffWith(app, admin, 'vaccinator-isolation', 'vaccinator', 'facility', String(KEM));
  const batch = await stockAt(app, admin, KEM, 10);
  const [vaccinated, booked] = await makeCitizens(app, 'in', [[1980], [1985]]);
  await giveDose(app, desk, admin, vaccinated, batch);
  const certificate = await certificateNumber(app, vaccinated, 1);
  const appointment = await book(app, booked, await sessionToday(app, admin, KEM));
  const cowinIn = await cowinToken('in.localhost', '9811177001', '+919811177001');
  // Mexico (B): a citizen and staff.
  const [mexican] = await makeCitizens(app, 'mx', [[1990]]);
  const mxStaff = await app.request('mx.localhost', '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: PASSWORDS.mx },
  });
  const mxAdmin = bearer(mxStaff.json().token);
  const cowinMx = await cowinToken('mx.localhost', '5512377001', '+525512377001');

  // Each is good at home.
  t.is((await app.request('in.localhost', certificatePath(certificate.certificateId), { headers: bearer(vaccinated.token) })).status, 200);
  t.is((await app.request('in.localhost', '/cowin/v2/appointment/beneficiaries', { headers: bearer(cowinIn) })).status, 200);
  t.is((await app.request('mx.localhost', '/api/v1/staff/users', { headers: mxAdmin })).status, 200);

  const secrets = [
    certificate.certificateId,
    appointment.id,
    vaccinated.beneficiaries[0].referenceId,
    booked.beneficiaries[0].referenceId,
    mexican.beneficiaries[0].referenceId,
  ];
  const attempts: {
    what: string;
    host: string;
    path: string;
    method?: string;
    headers: Record<string, string>;
    body?: unknown;
    refused: number[];
  }[] = [
    // India's credentials at Mexico.
    { what: 'A citizen token', host: 'mx.localhost', path: '/api/v1/beneficiaries', headers: bearer(booked.token), refused: [401] },
    {
      what: 'A citizen cookie',
      host: 'mx.localhost',
      path: '/api/v1/appointments',
      headers: { Cookie: `teeka_session=${booked.token}` },
      refused: [401],
    },
    { what: 'A staff token', host: 'mx.localhost', path: '/api/v1/staff/users', headers: admin, refused: [401] },
    {
      what: 'A staff cookie',
      host: 'mx.localhost',
      path: '/api/v1/staff/users',
      headers: { Cookie: `teeka_staff=${admin.Authorization.slice(7)}` },
      refused: [401],
    },
    {
      what: 'A vaccinator token',
      host: 'mx.localhost',
      path: `/api/v1/staff/vaccination/appointments/${appointment.id}/arrival`,
      method: 'POST',
      body: {},
      headers: desk,
      refused: [401],
    },
    { what: 'A Co-WIN token', host: 'mx.localhost', path: '/cowin/v2/appointment/beneficiaries', headers: bearer(cowinIn), refused: [401] },
    // India's ids at Mexico, with Mexico's own valid credentials.
    {
      what: 'A certificate id',
      host: 'mx.localhost',
      path: certificatePath(certificate.certificateId),
      headers: bearer(mexican.token),
      refused: [403, 404],
    },
    {
      what: 'A certificate id, anonymous',
      host: 'mx.localhost',
      path: certificatePath(certificate.certificateId),
      headers: {},
      refused: [401, 403, 404],
    },
    {
      what: 'A certificate file',
      host: 'mx.localhost',
      path: certificatePath(certificate.certificateId, '/certificate.pdf'),
      headers: bearer(mexican.token),
      refused: [403, 404],
    },
    {
      what: 'A appointment id',
      host: 'mx.localhost',
      path: `/api/v1/appointments/${appointment.id}`,
      method: 'DELETE',
      headers: bearer(mexican.token),
      refused: [404],
    },
    {
      what: 'A appointment at B staff',
      host: 'mx.localhost',
      path: `/api/v1/staff/vaccination/appointments/${appointment.id}/arrival`,
      method: 'POST',
      body: {},
      headers: mxAdmin,
      refused: [403, 404],
    },
    {
      what: 'A beneficiary id',
      host: 'mx.localhost',
      path: `/api/v1/beneficiaries/${booked.beneficiaries[0].referenceId}`,
      headers: bearer(mexican.token),
      refused: [404],
    },
    {
      what: 'A beneficiary deleted',
      host: 'mx.localhost',
      path: `/api/v1/beneficiaries/${booked.beneficiaries[0].referenceId}`,
      method: 'DELETE',
      headers: bearer(mexican.token),
      refused: [404],
    },
    {
      what: 'A beneficiary booked',
      host: 'mx.localhost',
      path: '/api/v1/appointments',
      method: 'POST',
      headers: bearer(mexican.token),
      body: { sessionId: appointment.id, slot: '09:00AM-01:00PM', beneficiaries: [booked.beneficiaries[0].referenceId] },
      refused: [404, 409, 422],
    },
    // Mexico's credentials and ids at India.
    { what: 'B citizen token', host: 'in.localhost', path: '/api/v1/beneficiaries', headers: bearer(mexican.token), refused: [401] },
    { what: 'B staff token', host: 'in.localhost', path: '/api/v1/staff/users', headers: mxAdmin, refused: [401] },
    {
      what: 'B staff cookie',
      host: 'in.localhost',
      path: '/api/v1/staff/users',
      headers: { Cookie: `teeka_staff=${mxAdmin.Authorization.slice(7)}` },
      refused: [401],
    },
    { what: 'B Co-WIN token', host: 'in.localhost', path: '/cowin/v2/appointment/beneficiaries', headers: bearer(cowinMx), refused: [401] },
    {
      what: 'B beneficiary id',
      host: 'in.localhost',
      path: `/api/v1/beneficiaries/${mexican.beneficiaries[0].referenceId}`,
      headers: bearer(booked.token),
      refused: [404],
    },
    {
      what: 'B beneficiary deleted',
      host: 'in.localhost',
      path: `/api/v1/beneficiaries/${mexican.beneficiaries[0].referenceId}`,
      method: 'DELETE',
      headers: bearer(booked.token),
      refused: [404],
    },
  ];
  for (const attempt of attempts) {
    const response = await app.request(attempt.host, attempt.path, {
      method: attempt.method,
      headers: attempt.headers,
      body: attempt.body,
    });
    t.true(attempt.refused.includes(response.status), `${attempt.what}: ${response.status} ${response.text.slice(0, 200)}`);
    // The request's own path (problem+json `instance`) may come back; nothing else of the other tenant.
    for (const secret of secrets.filter((id) => !attempt.path.includes(id))) {
      t.false(response.text.includes(secret), `${attempt.what}: the answer holds no id of the other tenant`);
    }
  }

  // Nothing moved: the appointment, the beneficiaries and the certificate are as they were at home.
  const mine = await app.request('in.localhost', '/api/v1/appointments', { headers: bearer(booked.token) });
  t.like(
    mine.json().appointments.find((a: { id: string }) => a.id === appointment.id),
    { state: 'booked' },
  );
  t.is(
    (await app.request('in.localhost', `/api/v1/beneficiaries/${booked.beneficiaries[0].referenceId}`, { headers: bearer(booked.token) }))
      .status,
    200,
  );
  t.is(
    (await app.request('mx.localhost', `/api/v1/beneficiaries/${mexican.beneficiaries[0].referenceId}`, { headers: bearer(mexican.token) }))
      .status,
    200,
  );
});

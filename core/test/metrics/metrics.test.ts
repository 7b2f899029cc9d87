import test from 'ava';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-metrics';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001;

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
});
test.after.always(async () => {
  await app?.stop();
});

/** The value of one series in Prometheus' text format, found by name and (a subset of) its labels. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const response = await app.request('localhost', '/metrics');
  if (response.status !== 200) throw new Error(`/metrics: ${response.status} ${response.text}`);
  return response.text;
}

test.serial('after a booking and an OTP, /metrics counts them per tenant, with route templates and queue depths', async (t) => {
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const admin = bearer(signIn.json().token);
  const session = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId: KEM,
      date: dayFromToday(app, 'in', 3),
      vaccine: 'covishield',
      minAge: 18,
      slots: ['09:00AM-11:00AM'],
      capacities: [{ dose: 1, online: 1 }],
    },
  });
  t.is(session.status, 201, session.text);
  const sessionId = session.json().id as string;
  const [first, second] = await makeCitizens(app, 'in', [[1980], [1981]]);
  const book = (citizen: typeof first) =>
    app.request(HOST, '/api/v1/appointments', {
      method: 'POST',
      headers: bearer(citizen.token),
      body: { sessionId, slot: '09:00AM-11:00AM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
    });
  const booked = await book(first);
  t.is(booked.status, 201, booked.text);
  t.is((await book(second)).status, 409, 'the one place is taken');
  const appointmentId = booked.json().appointments[0].id as string;
  t.is((await app.request(HOST, `/api/v1/appointments/${appointmentId}`, { method: 'DELETE', headers: bearer(first.token) })).status, 200);

  const otp = await app.request(HOST, '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100077' } });
  t.is(otp.status, 200, otp.text);
  t.regex(await latestOtp(app, HOST, '+919811100077'), /^\d{6}$/);
  t.is((await app.request(HOST, '/api/v1/no/such/thing')).status, 404);

  const text = await scrape();
  t.is(sample(text, 'bookings_total', { tenant: 'in', outcome: 'booked' }), 1);
  t.is(sample(text, 'bookings_total', { tenant: 'in', outcome: 'full' }), 1);
  t.is(sample(text, 'otp_sms_total', { tenant: 'in', gateway: 'dev-outbox', purpose: 'otp', outcome: 'sent' }), 1);
  t.is(sample(text, 'http_requests_total', { tenant: 'in', method: 'POST', route: '/api/v1/appointments', status: '201' }), 1);
  t.is(sample(text, 'http_requests_total', { tenant: 'in', method: 'POST', route: '/api/v1/appointments', status: '409' }), 1);
  t.is(
    sample(text, 'http_requests_total', { tenant: 'in', method: 'DELETE', route: '/api/v1/appointments/:id', status: '200' }),
    1,
    'the route is the template, not the URL',
  );
  t.false(text.includes(appointmentId), 'no raw URL in any label');
  t.is(sample(text, 'http_requests_total', { tenant: 'in', method: 'GET', route: 'unmatched', status: '404' }), 1);
  t.is(sample(text, 'http_request_duration_seconds_count', { tenant: 'in', method: 'POST', route: '/api/v1/auth/otp' }), 1);
  t.true((sample(text, 'http_request_duration_seconds_bucket', { tenant: 'in', route: '/api/v1/auth/otp', le: '+Inf' }) ?? 0) >= 1);
  t.not(sample(text, 'job_queue_depth', { tenant: 'in' }), undefined, 'each queue of the tenant has a depth');
  t.not(sample(text, 'process_cpu_user_seconds_total', {}), undefined, 'default process metrics');
  t.regex(text, /# TYPE certificates_issued_total counter/);
});

test.serial('/metrics is on the platform host only: a tenant host does not have it, an unknown host is a 404', async (t) => {
  const tenant = await app.request(HOST, '/metrics');
  t.is(tenant.status, 404);
  t.false(tenant.text.includes('http_requests_total'));
  const unknown = await app.request('unknown.example', '/metrics');
  t.is(unknown.status, 404);
  t.false(unknown.text.includes('http_requests_total'));
});

import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import test from 'ava';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

/**
 * Tenant options of the Co-WIN API: the public per-IP limit (429 with Retry-After) and the
 * captcha on schedule (APPOIN0044 on a wrong or missing answer).
 */
const paths = projectCopy({
  tenants: {
    in: (yaml) => `${yaml.replace('limits:\n', 'limits:\n  rateLimits: { publicApiPerIpPer5Minutes: 3 }\n')}\ncowin:\n  captcha: true\n`,
  },
});
let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], paths } });
});
test.after.always(async () => {
  await app?.stop();
  rmSync(paths.root, { recursive: true, force: true });
});

test('past the tenant’s per-IP limit a client gets 429 with Retry-After, in Co-WIN’s error shape', async (t) => {
  const statuses: number[] = [];
  let last: Awaited<ReturnType<TestPlatform['request']>> | undefined;
  for (let i = 0; i < 5; i++) {
    last = await app.request('in.localhost', '/cowin/v2/admin/location/states');
    statuses.push(last.status);
  }
  t.deepEqual(statuses, [200, 200, 200, 429, 429]);
  const retryAfter = Number(last!.headers['retry-after']);
  t.true(retryAfter >= 1 && retryAfter <= 300, `Retry-After ${retryAfter}`);
  t.is(last!.json().errorCode, 'USRRES0429');
  t.is(typeof last!.json().error, 'string');
  // The native API is not counted against it.
  t.is((await app.request('in.localhost', '/api/v1/areas?level=state')).status, 200);
});

test('with the captcha on, schedule refuses a wrong or missing answer with APPOIN0044', async (t) => {
  const mobile = '9811122233';
  const generated = await app.request('in.localhost', '/cowin/v2/auth/generateMobileOTP', {
    method: 'POST',
    body: { mobile, secret: 'x' },
  });
  const otp = await latestOtp(app, 'in.localhost', `+91${mobile}`);
  const digest = createHash('sha256').update(otp).digest('hex');
  const { token } = (
    await app.request('in.localhost', '/cowin/v2/auth/validateMobileOtp', {
      method: 'POST',
      body: { otp: digest, txnId: generated.json().txnId },
    })
  ).json();
  const schedule = (captcha?: string) =>
    app.request('in.localhost', '/cowin/v2/appointment/schedule', {
      method: 'POST',
      headers: bearer(token),
      body: {
        dose: 1,
        session_id: '00000000-0000-4000-8000-000000000001',
        slot: '09:00AM-11:00AM',
        beneficiaries: ['12345678901234'],
        captcha,
      },
    });
  const svg = await app.request('in.localhost', '/cowin/v2/auth/getRecaptcha', { method: 'POST', headers: bearer(token), body: {} });
  t.regex(svg.json().captcha, /^<svg[\s\S]*<\/svg>$/);
  for (const answer of [undefined, 'wrong']) {
    const refused = await schedule(answer);
    t.is(refused.status, 400);
    t.deepEqual(refused.json(), { errorCode: 'APPOIN0044', error: 'Please enter valid security code' });
  }
});

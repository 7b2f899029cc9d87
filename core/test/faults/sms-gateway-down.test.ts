import test from 'ava';
import { latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { assertProblem, rawRequest } from './fault-helpers.js';

/**
 * SMS gateways that do not answer or refuse, as a citizen asking for a sign-in code meets them:
 * India's primary gateway hangs (the development outbox is its fallback), Nigeria's only gateway
 * hangs once then recovers, Mexico's only gateway refuses everything. The citizen always gets a
 * clear answer within a bound; every message is recorded with its outcome and counted.
 */
const ATTEMPT_TIMEOUT_MS = 400;
const BOUND_MS = 4_000;
const PASSWORDS = {
  in: 'test-admin-password-faults-sms-in',
  ng: 'test-admin-password-faults-sms-ng',
  mx: 'test-admin-password-faults-sms-mx',
};
for (const [code, password] of Object.entries(PASSWORDS)) process.env[`TEEKA_${code.toUpperCase()}_ADMIN_PASSWORD`] = password;

let app: TestPlatform;
test.before(async () => {
  const paths = projectCopy({
    fixtures: ['slow-sms', 'scripted-sms'],
    tenants: {
      in: (yaml) => yaml.replace('  sms:\n    id: dev-outbox\n', '  sms:\n    id: slow-sms\n  smsFallback:\n    id: dev-outbox\n'),
      ng: (yaml) => yaml.replace('  sms:\n    id: dev-outbox\n', '  sms:\n    id: slow-sms\n    config: { hangFirst: 1 }\n'),
      mx: (yaml) => yaml.replace('  sms:\n    id: dev-outbox\n', '  sms:\n    id: scripted-sms\n    config: { failFirst: 1000 }\n'),
    },
  });
  app = await startTestPlatform({ settings: { paths, tenantCodes: ['in', 'ng', 'mx'] } });
  for (const code of ['in', 'ng', 'mx']) {
    // Short timeouts keep the test quick; the behaviour is the same with the defaults.
    Object.assign(app.platform.tenants.byCode(code)!.config.limits.sms, {
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      backoffMs: 5,
      deadlineMs: 3_000,
    });
  }
});
test.after.always(async () => {
  await app?.stop();
});

const askOtp = (code: string, mobile: string, language = 'en') =>
  rawRequest(app.platform.port, `${code}.localhost`, '/api/v1/auth/otp', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Accept-Language': language },
    body: JSON.stringify({ mobile }),
    timeoutMs: 30_000,
  });

async function staffMessages(code: keyof typeof PASSWORDS) {
  const signIn = await app.request(`${code}.localhost`, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: PASSWORDS[code] },
  });
  const answer = await app.request(`${code}.localhost`, '/api/v1/staff/sms', {
    headers: { Authorization: `Bearer ${signIn.json().token}` },
  });
  return answer.json().messages as { purpose: string; state: string; gateway: string; attempts: number; lastError: string | null }[];
}

test.serial('a primary gateway that never answers is given up in time and the code goes out through the fallback', async (t) => {
  const answer = await askOtp('in', '9811100021');
  t.is(answer.status, 200, answer.text);
  t.true(answer.ms < BOUND_MS, `answered in ${answer.ms} ms`);
  t.regex(await latestOtp(app, 'in.localhost', '+919811100021'), /^\d{6}$/);
  const [message] = await staffMessages('in');
  t.like(message, { purpose: 'otp', state: 'sent', gateway: 'dev-outbox', attempts: 2 });
});

test.serial(
  'the only gateway silent: a clear localised "try later" in time, recorded and counted; once it answers, codes go out',
  async (t) => {
    const answer = await askOtp('ng', '0803 123 4567', 'en');
    assertProblem(t, answer, 503, 'sms-unavailable', 'gateway silent');
    t.true(answer.ms < BOUND_MS, `answered in ${answer.ms} ms`);
    t.true(Number(answer.headers['retry-after']) >= 1, 'says when to try again');
    const [failed] = await staffMessages('ng');
    t.like(failed, { purpose: 'otp', state: 'failed', gateway: 'slow-sms', attempts: 1 });
    t.regex(failed.lastError ?? '', /timeout/);

    const again = await askOtp('ng', '0803 123 4567');
    t.is(again.status, 200, 'the gateway answers again: the citizen asks again and the code is sent');
    t.like((await staffMessages('ng'))[0], { state: 'sent', gateway: 'slow-sms' });
    const metrics = await app.request('localhost', '/metrics');
    t.regex(metrics.text, /otp_sms_total\{[^}]*tenant="ng"[^}]*gateway="slow-sms"[^}]*outcome="failed"[^}]*\} 1/);
  },
);

test.serial(
  'the only gateway refusing: 503 sms-unavailable in the citizen’s language with Retry-After, nothing lost silently',
  async (t) => {
    const answer = await askOtp('mx', '5512345678', 'es');
    const body = assertProblem(t, answer, 503, 'sms-unavailable', 'gateway refusing');
    t.true(answer.ms < BOUND_MS, `answered in ${answer.ms} ms`);
    t.true(Number(answer.headers['retry-after']) >= 1);
    t.is(body.title, 'SMS no enviado', 'in Spanish');
    const cowin = await rawRequest(app.platform.port, 'mx.localhost', '/cowin/v2/auth/public/generateOTP', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mobile: '5512345679' }),
    });
    t.is(cowin.status, 503, `a Co-WIN client too: ${cowin.text}`);
    t.is(JSON.parse(cowin.text).errorCode, 'sms-unavailable');
    t.true(Number(cowin.headers['retry-after']) >= 1);
    const messages = await staffMessages('mx');
    t.is(messages.length, 2, 'each message is recorded');
    t.true(messages.every((m) => m.state === 'failed' && m.gateway === 'scripted-sms'));
    const metrics = await app.request('localhost', '/metrics');
    t.regex(metrics.text, /otp_sms_total\{[^}]*tenant="mx"[^}]*gateway="scripted-sms"[^}]*outcome="failed"[^}]*\} [1-9]/);
  },
);

import test from 'ava';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { bearer, latestOtp, signIn } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

const otpRequest = (host: string, mobile: string, headers: Record<string, string> = {}) =>
  app.request(host, '/api/v1/auth/otp', { method: 'POST', body: { mobile }, headers });
const confirm = (host: string, txnId: string, otp: string) =>
  app.request(host, '/api/v1/auth/otp/confirm', { method: 'POST', body: { txnId, otp } });

async function sql<T = Record<string, unknown>>(code: string, query: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: app.platform.database.urlFor(app.platform.tenants.byCode(code)!.database) });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

test.serial('India: a number typed the local way gets a Hindi SMS with six ASCII digits, and signs in', async (t) => {
  const generated = await otpRequest('in.localhost', '098765 43210', { 'Accept-Language': 'hi' });
  t.is(generated.status, 200);
  t.deepEqual(Object.keys(generated.json()), ['txnId']);
  const outbox = (await app.request('in.localhost', '/dev/outbox')).json<{ to: string; text: string }[]>();
  t.is(outbox[0].to, '+919876543210', 'normalised to E.164');
  t.regex(outbox[0].text, /^\d{6} आपका टीकाकरण साइन-इन कोड है/);
  const otp = await latestOtp(app, 'in.localhost', '+919876543210');
  const confirmed = await confirm('in.localhost', generated.json().txnId, otp);
  t.is(confirmed.status, 200);
  const { token, expiresAt } = confirmed.json();
  const claims = decodeJwt(token);
  t.is(claims.exp! - claims.iat!, 900, 'a 15-minute session');
  t.is(new Date(expiresAt).getTime(), claims.exp! * 1000);
  const list = await app.request('in.localhost', '/api/v1/beneficiaries', { headers: bearer(token) });
  t.is(list.status, 200);
});

test.serial('the OTP is stored only as a hash, and the number only as hash and ciphertext', async (t) => {
  await otpRequest('mx.localhost', '55 1234 5678');
  const otp = await latestOtp(app, 'mx.localhost', '+525512345678');
  const rows = await sql('mx', 'select * from otp_challenge');
  const dump = JSON.stringify(rows);
  t.false(dump.includes(otp));
  t.false(dump.includes('5512345678'));
  const accounts = JSON.stringify(await sql('mx', 'select * from account'));
  t.false(accounts.includes('5512345678'));
});

test.serial('asking again while a code is outstanding is refused with Retry-After; after sign-in it is allowed at once', async (t) => {
  const first = await otpRequest('ae.localhost', '050 123 4567');
  t.is(first.status, 200);
  const again = await otpRequest('ae.localhost', '+971501234567');
  t.is(again.status, 429);
  t.is(again.json().code, 'otp-cooldown');
  t.regex(again.json().title, /[\u0600-\u06FF]/, 'Arabic title for the UAE');
  const retryAfter = Number(again.headers['retry-after']);
  t.true(retryAfter > 0 && retryAfter <= 60);
  t.is((await confirm('ae.localhost', first.json().txnId, await latestOtp(app, 'ae.localhost', '+971501234567'))).status, 200);
  t.is((await otpRequest('ae.localhost', '0501234567')).status, 200, 'no cooldown after a confirmed sign-in');
});

test.serial(
  'each code sent has one SMS record, with the number masked and hashed as its challenge; a refused request has none',
  async (t) => {
    const count = async () =>
      (await sql<{ n: number }>('in', `select count(*)::int as n from sms_message where to_masked = '+91******1122'`))[0].n;
    t.is((await otpRequest('in.localhost', '9811001122')).status, 200);
    t.is((await otpRequest('in.localhost', '9811001122')).status, 429, 'cool-down');
    t.is(await count(), 1);
    const [record] = await sql<{ purpose: string; state: string; attempts: number; gateway: string; same_hash: boolean }>(
      'in',
      `select m.purpose, m.state, m.attempts, m.gateway,
            m.to_hash = (select phone_hash from otp_challenge order by created_at desc limit 1) as same_hash
       from sms_message m where m.to_masked = '+91******1122'`,
    );
    t.like(record, { purpose: 'otp', state: 'sent', attempts: 1, gateway: 'dev-outbox', same_hash: true });
  },
);

test.serial('wrong codes count down the attempts; after the limit even the right code is refused', async (t) => {
  const generated = await otpRequest('in.localhost', '9123456789');
  const txnId = generated.json().txnId;
  const right = await latestOtp(app, 'in.localhost', '+919123456789');
  const wrong = right === '000000' ? '111111' : '000000';
  for (let left = 4; left >= 0; left--) {
    const response = await confirm('in.localhost', txnId, wrong);
    t.is(response.status, 401);
    t.is(response.json().code, 'otp-invalid');
  }
  const locked = await confirm('in.localhost', txnId, right);
  t.is(locked.status, 429);
  t.is(locked.json().code, 'otp-attempts-exceeded');
  t.is((await otpRequest('in.localhost', '9123456789')).status, 200, 'a dead challenge holds no cooldown');
});

test.serial('an expired code is refused, and a code works once only', async (t) => {
  const generated = await otpRequest('in.localhost', '9000000001');
  const otp = await latestOtp(app, 'in.localhost', '+919000000001');
  await sql('in', "update otp_challenge set expires_at = now() - interval '1 second' where id = $1", [generated.json().txnId]);
  t.is((await confirm('in.localhost', generated.json().txnId, otp)).json().code, 'otp-expired');
  const second = await otpRequest('in.localhost', '9000000001');
  const code = await latestOtp(app, 'in.localhost', '+919000000001');
  t.is((await confirm('in.localhost', second.json().txnId, code)).status, 200);
  t.is((await confirm('in.localhost', second.json().txnId, code)).status, 401, 'replay refused');
});

test.serial('per-number and per-IP limits answer 429 with Retry-After, in PostgreSQL', async (t) => {
  const limits = app.platform.tenants.byCode('mx')!.config.limits;
  const saved = { ...limits.rateLimits, ...{} };
  limits.otp.resendCooldownSeconds = 0;
  limits.rateLimits.otpPerNumberPerHour = 2;
  try {
    t.is((await otpRequest('mx.localhost', '5587654321')).status, 200);
    t.is((await otpRequest('mx.localhost', '5587654321')).status, 200);
    const limited = await otpRequest('mx.localhost', '5587654321');
    t.is(limited.status, 429);
    t.is(limited.json().code, 'too-many-requests');
    t.true(Number(limited.headers['retry-after']) > 3000);
    const counters = await sql<{ key: string }>('mx', 'select key from rate_limit');
    t.true(counters.some((row) => row.key.startsWith('otp:phone:')));
    t.false(JSON.stringify(counters).includes('5587654321'), 'keys hold hashes, not numbers');

    limits.rateLimits.otpPerIpPerHour = 1;
    const byIp = await otpRequest('mx.localhost', '5511112222');
    t.is(byIp.status, 429);
  } finally {
    Object.assign(limits.rateLimits, saved);
    limits.otp.resendCooldownSeconds = 60;
  }
});

test.serial('more sign-ins at once than the database pool has connections all get an answer', async (t) => {
  // The rate limiter once ran inside the OTP transaction on a second pooled connection: ten
  // concurrent sign-ins took all ten connections and then waited for an eleventh, forever.
  const limits = app.platform.tenants.byCode('ae')!.config.limits;
  const saved = limits.rateLimits.otpPerIpPerHour;
  limits.rateLimits.otpPerIpPerHour = 1000;
  try {
    const numbers = Array.from({ length: 30 }, (_, i) => `05${i % 2 === 0 ? '0' : '5'}7${String(100000 + i).slice(1)}0`);
    const all = Promise.all(numbers.map((mobile) => otpRequest('ae.localhost', mobile)));
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 45_000).unref());
    const answers = await Promise.race([all, hung]);
    if (answers === 'hung') return t.fail('concurrent OTP requests never answered: the connection pool is deadlocked');
    t.deepEqual(
      answers.map((answer) => answer.status),
      numbers.map(() => 200),
    );
  } finally {
    limits.rateLimits.otpPerIpPerHour = saved;
  }
});

test.serial('the answer is the same whether or not the number has an account', async (t) => {
  await signIn(app, 'in.localhost', '9811111111', '+919811111111');
  const known = await otpRequest('in.localhost', '9811111111');
  const unknown = await otpRequest('in.localhost', '9822222222');
  t.is(known.status, unknown.status);
  t.deepEqual(Object.keys(known.json()), Object.keys(unknown.json()));
  t.deepEqual(
    [known.headers['content-type'], known.headers['cache-control']],
    [unknown.headers['content-type'], unknown.headers['cache-control']],
  );
});

test.serial('numbers that are not mobiles of the tenant country are refused with a localised field error', async (t) => {
  for (const mobile of ['12345', '+14155550100', '011 2345 6789', 'call me', '+91 98765 4321']) {
    const response = await otpRequest('in.localhost', mobile, { 'Accept-Language': 'hi' });
    t.is(response.status, 422, mobile);
    t.deepEqual(
      response.json().errors.map((e: { path: string; code: string }) => [e.path, e.code]),
      [['/mobile', 'phone-invalid']],
    );
    t.is(response.json().errors[0].message, 'इस देश का मान्य मोबाइल नंबर दर्ज करें।');
  }
});

test.serial('sign-out revokes the token at once', async (t) => {
  const token = await signIn(app, 'mx.localhost', '5533334444', '+525533334444');
  t.is((await app.request('mx.localhost', '/api/v1/beneficiaries', { headers: bearer(token) })).status, 200);
  t.is((await app.request('mx.localhost', '/api/v1/auth/sign-out', { method: 'POST', headers: bearer(token) })).status, 204);
  const after = await app.request('mx.localhost', '/api/v1/beneficiaries', { headers: bearer(token) });
  t.is(after.status, 401);
  t.is(after.json().code, 'session-ended');
});

test.serial('a token is valid only on the tenant that issued it, and forged tokens are refused', async (t) => {
  const token = await signIn(app, 'in.localhost', '9844444444', '+919844444444');
  t.is((await app.request('ae.localhost', '/api/v1/beneficiaries', { headers: bearer(token) })).status, 401);
  const [header, payload] = token.split('.');
  t.is((await app.request('in.localhost', '/api/v1/beneficiaries', { headers: bearer(`${header}.${payload}.forged`) })).status, 401);
  t.is((await app.request('in.localhost', '/api/v1/beneficiaries')).status, 401);
});

test.serial('malformed, mistyped and oversized bodies are refused and change nothing', async (t) => {
  const before = (await app.request('in.localhost', '/dev/outbox')).json<unknown[]>().length;
  const cases: [unknown, number][] = [
    ['{"mobile": ', 400],
    [{ mobile: 9876543210 }, 422],
    [{ mobile: '9876543210', extra: true }, 422],
    [{}, 422],
    [{ mobile: 'x'.repeat(200_000) }, 413],
  ];
  for (const [body, status] of cases) {
    const response = await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body });
    t.is(response.status, status, JSON.stringify(body).slice(0, 40));
    t.is(response.headers['content-type'], 'application/problem+json');
  }
  const confirmCases: unknown[] = [
    { txnId: 'not-a-uuid', otp: '123456' },
    { txnId: '6a1f4b4e-3b4c-4f8e-9a59-0c1d2e3f4a5b', otp: '12345a' },
  ];
  for (const body of confirmCases)
    t.is((await app.request('in.localhost', '/api/v1/auth/otp/confirm', { method: 'POST', body })).status, 422);
  t.is((await app.request('in.localhost', '/dev/outbox')).json<unknown[]>().length, before);
});

import test from 'ava';
import { decodeJwt } from 'jose';
import { latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tenantQuery } from '../support/scheduling.js';

// Sign-in is one statement per request (generate: limits, cooldown and challenge; confirm: attempt,
// account and session). These are the rules that statement must keep when requests race.

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ env: { TEEKA_TENANTS: 'in' } });
});
test.after.always(async () => {
  await app?.stop();
});

const HOST = 'in.localhost';
const otpRequest = (mobile: string) => app.request(HOST, '/api/v1/auth/otp', { method: 'POST', body: { mobile } });
const confirm = (txnId: string, otp: string) => app.request(HOST, '/api/v1/auth/otp/confirm', { method: 'POST', body: { txnId, otp } });
const limits = () => app.platform.tenants.byCode('in')!.config.limits;

const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => tenantQuery<T>(app, 'in', query, params);

function tally(statuses: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
const outcome = (response: { status: number; json: () => { code?: string } }) =>
  response.status === 200 ? '200' : `${response.status} ${response.json().code}`;

test.serial('ten requests at once for one number: one code is sent, nine wait out the cooldown', async (t) => {
  const answers = await Promise.all(Array.from({ length: 10 }, () => otpRequest('9700000001')));
  t.deepEqual(tally(answers.map(outcome)), { '200': 1, '429 otp-cooldown': 9 });
  for (const answer of answers.filter((a) => a.status === 429)) {
    const wait = Number(answer.headers['retry-after']);
    t.true(wait > 0 && wait <= 60, `Retry-After ${wait}`);
  }
  const [{ n }] = await sql<{ n: number }>(
    "select count(*)::int as n from otp_challenge where phone_hash = (select substr(key, 11) from rate_limit where key like 'otp:phone:%' and hits = 10)",
  );
  t.is(n, 1, 'one challenge row, and all ten requests counted against the number');
});

test.serial('the per-number limit holds when requests race: exactly the limit gets through', async (t) => {
  const saved = { cooldown: limits().otp.resendCooldownSeconds, perNumber: limits().rateLimits.otpPerNumberPerHour };
  limits().otp.resendCooldownSeconds = 0;
  limits().rateLimits.otpPerNumberPerHour = 3;
  try {
    const answers = await Promise.all(Array.from({ length: 12 }, () => otpRequest('9700000002')));
    t.deepEqual(tally(answers.map(outcome)), { '200': 3, '429 too-many-requests': 9 });
    for (const answer of answers.filter((a) => a.status === 429)) t.true(Number(answer.headers['retry-after']) > 3000);
  } finally {
    limits().otp.resendCooldownSeconds = saved.cooldown;
    limits().rateLimits.otpPerNumberPerHour = saved.perNumber;
  }
});

test.serial('a request refused by the per-IP limit counts nothing against the number and makes no challenge', async (t) => {
  const saved = limits().rateLimits.otpPerIpPerHour;
  const count = async () =>
    (
      await sql<{ counters: number; challenges: number }>(
        "select (select count(*)::int from rate_limit where key like 'otp:phone:%') as counters, (select count(*)::int from otp_challenge) as challenges",
      )
    )[0];
  const before = await count();
  const [{ hits }] = await sql<{ hits: number }>("select hits from rate_limit where key = 'otp:ip:127.0.0.1'");
  limits().rateLimits.otpPerIpPerHour = hits;
  try {
    t.is(outcome(await otpRequest('9700000003')), '429 too-many-requests');
    t.deepEqual(await count(), before);
  } finally {
    limits().rateLimits.otpPerIpPerHour = saved;
  }
  t.is((await otpRequest('9700000003')).status, 200, 'the number was not held');
});

test.serial('wrong codes racing each other get exactly the attempts allowed, then even the right code is refused', async (t) => {
  const generated = await otpRequest('9700000004');
  const { txnId } = generated.json<{ txnId: string }>();
  const right = await latestOtp(app, HOST, '+919700000004');
  const wrong = right === '000000' ? '111111' : '000000';
  const answers = await Promise.all(Array.from({ length: 12 }, () => confirm(txnId, wrong)));
  t.deepEqual(tally(answers.map(outcome)), { '401 otp-invalid': 5, '429 otp-attempts-exceeded': 7 });
  t.is(outcome(await confirm(txnId, right)), '429 otp-attempts-exceeded');
  t.is((await otpRequest('9700000004')).status, 200, 'a used-up challenge holds no cooldown');
});

test.serial('the right code sent ten times at once signs in once: one session, the rest refused as replays', async (t) => {
  const generated = await otpRequest('9700000005');
  const { txnId } = generated.json<{ txnId: string }>();
  const otp = await latestOtp(app, HOST, '+919700000005');
  const answers = await Promise.all(Array.from({ length: 10 }, () => confirm(txnId, otp)));
  t.deepEqual(tally(answers.map(outcome)), { '200': 1, '401 otp-invalid': 9 });
  const { token } = answers.find((a) => a.status === 200)!.json<{ token: string }>();
  const claims = decodeJwt(token);
  const sessions = await sql<{ id: string; subject_id: string; expires_at: Date }>(
    'select id, subject_id, expires_at from auth_session where subject_id = $1',
    [claims.sub],
  );
  t.is(sessions.length, 1);
  t.is(sessions[0].id, claims.jti as string);
  t.is(sessions[0].expires_at.getTime(), claims.exp! * 1000, 'the row ends when the token does');
  const [challenge] = await sql<{ attempts: number; confirmed: boolean }>(
    'select attempts, confirmed_at is not null as confirmed from otp_challenge where id = $1',
    [txnId],
  );
  t.deepEqual(challenge, { attempts: 1, confirmed: true }, 'replays of a consumed challenge count no attempt');
});

test.serial('an expired challenge is refused and frees the number at once; a later sign-in finds the same account', async (t) => {
  const first = await otpRequest('9700000006');
  const code = await latestOtp(app, HOST, '+919700000006');
  await sql("update otp_challenge set expires_at = now() - interval '1 second' where id = $1", [first.json().txnId]);
  t.is(outcome(await confirm(first.json().txnId, code)), '401 otp-expired');
  const [{ accounts }] = await sql<{ accounts: number }>('select count(*)::int as accounts from account');

  const second = await otpRequest('9700000006');
  t.is(second.status, 200, 'no cooldown after expiry');
  const one = await confirm(second.json().txnId, await latestOtp(app, HOST, '+919700000006'));
  t.is(one.status, 200);
  t.is((await sql<{ n: number }>('select count(*)::int as n from account'))[0].n, accounts + 1, 'the expired attempt made no account');

  const third = await otpRequest('9700000006');
  t.is(third.status, 200);
  const two = await confirm(third.json().txnId, await latestOtp(app, HOST, '+919700000006'));
  t.is(decodeJwt(two.json<{ token: string }>().token).sub, decodeJwt(one.json<{ token: string }>().token).sub, 'same account');
  t.not(decodeJwt(two.json<{ token: string }>().token).jti, decodeJwt(one.json<{ token: string }>().token).jti, 'a new session');
});

test.serial('each SMS is in the language of its request, with its own code, however often the text is reused', async (t) => {
  const ask = (mobile: string, language: string) =>
    app.request(HOST, '/api/v1/auth/otp', { method: 'POST', body: { mobile }, headers: { 'Accept-Language': language } });
  const texts: Record<string, string> = {};
  for (const [mobile, language] of [
    ['9700000011', 'en'],
    ['9700000012', 'hi'],
    ['9700000013', 'en'],
    ['9700000014', 'hi'],
  ]) {
    t.is((await ask(mobile, language)).status, 200);
    const outbox = (await app.request(HOST, '/dev/outbox')).json<{ to: string; text: string }[]>();
    texts[mobile] = outbox.find((m) => m.to === `+91${mobile}`)!.text;
  }
  t.regex(texts['9700000011'], /^\d{6} is your vaccination sign-in code\. It expires in 3 minutes\./);
  t.regex(texts['9700000013'], /^\d{6} is your vaccination sign-in code\./);
  t.regex(texts['9700000012'], /^\d{6} आपका टीकाकरण साइन-इन कोड है। यह 3 मिनट/);
  t.regex(texts['9700000014'], /^\d{6} आपका टीकाकरण साइन-इन कोड है।/);
  t.false(JSON.stringify(texts).includes('\u0000'));
  const codes = Object.values(texts).map((text) => text.slice(0, 6));
  t.is(new Set(codes).size, codes.length, 'every message has its own code');
});

import test from 'ava';
import type { TenantCrypto } from '../../src/kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { webhookToken } from '../../src/messaging/routes.js';
import { latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

/** India sends through `scripted-sms` as scripted, with the development outbox as its fallback. */
function withGateways(primary: string, fallback = '  smsFallback:\n    id: dev-outbox\n') {
  return projectCopy({
    fixtures: ['scripted-sms'],
    tenants: {
      in: (yaml) => yaml.replace('  sms:\n    id: dev-outbox\n', `  sms:\n    id: scripted-sms\n    config: ${primary}\n${fallback}`),
    },
  });
}

const ADMIN_PASSWORD = 'test-admin-password-1';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

async function start(paths: ReturnType<typeof projectCopy>): Promise<TestPlatform> {
  const app = await startTestPlatform({ settings: { paths, tenantCodes: ['in'] } });
  // A quick back-off keeps the tests short; the behaviour is the same.
  app.platform.tenants.byCode('in')!.config.limits.sms.backoffMs = 5;
  return app;
}

const adminTokens = new WeakMap<TestPlatform, string>();

/** The messages staff see; signs in once per platform (sign-ins are rate limited per IP). */
async function messages(app: TestPlatform) {
  let token = adminTokens.get(app);
  if (!token) {
    const signIn = await app.request('in.localhost', '/api/v1/staff/sign-in', {
      method: 'POST',
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    token = signIn.json().token as string;
    adminTokens.set(app, token);
  }
  return (await app.request('in.localhost', '/api/v1/staff/sms', { headers: { Authorization: `Bearer ${token}` } })).json().messages as {
    purpose: string;
    to: string;
    state: string;
    gateway: string;
    attempts: number;
    lastError: string | null;
  }[];
}

test('with the primary gateway down, the OTP goes out through the fallback and staff see how', async (t) => {
  const app = await start(withGateways('{ failFirst: 1000 }'));
  try {
    const response = await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100011' } });
    t.is(response.status, 200);
    t.regex(await latestOtp(app, 'in.localhost', '+919811100011'), /^\d{6}$/);
    const [message] = await messages(app);
    t.like(message, { purpose: 'otp', to: '+91******0011', state: 'sent', gateway: 'dev-outbox', attempts: 4 });
  } finally {
    await app.stop();
  }
});

test('temporary failures are retried on the same gateway', async (t) => {
  const app = await start(withGateways('{ failFirst: 2 }'));
  try {
    t.is((await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100012' } })).status, 200);
    const [message] = await messages(app);
    t.like(message, { state: 'sent', gateway: 'scripted-sms', attempts: 3, lastError: null });
  } finally {
    await app.stop();
  }
});

test('a permanent refusal fails over at once', async (t) => {
  const app = await start(withGateways('{ failFirst: 1, retryable: false }'));
  try {
    t.is((await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100013' } })).status, 200);
    const [message] = await messages(app);
    t.like(message, { state: 'sent', gateway: 'dev-outbox', attempts: 2 });
  } finally {
    await app.stop();
  }
});

test('when every gateway fails the citizen is told, the failure is recorded, and no cooldown holds them', async (t) => {
  const app = await start(withGateways('{ failFirst: 1000 }', ''));
  try {
    const response = await app.request('in.localhost', '/api/v1/auth/otp', {
      method: 'POST',
      body: { mobile: '9811100014' },
      headers: { 'Accept-Language': 'hi' },
    });
    t.is(response.status, 503);
    t.is(response.json().code, 'sms-unavailable');
    t.is(response.json().title, 'SMS नहीं भेजा गया');
    const [message] = await messages(app);
    t.like(message, { state: 'failed', gateway: 'scripted-sms', attempts: 3, lastError: 'scripted failure 3' });
    const again = await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100014' } });
    t.is(again.status, 503, 'asked again at once: no cooldown, still no gateway');
  } finally {
    await app.stop();
  }
});

test('a gateway’s delivery report marks the message delivered; a late failure report does not undo it', async (t) => {
  const app = await start(withGateways('{ deliveredAfterMs: 10 }', ''));
  try {
    await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100015' } });
    let states: string[] = [];
    for (let i = 0; i < 100 && !states.includes('delivered'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      states = (await messages(app)).map((m) => m.state);
    }
    t.deepEqual(states, ['delivered'], 'reported by the gateway itself');
    const crypto = app.platform.tenants.byCode('in')!.container.resolve<TenantCrypto>(TOKENS.Crypto);
    const late = await app.request('in.localhost', `/hooks/sms/scripted-sms/${webhookToken(crypto, 'scripted-sms')}`, {
      method: 'POST',
      body: { id: 'scripted-1', status: 'failed', detail: 'EXPIRED' },
    });
    t.is(late.status, 204);
    t.like((await messages(app))[0], { state: 'delivered', lastError: null });
  } finally {
    await app.stop();
  }
});

test('delivery reports by webhook need the tenant’s token and update the message', async (t) => {
  const app = await start(withGateways('{}', ''));
  try {
    await app.request('in.localhost', '/dev/sms', { method: 'POST', body: { to: '+919811100016', text: 'webhook' } });
    t.like((await messages(app))[0], { purpose: 'test', state: 'sent' });
    const crypto = app.platform.tenants.byCode('in')!.container.resolve<TenantCrypto>(TOKENS.Crypto);
    const token = webhookToken(crypto, 'scripted-sms');
    const listed = await app.request('in.localhost', '/api/v1/staff/sms/webhooks', {
      headers: { Authorization: `Bearer ${adminTokens.get(app)}` },
    });
    t.deepEqual(
      listed.json().webhooks,
      [{ gateway: 'scripted-sms', path: `/hooks/sms/scripted-sms/${token}` }],
      'administrators can look the address up',
    );
    const forged = await app.request('in.localhost', `/hooks/sms/scripted-sms/${'0'.repeat(32)}`, {
      method: 'POST',
      body: { id: 'scripted-1', status: 'failed' },
    });
    t.is(forged.status, 404);
    t.is(forged.headers['content-type'], 'application/problem+json');
    const hook = await app.request('in.localhost', `/hooks/sms/scripted-sms/${token}`, {
      method: 'POST',
      body: { id: 'scripted-1', status: 'failed', detail: 'UNDELIV' },
    });
    t.is(hook.status, 204);
    t.like((await messages(app))[0], { purpose: 'test', state: 'failed', lastError: 'UNDELIV' });
    const garbage = await app.request('in.localhost', `/hooks/sms/scripted-sms/${token}`, { method: 'POST', body: { nonsense: true } });
    t.is(garbage.status, 204, 'a payload that is not a report is acknowledged and ignored');
  } finally {
    await app.stop();
  }
});

test('only administrators see message states', async (t) => {
  const app = await start(withGateways('{}', ''));
  try {
    const admin = (
      await app.request('in.localhost', '/api/v1/staff/sign-in', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } })
    ).json().token;
    await app.request('in.localhost', '/api/v1/staff/users', {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}` },
      body: {
        username: 'vacc.one',
        displayName: 'Vaccinator',
        password: 'vaccinator-pass-1',
        roles: [{ role: 'vaccinator', scopeType: 'facility', scopeId: '7' }],
      },
    });
    const vaccinator = (
      await app.request('in.localhost', '/api/v1/staff/sign-in', {
        method: 'POST',
        body: { username: 'vacc.one', password: 'vaccinator-pass-1' },
      })
    ).json().token;
    t.is((await app.request('in.localhost', '/api/v1/staff/sms', { headers: { Authorization: `Bearer ${vaccinator}` } })).status, 403);
    t.is((await app.request('in.localhost', '/api/v1/staff/sms')).status, 401);
  } finally {
    await app.stop();
  }
});

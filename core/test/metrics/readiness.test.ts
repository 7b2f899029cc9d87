import test from 'ava';
import { checkReadiness } from '../../src/kernel/metrics/readiness.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

/** India and Nigeria; Nigeria sends through `unwell-sms`, whose health check fails (as configured). */
function withUnwellNigeria(config = '{}') {
  return projectCopy({
    fixtures: ['unwell-sms'],
    tenants: { ng: (yaml) => yaml.replace('  sms:\n    id: dev-outbox\n', `  sms:\n    id: unwell-sms\n    config: ${config}\n`) },
  });
}

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { paths: withUnwellNigeria(), tenantCodes: ['in', 'ng'] } });
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('an unhealthy SMS gateway degrades readiness (200); the detail goes to the log, not the answer', async (t) => {
  const ready = await app.request('localhost', '/readyz');
  t.is(ready.status, 200);
  t.is(ready.headers['cache-control'], 'no-store');
  t.deepEqual(ready.json(), {
    status: 'degraded',
    tenants: { in: { database: 'ok', sms: 'ok' }, ng: { database: 'ok', sms: 'unhealthy' } },
    databases: { in: 'ok', ng: 'ok' },
  });
  t.false(ready.text.includes('smsc.example'));
  t.true(app.logs.some((line) => line.includes('SMS gateway unhealthy') && line.includes('smsc.example')));
  t.is((await app.request('ng.localhost', '/readyz')).json().status, 'degraded', 'on any host');
});

test.serial('a tenant database that does not answer makes the platform unavailable (503)', async (t) => {
  const em = app.platform.tenants.byCode('in')!.orm.em;
  const original = em.getConnection;
  em.getConnection = (() => ({ execute: () => Promise.reject(new Error('connection terminated')) })) as never;
  try {
    const ready = await app.request('localhost', '/readyz');
    t.is(ready.status, 503);
    t.like(ready.json(), { status: 'unavailable', tenants: { in: { database: 'unreachable' }, ng: { database: 'ok' } } });
  } finally {
    em.getConnection = original;
  }
  t.is((await app.request('localhost', '/readyz')).status, 200, 'back once it answers');
});

test('checks that do not answer in time count as failed', async (t) => {
  const log = { warn: () => undefined };
  const hanging = {
    code: 'zz',
    orm: { em: { getConnection: () => ({ execute: () => new Promise(() => undefined) }) } },
    smsGateways: [{ id: 'slow', gateway: { send: async () => ({}), health: () => new Promise(() => undefined) } }],
    log,
  };
  const healthy = {
    code: 'yy',
    orm: { em: { getConnection: () => ({ execute: async () => [{}] }) } },
    smsGateways: [{ id: 'quiet', gateway: { send: async () => ({}) } }],
    log,
  };
  const started = Date.now();
  const readiness = await checkReadiness([hanging, healthy] as never, 50);
  t.true(Date.now() - started < 1_000);
  t.deepEqual(readiness, {
    status: 'unavailable',
    tenants: { zz: { database: 'unreachable', sms: 'unhealthy' }, yy: { database: 'ok', sms: 'unknown' } },
    databases: { zz: 'unreachable', yy: 'ok' },
  });
});

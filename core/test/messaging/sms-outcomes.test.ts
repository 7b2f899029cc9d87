import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import test from 'ava';
import type { Pool } from 'pg';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { type Outcome, recordOutcomes, SMS_RECORD_SQL, SmsDispatcher } from '../../src/messaging/sms-dispatcher.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tenantQuery } from '../support/scheduling.js';

/**
 * The outcome of a sent message is written alone by its key, or with others in one statement when
 * sends finish together (WriteBatch). Both forms must write each message's own outcome and no other.
 */
let app: TestPlatform;
let pool: Pool;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  const em = app.platform.tenants.byCode('in')!.orm.em.fork() as EntityManager;
  pool = (await em.getConnection().getNativeClient()) as Pool;
});
test.after.always(async () => {
  await app?.stop();
});

async function recorded(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const id of ids) await pool.query(SMS_RECORD_SQL, [[id], ['test'], [`hash-${id}`], ['+91******0000']]);
  return ids;
}

async function states(ids: string[]) {
  const rows = await tenantQuery<{
    id: string;
    state: string;
    gateway: string | null;
    gateway_message_id: string | null;
    attempts: number;
    last_error: string | null;
  }>(app, 'in', 'select id, state, gateway, gateway_message_id, attempts, last_error from sms_message where id = any($1::uuid[])', [ids]);
  return new Map(rows.map((row) => [row.id, row]));
}

test.serial('one outcome alone is written to its message only', async (t) => {
  const [id, untouched] = await recorded(2);
  await recordOutcomes(pool, [[id, 'sent', 'dev-outbox', 'gw-1', 1, null]]);
  const after = await states([id, untouched]);
  t.like(after.get(id), { state: 'sent', gateway: 'dev-outbox', gateway_message_id: 'gw-1', attempts: 1, last_error: null });
  t.like(after.get(untouched), { state: 'queued', gateway: null, attempts: 0 });
});

test.serial('outcomes written together each reach their own message', async (t) => {
  const ids = await recorded(4);
  const outcomes: Outcome[] = [
    [ids[0], 'sent', 'scripted-sms', 'a', 3, null],
    [ids[1], 'failed', 'dev-outbox', null, 4, 'refused: number barred'],
    [ids[2], 'sent', 'dev-outbox', 'c', 1, null],
  ];
  t.is((await recordOutcomes(pool, outcomes)).length, 3);
  const after = await states(ids);
  t.like(after.get(ids[0]), { state: 'sent', gateway: 'scripted-sms', gateway_message_id: 'a', attempts: 3 });
  t.like(after.get(ids[1]), {
    state: 'failed',
    gateway: 'dev-outbox',
    gateway_message_id: null,
    attempts: 4,
    last_error: 'refused: number barred',
  });
  t.like(after.get(ids[2]), { state: 'sent', gateway_message_id: 'c', attempts: 1 });
  t.like(after.get(ids[3]), { state: 'queued', attempts: 0 });
});

test.serial('messages sent side by side are recorded in shared statements, each with its own number and outcome', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const container = tenant.container.createChildContainer();
  container.registerInstance(TOKENS.EntityManager, tenant.orm.em.fork());
  const dispatcher = container.resolve(SmsDispatcher);
  const names: string[] = [];
  const original = pool.query;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
    const name = (config as { name?: string } | null)?.name;
    if (name?.startsWith('teeka-sms-record')) names.push(name);
    return query(config, ...rest);
  };
  try {
    const numbers = Array.from({ length: 6 }, (_, i) => `+9198765${String(43210 + i).padStart(5, '0')}`);
    const sent = await Promise.all(numbers.map((to) => dispatcher.send({ to, text: `hello ${to}`, purpose: 'test-together' })));
    t.true(names.length < numbers.length, `${numbers.length} records in ${names.length} statements (${names.join(', ')})`);
    const after = await states(sent.map((message) => message.id));
    for (const message of sent) {
      t.is(message.state, 'sent');
      t.like(after.get(message.id), { state: 'sent', gateway: 'dev-outbox', attempts: 1 });
    }
    const rows = await tenantQuery<{ id: string; to_masked: string; purpose: string }>(
      app,
      'in',
      'select id, to_masked, purpose from sms_message where id = any($1::uuid[])',
      [sent.map((message) => message.id)],
    );
    t.deepEqual(
      rows.map((row) => [row.id, row.to_masked, row.purpose]).sort(),
      sent.map((message, i) => [message.id, `+91******${numbers[i].slice(-4)}`, 'test-together']).sort(),
    );
  } finally {
    pool.query = original;
    container.dispose();
  }
});

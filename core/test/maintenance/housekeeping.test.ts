import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { hourKey, housekeepingJob, purgeExpired } from '../../src/maintenance/housekeeping.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tenantQuery } from '../support/scheduling.js';

let app: TestPlatform;
const started = new Date();
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], jobPollSeconds: 0.5 } });
});
test.after.always(async () => {
  await app?.stop();
});

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => tenantQuery<T>(app, 'in', text, values);

const challenge = (id: string, expiresAgo: string) =>
  sql(
    `insert into otp_challenge (id, phone_hash, phone_enc, code_hash, created_at, expires_at, attempts, max_attempts)
     values ($1, repeat('a', 64), '\\x00', repeat('b', 64), now() - $2::interval - interval '5 minutes', now() - $2::interval, 0, 3)`,
    [id, expiresAgo],
  );
const session = (id: string, expiresAgo: string) =>
  sql(
    `insert into auth_session (id, subject_type, subject_id, created_at, expires_at)
     values ($1, 'citizen', $2, now() - $3::interval - interval '15 minutes', now() - $3::interval)`,
    [id, randomUUID(), expiresAgo],
  );
const window = (key: string, startedAgo: string, holdFor: string | null) =>
  sql(`insert into rate_limit (key, window_start, hits, hold_until) values ($1, now() - $2::interval, 7, now() + $3::interval)`, [
    key,
    startedAgo,
    holdFor,
  ]);

test.serial('each tenant runs housekeeping at start and queues the next hour’s run, once whatever the processes', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const now = new Date();
  // The run queued at start-up (its hour may have turned since the platform started).
  let first = (await tenant.jobs.find(housekeepingJob, hourKey(started))) ?? (await tenant.jobs.find(housekeepingJob, hourKey(now)));
  t.truthy(first, 'this hour’s run was queued when the tenant started');
  for (let i = 0; i < 60 && first?.state !== 'completed'; i++) {
    await sleep(250);
    first = await tenant.jobs.find(housekeepingJob, hourKey(started));
  }
  t.is(first?.state, 'completed');
  const nextHour = new Date(started);
  nextHour.setUTCMinutes(0, 0, 0);
  nextHour.setUTCHours(nextHour.getUTCHours() + 1);
  const next = await tenant.jobs.find(housekeepingJob, hourKey(nextHour));
  t.truthy(next, 'the run queued the next hour’s');
  t.is(next?.startAfter.toISOString(), nextHour.toISOString());
  t.is(next?.state, 'created', 'not run before its hour');
  // A second process starting now sends the same keys: nothing more is stored.
  const before = await sql<{ n: number }>("select count(*)::int as n from pgboss.job where name = 'maintenance.housekeeping'");
  await tenant.jobs.send(housekeepingJob, { hour: started.toISOString() }, { key: hourKey(started) });
  const after = await sql<{ n: number }>("select count(*)::int as n from pgboss.job where name = 'maintenance.housekeeping'");
  t.is(after[0].n, before[0].n);
});

// After the start-up run has completed (above), so that only this call deletes.
test.serial('expired challenges, sessions and limit windows go a day after they end; live and recent ones stay', async (t) => {
  const old = { challenge: randomUUID(), session: randomUUID(), window: `test:old:${randomUUID()}` };
  const kept = {
    challenges: [randomUUID(), randomUUID()],
    sessions: [randomUUID(), randomUUID()],
    windows: [`test:recent:${randomUUID()}`, `test:held:${randomUUID()}`],
  };
  await challenge(old.challenge, '2 days');
  await challenge(kept.challenges[0], '-5 minutes'); // still valid
  await challenge(kept.challenges[1], '1 hour'); // expired, but within the day kept
  await session(old.session, '26 hours');
  await session(kept.sessions[0], '-10 minutes');
  await session(kept.sessions[1], '2 hours');
  await window(old.window, '3 days', null);
  await window(kept.windows[0], '10 minutes', null);
  await window(kept.windows[1], '3 days', '30 seconds'); // an old window still holding a cool-down

  const tenant = app.platform.tenants.byCode('in')!;
  const purged = await purgeExpired(tenant.orm.em.fork(), tenant.config);
  t.true(purged.otpChallenges >= 1 && purged.sessions >= 1 && purged.rateLimits >= 1, JSON.stringify(purged));

  const ids = async (table: string, column: string, values: string[]) =>
    (await sql<{ v: string }>(`select ${column}::text as v from ${table} where ${column}::text = any($1) order by 1`, [values])).map(
      (row) => row.v,
    );
  t.deepEqual(await ids('otp_challenge', 'id', [old.challenge, ...kept.challenges]), [...kept.challenges].sort());
  t.deepEqual(await ids('auth_session', 'id', [old.session, ...kept.sessions]), [...kept.sessions].sort());
  t.deepEqual(await ids('rate_limit', 'key', [old.window, ...kept.windows]), [...kept.windows].sort());
});

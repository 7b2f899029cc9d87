import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import test from 'ava';
import { defineJob } from '../../src/kernel/jobs/job.js';
import { JobQueue, jobId, prepareJobStatements } from '../../src/kernel/jobs/job-queue.js';
import { appointmentReminderJob } from '../../src/messaging/notices.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tenantQuery } from '../support/scheduling.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], jobPollSeconds: 0.5 } });
});
test.after.always(async () => {
  await app?.stop();
});

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => tenantQuery<T>(app, 'in', text, values);

/** Writes down which process ran it: a job that ran twice shows up twice. */
const tally = defineJob<{ n: number }>({
  name: 'test.tally',
  policy: { concurrency: 4 },
  async handle(data, context) {
    await context.em.execute('insert into test_job_run (job_id, n, worker) values (?, ?, ?)', [
      context.jobId,
      data.n,
      context.log.bindings().worker,
    ]);
  },
});

test('two app processes on one database: every job runs once, a job sent twice with one key is stored once', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  await sql('create table test_job_run (job_id uuid not null, n int not null, worker text not null)');
  const url = app.platform.database.urlFor(tenant.database);
  // Two workers as two processes would run them: separate pg-boss instances and pools.
  const [one, two] = await Promise.all(
    ['one', 'two'].map((worker) =>
      JobQueue.start({ url, tenant, definitions: [tally], log: tenant.log.child({ worker }), pollSeconds: 0.5 }),
    ),
  );
  try {
    const sent = await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 ? one : two).send(tally, { n })));
    t.is(new Set(sent).size, 40);
    t.is(await one.send(tally, { n: 100 }, { key: 'same' }), jobId('test.tally', 'same'));
    t.is(await two.send(tally, { n: 101 }, { key: 'same' }), null, 'the second send with the key is ignored');

    const until = Date.now() + 30_000;
    let runs: { job_id: string; n: number; worker: string }[] = [];
    while (Date.now() < until) {
      runs = await sql('select job_id, n, worker from test_job_run');
      if (runs.length >= 41) break;
      await sleep(100);
    }
    await sleep(1_500); // a few more polls: a second run of any job would show up now
    runs = await sql('select job_id, n, worker from test_job_run');
    t.is(runs.length, 41);
    t.is(new Set(runs.map((run) => run.job_id)).size, 41, 'no job ran twice');
    t.deepEqual(
      runs.map((run) => run.n).sort((a, b) => a - b),
      [...Array.from({ length: 40 }, (_, n) => n), 100],
    );
    t.like(await one.find(tally, 'same'), { state: 'completed', data: { n: 100 } });
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
});

test('the tenant runs its own queue, with its tables in the pgboss schema of its database, and stops it when it closes', async (t) => {
  const [schema] = await sql<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_schema = 'pgboss'`);
  t.true(schema.n > 0);
  const queues = await sql<{ name: string }>(`select name from pgboss.queue where name like 'notice.%' order by name`);
  t.deepEqual(
    queues.map((q) => q.name),
    [
      'notice.appointment-booked',
      'notice.appointment-cancelled',
      'notice.appointment-moved',
      'notice.appointment-reminder',
      'notice.dose-due',
    ],
  );
  t.false(
    app.logs.some((line) => line.includes('"level":"error"') && line.includes('job queue')),
    'pg-boss reported no errors',
  );
});

/** Fails its first try when told to; writes down every try. */
const flaky = defineJob<{ n: number; failFirst: boolean }>({
  name: 'test.flaky',
  policy: { concurrency: 1, batchSize: 10, retries: 1, retryDelaySeconds: 1 },
  async handle(data, context) {
    await context.em.execute('insert into test_flaky_run (n, try) values (?, ?)', [data.n, context.retryCount]);
    if (data.failFirst && context.retryCount === 0) throw new Error('first try fails');
  },
});

test('jobs fetched together still succeed or fail one by one: a failing job is retried alone', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  await sql('create table test_flaky_run (n int not null, try int not null)');
  const url = app.platform.database.urlFor(tenant.database);
  const queue = await JobQueue.start({ url, tenant, definitions: [flaky], log: tenant.log.child({ worker: 'flaky' }), pollSeconds: 0.5 });
  try {
    // 25 jobs: more than one batch, so the worker fetches again at once while batches come back full.
    await Promise.all(Array.from({ length: 25 }, (_, n) => queue.send(flaky, { n, failFirst: n === 3 }, { key: `k${n}` })));
    const until = Date.now() + 30_000;
    let runs: { n: number; try: number }[] = [];
    while (Date.now() < until) {
      runs = await sql('select n, try from test_flaky_run order by n, try');
      if (runs.length >= 26) break;
      await sleep(100);
    }
    await sleep(1_000);
    runs = await sql('select n, try from test_flaky_run order by n, try');
    t.deepEqual(
      runs.filter((run) => run.n === 3),
      [
        { n: 3, try: 0 },
        { n: 3, try: 1 },
      ],
      'the failing job ran again, once',
    );
    t.is(runs.filter((run) => run.n !== 3).length, 24, 'every other job ran once, though one of its batch failed');
    for (let n = 0; n < 25; n++) t.like(await queue.find(flaky, `k${n}`), { state: 'completed' });
  } finally {
    await queue.stop();
  }
});

/** Notes how many of its kind run at once; fails its first try when told to. */
let running = 0;
let mostAtOnce = 0;
const tries = new Map<number, number>();
const sideBySide = defineJob<{ n: number; failFirst: boolean }>({
  name: 'test.side-by-side',
  policy: { concurrency: 1, batchSize: 10, retries: 1, retryDelaySeconds: 1, together: true },
  async handle(data, context) {
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    tries.set(data.n, (tries.get(data.n) ?? 0) + 1);
    try {
      await sleep(100);
      if (data.failFirst && context.retryCount === 0) throw new Error('first try fails');
    } finally {
      running -= 1;
    }
  },
});

test('the jobs of one fetch run side by side for a kind that asks for it, and still fail one by one', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const url = app.platform.database.urlFor(tenant.database);
  // Stored before the worker starts, so its first fetch finds a full batch.
  const sender = await JobQueue.start({ url, tenant, definitions: [sideBySide], log: tenant.log, sendOnly: true });
  await Promise.all(Array.from({ length: 10 }, (_, n) => sender.send(sideBySide, { n, failFirst: n === 3 }, { key: `s${n}` })));
  await sender.stop();
  const queue = await JobQueue.start({
    url,
    tenant,
    definitions: [sideBySide],
    log: tenant.log.child({ worker: 'side' }),
    pollSeconds: 0.5,
  });
  try {
    const until = Date.now() + 30_000;
    while (Date.now() < until && (tries.get(3) ?? 0) < 2) await sleep(100);
    await sleep(500);
    t.true(mostAtOnce > 1, `one worker (concurrency 1) ran ${mostAtOnce} at once`);
    t.deepEqual(
      [...tries.entries()].sort(([a], [b]) => a - b).map(([, n]) => n),
      [1, 1, 1, 2, 1, 1, 1, 1, 1, 1],
      'the failing job ran again, once; the rest of its fetch once',
    );
    for (let n = 0; n < 10; n++) t.like(await queue.find(sideBySide, `s${n}`), { state: 'completed' });
  } finally {
    await queue.stop();
  }
});

test('pg-boss statements with parameters are sent as named prepared statements; others as they are', async (t) => {
  const calls: unknown[][] = [];
  const db = {
    async executeSql(...args: unknown[]) {
      calls.push(args);
      return { rows: [] };
    },
  };
  prepareJobStatements(db);
  const text = 'select * from pgboss.job where name = $1 and state < $2';
  await db.executeSql(text, ['q', 'active'], { retire: 'r' });
  await db.executeSql(text, ['r', 'created']);
  await db.executeSql('begin; select 1; commit', []);
  await db.executeSql({ text: 'select 2' });
  const [first, second, several, object] = calls;
  t.like(first[0], { text, values: ['q', 'active'] });
  t.regex((first[0] as { name: string }).name, /^pgboss-\d+$/);
  t.deepEqual(first.slice(1), [undefined, { retire: 'r' }], 'its options pass through');
  t.is((second[0] as { name: string }).name, (first[0] as { name: string }).name, 'one name per text');
  t.deepEqual(several, ['begin; select 1; commit', [], undefined], 'without parameters: as sent (it may hold several commands)');
  t.deepEqual(object, [{ text: 'select 2' }, undefined, undefined]);
});

test('a job stored in a transaction is stored with a prepared statement on that transaction’s connection', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const em = tenant.orm.em.fork();
  const prepared = await em.transactional(async (tx) => {
    // One of the tenant's own kinds, due tomorrow, so that it stays queued.
    const placement = { appointmentId: randomUUID(), sessionId: randomUUID(), slotIndex: 0, date: '2099-01-01' };
    await tenant.jobs.send(appointmentReminderJob, placement, {
      em: tx as EntityManager,
      key: 'in-transaction',
      startAfter: new Date(Date.now() + 86_400_000),
    });
    return tx.execute<{ name: string }[]>(`select name from pg_prepared_statements where name like 'pgboss-%'`);
  });
  t.true(prepared.length > 0, 'pg-boss’s insert prepared on the connection that stored the job');
  t.truthy(await tenant.jobs.find(appointmentReminderJob, 'in-transaction'), 'and the job committed with the transaction');
});

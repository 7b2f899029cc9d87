import test from 'ava';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/kernel/db/unavailable.js';
import { toProblem } from '../../src/kernel/http/problem.js';
import { testDatabaseUrl } from '../support/platform.js';

/** Makes PostgreSQL pick a deadlock victim between two transactions, and returns its error. */
async function realDeadlock(): Promise<unknown> {
  const [a, b] = [new pg.Client({ connectionString: testDatabaseUrl() }), new pg.Client({ connectionString: testDatabaseUrl() })];
  await Promise.all([a.connect(), b.connect()]);
  const table = `deadlock_${process.pid}_${Date.now()}`;
  try {
    await a.query(`create table ${table} (id int primary key, n int)`);
    await a.query(`insert into ${table} values (1, 0), (2, 0)`);
    await a.query('begin');
    await b.query('begin');
    await a.query(`update ${table} set n = 1 where id = 1`);
    await b.query(`update ${table} set n = 1 where id = 2`);
    // Each now waits for the other's row: PostgreSQL ends one of them (deadlock_timeout, 1 s).
    const outcomes = await Promise.allSettled([
      a.query(`update ${table} set n = 2 where id = 2`),
      b.query(`update ${table} set n = 2 where id = 1`),
    ]);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (!failed) throw new Error('no deadlock');
    return (failed as PromiseRejectedResult).reason;
  } finally {
    await Promise.allSettled([a.query('rollback'), b.query('rollback')]);
    await a.query(`drop table if exists ${table}`).catch(() => undefined);
    await Promise.all([a.end(), b.end()]);
  }
}

test('a transaction PostgreSQL ends as a deadlock victim is a 503 write-conflict with Retry-After, not a 500', async (t) => {
  const error = await realDeadlock();
  t.is((error as { code?: string }).code, '40P01');
  t.false(isDatabaseUnavailable(error), 'the database is up: not an outage');
  t.like(toProblem(error), { status: 503, code: 'write-conflict', retryAfterSeconds: 1 });
  // As MikroORM hands it on: its own exception, the driver's error as `previous`.
  const wrapped = Object.assign(new Error('DeadlockException'), { name: 'DeadlockException', previous: error });
  t.like(toProblem(wrapped), { status: 503, code: 'write-conflict' });
  t.like(toProblem(Object.assign(new Error('could not serialize access'), { code: '40001' })), { code: 'write-conflict' });
  t.like(toProblem(Object.assign(new Error('duplicate key'), { code: '23505' })), { status: 500, code: 'internal-error' });
});

import { randomBytes } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { queryPrepared, WriteBatch } from '../../src/kernel/db/write-batch.js';
import { testDatabaseUrl } from '../support/platform.js';

const table = `write_batch_${randomBytes(4).toString('hex')}`;
let pool: pg.Pool;
test.before(async () => {
  pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 });
  await pool.query(`create table ${table} (n int primary key, data jsonb not null)`);
});
test.after.always(async () => {
  await pool?.query(`drop table if exists ${table}`);
  await pool?.end();
});

/** A batch that inserts [n, json] rows and answers each row's n doubled, counting its statements. */
function inserts() {
  const statements: number[] = [];
  const batch = new WriteBatch<[number, string], number>(async (on, rows) => {
    statements.push(rows.length);
    const written = await queryPrepared<{ n: number }>(
      on,
      `write-batch-test-${table}`,
      `insert into ${table} (n, data) select * from unnest($1::int[], $2::jsonb[]) returning n`,
      [rows.map((row) => row[0]), rows.map((row) => row[1])],
    );
    return written.map((row) => row.n * 2);
  });
  return { batch, statements };
}

const count = async (from: number, to: number) =>
  (await pool.query(`select count(*)::int as n from ${table} where n between $1 and $2`, [from, to])).rows[0].n as number;

test.serial('a write alone runs at once; writes made meanwhile share the next statement, each with its own answer', async (t) => {
  const { batch, statements } = inserts();
  t.is(await batch.add(pool, [1, '{}']), 2);
  t.deepEqual(statements, [1]);
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => batch.add(pool, [100 + i, `{"i": ${i}}`])));
  t.deepEqual(
    answers,
    Array.from({ length: 30 }, (_, i) => (100 + i) * 2),
  );
  t.is(await count(100, 129), 30, 'every row written before its promise settled');
  t.deepEqual(statements, [1, 1, 29], 'the first at once, the 29 that came meanwhile in one statement');
});

test.serial('a row the database refuses fails only its own write', async (t) => {
  const { batch } = inserts();
  const results = await Promise.allSettled([
    batch.add(pool, [200, '{}']),
    batch.add(pool, [201, '{}']),
    batch.add(pool, [202, 'not json']),
    batch.add(pool, [203, '{}']),
  ]);
  t.deepEqual(
    results.map((result) => result.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
  );
  t.is(await count(200, 203), 3);
});

import { randomBytes } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { queryPrepared, readsById, WriteBatch } from '../../src/kernel/db/write-batch.js';
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

test.serial('reads by id made meanwhile share a statement; each caller gets its own row, or undefined', async (t) => {
  const people = `read_batch_${randomBytes(4).toString('hex')}`;
  await pool.query(`create table ${people} (id uuid primary key, name text not null)`);
  try {
    const ids = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
    await pool.query(`insert into ${people} (id, name) select * from unnest($1::uuid[], $2::text[])`, [ids, ['Asha', 'Bilal', 'Chen']]);
    const make = readsById<{ id: string; name: string }>(
      `read-batch-test-${people}`,
      `select id, name from ${people} where id = any($1::uuid[])`,
    );
    const batch = make();
    const unknown = '44444444-4444-4444-8444-444444444444';
    const asked = [ids[2], unknown, ids[0], ids[1], ids[0]];
    const name = `read-batch-test-${people}`;
    const statements: number[] = [];
    const original = pool.query;
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
      const sent = config as { name?: string; values?: unknown[][] } | null;
      if (sent?.name === name) statements.push(sent.values?.[0]?.length ?? 0);
      return query(config, ...rest);
    };
    const rows = await Promise.all(asked.map((id) => batch.add(pool, id))).finally(() => {
      pool.query = original;
    });
    t.deepEqual(statements, [1, 4], 'the first at once, the four asked meanwhile in one statement');
    t.deepEqual(
      rows.map((row) => row?.name),
      ['Chen', undefined, 'Asha', 'Bilal', 'Asha'],
    );
    t.not(make(), batch, 'each call of the maker is a batch of its own (one per pool, through addToBatch)');
  } finally {
    await pool.query(`drop table ${people}`);
  }
});

import test from 'ava';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '../../src/kernel/db/database-server.js';
import { migrations } from '../../src/kernel/db/migrations/index.js';
import { openTenantOrm } from '../../src/kernel/db/orm.js';
import { testDatabaseUrl, uniquePrefix } from '../support/platform.js';

test('instances that start together on a new database migrate it once, and every one of them starts', async (t) => {
  const database = `${uniquePrefix()}migrate`;
  await ensureDatabase(testDatabaseUrl(), database);
  const url = withDatabase(testDatabaseUrl(), database);
  try {
    // Four at once, as four app processes (or pods) would start after a deploy.
    const opened = await Promise.allSettled([1, 2, 3, 4].map(() => openTenantOrm(url, { poolMax: 2 })));
    const failures = opened.filter((result) => result.status === 'rejected').map((result) => String(result.reason));
    t.deepEqual(failures, [], 'no instance failed to start');
    await Promise.all(opened.map((result) => (result.status === 'fulfilled' ? result.value.close(true) : undefined)));

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; runs: number }>(
        'select name, count(*)::int as runs from teeka_migrations group by name order by name',
      );
      t.is(rows.length, migrations.length, 'every migration recorded');
      t.true(
        rows.every((row) => row.runs === 1),
        'each exactly once',
      );
      const locks = await client.query(
        "select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = current_database()",
      );
      t.is(locks.rows[0].n, 0, 'the lock is released');
    } finally {
      await client.end();
    }
  } finally {
    await dropDatabase(testDatabaseUrl(), database);
  }
});

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import test from 'ava';
import { dropDatabase, ensureDatabase, withDatabase } from '../../src/kernel/db/database-server.js';
import { openTenantOrm, type TenantOrm } from '../../src/kernel/db/orm.js';
import { run, statement } from '../../src/kernel/db/prepared.js';
import { testDatabaseUrl, uniquePrefix } from '../support/platform.js';

/**
 * Hot statements (kernel/db/prepared.ts) run as named prepared statements on the ORM's connections,
 * inside an EntityManager's transaction as well as on their own.
 */
const database = `${uniquePrefix()}prepared`;
let orm: TenantOrm;
test.before(async () => {
  await ensureDatabase(testDatabaseUrl(), database);
  orm = await openTenantOrm(withDatabase(testDatabaseUrl(), database), { poolMax: 2 });
  await orm.em.fork().execute('create table prepared_test (n int primary key, note text not null)');
});
test.after.always(async () => {
  await orm?.close(true);
  await dropDatabase(testDatabaseUrl(), database);
});

const INSERT = statement('prepared-test-insert', `insert into prepared_test (n, note) values (?, ? || '?') returning n, note`);
/** Is the statement prepared on the connection this runs on? (Prepared statements are per connection.) */
const PREPARED_HERE = statement(
  'prepared-test-here',
  'select exists (select 1 from pg_prepared_statements where name = ? and from_sql = false) as prepared',
);

test('placeholders are numbered in order; a ? inside a quoted literal is left alone', (t) => {
  t.is(INSERT.text, `insert into prepared_test (n, note) values ($1, $2 || '?') returning n, note`);
  t.throws(() => statement('prepared-test-insert', 'select 1'), { message: /used for two texts/ });
  t.throws(() => statement('prepared-test-other', INSERT.text.replaceAll(/\$\d/g, '?')), { message: /has the text of/ });
});

test.serial('inside a transaction a statement runs prepared on that transaction’s connection, and rolls back with it', async (t) => {
  const em = orm.em.fork();
  await t.throwsAsync(
    em.transactional(async (tx) => {
      const [row] = await run<{ n: number; note: string }>(tx, INSERT, [1, 'first']);
      t.deepEqual(row, { n: 1, note: 'first?' });
      // The ORM's own query on the same transaction sees the row: one connection.
      t.is((await tx.execute<{ n: number }[]>('select count(*)::int as n from prepared_test'))[0].n, 1);
      const [{ prepared }] = await run<{ prepared: boolean }>(tx, PREPARED_HERE, [INSERT.name]);
      t.true(prepared, 'named and prepared on the transaction’s connection, not sent as text');
      throw new Error('roll back');
    }),
    { message: 'roll back' },
  );
  t.is((await orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from prepared_test'))[0].n, 0, 'rolled back');
});

test.serial('on its own a statement commits by itself; a failing one changes nothing and throws as the ORM would', async (t) => {
  const em = orm.em.fork();
  t.deepEqual(await run(em, INSERT, [2, 'second']), [{ n: 2, note: 'second?' }]);
  // As em.execute throws it, so callers that catch the ORM's exceptions keep working.
  await t.throwsAsync(run(em, INSERT, [2, 'again']), { instanceOf: UniqueConstraintViolationException, message: /duplicate key/ });
  const rows = await orm.em.fork().execute<{ n: number; note: string }[]>('select n, note from prepared_test order by n');
  t.deepEqual(rows, [{ n: 2, note: 'second?' }]);
});

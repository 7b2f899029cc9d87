import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { dropDatabase, withDatabase } from '../../src/kernel/db/database-server.js';
import { testDatabaseUrl, uniquePrefix } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { teeka } from './cli.js';

/** One project copy and one database prefix for this file: tenant `in` is provisioned once, then imported into. */
const prefix = uniquePrefix();
const { root } = projectCopy();
const env = { DATABASE_URL: testDatabaseUrl(), TEEKA_DB_PREFIX: prefix };
const database = `${prefix}in`;

async function count(table: string, where = 'true'): Promise<number> {
  const client = new pg.Client({ connectionString: withDatabase(testDatabaseUrl(), database) });
  await client.connect();
  try {
    const result = await client.query(`select count(*)::int as n from ${table} where ${where}`);
    return result.rows[0].n;
  } finally {
    await client.end();
  }
}

test.after.always(async () => {
  await dropDatabase(testDatabaseUrl(), database);
});

const HEADER = 'id,name,name:hi,address,area_level,area_id,postal_code,latitude,longitude,opens,closes,fee_type,fees,active';

test.serial('tenant provision creates the database, seeds and keys; a second run changes nothing', async (t) => {
  const first = await teeka(root, ['tenant', 'provision', 'in'], env);
  t.is(first.code, 0, first.stdout + first.stderr);
  t.regex(first.stdout, new RegExp(`database ${database} created`));
  t.regex(first.stdout, /facilities: 14 in seed file, 14 inserted or changed/);
  t.regex(first.stdout, /signing keys: [1-9]\d* created/);
  const facilities = await count('facility');
  const keys = await count('signing_key');
  const second = await teeka(root, ['tenant', 'provision', 'in'], env);
  t.is(second.code, 0, second.stdout + second.stderr);
  t.regex(second.stdout, new RegExp(`database ${database} exists`));
  t.regex(second.stdout, /areas: \d+ in seed file, 0 inserted or changed/);
  t.regex(second.stdout, /facilities: 14 in seed file, 0 inserted or changed/);
  t.regex(second.stdout, /signing keys: 0 created/);
  t.is(await count('facility'), facilities);
  t.is(await count('signing_key'), keys);

  const migrated = await teeka(root, ['migrate', 'in'], env);
  t.is(migrated.code, 0, migrated.stderr);
  t.regex(migrated.stdout, /in: database .*: \d+ migrations applied, up to date/);
  const rotated = await teeka(root, ['keys', 'rotate', 'in'], env);
  t.is(rotated.code, 0, rotated.stderr);
  t.regex(rotated.stdout, /new active key/);
  t.true((await count('signing_key')) > keys, 'the retired keys are kept');
});

test.serial('import facilities: one bad row imports nothing and names its line; a good file is imported', async (t) => {
  const bad = join(root, 'bad.csv');
  writeFileSync(
    bad,
    [
      HEADER,
      '5001,Clinic One,क्लिनिक,"Road 1, Mumbai",district,395,400012,19.01,72.84,09:00,17:00,free,,true',
      '5002,Clinic Two,,Road 2,district,395,400012,95.5,72.84,09:00,17:00,free,,true',
      '5003,Clinic Three,,Road 3,district,395,4000,19.02,72.85,09:00,17:00,paid,covishield=780.00,true',
    ].join('\n'),
  );
  const failed = await teeka(root, ['import', 'facilities', bad, '--tenant', 'in'], env);
  t.is(failed.code, 1, failed.stdout + failed.stderr);
  t.regex(failed.stdout, /line 3: latitude: must be <= 90/);
  t.regex(failed.stdout, /line 4: postal_code: postal code "4000" does not match/);
  t.notRegex(failed.stdout, /line 2:/);
  t.regex(failed.stdout, /nothing imported/);
  t.is(await count('facility', 'id between 5001 and 5003'), 0);

  const good = join(root, 'good.csv');
  writeFileSync(
    good,
    [
      HEADER,
      '5001,Clinic One,क्लिनिक,"Road 1, Mumbai",district,395,400012,19.01,72.84,09:00,17:00,free,,true',
      '5002,Clinic Two,,Road 2,district,395,400012,19.5,72.84,08:30,16:00,free,,false',
    ].join('\r\n'),
  );
  const imported = await teeka(root, ['import', 'facilities', good, '--tenant', 'in'], env);
  t.is(imported.code, 0, imported.stdout + imported.stderr);
  t.regex(imported.stdout, /2 facilities row\(s\) imported \(2 inserted or changed\)/);
  t.is(await count('facility', 'id between 5001 and 5003'), 2);
  t.is(await count('facility', `id = 5001 and names->>'hi' = 'क्लिनिक' and address = 'Road 1, Mumbai'`), 1);
  t.false(/\r|\[#/.test(imported.stderr), 'no progress bar when stderr is not a terminal');
});

test.serial('import areas: a parent must exist; good rows are imported', async (t) => {
  const file = join(root, 'areas.csv');
  writeFileSync(file, ['level,id,parent,code,name', 'district,9901,99999,,Nowhere', 'block,9902,,,Orphan'].join('\n'));
  const failed = await teeka(root, ['import', 'areas', file, '--tenant', 'in'], env);
  t.is(failed.code, 1, failed.stdout + failed.stderr);
  t.regex(failed.stdout, /line 2: parent: state 99999 is neither in the database nor on an earlier line/);
  t.regex(failed.stdout, /line 3: parent: a block needs a parent district/);
  t.is(await count('area', 'id in (9901, 9902)'), 0);
  writeFileSync(file, ['level,id,parent,code,name', 'state,9900,,XX,New State', 'district,9901,9900,,New District'].join('\n'));
  const imported = await teeka(root, ['import', 'areas', file, '--tenant', 'in'], env);
  t.is(imported.code, 0, imported.stdout + imported.stderr);
  t.is(await count('area', 'id in (9900, 9901)'), 2);
});

test.serial('import sessions: SessionService rules per row, nothing written on failure; a good file creates the sessions', async (t) => {
  const day = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const file = join(root, 'sessions.csv');
  const header = 'facility_id,date,vaccine,min_age,max_age,slots,capacities,slot_capacities,opens_at';
  writeFileSync(
    file,
    [
      header,
      `1001,${day},covishield,18,,09:00AM-11:00AM;11:00AM-01:00PM,1=40/10;2=20,,`,
      `1001,2020-01-01,covishield,18,,09:00AM-11:00AM,1=10,,`,
      `1001,${day},nope,18,,10:00AM-09:00AM,1=10,,`,
      `1001,${day},covishield,abc,,09:00AM-11:00AM,1=10,,`,
    ].join('\n'),
  );
  const shape = await teeka(root, ['import', 'sessions', file, '--tenant', 'in'], env);
  t.is(shape.code, 1, shape.stdout + shape.stderr);
  t.regex(shape.stdout, /sessions\.csv: line 5: min_age: /);
  t.regex(shape.stdout, /nothing imported/);
  // The rows of the right shape are checked by SessionService: every problem, with its line and column.
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\n1001,[^\n]*,abc,[^\n]*$/, ''));
  const rules = await teeka(root, ['import', 'sessions', file, '--tenant', 'in'], env);
  t.is(rules.code, 1, rules.stdout + rules.stderr);
  t.regex(rules.stdout, /line 3: date: Choose today or a later date\./);
  t.regex(rules.stdout, /line 4: vaccine: /);
  t.regex(rules.stdout, /line 4: slots: "10:00AM-09:00AM": /);
  t.notRegex(rules.stdout, /line 2:/);
  t.is(await count('vaccination_session'), 0, 'nothing written');

  writeFileSync(
    file,
    [
      header,
      `1001,${day},covishield,18,,09:00AM-11:00AM;11:00AM-01:00PM,1=40/10;2=20,30;30,`,
      `1001,${day},covaxin,15,17,"09:00AM-11:00AM",1=25,,`,
    ].join('\r\n'),
  );
  const good = await teeka(root, ['import', 'sessions', file, '--tenant', 'in'], env);
  t.is(good.code, 0, good.stdout + good.stderr);
  t.regex(good.stdout, /in: 2 session\(s\) imported/);
  t.is(await count('vaccination_session', `facility_id = 1001 and date = '${day}' and created_by is null`), 2);
  t.is(await count('session_slot', `capacity = 30`), 2);
  t.is(await count('audit_entry', `action = 'session.create' and actor_type = 'system'`), 2);
  t.false(/\r|\[#/.test(good.stderr), 'no progress bar when stderr is not a terminal');
});

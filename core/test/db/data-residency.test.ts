import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { dropDatabase, withDatabase } from '../../src/kernel/db/database-server.js';
import { startTestPlatform, testDatabaseUrl } from '../support/platform.js';

test('a tenant that names its own database URL keeps its data there', async (t) => {
  const source = projectPaths();
  const tenants = mkdtempSync(join(tmpdir(), 'teeka-tenants-'));
  cpSync(source.tenants, tenants, { recursive: true });
  const file = join(tenants, 'ae.yaml');
  writeFileSync(file, `${readFileSync(file, 'utf8')}\ndatabase:\n  url: { env: TEEKA_TEST_AE_DATABASE_URL }\n`);
  const ownDatabase = `teekaresidency_${process.pid}`;
  process.env.TEEKA_TEST_AE_DATABASE_URL = withDatabase(testDatabaseUrl(), ownDatabase);

  const app = await startTestPlatform({ settings: { paths: { ...source, tenants } } });
  try {
    const uae = app.platform.tenants.byCode('ae')!;
    t.is(uae.database, ownDatabase);
    t.is(app.platform.tenants.byCode('in')!.database, `${app.settings.databasePrefix}in`);
    await app.request('ae.localhost', '/dev/sms', { method: 'POST', body: { to: '+971501234567', text: 'stays in the UAE' } });
    const client = new pg.Client({ connectionString: process.env.TEEKA_TEST_AE_DATABASE_URL });
    await client.connect();
    try {
      const rows = await client.query("select count(*)::int as n from plugin_record where data->>'text' = 'stays in the UAE'");
      t.is(rows.rows[0].n, 1);
    } finally {
      await client.end();
    }
  } finally {
    await app.stop();
    await dropDatabase(testDatabaseUrl(), ownDatabase);
  }
});

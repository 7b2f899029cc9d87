import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';
import { preparePool } from './prepared.js';

export type TenantOrm = MikroORM;

/**
 * The advisory lock key migrations are run under, in each tenant's database (any fixed bigint;
 * this one spells "teekamig" in ASCII). Several app instances started together against the same
 * database would otherwise each see a migration as pending and run it at once: one fails with
 * "relation already exists" and that instance does not start.
 */
export const MIGRATION_LOCK_KEY = 0x7465656b616d6967n;

/** Opens the ORM on one tenant's database and brings its schema up to date. */
export async function openTenantOrm(clientUrl: string, options: { poolMax?: number } = {}): Promise<TenantOrm> {
  // libpq's `?host=` (a Unix socket's directory, as the embedded server's URLs and many
  // deployments give) wins over the URL's host for pg, pgbench and psql; MikroORM reads only the
  // URL's own host, so it is handed over explicitly.
  const host = new URL(clientUrl).searchParams.get('host') || undefined;
  const orm = await MikroORM.init({
    clientUrl,
    ...(host ? { host } : {}),
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, tableName: 'teeka_migrations', snapshot: false, silent: true },
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Hot statements (kernel/db/prepared.ts `statement`) run prepared on every connection.
    driverOptions: { onPoolCreated: preparePool },
    // Every unit of work must run in a forked EntityManager (one per request); the global one
    // is shared by all requests of the tenant and must never accumulate entities.
    allowGlobalContext: false,
    debug: false,
  });
  try {
    await migrateUnderLock(clientUrl, () => orm.migrator.up());
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  return orm;
}

/**
 * Runs `migrate` while holding the database's migration lock, on a connection of its own: the
 * migrator takes its connections from the ORM's pool, and a session-level lock must live on one
 * connection for the whole run. An instance that waits finds the migrations done and runs none.
 */
async function migrateUnderLock(clientUrl: string, migrate: () => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: clientUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await migrate();
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await client.end();
  }
}

import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';

export type TenantOrm = MikroORM;

/** Opens the ORM on one tenant's database and brings its schema up to date. */
export async function openTenantOrm(clientUrl: string, options: { poolMax?: number } = {}): Promise<TenantOrm> {
  const orm = await MikroORM.init({
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, tableName: 'teeka_migrations', snapshot: false, silent: true },
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Every unit of work must run in a forked EntityManager (one per request); the global one
    // is shared by all requests of the tenant and must never accumulate entities.
    allowGlobalContext: false,
    debug: false,
  });
  await orm.migrator.up();
  return orm;
}

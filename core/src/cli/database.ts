import 'reflect-metadata';
import type { Settings } from '../kernel/config/settings.js';
import { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { type DatabaseServer, databaseOf, ExternalPostgres, ensureDatabase, withDatabase } from '../kernel/db/database-server.js';
import { EmbeddedPostgres } from '../kernel/db/embedded-postgres.js';
import { openTenantOrm, type TenantOrm } from '../kernel/db/orm.js';
import { createLogger } from '../kernel/log/logger.js';
import { SecretStore } from '../kernel/secrets/secret-store.js';
import { tenantDatabaseUrl } from '../kernel/tenancy/tenant.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { TENANT_SECRETS, type TenantSecretName, tenantSecretRef } from '../kernel/tenancy/tenant-secrets.js';

/** One tenant's database, opened (created when missing, migrated) outside a running platform. */
export interface OpenTenantDatabase {
  config: TenantConfig;
  orm: TenantOrm;
  database: string;
  /** Its connection URL (for pg-boss, which keeps its own connections). */
  url: string;
  created: boolean;
  crypto: TenantCrypto;
}

/**
 * Runs `work` with the platform's database server: DATABASE_URL when set, else the embedded server
 * (started for the command, stopped after it), exactly as `npm start` chooses.
 */
export async function withDatabaseServer<T>(
  settings: Settings,
  notice: (line: string) => void,
  work: (server: DatabaseServer) => Promise<T>,
): Promise<T> {
  const server: DatabaseServer = settings.databaseUrl
    ? new ExternalPostgres(settings.databaseUrl)
    : await EmbeddedPostgres.start({
        projectDataDir: settings.paths.data,
        projectRoot: settings.paths.root,
        port: settings.embeddedPort,
        log: notice,
      });
  notice(`database: ${server.description}`);
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

/** Creates the tenant's database when missing and brings its schema up to date (the platform's migrations). */
export async function openTenantDatabase<T>(
  config: TenantConfig,
  settings: Settings,
  server: DatabaseServer,
  work: (tenant: OpenTenantDatabase) => Promise<T>,
): Promise<T> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr as never);
  const secrets = new SecretStore(settings.mode, settings.paths.data);
  const url = tenantDatabaseUrl(config, { settings, secrets, logger, server });
  const database = databaseOf(url);
  const created = await ensureDatabase(withDatabase(url, 'postgres'), database);
  const values = Object.fromEntries(TENANT_SECRETS.map((name) => [name, secrets.resolve(tenantSecretRef(config, name)) ?? ''])) as Record<
    TenantSecretName,
    string
  >;
  secrets.assertComplete();
  const orm = await openTenantOrm(url, { poolMax: 2 });
  try {
    return await work({ config, orm, database, url, created, crypto: new TenantCrypto(values) });
  } finally {
    await orm.close();
  }
}

import { randomUUID } from 'node:crypto';
import type { PluginLogger, PluginStorage, StoredRecord } from '@teeka/plugin-sdk';
import type { TenantOrm } from '../db/orm.js';
import { addToBatch, queryPrepared, WriteBatch } from '../db/write-batch.js';
import type { Logger } from '../log/logger.js';

/**
 * Plugins' stored records, one array element per record: concurrent appends of a tenant go in one
 * statement (WriteBatch). Exported for bench/otp.ts, whose pgbench baseline runs it.
 */
export const PLUGIN_APPEND_SQL = `insert into plugin_record (id, plugin_id, collection, data)
select * from unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::jsonb[])
returning id, created_at`;

interface Appended {
  id: string;
  pluginId: string;
  collection: string;
  /** The record as JSON text. */
  json: string;
}

const appends = () =>
  new WriteBatch<Appended, Date>(async (pool, rows) => {
    const written = await queryPrepared<{ id: string; created_at: Date }>(pool, 'teeka-plugin-append', PLUGIN_APPEND_SQL, [
      rows.map((row) => row.id),
      rows.map((row) => row.pluginId),
      rows.map((row) => row.collection),
      rows.map((row) => row.json),
    ]);
    const createdAt = new Map(written.map((row) => [row.id, new Date(row.created_at)]));
    return rows.map((row) => createdAt.get(row.id) as Date);
  });

/** PluginStorage on the tenant's database: one table, rows keyed by plugin and collection. */
export function databaseStorage(orm: TenantOrm, pluginId: string): PluginStorage {
  const connection = () => orm.em.getConnection();
  return {
    async append<T extends object>(collection: string, data: T): Promise<StoredRecord<T>> {
      const id = randomUUID();
      // Prepared on the pool, not through the ORM's query path, and with the tenant's other
      // appends of the moment: an SMS gateway appends inside the citizen's OTP request.
      const createdAt = await addToBatch(orm.em, 'plugin-append', appends, { id, pluginId, collection, json: JSON.stringify(data) });
      return { id, data, createdAt };
    },
    async list<T extends object>(collection: string, options: { limit?: number } = {}): Promise<StoredRecord<T>[]> {
      const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
      const rows = await connection().execute<{ id: string; data: T; created_at: Date }[]>(
        'select id, data, created_at from plugin_record where plugin_id = ? and collection = ? order by created_at desc, id desc limit ?',
        [pluginId, collection, limit],
      );
      return rows.map((row) => ({ id: row.id, data: row.data, createdAt: new Date(row.created_at) }));
    },
  };
}

export function pluginLogger(logger: Logger): PluginLogger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}

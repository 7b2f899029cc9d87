import { randomUUID } from 'node:crypto';
import type { DeliveryReport, PluginContext, PluginLogger, PluginStorage, StoredRecord, TenantInfo } from '../context.js';
import { fetchHttpClient } from '../http.js';

/** A PluginStorage kept in memory, for plugin tests that run without a database. */
export function memoryStorage(): PluginStorage {
  const collections = new Map<string, StoredRecord<object>[]>();
  return {
    async append<T extends object>(collection: string, data: T) {
      const record: StoredRecord<T> = { id: randomUUID(), data, createdAt: new Date() };
      const list = collections.get(collection) ?? [];
      list.unshift(record);
      collections.set(collection, list);
      return record;
    },
    async list<T extends object>(collection: string, options?: { limit?: number }) {
      const list = (collections.get(collection) ?? []) as StoredRecord<T>[];
      const limit = Math.max(0, Math.floor(options?.limit ?? list.length));
      // Copies, as a database would return: callers cannot change what is stored.
      return list.slice(0, limit).map((record) => structuredClone(record));
    },
  };
}

/** One line a {@link recordingLogger} kept. */
export interface LogLine {
  /** The logger method called. */
  level: 'debug' | 'info' | 'warn' | 'error';
  /** The message. */
  message: string;
  /** The structured fields, if any. */
  fields?: Record<string, unknown>;
}

/** A logger that keeps what it is given, so tests can assert nothing sensitive was logged. */
export function recordingLogger(): PluginLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The tenant of {@link testContext}: code `xx`, country `XX`, UTC, English. */
export const testTenant: TenantInfo = {
  code: 'xx',
  country: 'XX',
  timeZone: 'UTC',
  defaultLanguage: 'en',
  languages: ['en'],
};

/** A complete PluginContext for tests: in-memory storage, a recording logger, real fetch. */
export function testContext<Config>(
  config: Config,
  overrides: Partial<Omit<PluginContext<Config>, 'config' | 'logger'>> = {},
): PluginContext<Config> & { logger: ReturnType<typeof recordingLogger>; deliveryReports: DeliveryReport[] } {
  const deliveryReports: DeliveryReport[] = [];
  return {
    reportDelivery: (report) => {
      deliveryReports.push(report);
    },
    tenant: testTenant,
    mode: 'development',
    secrets: {},
    http: fetchHttpClient(),
    storage: memoryStorage(),
    ...overrides,
    logger: recordingLogger(),
    deliveryReports,
    config,
  };
}

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { readSettings, type Settings } from '../../src/kernel/config/settings.js';
import { dropDatabase } from '../../src/kernel/db/database-server.js';
import { createLogger } from '../../src/kernel/log/logger.js';
import { Platform } from '../../src/kernel/platform.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface TestPlatform {
  platform: Platform;
  settings: Settings;
  /** Every log line the platform wrote, as written (after redaction). */
  logs: string[];
  /** A request over real HTTP to the platform's port, with the Host header we choose. */
  request(host: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  stop(): Promise<void>;
}

/** The database server of this test run (started by `npm test`, or the CI's DATABASE_URL). */
export function testDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('Run the tests with `npm test`: it provides the PostgreSQL server they use');
  return url;
}

export function uniquePrefix(): string {
  return `teekatest_${randomBytes(4).toString('hex')}_`;
}

export function httpRequestTo(port: number, host: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { Host: host, ...(options.headers ?? {}) };
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Starts the real platform (every demo tenant unless `paths` says otherwise) on an ephemeral port
 * against the test run's PostgreSQL, with databases under a prefix of its own so test files
 * running in parallel never meet. `stop()` drops those databases.
 */
export async function startTestPlatform(
  options: { env?: Record<string, string>; settings?: Partial<Settings>; logLevel?: string } = {},
): Promise<TestPlatform> {
  const databaseUrl = testDatabaseUrl();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const settings = readSettings(
    // Demo sessions (development) would crowd the sessions tests create: on only where a test asks.
    { ...process.env, NODE_ENV: 'development', TEEKA_DEMO_SESSIONS: 'off', ...options.env },
    {
      port: 0,
      listenHost: '127.0.0.1',
      databaseUrl,
      databasePrefix: uniquePrefix(),
      paths: projectPaths(),
      logLevel: 'info',
      ...options.settings,
    },
  );
  const platform = await Platform.start(settings, { logger: createLogger(options.logLevel ?? 'info', sink) });
  return {
    platform,
    settings,
    logs,
    request: (host, path, requestOptions) => httpRequestTo(platform.port, host, path, requestOptions),
    async stop() {
      await platform.stop();
      await Promise.all(platform.tenants.all.map((tenant) => dropDatabase(databaseUrl, tenant.database).catch(() => undefined)));
    },
  };
}

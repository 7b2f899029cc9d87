import pg from 'pg';

/** Where tenant databases live: the embedded server or one named by DATABASE_URL. */
export interface DatabaseServer {
  readonly description: string;
  readonly adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/** An existing server, reached through DATABASE_URL (any PostgreSQL >= 15). */
export class ExternalPostgres implements DatabaseServer {
  readonly description: string;

  constructor(readonly adminUrl: string) {
    const url = new URL(adminUrl);
    // libpq's `?host=` wins over the URL's host: a directory there is a Unix socket's.
    const host = url.searchParams.get('host') || url.hostname;
    const port = url.port || 5432;
    this.description = host.startsWith('/')
      ? `PostgreSQL on the Unix socket in ${host}, port ${port} (DATABASE_URL)`
      : `PostgreSQL at ${host}:${port} (DATABASE_URL)`;
  }

  urlFor(database: string): string {
    return withDatabase(this.adminUrl, database);
  }

  async stop(): Promise<void> {}
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Creates the database when missing; safe when several processes race to create it. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount) return false;
    await client.query(`create database ${client.escapeIdentifier(database)} encoding 'UTF8' template template0`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created meanwhile
    throw error;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`);
  } finally {
    await client.end();
  }
}

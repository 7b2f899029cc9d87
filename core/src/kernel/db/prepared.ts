import type { EntityManager } from '@mikro-orm/postgresql';
import type { QueryResultRow } from 'pg';

/**
 * Runs one statement as a named prepared statement on the `pg` pool behind the ORM, for the few
 * hot paths (OTP sign-in, session rows, the SMS record) that are one fixed statement per request:
 * PostgreSQL parses and plans it once per connection instead of once per call, and the parameters
 * travel as parameters, not interpolated by the ORM. Not inside the EntityManager's transaction: use
 * it only for statements that stand alone (autocommit). `name` must be unique per `text`.
 */
export async function runPrepared<R extends QueryResultRow>(
  em: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<{ rows: R[]; rowCount: number }> {
  const pool = await em.getConnection().getNativeClient();
  const result = await pool.query<R>({ name, text, values });
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

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

/**
 * A condition that is always true and lets the statement's own (autocommit) transaction commit
 * without waiting for its WAL to reach disk: `synchronous_commit` off for that one transaction, set
 * from inside the statement, so it costs no round trip (`SET LOCAL` would need begin and commit).
 * For rows whose loss in a PostgreSQL crash is harmless and shows as "ask again": an OTP challenge
 * and its rate-limit counts, an SMS record, a sign-in. Such a crash loses at most the last
 * 3 × `wal_writer_delay` (600 ms by default) of them; the data stays consistent (nothing is torn),
 * and a later synchronous commit (a booking, a dose) flushes every earlier one with it, so nothing
 * durable can refer to a lost row. Never for bookings, doses, stock or certificates. Measured on
 * PostgreSQL 15 with fsync on: a commit then no longer waits for an fsync of its own.
 */
export const RELAXED_COMMIT = `set_config('synchronous_commit', 'off', true) = 'off'`;

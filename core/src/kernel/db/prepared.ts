import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery, type ControlledTransaction } from 'kysely';
import type pg from 'pg';
import type { QueryResultRow } from 'pg';
import { statementSent } from './statement-count.js';

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

/**
 * A fixed statement run as a named prepared statement wherever it runs: in an EntityManager's
 * transaction (on that transaction's connection) or on its own. MikroORM's `execute` writes the
 * parameters into the SQL text, so PostgreSQL parses and plans every call again: measured on the
 * dose path, planning was about 5 ms of PostgreSQL's 14 ms of CPU per dose. Prepared, a statement is
 * parsed once per connection, and planned once when PostgreSQL finds a generic plan as good.
 */
export interface Statement {
  readonly name: string;
  /** With $1…$n placeholders. */
  readonly text: string;
}

/** `sql` with its `?` placeholders numbered $1…$n, in order, except inside quoted literals. */
function numbered(sql: string): string {
  let n = 0;
  let text = '';
  let quoted = false;
  for (const c of sql) {
    if (c === "'") quoted = !quoted;
    text += c === '?' && !quoted ? `$${++n}` : c;
  }
  return text;
}

/** Every statement's name, by its text. */
const byText = new Map<string, string>();

/**
 * A statement written with `?` placeholders, as `em.execute` takes them (numbered $1…$n here, in
 * order; a `?` inside a quoted literal is left alone). `name` must be unique per text.
 */
export function statement(name: string, sql: string): Statement {
  return register(name, numbered(sql));
}

function register(name: string, text: string): Statement {
  const known = byText.get(text);
  if (known !== undefined && known !== name) throw new Error(`statement ${name} has the text of ${known}`);
  for (const [other, otherName] of byText) {
    if (otherName === name && other !== text) throw new Error(`statement name ${name} used for two texts`);
  }
  byText.set(text, name);
  return { name, text };
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * For the ORM's `pg` pool (MikroORM's `onPoolCreated`): each new connection sends a registered
 * statement's text, when it comes with parameters, as its named prepared statement. Everything
 * else goes through unchanged. Kysely, under MikroORM, calls `client.query(text, values)`; this is
 * the one place to name a statement on a transaction's connection. Every statement is counted
 * here for the request that sends it (statement-count.ts).
 */
export function preparePool(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query as unknown as Query;
    (client as unknown as { query: Query }).query = function named(this: pg.PoolClient, config, values, callback) {
      statementSent();
      if (typeof config === 'string' && Array.isArray(values)) {
        const name = byText.get(config);
        if (name !== undefined) return query.call(this, { name, text: config, values }, callback);
      }
      return query.call(this, config, values, callback);
    };
  });
}

/**
 * Runs `statement` with `values` (as `pg` sends them: a Buffer is bytea, an object JSON, an array a
 * PostgreSQL array) in `em`'s transaction when it has one, else on its own (autocommit).
 */
export async function run<R extends QueryResultRow>(em: EntityManager, statement: Statement, values: unknown[]): Promise<R[]> {
  const transaction = em.getTransactionContext<ControlledTransaction<unknown>>();
  try {
    if (transaction) return (await transaction.executeQuery<R>(CompiledQuery.raw(statement.text, values))).rows;
    return (await runPrepared<R>(em, statement.name, statement.text, values)).rows;
  } catch (error) {
    // As em.execute throws them: a duplicate key is a UniqueConstraintViolationException, and so on.
    throw em.getDriver().convertException(error as Error);
  }
}

/** Statements made on first use (statementFor, foreignStatement): per prefix, by the text as given. */
const variants = new Map<string, Map<string, Statement>>();

/** The statement for `given` under `prefix`-<n>, made on first use; undefined past `max` texts for the prefix. */
function variant(prefix: string, given: string, text: () => string, max: number): Statement | undefined {
  let made = variants.get(prefix);
  if (!made) {
    made = new Map();
    variants.set(prefix, made);
  }
  let found = made.get(given);
  if (!found) {
    if (made.size >= max) return undefined;
    found = register(`${prefix}-${made.size + 1}`, text());
    made.set(given, found);
  }
  return found;
}

/** More variants than this under one name are a text built from data, not a fixed statement. */
const MAX_VARIANTS = 16;

/**
 * As `statement`, for a statement with a few fixed variants (a clause present or not, one
 * placeholder per configured format): each text gets `name` and a number, on first use. A name
 * with more than MAX_VARIANTS texts is being built from data; its further texts run unprepared.
 */
export function statementFor(name: string, sql: string): Statement {
  return variant(name, sql, () => numbered(sql), MAX_VARIANTS) ?? { name: '', text: numbered(sql) };
}

/** More distinct texts than this under one prefix run unprepared: the library builds them from data. */
const MAX_FOREIGN = 128;

/**
 * A name for a statement another library wrote with $1…$n placeholders (pg-boss's), made on first
 * use: `<prefix>-<n>`. Undefined past MAX_FOREIGN texts for the prefix. Only statements sent with
 * parameters may be prepared (a text without them may hold several commands), so callers name
 * only those.
 */
export function foreignStatement(prefix: string, text: string): Statement | undefined {
  return variant(prefix, text, () => text, MAX_FOREIGN);
}

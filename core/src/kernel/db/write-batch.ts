import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool, QueryResultRow } from 'pg';

/** More rows than this wait for the next statement: bounds one statement's parameters and locks. */
const MAX_ROWS = 256;

interface Waiting<Row, Result> {
  row: Row;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one kind of independent single-row write (an SMS outcome, a plugin's stored
 * record), or one kind of single-row read (readsById): a write that arrives while the previous
 * statement of its kind is still running waits for it, and then every write that waited goes in one
 * statement, one round trip and one commit. Alone, a write is sent at once, so nobody waits longer
 * than for their own statement plus at most one other. Each caller's promise settles when the
 * statement holding its row has committed, as if it had run its own: the row is written before the
 * caller goes on. The rows of one statement share its transaction, so they are only rows that do
 * not depend on each other; if PostgreSQL refuses that statement for a row's content, each of its
 * rows is tried again alone, so a bad row fails only its own caller.
 *
 * Why: under an OTP storm each statement costs the server a socket write and a wake-up of a
 * PostgreSQL backend (in the profile, the pg socket's writev was 15 % of the server's CPU), and
 * PostgreSQL a transaction; concurrent sign-ins now share them.
 */
export class WriteBatch<Row, Result> {
  private readonly waiting: Waiting<Row, Result>[] = [];
  private running = false;

  /** `write` runs one statement for all of `rows` and answers their results in the same order. */
  constructor(private readonly write: (pool: Pool, rows: Row[]) => Promise<Result[]>) {}

  add(pool: Pool, row: Row): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      if (!this.running) void this.drain(pool);
    });
  }

  private async drain(pool: Pool): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_ROWS);
        try {
          const results = await this.write(
            pool,
            batch.map((entry) => entry.row),
          );
          for (const [index, entry] of batch.entries()) entry.resolve(results[index]);
        } catch (error) {
          if (batch.length === 1 || !refusedRow(error)) for (const entry of batch) entry.reject(error);
          else {
            for (const entry of batch) {
              try {
                entry.resolve((await this.write(pool, [entry.row]))[0]);
              } catch (alone) {
                entry.reject(alone);
              }
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/**
 * Whether PostgreSQL refused the statement for what a row holds (SQLSTATE class 22, data exception,
 * or 23, integrity constraint): then each row is worth trying alone. Any other failure (the database
 * unreachable, a timeout) would fail them all again, one after the other.
 */
function refusedRow(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** One WriteBatch of each kind per pool (per tenant database): rows of one database only. */
const batches = new WeakMap<Pool, Map<string, WriteBatch<unknown, unknown>>>();

/**
 * Adds `row` to the write batch `name` of the EntityManager's pool (`create` makes the batch the
 * first time). Outside any EntityManager transaction, like runPrepared.
 */
export async function addToBatch<Row, Result>(
  em: EntityManager,
  name: string,
  create: () => WriteBatch<Row, Result>,
  row: Row,
): Promise<Result> {
  const pool = (await em.getConnection().getNativeClient()) as Pool;
  let byName = batches.get(pool);
  if (!byName) {
    byName = new Map();
    batches.set(pool, byName);
  }
  let batch = byName.get(name) as WriteBatch<Row, Result> | undefined;
  if (!batch) {
    batch = create();
    byName.set(name, batch as WriteBatch<unknown, unknown>);
  }
  return batch.add(pool, row);
}

/**
 * Reads by id, batched the same way: one statement (`sql`, whose $1 is a uuid[] of ids, answering
 * rows with an `id` column) serves every id asked for while the previous one ran, and each caller
 * gets its own row, or undefined. For a read that many concurrent jobs make, one each (the notices
 * of one fetch, sent side by side). Pass the result to addToBatch as its `create`.
 */
export function readsById<Row extends { id: string }>(name: string, sql: string): () => WriteBatch<string, Row | undefined> {
  return () =>
    new WriteBatch<string, Row | undefined>(async (pool, ids) => {
      const rows = await queryPrepared<Row>(pool, name, sql, [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id));
    });
}

/** Runs a prepared statement on the pool (as runPrepared, for a WriteBatch's `write`). */
export async function queryPrepared<R extends QueryResultRow>(pool: Pool, name: string, text: string, values: unknown[]): Promise<R[]> {
  return (await pool.query<R>({ name, text, values })).rows;
}

/**
 * Which statements PostgreSQL ran during a measured window, per unit of work, with
 * BENCH_PG_STATEMENTS=1: the embedded cluster starts with pg_stat_statements, the window resets it,
 * and the benchmark prints the top statements by execution time with calls and rows per unit (a
 * booking, a sign-in, a dose). Counting statements per unit is how round trips were found and cut
 * (on these VMs each costs the server a writev that wakes a backend). Off by default: the
 * extension costs PostgreSQL a little on every statement.
 */
import type pg from 'pg';
import { numberFrom, say } from './common.js';

export const STATEMENTS = process.env.BENCH_PG_STATEMENTS === '1';

/** Server settings for the embedded cluster (empty unless BENCH_PG_STATEMENTS=1). */
export function statementSettings(): Record<string, string> {
  return STATEMENTS ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {};
}

/** Starts counting (no-op unless BENCH_PG_STATEMENTS=1): `client` is on the tenant's database. */
export async function resetStatements(client: pg.Client): Promise<void> {
  if (!STATEMENTS) return;
  await client.query('create extension if not exists pg_stat_statements');
  await client.query('select pg_stat_statements_reset()');
}

/** Prints the top statements since the reset, per `units` units of `unit` (no-op unless enabled). */
export async function printStatements(
  client: pg.Client,
  units: number,
  unit: string,
  top = numberFrom('BENCH_PG_STATEMENTS_TOP', 20),
): Promise<void> {
  if (!STATEMENTS || units <= 0) return;
  const { rows } = await client.query<{ calls: string; exec_ms: number; rows: string; query: string }>(
    `select calls, total_exec_time as exec_ms, rows, regexp_replace(query, '\\s+', ' ', 'g') as query
       from pg_stat_statements where query not like '%pg_stat_statements%'
      order by total_exec_time desc limit $1`,
    [top],
  );
  const all = await client.query<{ calls: string }>(`select coalesce(sum(calls), 0) as calls from pg_stat_statements
    where query not in ('begin', 'commit', 'BEGIN', 'COMMIT') and query not like '%pg_stat_statements%'`);
  say(
    `statements per ${unit} (pg_stat_statements, ${units} ${unit}s): ${(Number(all.rows[0].calls) / units).toFixed(2)} in all, top by time:`,
  );
  say('| calls per unit | rows per unit | exec ms per unit | statement |');
  say('|---:|---:|---:|---|');
  for (const row of rows) {
    say(
      `| ${(Number(row.calls) / units).toFixed(2)} | ${(Number(row.rows) / units).toFixed(2)} | ${(row.exec_ms / units).toFixed(3)} | ${row.query.slice(0, 110)} |`,
    );
  }
}

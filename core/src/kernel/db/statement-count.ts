import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Statements sent to PostgreSQL on behalf of one piece of work (a request), counted where they
 * leave for the server: the ORM pool's connections (preparePool) and pg-boss's (prepareJobStatements).
 * Each is one round trip, and round trips are what a hot path costs most on a shared machine
 * (bench/RESULTS.md), so the request log gives each request's count (`db`), and tests hold the hot
 * paths to theirs (core/test/db/statement-budget.test.ts).
 *
 * Counted in the async context of the code that sends the statement. One sent from inside
 * pg-pool's callback when another request hands back a connection (a pool that ran out of
 * connections) counts for that other request: the figure is exact for a request alone and close
 * under load.
 */
export interface StatementCount {
  statements: number;
}

const current = new AsyncLocalStorage<StatementCount>();

/** Runs `work` with `count` counting the statements it sends, its async continuations included. */
export function countingStatements<T>(count: StatementCount, work: () => T): T {
  return current.run(count, work);
}

/** One statement is being sent: counted for the work in whose context it is sent, if any. */
export function statementSent(): void {
  const count = current.getStore();
  if (count) count.statements += 1;
}

/** Seconds a client is asked to wait before trying again while a tenant's database is down. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Network errors and PostgreSQL states (class 08, 57P01-57P03) that mean the server is not reachable now. */
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03']);
const MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|the database system is (?:starting up|shutting down)|Cannot use a pool after calling end/i;

/**
 * Whether an error (or one it wraps) says the database server cannot be reached: an outage the
 * client is told about as 503 `database-unavailable`, not a bug (500).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, name, message, syscall } = current as { code?: unknown; name?: unknown; message?: unknown; syscall?: unknown };
    if (typeof code === 'string' && (CODES.has(code) || code.startsWith('08'))) return true;
    // A server reached through its Unix socket removes the socket file when it stops.
    if (code === 'ENOENT' && syscall === 'connect') return true;
    if (name === 'ConnectionException') return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    const { cause, previous } = current as { cause?: unknown; previous?: unknown };
    current = previous ?? cause;
  }
  return false;
}

/** Seconds a client is asked to wait before trying again after its change lost a race (see below). */
export const CONFLICT_RETRY_AFTER_SECONDS = 1;

/**
 * Whether an error (or one it wraps) is PostgreSQL ending a transaction that lost a race with
 * another: a deadlock (40P01) or a serialization failure (40001). The transaction was rolled back,
 * so nothing changed, and the same request sent again normally succeeds: the client is told
 * 503 `write-conflict` with Retry-After, not 500.
 */
export function isWriteConflict(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code } = current as { code?: unknown };
    if (code === '40P01' || code === '40001') return true;
    const { cause, previous } = current as { cause?: unknown; previous?: unknown };
    current = previous ?? cause;
  }
  return false;
}

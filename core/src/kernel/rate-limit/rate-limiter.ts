import { LRUCache } from 'lru-cache';
import type { TenantOrm } from '../db/orm.js';
import { runPrepared, statement } from '../db/prepared.js';
import { TeekaError } from '../errors.js';

/** 429 with Retry-After (the error handler sets the header from `retryAfterSeconds`). */
export class RateLimitedError extends TeekaError {
  constructor(
    readonly retryAfterSeconds: number,
    code = 'too-many-requests',
  ) {
    super(code, 429, 'rate limit reached', { seconds: retryAfterSeconds });
  }
}

/**
 * The most hits one process reserves for a key in one statement (see hitLeased), and the share
 * of the limit it may be: a limit of 100 reserves at most 6 at a time, of 1,000 at most 62.
 */
export const MAX_LEASE = 64;
const LEASE_SHARE = 16;
/** Keys with a lease kept per process; the least recently used is forgotten beyond it. */
const LEASED_KEYS = 20_000;

/** Hits this process has reserved for a key in the current window and not used yet. */
interface Lease {
  left: number;
  /** Hits reserved in this window, which sizes the next reservation (1, 1, 2, 4, … up to the cap). */
  reserved: number;
  /** Local epoch ms when the window ends (from PostgreSQL's clock: the time it said was left). */
  until: number;
  /** The limit has no room left for a reservation: one hit at a time, as `hit`. */
  full: boolean;
  /** PostgreSQL counted the key past its limit: refused here until the window ends, with no statement. */
  refused: boolean;
  /** A reservation in flight: the process's other hits of the key wait for it rather than send their own. */
  pending?: Promise<void>;
}

const UPSERT = statement(
  'teeka-rate-limit-hit',
  `insert into rate_limit (key, window_start, hits) values (?, now(), 1)
       on conflict (key) do update set
         hits = case when rate_limit.window_start <= now() - make_interval(secs => ?) then 1 else rate_limit.hits + 1 end,
         window_start = case when rate_limit.window_start <= now() - make_interval(secs => ?) then now() else rate_limit.window_start end
       returning hits, extract(epoch from (window_start + make_interval(secs => ?) - now())) * 1000 as ms_left`,
);

/**
 * Counts `want` hits at once, only if they all fit under the limit (or the window has ended and a
 * new one starts with them); no row when they do not, and nothing is counted then.
 */
const RESERVE = statement(
  'teeka-rate-limit-reserve',
  `insert into rate_limit (key, window_start, hits) values (?, now(), ?)
       on conflict (key) do update set
         hits = case when rate_limit.window_start <= now() - make_interval(secs => ?) then excluded.hits else rate_limit.hits + excluded.hits end,
         window_start = case when rate_limit.window_start <= now() - make_interval(secs => ?) then now() else rate_limit.window_start end
       where rate_limit.window_start <= now() - make_interval(secs => ?) or rate_limit.hits + excluded.hits <= ?
       returning hits, extract(epoch from (window_start + make_interval(secs => ?) - now())) * 1000 as ms_left`,
);

/**
 * Fixed-window counters in the tenant's PostgreSQL, so limits hold across every app process
 * (no Redis). `hit` is one statement per hit: insert the window or bump it, resetting an expired
 * window. `hitLeased` is for limits hit on every request of a busy public API: it reserves
 * several hits of the window in one statement and serves them from the process.
 */
export class RateLimiter {
  private readonly leases = new LRUCache<string, Lease>({ max: LEASED_KEYS });

  constructor(private readonly orm: TenantOrm) {}

  /** Counts a hit on `key`; throws RateLimitedError (429 + Retry-After) past `limit`. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<void> {
    const { hits, msLeft } = await this.count(key, windowSeconds);
    if (hits > limit) throw new RateLimitedError(Math.max(1, Math.ceil(msLeft / 1000)));
  }

  /**
   * As `hit`, but a key hit often reserves hits in PostgreSQL ahead (1, then 1, 2, 4, … up to
   * MAX_LEASE and a sixteenth of the limit), and this process serves them without a statement
   * until they are used or the window ends. Reservations are counted in PostgreSQL before they
   * are served and are never more than the limit has left, so no number of processes lets a
   * client past the limit. In one process a client gets exactly `limit` hits, as with `hit`.
   * With several, hits another process reserved and has not used are not available here: a
   * client spread over n processes may be refused at most (n − 1) × the cap before the limit.
   */
  async hitLeased(key: string, limit: number, windowSeconds: number): Promise<void> {
    const cap = Math.min(MAX_LEASE, Math.floor(limit / LEASE_SHARE));
    if (cap <= 1) return this.hit(key, limit, windowSeconds);
    for (;;) {
      let lease = this.leases.get(key);
      if (lease?.pending) {
        // The outcome (refused, failed) is the reserving request's own; this one looks again.
        await lease.pending.catch(() => undefined);
        continue;
      }
      if (lease && Date.now() >= lease.until) {
        this.leases.delete(key);
        lease = undefined;
      }
      if (lease && lease.left > 0) {
        lease.left--;
        return;
      }
      if (lease?.refused) throw new RateLimitedError(Math.max(1, Math.ceil((lease.until - Date.now()) / 1000)));
      const current = lease ?? { left: 0, reserved: 0, until: 0, full: false, refused: false };
      const want = current.full ? 1 : Math.min(cap, Math.max(1, current.reserved));
      const reservation = this.reserve(key, want, limit, windowSeconds, current);
      current.pending = reservation.then(
        () => undefined,
        () => undefined,
      );
      this.leases.set(key, current);
      try {
        await reservation;
        return;
      } finally {
        current.pending = undefined;
      }
    }
  }

  /** Reserves `want` hits (this request takes one of them), or counts one hit as `hit` does when they do not fit. */
  private async reserve(key: string, want: number, limit: number, windowSeconds: number, lease: Lease): Promise<void> {
    const reserved =
      want > 1
        ? (
            await runPrepared<{ hits: number; ms_left: number }>(this.orm.em, RESERVE.name, RESERVE.text, [
              key,
              want,
              windowSeconds,
              windowSeconds,
              windowSeconds,
              limit,
              windowSeconds,
            ])
          ).rows[0]
        : undefined;
    const { hits, msLeft } = reserved ? { hits: reserved.hits, msLeft: Number(reserved.ms_left) } : await this.count(key, windowSeconds);
    const got = reserved ? want : 1;
    // A new window (ours ended, or another process started it): what was reserved before is gone.
    if (hits === got) lease.reserved = 0;
    lease.until = Date.now() + msLeft;
    lease.full = !reserved && want > 1;
    if (hits > limit) {
      lease.left = 0;
      lease.refused = true;
      throw new RateLimitedError(Math.max(1, Math.ceil(msLeft / 1000)));
    }
    lease.reserved += got;
    lease.left = got - 1;
  }

  private async count(key: string, windowSeconds: number): Promise<{ hits: number; msLeft: number }> {
    const { rows } = await runPrepared<{ hits: number; ms_left: number }>(this.orm.em, UPSERT.name, UPSERT.text, [
      key,
      windowSeconds,
      windowSeconds,
      windowSeconds,
    ]);
    return { hits: rows[0].hits, msLeft: Number(rows[0].ms_left) };
  }
}

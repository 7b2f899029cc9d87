import type { TenantOrm } from '../db/orm.js';
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
 * Fixed-window counters in the tenant's PostgreSQL, so limits hold across every app process
 * (no Redis). One statement per hit: insert the window or bump it, resetting an expired window.
 */
export class RateLimiter {
  constructor(private readonly orm: TenantOrm) {}

  /** Counts a hit on `key`; throws RateLimitedError (429 + Retry-After) past `limit`. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<void> {
    const rows = await this.orm.em.getConnection().execute<{ hits: number; retry_after: number }[]>(
      `insert into rate_limit (key, window_start, hits) values (?, now(), 1)
       on conflict (key) do update set
         hits = case when rate_limit.window_start <= now() - make_interval(secs => ?) then 1 else rate_limit.hits + 1 end,
         window_start = case when rate_limit.window_start <= now() - make_interval(secs => ?) then now() else rate_limit.window_start end
       returning hits, ceil(extract(epoch from (window_start + make_interval(secs => ?) - now())))::int as retry_after`,
      [key, windowSeconds, windowSeconds, windowSeconds],
    );
    const { hits, retry_after } = rows[0];
    if (hits > limit) throw new RateLimitedError(Math.max(1, retry_after));
  }
}

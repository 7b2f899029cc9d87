/** A value and when it was computed: what the dashboard shows as "data as of". */
export interface Fresh<T> {
  value: T;
  computedAt: number;
}

/**
 * Computed values kept for a while, one computation at a time per key: requests arriving while
 * the aggregates are computed wait for that one query instead of starting their own. A failed
 * computation is not remembered. The keys are few (the summary, the open data), so no bound.
 */
export class FreshCache {
  private readonly entries = new Map<string, Promise<Fresh<unknown>>>();

  async get<T>(key: string, ttlMs: number, compute: () => Promise<T>): Promise<Fresh<T>> {
    const known = this.entries.get(key) as Promise<Fresh<T>> | undefined;
    if (known) {
      const fresh = await known.catch(() => undefined);
      if (fresh && Date.now() - fresh.computedAt < ttlMs) return fresh;
      if (this.entries.get(key) !== known) return this.get(key, ttlMs, compute);
      this.entries.delete(key);
    }
    const pending = compute().then((value) => ({ value, computedAt: Date.now() }));
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }
}

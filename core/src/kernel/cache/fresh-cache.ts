/** A value and when it was computed (epoch ms), so answers can say how old they are (`Age`). */
export interface Fresh<T> {
  value: T;
  computedAt: number;
  /**
   * What the value was cut from, when it comes from a shared cache entry: two answers with the
   * same source and the same arguments are equal, so their serialised bytes may be reused.
   */
  source?: object;
}

/**
 * Computed values kept for a short while. Concurrent misses for one key share one computation (a
 * popular district at 8 a.m. is computed once, not once per request); a failed computation is not
 * remembered. With `maxEntries`, the oldest entries are dropped beyond it, so a crawler walking
 * every PIN code cannot grow memory.
 */
export class FreshCache {
  private readonly entries = new Map<string, Promise<Fresh<unknown>>>();

  constructor(private readonly maxEntries = Number.POSITIVE_INFINITY) {}

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
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return pending;
  }
}

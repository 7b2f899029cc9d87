import { LRUCache } from 'lru-cache';
import { availabilityCacheBudget } from './cache-budget.js';
import { cacheLookups } from './cache-metrics.js';

interface Kept {
  /** Weak: an answer must not keep alive an entry its own cache has dropped. */
  sources: WeakRef<object>[];
  body: Buffer;
}

let kept: LRUCache<string, Kept> | undefined;
/** Serialised answers, all tenants together, bounded by bytes (JSON plus keys); made on first use. */
function answers(): LRUCache<string, Kept> {
  kept ??= new LRUCache<string, Kept>({
    maxSize: availabilityCacheBudget().answers,
    sizeCalculation: (value, key) => value.body.length + key.length * 2 + 64,
  });
  return kept;
}

/**
 * The bytes of an answer built from `sources` (cache entries, see Fresh.source): kept while
 * the entries it was built from are still the current ones, so a repeated answer is one buffer
 * write, never older than its entries. `key` names everything else the answer depends on
 * (tenant, endpoint, arguments, languages); `build` makes the answer's JSON (text or bytes of its own).
 */
export async function answerBytes(
  tenant: string,
  key: string,
  sources: readonly object[],
  build: () => string | Buffer | Promise<string | Buffer>,
): Promise<Buffer> {
  const known = answers().get(key);
  if (known && known.sources.length === sources.length && known.sources.every((ref, i) => ref.deref() === sources[i])) {
    cacheLookups.inc({ tenant, cache: 'availability-answer', result: 'hit' });
    return known.body;
  }
  cacheLookups.inc({ tenant, cache: 'availability-answer', result: 'miss' });
  const built = await build();
  const body = typeof built === 'string' ? Buffer.from(built) : built;
  answers().set(key, { sources: sources.map((source) => new WeakRef(source)), body });
  return body;
}

/** For tests: how much the answer cache holds. */
export function answerCacheSize(): { answers: number; bytes: number; maxBytes: number } {
  const cache = answers();
  return { answers: cache.size, bytes: cache.calculatedSize, maxBytes: cache.maxSize };
}

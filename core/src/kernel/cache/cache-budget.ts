/**
 * The availability caches' memory budget when TEEKA_AVAILABILITY_CACHE_MB is not set: enough for
 * every district of a national tenant (756 districts, 5,000 centres, 14 days: ~131 MB of entries
 * with the texts their answers are joined from).
 */
export const DEFAULT_AVAILABILITY_CACHE_MB = 192;

/**
 * The process's budget for availability caches, in bytes, from TEEKA_AVAILABILITY_CACHE_MB (read
 * when the caches are first used): three quarters for entries (centres and sessions), a quarter
 * for serialised answers. Shared by all tenants of the process, so it bounds memory whatever their number.
 */
export function availabilityCacheBudget(): { entries: number; answers: number } {
  const text = process.env.TEEKA_AVAILABILITY_CACHE_MB;
  const mb = text !== undefined && /^\d+(\.\d+)?$/.test(text.trim()) && Number(text) > 0 ? Number(text) : DEFAULT_AVAILABILITY_CACHE_MB;
  const bytes = Math.floor(mb * 2 ** 20);
  return { entries: Math.floor(bytes * 0.75), answers: Math.floor(bytes * 0.25) };
}

import { Counter } from 'prom-client';
import { metricsRegistry } from '../metrics/metrics.js';

/** Hits and misses of the process's caches, so the hit ratio under real traffic can be read, not guessed. */
export const cacheLookups = new Counter({
  name: 'cache_lookups_total',
  help: 'Cache look-ups, by tenant, cache (availability-entry: centres and sessions; availability-answer: serialised bytes; availability-shared: entries other processes read) and result',
  labelNames: ['tenant', 'cache', 'result'] as const,
  registers: [metricsRegistry],
});

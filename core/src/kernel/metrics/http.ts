import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import type { AppContext } from '../http/state.js';
import type { TenantRegistry } from '../tenancy/tenant-registry.js';
import { httpDuration, httpRequests, metricsRegistry, watchQueueDepth } from './metrics.js';

/** Requests on a host that is no tenant's (the platform's pages, unknown hosts). */
const NO_TENANT = 'platform';

/**
 * Counts and times every request. The route label is the matched router path template
 * (`/api/v1/appointments/:id`), never the raw URL, or `unmatched`: the series stay bounded
 * whatever clients ask for. Goes outside the error handler, so the status is the final one.
 */
export function httpMetrics() {
  return async function httpMetrics(ctx: AppContext, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = typeof matched === 'string' && matched ? matched : 'unmatched';
      const tenant = ctx.state.tenant?.code ?? NO_TENANT;
      const method = ctx.method;
      httpRequests.inc({ tenant, method, route, status: String(ctx.status) });
      httpDuration.observe({ tenant, method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics` in Prometheus' text format, on the platform host only: after the tenant
 * resolver, so tenant hosts pass on to their own routes and unknown hosts are already a 404.
 * With `token` (TEEKA_METRICS_TOKEN) set, scrapers must send `Authorization: Bearer <token>`.
 * Also starts reading these tenants' job queue depths at each scrape.
 */
export function metricsEndpoint(tenants: TenantRegistry, token = process.env.TEEKA_METRICS_TOKEN) {
  const registry = new WeakRef(tenants);
  watchQueueDepth(() =>
    (registry.deref()?.all ?? []).map((tenant) => ({
      code: tenant.code,
      queueDepths: async () => tenant.jobs.queueDepths(),
    })),
  );
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  return async function metricsEndpoint(ctx: AppContext, next: Next): Promise<void> {
    if (ctx.state.tenant || ctx.path !== '/metrics' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set('Cache-Control', 'no-store');
    if (expected && !timingSafeEqual(digest(ctx.get('Authorization')), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.status = 401;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'a bearer token is required\n';
      return;
    }
    ctx.type = metricsRegistry.contentType;
    ctx.body = await metricsRegistry.metrics();
  };
}

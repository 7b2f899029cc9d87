import Router from '@koa/router';
import type { TenantRegistry } from '../../tenancy/tenant-registry.js';
import type { AppState } from '../state.js';

/**
 * Liveness and readiness on any host, for load balancers and orchestrators: /readyz is 503
 * until every tenant's database answers. Reports tenant codes only, never data.
 */
export function systemRoutes(tenants: TenantRegistry): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const checks = await Promise.all(
      tenants.all.map(async (tenant) => [tenant.code, (await tenant.isDatabaseReachable()) ? 'ok' : 'unreachable'] as const),
    );
    const ready = checks.every(([, state]) => state === 'ok');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not-ready', databases: Object.fromEntries(checks) };
  });
  return router;
}

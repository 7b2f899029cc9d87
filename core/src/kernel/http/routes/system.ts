import Router from '@koa/router';
import { checkReadiness } from '../../metrics/readiness.js';
import type { TenantRegistry } from '../../tenancy/tenant-registry.js';
import type { AppState } from '../state.js';

/**
 * Liveness and readiness on any host, for load balancers and orchestrators: /readyz is 503
 * until every tenant's database answers, and 200 `degraded` while an SMS gateway is unhealthy.
 * Reports tenant codes and states only, never data.
 */
export function systemRoutes(tenants: TenantRegistry): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const readiness = await checkReadiness(tenants.all); // each tenant's database and SMS gateways
    ctx.set('Cache-Control', 'no-store');
    ctx.status = readiness.status === 'unavailable' ? 503 : 200;
    ctx.body = readiness;
  });
  return router;
}

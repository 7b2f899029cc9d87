import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import Koa, { type Next } from 'koa';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { httpMetrics, metricsEndpoint } from '../metrics/http.js';
import type { PlatformSite } from '../platform-site.js';
import type { TenantRegistry } from '../tenancy/tenant-registry.js';
import { errorHandler } from './middleware/error-handler.js';
import { refuseNul } from './middleware/refuse-nul.js';
import { requestLog } from './middleware/request-log.js';
import { requestScope } from './middleware/request-scope.js';
import { securityHeaders } from './middleware/security-headers.js';
import { tenantResolver } from './middleware/tenant-resolver.js';
import { themeAssets } from './middleware/theme-assets.js';
import { platformRoutes } from './routes/platform-index.js';
import { systemRoutes } from './routes/system.js';
import type { AppContext, AppState } from './state.js';

export interface AppDeps {
  settings: Settings;
  logger: Logger;
  tenants: TenantRegistry;
  platform: PlatformSite;
  /** The routes of every module, for tenant hosts. */
  tenantRouter: Router<AppState>;
  port: () => number;
}

/** Sends a request to the platform's routes or the tenant's, by what the resolver found. */
function siteRoutes(platform: Router<AppState>, tenant: Router<AppState>) {
  const platformMiddleware = platform.routes();
  const tenantMiddleware = tenant.routes();
  // Sets 405/501 with an Allow header; errorHandler turns the empty response into a problem.
  const tenantMethods = tenant.allowedMethods();
  return async function siteRoutes(ctx: AppContext, next: Next): Promise<void> {
    if (!ctx.state.tenant) return platformMiddleware(ctx as never, next);
    return tenantMiddleware(ctx as never, () => tenantMethods(ctx as never, next));
  };
}

export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: process.env.TEEKA_TRUST_PROXY === '1' });
  app.silent = true; // errors are logged once, redacted, by errorHandler
  const system = systemRoutes(deps.tenants);
  app.use(requestLog(deps.logger));
  app.use(httpMetrics());
  app.use(errorHandler());
  app.use(securityHeaders(deps.settings.mode));
  app.use(system.routes());
  app.use(tenantResolver(deps.tenants, deps.platform));
  app.use(metricsEndpoint(deps.tenants)); // GET /metrics, platform host only
  app.use(themeAssets());
  app.use(requestScope());
  // DELETE too: revoking a role names it in the body.
  app.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      jsonLimit: '100kb',
      formLimit: '100kb',
      parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    }),
  );
  app.use(refuseNul());
  app.use(siteRoutes(platformRoutes(deps.tenants, deps.port), deps.tenantRouter));
  return app;
}

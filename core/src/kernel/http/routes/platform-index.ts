import Router from '@koa/router';
import type { TenantRegistry } from '../../tenancy/tenant-registry.js';
import type { AppState } from '../state.js';

/** The platform host's page: every tenant, its country in the reader's language, and its URL. */
export function platformRoutes(tenants: TenantRegistry, port: () => number): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/', (ctx) => {
    const { site, lng } = ctx.state;
    const list = tenants.all.map((tenant) => ({
      code: tenant.code,
      country: new Intl.DisplayNames([lng], { type: 'region' }).of(tenant.config.country),
      url: `http://${tenant.code}.localhost:${port()}/`,
      languages: tenant.config.languages.enabled.map((code) => tenant.languages.get(code)?.nativeName ?? code),
    }));
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = site.theme.render('platform-index', { tenants: list }, site.renderData(lng));
  });
  return router;
}

import Router from '@koa/router';
import { type AppState, tenantScope } from '../kernel/http/state.js';

/** The citizen portal's pages. For now its front page: the programme, its vaccines, languages. */
export function portalRoutes(): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/', (ctx) => {
    const { tenant } = tenantScope(ctx);
    const { lng } = ctx.state;
    const vaccines = tenant.config.vaccines.map((vaccine) => ({
      name: vaccine.name,
      doses: vaccine.doses,
      intervals: vaccine.intervals,
      booster: vaccine.booster,
    }));
    const languages = tenant.config.languages.enabled.map((code) => ({
      ...tenant.languages.get(code)!,
      current: code === lng,
    }));
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = tenant.theme.render(
      'home',
      { country: tenant.countryName(lng), vaccines, languages, today: new Date() },
      tenant.renderData(lng),
    );
  });
  return router;
}

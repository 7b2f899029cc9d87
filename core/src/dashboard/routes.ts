import Router from '@koa/router';
import type { Fresh } from '../kernel/cache/fresh-cache.js';
import { NotFoundError } from '../kernel/errors.js';
import { renderPage } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { type AreaInfo, DASHBOARD_TTL_SECONDS, DashboardService } from './dashboard-service.js';
import { dashboardView } from './dashboard-view.js';
import { openDataRecords, toCsv } from './open-data.js';

export const DASHBOARD_PATH = '/dashboard';
export const OPEN_DATA_CSV = '/api/v1/open-data/doses.csv';
export const OPEN_DATA_JSON = '/api/v1/open-data/doses.json';

const service = (ctx: AppContext) => tenantScope(ctx).container.resolve(DashboardService);

/**
 * How fresh the answer is, for caches and people alike: public for what is left of the five
 * minutes, its age, and when it was computed. A conditional request for the same figures gets a
 * 304. Returns true when the body can be skipped.
 */
function freshness(ctx: AppContext, fresh: Fresh<unknown>): boolean {
  const age = Math.max(0, Math.floor((Date.now() - fresh.computedAt) / 1000));
  ctx.set('Cache-Control', `public, max-age=${Math.max(0, DASHBOARD_TTL_SECONDS - age)}`);
  ctx.set('Age', String(age));
  ctx.lastModified = new Date(fresh.computedAt);
  ctx.status = 200;
  if (!ctx.fresh) return false;
  ctx.status = 304;
  return true;
}

/** `?area=<level>:<id>`: a first-level area to show the next level of. */
function areaOf(ctx: AppContext, areas: AreaInfo[]): AreaInfo | undefined {
  const asked = typeof ctx.query.area === 'string' ? ctx.query.area : '';
  if (!asked) return undefined;
  const [top] = tenantScope(ctx).tenant.config.areas.levels;
  const match = /^([a-z][a-z-]*):(\d{1,9})$/.exec(asked);
  const area = match && match[1] === top ? areas.find((a) => a.level === top && a.id === Number(match[2])) : undefined;
  if (!area) throw new NotFoundError(`no ${asked} to show`);
  return area;
}

/** The public dashboard (`/dashboard`) and its open data (`/api/v1/open-data/doses.{csv,json}`). */
export function dashboardRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get(DASHBOARD_PATH, async (ctx) => {
    const fresh = await service(ctx).summary();
    const area = areaOf(ctx, fresh.value.areas);
    if (freshness(ctx, fresh)) return;
    const { tenant } = tenantScope(ctx);
    const { locale, dir } = tenant.renderData(ctx.state.lng);
    const view = dashboardView(fresh.value, {
      lng: ctx.state.lng,
      locale,
      rtl: dir === 'rtl',
      t: ctx.state.t,
      config: tenant.config,
      computedAt: fresh.computedAt,
      area,
    });
    renderPage(ctx, 'dashboard', { ...view, csv: OPEN_DATA_CSV, json: OPEN_DATA_JSON });
  });

  async function openData(ctx: AppContext) {
    const dashboard = service(ctx);
    const [rows, summary] = await Promise.all([dashboard.openData(), dashboard.summary()]);
    ctx.set('Access-Control-Allow-Origin', '*');
    if (freshness(ctx, rows)) return undefined;
    return { records: openDataRecords(rows.value, summary.value.areas, tenantScope(ctx).tenant.config), computedAt: rows.computedAt };
  }

  router.get(OPEN_DATA_CSV, async (ctx) => {
    const data = await openData(ctx);
    if (!data) return;
    const code = tenantScope(ctx).tenant.config.code;
    ctx.type = 'text/csv; charset=utf-8; header=present';
    ctx.set('Content-Disposition', `attachment; filename="teeka-${code}-doses.csv"`);
    ctx.body = toCsv(data.records);
  });

  router.get(OPEN_DATA_JSON, async (ctx) => {
    const data = await openData(ctx);
    if (!data) return;
    const code = tenantScope(ctx).tenant.config.code;
    ctx.set('Content-Disposition', `inline; filename="teeka-${code}-doses.json"`);
    ctx.body = { asOf: new Date(data.computedAt).toISOString(), tenant: code, doses: data.records };
  });

  return router;
}

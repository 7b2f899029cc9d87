import Router from '@koa/router';
import type { Next } from 'koa';
import { type TeekaError, ValidationError } from '../kernel/errors.js';
import { asciiDigits, formProblem, renderPage, submitForm, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { addDays } from '../vaccination/dose-schedule.js';
import { AreaService, type AreaView } from './area-service.js';
import { AvailabilityService, type CentreAvailability } from './availability-service.js';
import { DEFAULT_RADIUS_KM, MAX_RADIUS_KM } from './facility-service.js';
import { centreCard, formatsOf, weekAtAGlance } from './page-views.js';
import { todayIn } from './slots.js';

const DAYS = 7;

/** Free places change with every booking, but a few seconds' staleness is fine for a search. */
async function shortCache(ctx: AppContext, next: Next): Promise<void> {
  await next();
  if (ctx.status === 200 && !ctx.query.reschedule) ctx.set('Cache-Control', 'private, max-age=10');
  else ctx.set('Cache-Control', 'no-store');
}

interface SearchQuery {
  by: 'area' | 'postal' | 'near' | '';
  top: string;
  sub: string;
  postalCode: string;
  lat: string;
  lon: string;
  radius: string;
  reschedule: string;
}

function queryOf(ctx: AppContext): SearchQuery {
  const q = ctx.query;
  const by = text(q.by);
  return {
    by: by === 'area' || by === 'postal' || by === 'near' ? by : '',
    top: text(q.top),
    sub: text(q.sub),
    postalCode: asciiDigits(text(q.postalCode)).replace(/\s+/g, ''),
    lat: asciiDigits(text(q.lat)).trim(),
    lon: asciiDigits(text(q.lon)).trim(),
    radius: asciiDigits(text(q.radius)).trim(),
    reschedule: /^[0-9a-f-]{36}$/i.test(text(q.reschedule)) ? text(q.reschedule) : '',
  };
}

const FIELDS: Record<string, string> = {
  '/area': 'top',
  '/level': 'top',
  '/postalCode': 'postalCode',
  '/lat': 'lat',
  '/long': 'lon',
  '/radiusKm': 'radius',
};

/** A decimal number as typed (a comma as the decimal sign too), or NaN. */
function decimal(value: string): number {
  return /^-?[0-9]{1,3}([.,][0-9]{1,8})?$/.test(value) ? Number(value.replace(',', '.')) : Number.NaN;
}

/**
 * Find a centre: by area (the top level, then the level below, each a plain select), by postal
 * code, or near a point. Each is its own small GET form, so results can be bookmarked and shared.
 */
async function showSearch(ctx: AppContext): Promise<void> {
  const { tenant } = tenantScope(ctx);
  const { t } = ctx.state;
  const f = formatsOf(ctx);
  const query = queryOf(ctx);
  const levels = tenant.config.areas.levels;
  const areas = ctx.state.container!.resolve(AreaService);
  const tops = await areas.list({ level: levels[0] });
  const top = tops.find((area) => String(area.id) === query.top);
  const subs: AreaView[] = top && levels[1] ? await areas.list({ level: levels[1], parent: top.id }) : [];
  const sub = subs.find((area) => String(area.id) === query.sub);
  const from = todayIn(tenant.config.timeZone);
  const days = Array.from({ length: DAYS }, (_, index) => addDays(from, index));

  let results: CentreAvailability[] | undefined;
  let problem: ReturnType<typeof formProblem> | undefined;
  const labels: Record<string, string> = {
    top: levelLabel(ctx, levels[0]),
    postalCode: t('scheduling:search.postalCode'),
    lat: t('scheduling:search.latitude'),
    lon: t('scheduling:search.longitude'),
    radius: t('scheduling:search.radius'),
  };
  const fieldOf = (path: string) => (FIELDS[path] ? { id: FIELDS[path], label: labels[FIELDS[path]] } : undefined);
  await submitForm(
    ctx,
    async () => {
      const availability = ctx.state.container!.resolve(AvailabilityService);
      if (query.by === 'area' && top) {
        results = sub ? await availability.byArea(levels[1], sub.id, from, DAYS) : await availability.byArea(levels[0], top.id, from, DAYS);
      } else if (query.by === 'postal' && query.postalCode !== '') {
        results = await availability.byPostalCode(query.postalCode, from, DAYS);
      } else if (query.by === 'near' && (query.lat !== '' || query.lon !== '')) {
        const [lat, lon] = [decimal(query.lat), decimal(query.lon)];
        const radius = query.radius === '' ? undefined : decimal(query.radius);
        const unreadable = [
          ...(Number.isNaN(lat) ? [{ path: '/lat', code: 'format' }] : []),
          ...(Number.isNaN(lon) ? [{ path: '/long', code: 'format' }] : []),
          ...(radius !== undefined && Number.isNaN(radius) ? [{ path: '/radiusKm', code: 'format' }] : []),
        ];
        if (unreadable.length > 0) throw new ValidationError('not a position', unreadable);
        results = await availability.near(lat, lon, radius, from, DAYS);
      }
    },
    (error: TeekaError) => {
      problem = formProblem(ctx, error, fieldOf, ['top', 'postalCode', 'lat', 'lon', 'radius']);
    },
  );
  const suffix = query.reschedule ? `?reschedule=${query.reschedule}` : '';
  renderPage(ctx, 'centres', {
    title: t('scheduling:search.title'),
    query,
    topLabel: labels.top,
    subLabel: levels[1] ? levelLabel(ctx, levels[1]) : undefined,
    tops: tops.map((area) => ({ id: area.id, name: area.name, selected: area.id === top?.id })),
    subs: subs.map((area) => ({ id: area.id, name: area.name, selected: area.id === sub?.id })),
    hasPostalCodes: Boolean(tenant.config.areas.postalCode),
    maxRadius: MAX_RADIUS_KM,
    defaultRadius: DEFAULT_RADIUS_KM,
    searched: results !== undefined,
    results: (results ?? []).map(({ facility, sessions }) => ({
      ...centreCard(f, facility),
      href: `/centres/${facility.id}${suffix}`,
      week: weekAtAGlance(f, days, sessions),
    })),
    problem,
    errors: problem?.fields ?? {},
  });
}

/** A level's name in the request's language ("District", "Municipio", "Emirate"...). */
function levelLabel(ctx: AppContext, level: string | undefined): string {
  if (!level) return '';
  return ctx.state.t(`scheduling:areaLevel.${level}`, { defaultValue: level });
}

export function centreSearchRoutes(): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/centres', shortCache, showSearch);
  return router;
}

import Router from '@koa/router';
import type { Next } from 'koa';
import type { DependencyContainer } from 'tsyringe';
import { answerBytes } from '../kernel/cache/answer-bytes.js';
import { FreshCache } from '../kernel/cache/fresh-cache.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, TeekaError, UnauthorizedError, ValidationError } from '../kernel/errors.js';
import { freshness } from '../kernel/http/cache-headers.js';
import { toProblem } from '../kernel/http/problem.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { RateLimitedError, type RateLimiter } from '../kernel/rate-limit/rate-limiter.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { requireCitizen } from '../registration/auth.js';
import { AreaService } from '../scheduling/area-service.js';
import { tenantKey } from '../scheduling/availability-cache.js';
import { areaTarget, type CentreAvailability, type Fresh, postalTarget, searchEntry } from '../scheduling/availability-service.js';
import { SessionFullError } from '../scheduling/errors.js';
import { DEFAULT_RADIUS_KM, FacilityService, type FacilityView } from '../scheduling/facility-service.js';
import { cachedAreaIndex, calendarBytes, isoFromCowin, nearbyCentre, type Projection, sessionRowsText } from './centres.js';

/**
 * Co-WIN's public API (spec 1.1, as production served it) on every tenant, at `/cowin`: a client
 * written for `https://cdn-api.co-vin.in/api` works against `http://<tenant host>/cowin` unchanged.
 * The tenant's first two area levels play states and districts, its postal codes PIN codes. Every
 * answer comes from the native services (areas, facilities, the cached availability); freshness
 * is said in headers only, never in extra body fields.
 */

/** Co-WIN's `ttl` (hours) on location lists; the lists themselves change only with the seeds. */
const LOCATION_TTL = 24;
const LOCATION_MAX_AGE_SECONDS = 300;
const WINDOW_SECONDS = 300;

/** Co-WIN's errors: `{errorCode, error}` with its codes; 401 is the bare text clients match. */
export class CowinInputError extends TeekaError {
  constructor(kind: 'missing' | 'invalid', parameter: string) {
    super('validation-failed', 400, `${kind} parameter ${parameter}`, { parameter, kind });
  }
}

/**
 * Co-WIN's error answers: `{errorCode, error}` (localised text), with its codes where the
 * reference gives them (USRRES0001 bad input, APPOIN0040 fully booked) and Teeka's stable code
 * otherwise; 401 is the bare text its clients match on.
 */
export async function cowinErrors(ctx: AppContext, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    const t = ctx.state.t ?? ((key: string) => key);
    if (error instanceof CowinInputError) {
      ctx.status = 400;
      ctx.body = {
        errorCode: 'USRRES0001',
        error: t(error.params.kind === 'missing' ? 'errors:cowin.missing' : 'errors:cowin.invalid', { parameter: error.params.parameter }),
      };
    } else if (error instanceof RateLimitedError) {
      ctx.status = 429;
      ctx.set('Retry-After', String(error.retryAfterSeconds));
      ctx.body = { errorCode: 'USRRES0429', error: t('errors:cowin.rate-limited') };
    } else if (error instanceof TeekaError && error.code.startsWith('otp-')) {
      // A wrong or expired OTP is a bad request in Co-WIN, not a missing sign-in.
      ctx.status = 400;
      ctx.body = { errorCode: error.code, error: t(`errors:${error.code}.detail`, error.params) };
    } else if (error instanceof UnauthorizedError) {
      ctx.status = 401;
      ctx.type = 'text/plain';
      ctx.body = 'Unauthenticated access!';
    } else if (error instanceof SessionFullError) {
      ctx.status = 409;
      ctx.body = { errorCode: 'APPOIN0040', error: t('errors:cowin.fully-booked') };
    } else if (error instanceof ValidationError) {
      ctx.status = 400;
      const first = error.fields[0];
      ctx.body = {
        errorCode: 'USRRES0001',
        error: first ? t(`errors:fields.${first.code === 'type' ? 'format' : first.code}`) : t(`errors:${error.code}.detail`),
      };
    } else if (error instanceof TeekaError && error.code === 'captcha-invalid') {
      ctx.status = 400;
      ctx.body = { errorCode: 'APPOIN0044', error: t('errors:cowin.captcha-invalid') };
    } else {
      // Everything else as the native API would answer it (a malformed body is 400, an oversized
      // one 413, a database outage 503), in the shape Co-WIN's clients parse; details go to the log only.
      const problem = toProblem(error);
      if (problem.status >= 500 && problem.code !== 'database-unavailable') ctx.state.log?.error({ err: error }, 'cowin request failed');
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds ?? problem.retryAfterSeconds;
      if (retryAfter) ctx.set('Retry-After', String(retryAfter));
      ctx.status = problem.status;
      ctx.body = { errorCode: problem.code, error: t(`errors:${problem.code}.detail`, problem.params) };
    }
  }
}

/** The tenant's per-IP limit on public calls (`limits.rateLimits.publicApiPerIpPer5Minutes`). */
async function publicLimit(ctx: AppContext, next: Next): Promise<void> {
  // The tenant's own limiter, not through the request's DI scope: a cached answer makes none.
  const { tenant } = tenantScope(ctx);
  await tenant.container
    .resolve<RateLimiter>(TOKENS.RateLimiter)
    .hitLeased(`cowin-public:ip:${ctx.ip}`, tenant.config.limits.rateLimits.publicApiPerIpPer5Minutes, WINDOW_SECONDS);
  // Public data anyone may read from a browser page (slot finders were web pages too).
  ctx.set('Access-Control-Allow-Origin', '*');
  await next();
}

/** Co-WIN allowed a signed-in client 20 searches per login (tenant `cowin.searchesPerLogin`), to slow bots down. */
async function searchesPerLogin(ctx: AppContext, next: Next): Promise<void> {
  const { container } = tenantScope(ctx);
  const tenant = container.resolve<TenantConfig>(TOKENS.TenantConfig);
  await container
    .resolve<RateLimiter>(TOKENS.RateLimiter)
    .hit(`cowin-search:login:${ctx.state.citizen!.sessionId}`, tenant.cowin.searchesPerLogin, tenant.limits.citizenSessionSeconds);
  await next();
}

export function required(ctx: AppContext, name: string): string {
  const value = ctx.query[name];
  if (typeof value !== 'string' || value.trim() === '') throw new CowinInputError('missing', name);
  return value.trim();
}

export function integer(ctx: AppContext, name: string, text = required(ctx, name)): number {
  if (!/^\d{1,9}$/.test(text)) throw new CowinInputError('invalid', name);
  return Number(text);
}

function date(ctx: AppContext): string {
  const iso = isoFromCowin(required(ctx, 'date'));
  if (!iso) throw new CowinInputError('invalid', 'date');
  return iso;
}

function coordinate(ctx: AppContext, name: string, limit: number): number {
  const text = required(ctx, name);
  const value = Number(text);
  if (!/^-?\d{1,3}(\.\d{1,12})?$/.test(text) || Math.abs(value) > limit) throw new CowinInputError('invalid', name);
  return value;
}

/**
 * Co-WIN names things in English and adds `*_l` translations when the client sends
 * Accept-Language (`hi_IN` counts as Hindi). The English answer is read in a scope whose language
 * is English; the translated one in the request's own.
 */
export function scopes(ctx: AppContext): { english: DependencyContainer; localised?: DependencyContainer } {
  const { container } = tenantScope(ctx);
  const english = container.createChildContainer();
  english.registerInstance(TOKENS.Language, 'en');
  return localisedLanguage(ctx) ? { english, localised: container } : { english };
}

/** The language of the `*_l` fields: the request's, when it sent Accept-Language; '' (English only) otherwise. */
function localisedLanguage(ctx: AppContext): string {
  return ctx.get('Accept-Language').trim() ? ctx.state.lng : '';
}

/** An area or PIN code the tenant does not have finds no centres (as Co-WIN answered), not an error. */
async function orNone<T>(read: () => Promise<Fresh<T[]>>): Promise<Fresh<T[]>> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof NotFoundError) return { value: [], computedAt: Date.now() };
    throw error;
  }
}

/** A search in a language (searchEntry's: a cached answer needs no DI scope and no EntityManager). */
type Search = (lng: string) => Promise<Fresh<CentreAvailability[]>>;
/** A response body as JSON, from the centres found (in English, with the request's language in the projection). */
type Shape = (centres: CentreAvailability[], projection: Projection) => string | Buffer;

/**
 * Answers a search in English and, when asked, in the request's language. Public answers are
 * served from kept bytes while the cache entries they were cut from are current (`key` names the
 * endpoint and its arguments); signed-in ones are built each time, narrowed by `vaccine`.
 */
async function answer(ctx: AppContext, filtered: boolean, [key, search]: [string, Search], shape: Shape): Promise<void> {
  const tenant = tenantScope(ctx).tenant.config;
  const language = localisedLanguage(ctx);
  const found = await orNone(() => search('en'));
  const translated = language ? await orNone(() => search(language)) : undefined;
  const computedAt = Math.min(found.computedAt, translated?.computedAt ?? found.computedAt);
  freshness(ctx, computedAt, tenant.scheduling.availabilityCacheSeconds);
  // Centres are named from the area index too: a kept answer is reused only with the same index.
  const areas = await cachedAreaIndex(() => tenantScope(ctx).em, tenant, language || undefined);
  const build = (centres: CentreAvailability[]) =>
    shape(centres, {
      tenant,
      areas,
      ...(translated ? { localised: new Map(translated.value.map((c) => [c.facility.id, c.facility])) } : {}),
    });
  ctx.type = 'application/json; charset=utf-8';
  if (filtered) {
    // Signed-in searches are for one person: not kept by shared caches; `vaccine` narrows them.
    ctx.set('Cache-Control', 'private, no-cache');
    const vaccine = typeof ctx.query.vaccine === 'string' ? ctx.query.vaccine.trim().toLowerCase() : '';
    const wanted = (code: string) =>
      !vaccine || code === vaccine || (tenant.vaccines.find((v) => v.code === code)?.name ?? '').toLowerCase() === vaccine;
    ctx.body = build(found.value.map((centre) => ({ ...centre, sessions: centre.sessions.filter((session) => wanted(session.vaccine)) })));
    return;
  }
  const sources = [found.source, ...(translated ? [translated.source] : []), areas];
  if (sources.some((source) => source === undefined)) {
    ctx.body = build(found.value);
    return;
  }
  ctx.body = await answerBytes(tenant.code, `${tenantKey(tenant)}|cowin|${language}|${key}`, sources as object[], () => build(found.value));
}

/** Per tenant (gone with its config object): the location lists' JSON bytes, by list and language. */
const locationLists = new WeakMap<TenantConfig, FreshCache>();

/**
 * A location list (states, a state's districts) as JSON, kept for `scheduling.availabilityCacheSeconds`
 * per language: Co-WIN's clients ask for these before nearly every search, areas change only with
 * the seeds, and building one took two queries and 1.7 ms of CPU. At most 64 lists per language
 * are kept, so a client walking every state id cannot grow memory.
 */
async function locationList(ctx: AppContext, tenant: TenantConfig, list: string, build: () => Promise<unknown>): Promise<void> {
  ctx.set('Cache-Control', `public, max-age=${LOCATION_MAX_AGE_SECONDS}`);
  ctx.vary('Accept-Language');
  ctx.type = 'application/json; charset=utf-8';
  const language = localisedLanguage(ctx);
  const seconds = tenant.scheduling.availabilityCacheSeconds;
  const json = async () => Buffer.from(JSON.stringify(await build()));
  if (seconds <= 0) {
    ctx.body = await json();
    return;
  }
  let lists = locationLists.get(tenant);
  if (!lists) {
    lists = new FreshCache(64 * (tenant.languages.enabled.length + 1));
    locationLists.set(tenant, lists);
  }
  ctx.body = (await lists.get(`${list}|${language}`, seconds * 1000, json)).value;
}

export function cowinPublicRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/cowin/v2' });
  router.use(cowinErrors);

  router.get('/admin/location/states', publicLimit, async (ctx) => {
    const tenant = tenantScope(ctx).tenant.config;
    await locationList(ctx, tenant, 'states', async () => {
      const { english, localised } = scopes(ctx);
      const level = tenant.areas.levels[0];
      const states = await english.resolve(AreaService).list({ level });
      const names = localised ? new Map((await localised.resolve(AreaService).list({ level })).map((a) => [a.id, a.name])) : undefined;
      return {
        states: [...states]
          .sort((a, b) => a.id - b.id)
          .map((state) => ({
            state_id: state.id,
            state_name: state.name,
            ...(names ? { state_name_l: names.get(state.id) ?? state.name } : {}),
          })),
        ttl: LOCATION_TTL,
      };
    });
  });

  router.get('/admin/location/districts/:stateId', publicLimit, async (ctx) => {
    const stateId = integer(ctx, 'state_id', ctx.params.stateId);
    const tenant = tenantScope(ctx).tenant.config;
    await locationList(ctx, tenant, `districts|${stateId}`, async () => {
      const { english, localised } = scopes(ctx);
      const level = tenant.areas.levels[1];
      const districts = level ? await english.resolve(AreaService).list({ level, parent: stateId }) : [];
      const names =
        level && localised
          ? new Map((await localised.resolve(AreaService).list({ level, parent: stateId })).map((a) => [a.id, a.name]))
          : undefined;
      return {
        districts: [...districts]
          .sort((a, b) => a.id - b.id)
          .map((district) => ({
            state_id: stateId,
            district_id: district.id,
            district_name: district.name,
            ...(names ? { district_name_l: names.get(district.id) ?? district.name } : {}),
          })),
        ttl: LOCATION_TTL,
      };
    });
  });

  /** A search over the district (`district_id`) or PIN code (`pincode`) on `date`, and its arguments as a cache key. */
  const district = (ctx: AppContext, days: number): [string, Search] => {
    const id = integer(ctx, 'district_id');
    const day = date(ctx);
    const tenant = tenantScope(ctx).tenant.config;
    const target = areaTarget(tenant, tenant.areas.levels[1] ?? '', id);
    return [`district|${id}|${day}|${days}`, (lng) => searchEntry(() => tenantScope(ctx).em, tenant, lng, target, day, days)];
  };
  const pin = (ctx: AppContext, days: number): [string, Search] => {
    const code = required(ctx, 'pincode');
    const day = date(ctx);
    const tenant = tenantScope(ctx).tenant.config;
    const target = postalTarget(tenant, code);
    return [`pin|${code}|${day}|${days}`, (lng) => searchEntry(() => tenantScope(ctx).em, tenant, lng, target, day, days)];
  };
  const rows: Shape = (centres, projection) => `{"sessions":${sessionRowsText(centres, projection)}}`;
  const calendar: Shape = (centres, projection) => calendarBytes(centres, projection);

  // The same searches twice: public (cached, limited per IP) and for signed-in citizens (Co-WIN's
  // "fresher" reads with an optional vaccine filter, limited per login to slow bots down).
  const variants = [
    { infix: 'public/', guards: [publicLimit], filtered: false },
    { infix: '', guards: [requireCitizen(), searchesPerLogin], filtered: true },
  ];
  for (const { infix, guards, filtered } of variants) {
    router.get(`/appointment/sessions/${infix}findByPin`, ...guards, async (ctx) => {
      await answer(ctx, filtered, pin(ctx, 1), rows);
    });

    router.get(`/appointment/sessions/${infix}findByDistrict`, ...guards, async (ctx) => {
      await answer(ctx, filtered, district(ctx, 1), rows);
    });

    router.get(`/appointment/sessions/${infix}calendarByPin`, ...guards, async (ctx) => {
      await answer(ctx, filtered, pin(ctx, 7), calendar);
    });

    router.get(`/appointment/sessions/${infix}calendarByDistrict`, ...guards, async (ctx) => {
      await answer(ctx, filtered, district(ctx, 7), calendar);
    });

    // Co-WIN answered this one with a single object, not an array; an unknown centre with an empty one.
    router.get(`/appointment/sessions/${infix}calendarByCenter`, ...guards, async (ctx) => {
      const id = integer(ctx, 'center_id');
      const day = date(ctx);
      await answer(
        ctx,
        filtered,
        [
          `centre|${id}|${day}|7`,
          (lng) => searchEntry(() => tenantScope(ctx).em, tenantScope(ctx).tenant.config, lng, { kind: 'centre', id }, day, 7),
        ],
        (centres, projection) => calendarBytes(centres, projection, true),
      );
    });

    router.get(`/appointment/centers/${infix}findByLatLong`, ...guards, async (ctx) => {
      const lat = coordinate(ctx, 'lat', 90);
      const long = coordinate(ctx, 'long', 180);
      const { english, localised } = scopes(ctx);
      const facilities = await english.resolve(FacilityService).near(lat, long, DEFAULT_RADIUS_KM);
      const translated = localised ? await localised.resolve(FacilityService).near(lat, long, DEFAULT_RADIUS_KM) : undefined;
      const projection: Projection = {
        tenant: english.resolve<TenantConfig>(TOKENS.TenantConfig),
        areas: await cachedAreaIndex(
          () => tenantScope(ctx).em,
          english.resolve<TenantConfig>(TOKENS.TenantConfig),
          localised ? ctx.state.lng : undefined,
        ),
        ...(translated ? { localised: new Map<number, FacilityView>(translated.map((f) => [f.id, f])) } : {}),
      };
      ctx.set('Cache-Control', filtered ? 'private, no-cache' : 'public, max-age=60');
      ctx.vary('Accept-Language');
      ctx.body = { centers: facilities.map((facility) => nearbyCentre(facility, projection)), ttl: LOCATION_TTL };
    });
  }

  return router;
}

/**
 * Last of all the tenant's routes: anything else under /cowin (an unknown path or method) answers
 * in Co-WIN's error shape too, as clients parse every /cowin answer that way.
 */
export function cowinFallbackRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/cowin' });
  router.use(cowinErrors);
  router.all('/{*rest}', () => {
    throw new NotFoundError('no such Co-WIN endpoint');
  });
  return router;
}

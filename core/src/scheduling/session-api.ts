import Router from '@koa/router';
import { InventoryReports } from '../inventory/reports.js';
import { answerBytes } from '../kernel/cache/answer-bytes.js';
import { concatBytes, type JoinedTexts, keptBytes } from '../kernel/cache/joined-texts.js';
import { keptIn } from '../kernel/cache/kept-in.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import { freshness, noStore } from '../kernel/http/cache-headers.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireCitizen, requireCitizenToken, requireStaff } from '../registration/auth.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { sessionsSlice, type Target, tenantKey } from './availability-cache.js';
import { AvailabilityService, areaTarget, type CentreAvailability, type Fresh, postalTarget, searchEntry } from './availability-service.js';
import { BookingService } from './booking-service.js';
import {
  AvailabilityQuery,
  IdempotencyKey,
  NewBooking,
  NewSession,
  NewSessions,
  Reschedule,
  SessionCancellation,
  SessionListQuery,
  SessionMove,
} from './session-schemas.js';
import { SessionService, type SessionView } from './session-service.js';
import { isIsoDate, todayIn } from './slots.js';

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sessions planned beyond the doses the centre holds (its stock and stock issued to its sessions,
 * usable on the day) are created, but the answer warns with the numbers, per centre, day and vaccine.
 */
async function stockWarnings(ctx: AppContext, created: SessionView[]): Promise<StockWarning[]> {
  const reports = tenantScope(ctx).container.resolve(InventoryReports);
  const warnings: StockWarning[] = [];
  const seen = new Set<string>();
  for (const session of created) {
    const key = `${session.facilityId}|${session.date}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const stock = await reports.plannedVersusStock(session.facilityId, session.date, session.date);
    for (const vaccine of stock.vaccines.filter((v) => v.shortBy > 0)) {
      warnings.push({ facilityId: session.facilityId, date: session.date, ...vaccine });
    }
  }
  return warnings;
}

interface StockWarning {
  facilityId: number;
  date: string;
  vaccine: string;
  planned: number;
  inStock: number;
  shortBy: number;
}

/**
 * JSON texts of the facilities and sessions of availability entries, kept per object: entries are
 * immutable (see AvailabilityEntry), and a calendar repeats the same sessions search after search,
 * so each is serialised once per entry rather than once per answer. A centre's sessions are kept
 * joined (JoinedTexts), so its part of a calendar is one slice. Held weakly: they go with the entry.
 */
const entryTexts = new WeakMap<object, string>();
const entryText = (value: object): string => keptIn(entryTexts, value, () => JSON.stringify(value));
const sessionRuns = new WeakMap<readonly SessionView[], JoinedTexts>();
const facilityHeads = new WeakMap<object, Buffer>();

function sessionsJoined(centre: CentreAvailability): Buffer | string {
  return sessionsSlice(centre, sessionRuns, (session) => JSON.stringify(session)) ?? centre.sessions.map(entryText).join(',');
}

/** The availability answer `{from, days, centres}` as JSON bytes, joined from the entry's kept texts. */
function availabilityBytes(from: string, days: number, centres: CentreAvailability[]): Buffer {
  const parts: (Buffer | string)[] = [`{"from":${JSON.stringify(from)},"days":${JSON.stringify(days)},"centres":[`];
  centres.forEach((centre, i) => {
    if (i > 0) parts.push(',');
    parts.push(
      keptIn(facilityHeads, centre.facility, () => keptBytes(`{"facility":${JSON.stringify(centre.facility)},"sessions":[`)),
      sessionsJoined(centre),
      CLOSE_CENTRE,
    );
  });
  parts.push(']}');
  return concatBytes(parts);
}
const CLOSE_CENTRE = Buffer.from(']}');

/**
 * Sessions and appointments in the native API: staff create sessions (one, or many at once), anyone
 * reads what is free at a centre on a day, citizens book, list and cancel appointments.
 */
export function sessionApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const sessions = (ctx: AppContext) => tenantScope(ctx).container.resolve(SessionService);
  const bookings = (ctx: AppContext) => tenantScope(ctx).container.resolve(BookingService);

  router.post('/staff/sessions', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(NewSession, ctx.request.body);
    const [session] = await sessions(ctx).create(actor, [body], () => '');
    const warnings = await stockWarnings(ctx, [session]);
    ctx.status = 201;
    ctx.body = warnings.length > 0 ? { ...session, stockWarnings: warnings } : session;
  });

  router.post('/staff/sessions/bulk', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(NewSessions, ctx.request.body);
    const created = await sessions(ctx).create(actor, body, (index) => `/${index}`);
    const warnings = await stockWarnings(ctx, created);
    ctx.status = 201;
    ctx.body = { sessions: created, ...(warnings.length > 0 ? { stockWarnings: warnings } : {}) };
  });

  router.post('/staff/sessions/:id/cancel', noStore, requireStaff(), async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such session');
    const actor = await currentStaff(ctx);
    const body = validate(SessionCancellation, ctx.request.body ?? {});
    const { session, cancelled } = await sessions(ctx).cancel(actor, ctx.params.id, body.reason);
    ctx.body = { session, cancelledAppointments: cancelled.length };
  });

  router.post('/staff/sessions/:id/move', noStore, requireStaff(), async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such session');
    const actor = await currentStaff(ctx);
    const body = validate(SessionMove, ctx.request.body);
    const { session, moved, cancelled } = await sessions(ctx).move(actor, ctx.params.id, body.date, body.reason);
    ctx.body = { session, movedAppointments: moved.length, cancelledAppointments: cancelled.length };
  });

  /**
   * Centres with their sessions over a calendar window (7 days by default). Answers come from a
   * short per-tenant cache: `Cache-Control: max-age` says how much longer this one stays fresh and
   * `Age` how old it is, so clients and proxies never need to guess.
   */
  router.get('/availability', async (ctx) => {
    const query = validate(AvailabilityQuery, { ...ctx.query });
    const near = query.lat !== undefined || query.long !== undefined || query.radiusKm !== undefined;
    const searches = [query.area, query.postalCode, query.facility].filter((q) => q !== undefined).length + (near ? 1 : 0);
    if (searches !== 1) {
      throw new ValidationError('search by exactly one of area, postalCode, facility or lat and long', [{ path: '/', code: 'choice' }]);
    }
    const tenant = tenantScope(ctx).tenant.config;
    if (query.from !== undefined && !isIsoDate(query.from)) throw new ValidationError('not a date', [{ path: '/from', code: 'format' }]);
    const from = query.from ?? todayIn(tenant.timeZone);
    const days = query.days === undefined ? 7 : Number(query.days);
    // Area, postal code and centre searches are cut from the shared entries with no DI scope, as
    // Co-WIN's are: a cached answer then makes no container (making one, with the services' lazy
    // proxies, was a tenth of what such a request allocated). Only near-me needs the service.
    const fromEntry = (target: Target) => searchEntry(() => tenantScope(ctx).em, tenant, ctx.state.lng, target, from, days);
    let answer: Fresh<CentreAvailability[]>;
    if (query.area !== undefined) {
      const [level, id] = query.area.split(':');
      answer = await fromEntry(areaTarget(tenant, level, Number(id)));
    } else if (query.postalCode !== undefined) {
      answer = await fromEntry(postalTarget(tenant, query.postalCode));
    } else if (query.facility !== undefined) {
      answer = await fromEntry({ kind: 'centre', id: Number(query.facility) });
      if (answer.value.length === 0) throw new NotFoundError('no such facility');
    } else {
      const missing = (['lat', 'long'] as const).filter((name) => query[name] === undefined);
      if (missing.length > 0) {
        throw new ValidationError(
          'a search near a point needs lat and long',
          missing.map((name) => ({ path: `/${name}`, code: 'required' })),
        );
      }
      answer = await tenantScope(ctx)
        .container.resolve(AvailabilityService)
        .fresh.near(Number(query.lat), Number(query.long), query.radiusKm === undefined ? undefined : Number(query.radiusKm), from, days);
    }
    freshness(ctx, answer.computedAt, tenant.scheduling.availabilityCacheSeconds);
    const body = { from, days, centres: answer.value };
    if (!answer.source) ctx.body = body;
    else {
      // Cut from a shared cache entry: the same search in the same language is the same bytes while it lasts.
      const key = `${tenantKey(tenant)}|native|${ctx.state.lng}|${query.area ?? ''}|${query.postalCode ?? ''}|${query.facility ?? ''}|${from}|${days}`;
      ctx.type = 'application/json; charset=utf-8';
      const { value } = answer;
      ctx.body = await answerBytes(tenant.code, key, [answer.source], () => availabilityBytes(from, days, value));
    }
  });

  // Free places at one centre on one day, exact: read just before booking, never cached.
  router.get('/sessions', noStore, async (ctx) => {
    const query = validate(SessionListQuery, { ...ctx.query });
    if (!isIsoDate(query.date)) throw new ValidationError('not a date', [{ path: '/date', code: 'format' }]);
    ctx.body = { sessions: await sessions(ctx).list(Number(query.facility), query.date) };
  });

  // The session is checked live by the booking's first statement, not by a statement of its own.
  router.post('/appointments', noStore, requireCitizenToken(), async (ctx) => {
    const body = validate(NewBooking, ctx.request.body);
    const header = ctx.get('Idempotency-Key');
    const key = header ? validate(IdempotencyKey, header) : undefined;
    const { accountId, sessionId } = ctx.state.citizen!;
    const { booked, replayed } = await bookings(ctx).book(accountId, body, key, sessionId);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = booked;
  });

  router.post('/appointments/:id/reschedule', noStore, requireCitizen(), async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such appointment');
    const body = validate(Reschedule, ctx.request.body);
    ctx.body = await bookings(ctx).reschedule(ctx.state.citizen!.accountId, ctx.params.id, body);
  });

  router.get('/appointments', noStore, requireCitizen(), async (ctx) => {
    ctx.body = { appointments: await bookings(ctx).list(ctx.state.citizen!.accountId) };
  });

  router.delete('/appointments/:id', noStore, requireCitizen(), async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such appointment');
    ctx.body = await bookings(ctx).cancel(ctx.state.citizen!.accountId, ctx.params.id);
  });

  return router;
}

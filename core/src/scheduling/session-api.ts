import Router from '@koa/router';
import type { Next } from 'koa';
import { NotFoundError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireCitizen, requireStaff } from '../registration/auth.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { BookingService } from './booking-service.js';
import { IdempotencyKey, NewBooking, NewSession, NewSessions, SessionListQuery } from './session-schemas.js';
import { SessionService } from './session-service.js';

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function noStore(ctx: AppContext, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await next();
}

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
    ctx.status = 201;
    ctx.body = session;
  });

  router.post('/staff/sessions/bulk', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(NewSessions, ctx.request.body);
    ctx.status = 201;
    ctx.body = { sessions: await sessions(ctx).create(actor, body, (index) => `/${index}`) };
  });

  // Free places change with every booking: never cached.
  router.get('/sessions', noStore, async (ctx) => {
    const query = validate(SessionListQuery, { ...ctx.query });
    ctx.body = { sessions: await sessions(ctx).list(Number(query.facility), query.date) };
  });

  router.post('/appointments', noStore, requireCitizen(), async (ctx) => {
    const body = validate(NewBooking, ctx.request.body);
    const header = ctx.get('Idempotency-Key');
    const key = header ? validate(IdempotencyKey, header) : undefined;
    const { booked, replayed } = await bookings(ctx).book(ctx.state.citizen!.accountId, body, key);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = booked;
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

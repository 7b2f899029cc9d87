import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import { Type } from '@sinclair/typebox';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, UnauthorizedError, ValidationError } from '../kernel/errors.js';
import { noStore } from '../kernel/http/cache-headers.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import type { RateLimiter } from '../kernel/rate-limit/rate-limiter.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { type AvailabilityEvent, type AvailabilityFilter, availabilityBus, matches } from './events.js';
import { SubscriptionService } from './subscription-service.js';

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AREA = '^[a-z][a-z-]{0,31}:(0|[1-9][0-9]{0,8})$';
const POSTAL = '^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$';
/** Heartbeat comments keep proxies and clients from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** What EventSource waits before reconnecting (the `retry:` field). */
const RETRY_MS = 3_000;

const Filters = Type.Object(
  {
    area: Type.Optional(Type.String({ pattern: AREA })),
    postalCode: Type.Optional(Type.String({ pattern: POSTAL })),
    vaccine: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    dose: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    age: Type.Optional(Type.Integer({ minimum: 0, maximum: 150 })),
  },
  { additionalProperties: false },
);

const NewSubscription = Type.Object(
  { url: Type.String({ minLength: 8, maxLength: 2048 }), filters: Filters },
  { additionalProperties: false },
);

const StreamQuery = Type.Object(
  {
    area: Type.Optional(Type.String({ pattern: AREA })),
    postalCode: Type.Optional(Type.String({ pattern: POSTAL })),
    vaccine: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    dose: Type.Optional(Type.String({ pattern: '^([1-9]|1[0-9]|20)$' })),
    age: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,2})$' })),
    lastEventId: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
  },
  { additionalProperties: false },
);

/** Exactly one place filter: an area or a postal code. */
function onePlace(filters: { area?: string; postalCode?: string }, at: string): void {
  if ((filters.area === undefined) === (filters.postalCode === undefined)) {
    throw new ValidationError('filter by exactly one of area or postalCode', [{ path: at, code: 'choice' }]);
  }
}

function token(ctx: AppContext): string {
  const match = /^Bearer\s+(tkm_[A-Za-z0-9_-]{43})$/.exec(ctx.get('Authorization'));
  if (!match) throw new UnauthorizedError();
  return match[1];
}

/**
 * Availability pushed instead of polled (docs/subscriptions.md): webhook subscriptions under
 * `/api/v1/subscriptions`, managed with the token their creation answers, and a Server-Sent
 * Events stream at `/api/v1/availability/stream` with the same filters.
 */
export function subscriptionApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const service = (ctx: AppContext) => tenantScope(ctx).container.resolve(SubscriptionService);

  router.post('/subscriptions', noStore, async (ctx) => {
    const body = validate(NewSubscription, ctx.request.body);
    onePlace(body.filters, '/filters');
    const { container } = tenantScope(ctx);
    const config = container.resolve<TenantConfig>(TOKENS.TenantConfig);
    await container
      .resolve<RateLimiter>(TOKENS.RateLimiter)
      .hit(`subscriptions:create:${ctx.ip}`, config.subscriptions.createPerIpPerHour, 3600);
    const existing = ctx.get('Authorization') ? token(ctx) : undefined;
    const created = await service(ctx).create(body, existing);
    ctx.status = 201;
    ctx.set('Location', `/api/v1/subscriptions/${created.id}`);
    ctx.body = created;
  });

  router.get('/subscriptions', noStore, async (ctx) => {
    ctx.body = { subscriptions: await service(ctx).list(token(ctx)) };
  });

  router.get('/subscriptions/:id', noStore, async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such subscription');
    ctx.body = await service(ctx).get(token(ctx), ctx.params.id);
  });

  router.delete('/subscriptions/:id', noStore, async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such subscription');
    await service(ctx).delete(token(ctx), ctx.params.id);
    ctx.status = 204;
  });

  router.post('/subscriptions/:id/enable', noStore, async (ctx) => {
    if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such subscription');
    ctx.body = await service(ctx).enable(token(ctx), ctx.params.id);
  });

  router.get('/availability/stream', async (ctx) => {
    const query = validate(StreamQuery, { ...ctx.query });
    onePlace(query, '/');
    const filter: AvailabilityFilter = {
      ...(query.area !== undefined ? { area: query.area } : {}),
      ...(query.postalCode !== undefined ? { postalCode: query.postalCode } : {}),
      ...(query.vaccine !== undefined ? { vaccine: query.vaccine } : {}),
      ...(query.dose !== undefined ? { dose: Number(query.dose) } : {}),
      ...(query.age !== undefined ? { age: Number(query.age) } : {}),
    };
    const header = ctx.get('Last-Event-ID');
    const lastEventId = /^[0-9]{1,18}$/.test(header) ? header : query.lastEventId;
    await stream(ctx, filter, lastEventId);
  });

  return router;
}

/**
 * Serves one SSE client: listens first (events announced from now on are held), replays what it
 * missed since `Last-Event-ID` from the table, then sends live events, skipping any it already
 * sent. Ends, and stops listening, when the client goes.
 */
async function stream(ctx: AppContext, filter: AvailabilityFilter, lastEventId: string | undefined): Promise<void> {
  const { tenant, em } = tenantScope(ctx);
  const body = new PassThrough();
  let sentUpTo = lastEventId === undefined ? 0n : BigInt(lastEventId);
  const held: AvailabilityEvent[] = [];
  let replaying = true;
  const send = (event: AvailabilityEvent) => {
    if (BigInt(event.id) <= sentUpTo || !matches(filter, event)) return;
    sentUpTo = BigInt(event.id);
    body.write(`id: ${event.id}\nevent: places-opened\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const stop = await availabilityBus(tenant).listen((event) => (replaying ? held.push(event) : send(event)));
  const heartbeat = setInterval(() => body.write(`: heartbeat ${new Date().toISOString()}\n\n`), HEARTBEAT_MS);
  const done = () => {
    clearInterval(heartbeat);
    stop();
    body.end();
  };
  ctx.req.on('close', done);
  body.on('error', done);

  ctx.req.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.req.socket.setKeepAlive(true);
  ctx.status = 200;
  ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
  ctx.set('Cache-Control', 'no-cache, no-transform');
  ctx.set('Connection', 'keep-alive');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = body;
  body.write(`retry: ${RETRY_MS}\n: teeka availability stream\n\n`);

  if (lastEventId !== undefined) {
    const seconds = tenant.config.subscriptions.replaySeconds;
    try {
      const missed = await em.execute<{ payload: AvailabilityEvent; id: string }[]>(
        `select id::text as id, payload || jsonb_build_object('id', id::text, 'createdAt', created_at) as payload
         from availability_event where id > ? and created_at > now() - make_interval(secs => ?) order by id`,
        [lastEventId, seconds],
      );
      for (const row of missed) send(row.payload);
    } catch (error) {
      tenant.log.warn({ err: error }, 'availability replay failed');
    }
  }
  replaying = false;
  for (const event of held.splice(0)) send(event);
}

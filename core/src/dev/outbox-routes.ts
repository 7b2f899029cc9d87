import Router from '@koa/router';
import { TeekaError, ValidationError } from '../kernel/errors.js';
import { type AppState, tenantScope } from '../kernel/http/state.js';
import { SmsDispatcher } from '../messaging/sms-dispatcher.js';

const E164 = /^\+[1-9]\d{6,14}$/;

class NoOutboxError extends TeekaError {
  constructor() {
    super('no-outbox', 409, 'this tenant’s SMS gateway keeps no outbox');
  }
}

/**
 * Development only (never mounted in production mode): read the tenant's SMS outbox, and send a
 * test message through the tenant's gateway. Tests and developers read OTPs here.
 */
export function devOutboxRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/dev' });

  router.get('/outbox', async (ctx) => {
    const { tenant } = tenantScope(ctx);
    // The first gateway that keeps an outbox: with a failing primary, messages land in the fallback's.
    const gateway = tenant.smsGateways.find(({ gateway }) => gateway.outbox)?.gateway;
    if (!gateway?.outbox) throw new NoOutboxError();
    const limit = Math.min(Number(ctx.query.limit ?? 100) || 100, 1000);
    const entries = await gateway.outbox(limit);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = entries.map(({ to, text, createdAt }) => ({ to, text, createdAt: createdAt.toISOString() }));
  });

  router.post('/sms', async (ctx) => {
    const { to, text } = (ctx.request.body ?? {}) as { to?: unknown; text?: unknown };
    const fields: { path: string; code: string }[] = [];
    if (typeof to !== 'string' || !E164.test(to)) fields.push({ path: '/to', code: 'phone-e164' });
    if (typeof text !== 'string' || text.trim() === '' || text.length > 1600) fields.push({ path: '/text', code: 'text-length' });
    if (fields.length > 0) throw new ValidationError('invalid test message', fields);
    const result = await tenantScope(ctx)
      .container.resolve(SmsDispatcher)
      .send({ to: to as string, text: text as string, purpose: 'test' });
    ctx.status = result.state === 'sent' ? 202 : 502;
    ctx.body = result;
  });

  return router;
}

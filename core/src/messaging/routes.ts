import Router from '@koa/router';
import { Type } from '@sinclair/typebox';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireStaff } from '../registration/auth.js';
import { mayReadAudit } from '../registration/staff/permissions.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { type NamedGateway, recordDelivery } from './delivery.js';
import { SMS_STATES, SmsMessage } from './sms-message.entity.js';

const SmsQuery = Type.Object(
  {
    state: Type.Optional(Type.Union(SMS_STATES.map((state) => Type.Literal(state)))),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  },
  { additionalProperties: false },
);

/** The secret part of a gateway's webhook URL: only the gateway, configured with it, knows it. */
export function webhookToken(crypto: TenantCrypto, gatewayId: string): string {
  return crypto.keyedHash('sms-webhook', gatewayId).slice(0, 32);
}

/**
 * Staff see what became of every SMS (queued, sent, delivered, failed, through which gateway);
 * gateways report delivery to a webhook whose URL carries a per-tenant secret token.
 */
export function messagingRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/api/v1/staff/sms', requireStaff(), async (ctx: AppContext) => {
    const actor = await currentStaff(ctx);
    if (!mayReadAudit(actor.roles)) throw new ForbiddenError('only administrators see message states');
    const query = validate(SmsQuery, { ...ctx.query });
    const { em } = tenantScope(ctx);
    const messages = await em.find(SmsMessage, query.state ? { state: query.state } : {}, {
      orderBy: { createdAt: 'desc' },
      limit: Math.min(Number(query.limit ?? 100), 1000),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      messages: messages.map((m) => ({
        id: m.id,
        purpose: m.purpose,
        to: m.toMasked,
        state: m.state,
        gateway: m.gateway,
        attempts: m.attempts,
        lastError: m.lastError,
        createdAt: m.createdAt.toISOString(),
        updatedAt: m.updatedAt.toISOString(),
      })),
    };
  });

  /** The webhook URL to configure in each gateway's console that reports delivery by webhook. */
  router.get('/api/v1/staff/sms/webhooks', requireStaff(), async (ctx: AppContext) => {
    const actor = await currentStaff(ctx);
    if (!mayReadAudit(actor.roles)) throw new ForbiddenError('only administrators see webhook addresses');
    const { container } = tenantScope(ctx);
    const crypto = container.resolve<TenantCrypto>(TOKENS.Crypto);
    const gateways = container.resolve<NamedGateway[]>(TOKENS.SmsGateways);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      webhooks: gateways
        .filter(({ gateway }) => gateway.parseDeliveryReport)
        .map(({ id }) => ({ gateway: id, path: `/hooks/sms/${id}/${webhookToken(crypto, id)}` })),
    };
  });

  router.post('/hooks/sms/:gatewayId/:token', async (ctx) => {
    const { tenant, container } = tenantScope(ctx);
    const crypto = container.resolve<TenantCrypto>(TOKENS.Crypto);
    const gateways = container.resolve<NamedGateway[]>(TOKENS.SmsGateways);
    const named = gateways.find((g) => g.id === ctx.params.gatewayId);
    if (
      !named?.gateway.parseDeliveryReport ||
      !crypto.sameHash(webhookToken(crypto, named.id), String(ctx.params.token).padEnd(32, '0').slice(0, 32))
    ) {
      throw new NotFoundError('no such webhook');
    }
    const report = named.gateway.parseDeliveryReport(ctx.request.body ?? ctx.query);
    if (report) await recordDelivery(tenant.orm, named.id, report);
    ctx.status = 204;
  });

  return router;
}

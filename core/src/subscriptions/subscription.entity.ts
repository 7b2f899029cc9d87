import { defineEntity, p } from '@mikro-orm/core';

/**
 * A notifier's webhook and its filter (docs/subscriptions.md): an area (`level:id`, matched against
 * a centre's area and every area above it) or a postal code, and optionally a vaccine, a dose and
 * an age. The signing secret is stored encrypted with the tenant's key; the management token only
 * as a keyed hash (`ownerHash`). Disabled after too many failed deliveries in a row.
 */
export const WebhookSubscriptionSchema = defineEntity({
  name: 'WebhookSubscription',
  tableName: 'webhook_subscription',
  properties: {
    id: p.uuid().primary(),
    ownerHash: p.string().length(64),
    url: p.string().length(2048),
    secretEnc: p.blob(),
    areaLevel: p.string().length(32).nullable(),
    areaId: p.integer().nullable(),
    postalCode: p.string().length(16).nullable(),
    vaccine: p.string().length(40).nullable(),
    dose: p.integer().nullable(),
    age: p.integer().nullable(),
    consecutiveFailures: p.integer().default(0),
    lastFailure: p.string().length(300).nullable(),
    lastFailureAt: p.datetime().nullable(),
    lastSuccessAt: p.datetime().nullable(),
    disabledAt: p.datetime().nullable(),
    disabledReason: p.string().length(300).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class WebhookSubscription extends WebhookSubscriptionSchema.class {}
WebhookSubscriptionSchema.setClass(WebhookSubscription);

import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryReport, SmsGateway } from '@teeka/plugin-sdk';
import type { TenantOrm } from '../kernel/db/orm.js';

/** A tenant's SMS gateway with the plugin id it came from. */
export interface NamedGateway {
  id: string;
  gateway: SmsGateway;
}

/**
 * A gateway's delivery report moves the message to `delivered` or `failed`. Reports may arrive
 * late, twice or out of order: a delivered message stays delivered.
 */
export async function recordDelivery(orm: TenantOrm, gatewayId: string, report: DeliveryReport): Promise<boolean> {
  // A fast gateway can report before the sender has stored the gateway's message id: look again
  // for a few seconds before deciding the report is about a message we never sent.
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await applyDelivery(orm, gatewayId, report)) return true;
    if (await isDelivered(orm, gatewayId, report.gatewayMessageId)) return false;
    await sleep(250);
  }
  return false;
}

async function isDelivered(orm: TenantOrm, gatewayId: string, gatewayMessageId: string): Promise<boolean> {
  const rows = await orm.em
    .getConnection()
    .execute<{ n: number }[]>(
      "select count(*)::int as n from sms_message where gateway = ? and gateway_message_id = ? and state = 'delivered'",
      [gatewayId, gatewayMessageId],
    );
  return rows[0].n > 0;
}

async function applyDelivery(orm: TenantOrm, gatewayId: string, report: DeliveryReport): Promise<boolean> {
  const result = await orm.em.getConnection().execute(
    `update sms_message set state = ?, last_error = ?, updated_at = now()
      where gateway = ? and gateway_message_id = ? and state <> 'delivered'`,
    [report.status, report.status === 'failed' ? (report.detail ?? 'failed').slice(0, 200) : null, gatewayId, report.gatewayMessageId],
    'run',
  );
  return ((result as { affectedRows?: number }).affectedRows ?? 0) > 0;
}

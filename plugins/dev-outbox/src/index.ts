/**
 * dev-outbox: an SMS gateway for development. Messages are kept in the tenant's database, through
 * the plugin storage the host provides, and are never sent anywhere. Developers read them from the
 * outbox (the host shows it in development mode) to see the codes and reminders people would get.
 */
import {
  smsParts as countSmsParts,
  defineSmsGateway,
  type OutboxEntry,
  type PluginContext,
  type SendResult,
  type SmsGateway,
  type SmsMessage,
} from '@teeka/plugin-sdk';

/** Storage collection holding the kept messages. */
export const OUTBOX_COLLECTION = 'outbox';
/** How many entries `outbox()` returns when no limit is given. */
export const DEFAULT_OUTBOX_LIMIT = 100;

export type DevOutboxConfig = Record<string, never>;

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** What one kept message looks like in storage. */
export interface OutboxRecord {
  to: string;
  text: string;
  reference?: string;
  encoding: SmsEncoding;
  parts: number;
}

/**
 * How a real gateway would send `text`: the SDK's rule (`smsParts`), the one the contract kit
 * checks gateways against. GSM-7 when every character is in the GSM 03.38 basic set or its
 * extension table (160 septets in one SMS, 153 per part when concatenated; extension characters
 * take two), UCS-2 otherwise (70 characters in one SMS, 67 per part). Twilio's
 * sms-segments-calculator counted the same but in quadratic time: 7.7 % of the server's CPU while
 * doses were recorded, each confirmation text naming a person.
 */
export function smsParts(text: string): { encoding: SmsEncoding; parts: number } {
  const { encoding, parts } = countSmsParts(text);
  return { encoding, parts };
}

export class ProductionRefusedError extends Error {
  constructor() {
    super(
      'dev-outbox is a development-only SMS gateway: it keeps messages instead of sending them and ' +
        'refuses to run in production mode. Configure a real SMS gateway plugin for this tenant.',
    );
    this.name = 'ProductionRefusedError';
  }
}

class DevOutboxGateway implements SmsGateway {
  constructor(private readonly context: PluginContext<DevOutboxConfig>) {}

  async send(message: SmsMessage): Promise<SendResult> {
    // The host refuses development-only plugins in production; this is defence in depth.
    if (this.context.mode === 'production') throw new ProductionRefusedError();
    if (typeof message?.to !== 'string' || typeof message.text !== 'string') {
      return { status: 'rejected', reason: 'message needs a string `to` and `text`', retryable: false };
    }

    const { encoding, parts } = smsParts(message.text);
    const data: OutboxRecord = { to: message.to, text: message.text, encoding, parts };
    if (typeof message.reference === 'string') data.reference = message.reference;
    const record = await this.context.storage.append(OUTBOX_COLLECTION, data);

    // Never the number or the text: only what helps find the entry.
    this.context.logger.info('SMS kept in the development outbox, not sent', {
      gatewayMessageId: record.id,
      reference: data.reference,
      encoding,
      parts,
    });
    return { status: 'accepted', gatewayMessageId: record.id, parts };
  }

  /** Kept messages, newest first. */
  async outbox(limit: number = DEFAULT_OUTBOX_LIMIT): Promise<OutboxEntry[]> {
    const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : DEFAULT_OUTBOX_LIMIT;
    if (count === 0) return [];
    const records = await this.context.storage.list<OutboxRecord>(OUTBOX_COLLECTION, { limit: count });
    return records.map(({ data, createdAt }) => ({ to: data.to, text: data.text, createdAt }));
  }

  async health() {
    return this.context.mode === 'production'
      ? { ok: false, detail: 'dev-outbox must not run in production mode' }
      : { ok: true, detail: 'messages are kept in the outbox, not sent' };
  }

  async close(): Promise<void> {}
}

export default defineSmsGateway<DevOutboxConfig>({
  create: (context) => new DevOutboxGateway(context),
});

import type { DeliveryReport, PluginContext, PluginLifecycle, PluginResources } from '../context.js';

/** One SMS core asks a gateway to send. */
export interface SmsMessage {
  /** Recipient in E.164 form, e.g. `+919876543210`. Core has already validated it. */
  to: string;
  /** Text as the person will read it: any Unicode script; the gateway picks the encoding. */
  text: string;
  /** Core's id for the message, for correlating delivery receipts. */
  reference?: string;
}

/** The result of {@link SmsGateway.send}. `rejected` with `retryable: true` means try again later (a timeout, a peer down, a throttle); `retryable: false` means never (a bad number, a text too long). `parts` is how many SMS the text took (see {@link smsParts}). */
export type SendResult =
  | { status: 'accepted'; gatewayMessageId: string; parts: number }
  | { status: 'rejected'; reason: string; retryable: boolean };

/** A message a development gateway kept instead of sending. */
export interface OutboxEntry {
  /** Recipient, E.164. */
  to: string;
  /** The text. */
  text: string;
  /** When it was kept. */
  createdAt: Date;
}

/** An SMS gateway instance for one tenant. */
export interface SmsGateway extends PluginLifecycle {
  /** Sends one message. Must resolve (never reject, never hang): failures are `rejected` results, with `retryable` set. */
  send(message: SmsMessage): Promise<SendResult>;
  /**
   * Development gateways that keep messages instead of sending them expose them here, newest
   * first, at most `limit` (default 100).
   */
  outbox?(limit?: number): Promise<OutboxEntry[]>;
  /**
   * Gateways that report delivery by webhook read the gateway's payload here (never throwing;
   * undefined when it is not a report). Core receives the webhook at
   * `/hooks/sms/<plugin id>/<token>` and records the result.
   */
  parseDeliveryReport?(payload: unknown): DeliveryReport | undefined;
}

/** What an SMS gateway plugin module default-exports; build it with {@link defineSmsGateway}. */
export interface SmsGatewayPlugin<Config = Record<string, unknown>> {
  /** Always `sms-gateway`. */
  kind: 'sms-gateway';
  /** Translations the plugin ships, by language then key (optional for gateways). */
  resources?: PluginResources;
  /** Creates the instance for one tenant; may be async. Throwing here refuses the tenant's start with the message. */
  create(context: PluginContext<Config>): SmsGateway | Promise<SmsGateway>;
}

/**
 * Declares an SMS gateway plugin: `export default defineSmsGateway({ create })`.
 *
 * @example
 * ```ts
 * export default defineSmsGateway<{ url: string }>({
 *   create: (context) => new MyGateway(context),
 * });
 * ```
 */
export function defineSmsGateway<Config = Record<string, unknown>>(
  plugin: Omit<SmsGatewayPlugin<Config>, 'kind'>,
): SmsGatewayPlugin<Config> {
  return { kind: 'sms-gateway', ...plugin };
}

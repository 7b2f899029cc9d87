import type { DeliveryReport, PluginContext, PluginLifecycle, PluginResources } from '../context.js';

export interface SmsMessage {
  /** Recipient in E.164 form, e.g. `+919876543210`. Core has already validated it. */
  to: string;
  /** Text as the person will read it: any Unicode script; the gateway picks the encoding. */
  text: string;
  /** Core's id for the message, for correlating delivery receipts. */
  reference?: string;
}

export type SendResult =
  | { status: 'accepted'; gatewayMessageId: string; parts: number }
  | { status: 'rejected'; reason: string; retryable: boolean };

export interface OutboxEntry {
  to: string;
  text: string;
  createdAt: Date;
}

export interface SmsGateway extends PluginLifecycle {
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

export interface SmsGatewayPlugin<Config = Record<string, unknown>> {
  kind: 'sms-gateway';
  resources?: PluginResources;
  create(context: PluginContext<Config>): SmsGateway | Promise<SmsGateway>;
}

export function defineSmsGateway<Config = Record<string, unknown>>(
  plugin: Omit<SmsGatewayPlugin<Config>, 'kind'>,
): SmsGatewayPlugin<Config> {
  return { kind: 'sms-gateway', ...plugin };
}

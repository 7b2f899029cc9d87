import { defineEntity, p } from '@mikro-orm/core';

export const SMS_STATES = ['queued', 'sent', 'delivered', 'failed'] as const;
export type SmsState = (typeof SMS_STATES)[number];

/**
 * One SMS the platform tried to send, and what became of it. The number is kept only as a keyed
 * hash (to find a person's messages) and masked (for staff to recognise it); never the text,
 * which may hold an OTP.
 */
export const SmsMessageSchema = defineEntity({
  name: 'SmsMessage',
  tableName: 'sms_message',
  properties: {
    id: p.uuid().primary(),
    purpose: p.string().length(40),
    toHash: p.string().length(64),
    toMasked: p.string().length(24),
    state: p.string().length(12),
    gateway: p.string().length(64).nullable(),
    gatewayMessageId: p.string().length(200).nullable(),
    attempts: p.integer(),
    lastError: p.string().length(200).nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export class SmsMessage extends SmsMessageSchema.class {}
SmsMessageSchema.setClass(SmsMessage);

import { defineEntity, p } from '@mikro-orm/core';

/** A citizen's account: one per mobile number. The number is kept hashed and encrypted only. */
export const AccountSchema = defineEntity({
  name: 'Account',
  tableName: 'account',
  properties: {
    id: p.uuid().primary(),
    phoneHash: p.string().length(64),
    phoneEnc: p.blob(),
    /** Language of the last sign-in, for SMS sent later (reminders). */
    language: p.string().length(12),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastSignInAt: p.datetime().nullable(),
  },
});
export class Account extends AccountSchema.class {}
AccountSchema.setClass(Account);

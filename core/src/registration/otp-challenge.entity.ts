import { defineEntity, p } from '@mikro-orm/core';

/** One OTP sent to a number. Its id is the transaction id the client confirms with. */
export const OtpChallengeSchema = defineEntity({
  name: 'OtpChallenge',
  tableName: 'otp_challenge',
  properties: {
    id: p.uuid().primary(),
    phoneHash: p.string().length(64),
    /**
     * Encrypted; read when confirmation creates or finds the account. The row, and the number with
     * it, is deleted a day after it expires (maintenance/housekeeping.ts).
     */
    phoneEnc: p.blob(),
    codeHash: p.string().length(64),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    attempts: p.integer(),
    maxAttempts: p.integer(),
    confirmedAt: p.datetime().nullable(),
  },
});
export class OtpChallenge extends OtpChallengeSchema.class {}
OtpChallengeSchema.setClass(OtpChallenge);

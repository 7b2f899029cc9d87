import { Migration } from '@mikro-orm/migrations';

/**
 * A rate-limit key can be held by one outstanding item until a time: the OTP resend cooldown of a
 * number is its `otp:phone:` counter row, held by the newest live challenge. Kept on the counter row
 * because that row is what one sign-in statement locks, so the cooldown is decided under the same
 * lock as the count, in one round trip, without an advisory lock.
 */
export class Migration20261123290000OtpHold extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table rate_limit add column hold_until timestamptz, add column hold_ref uuid');
  }

  override async down(): Promise<void> {
    this.addSql('alter table rate_limit drop column if exists hold_until, drop column if exists hold_ref');
  }
}

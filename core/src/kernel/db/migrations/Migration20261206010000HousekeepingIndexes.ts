import { Migration } from '@mikro-orm/migrations';

/**
 * Hourly housekeeping deletes OTP challenges and sessions by `expires_at` (core/src/maintenance):
 * without an index each run would read the whole table, which grows by a row per sign-in.
 * `otp_challenge_phone_idx` has had no reader since the resend cool-down moved to the number's
 * rate_limit row, so the challenge table keeps one index besides its key, as before.
 */
export class Migration20261206010000HousekeepingIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop index if exists otp_challenge_phone_idx');
    this.addSql('create index otp_challenge_expires_idx on otp_challenge (expires_at)');
    this.addSql('create index auth_session_expires_idx on auth_session (expires_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists auth_session_expires_idx');
    this.addSql('drop index if exists otp_challenge_expires_idx');
    this.addSql('create index otp_challenge_phone_idx on otp_challenge (phone_hash, created_at desc)');
  }
}

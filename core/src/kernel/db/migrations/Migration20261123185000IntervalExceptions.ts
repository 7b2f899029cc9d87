import { Migration } from '@mikro-orm/migrations';

/**
 * An appointment booked before the usual interval for a reason the tenant accepts (India let
 * people travelling abroad take Covishield's second dose after 28 days instead of 84) records the
 * reason, so the vaccinator checks the proof and the dose is recorded with it.
 */
export class Migration20261123185000IntervalExceptions extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table appointment add column interval_exception varchar(40)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table appointment drop column if exists interval_exception');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * The vaccinator's desk looks up a person's appointment in a session (check-in, verification, the
 * centre's day) by beneficiary and session. The only index leading with the beneficiary is the
 * partial one over booked appointments, so these lookups, which also want completed ones, read every
 * appointment of the session: 12.6 ms of PostgreSQL per verification in a session of 20,000 people
 * (bench:doses), at any jumbo centre the cost of the whole day's list per person.
 */
export class Migration20261207010000AppointmentPersonIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index appointment_person_idx on appointment (beneficiary_id, session_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists appointment_person_idx');
  }
}

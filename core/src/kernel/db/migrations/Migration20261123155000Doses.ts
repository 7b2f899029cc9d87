import { Migration } from '@mikro-orm/migrations';

/** The doses people were given: what eligibility, certificates and the centre workflow build on. */
export class Migration20261123155000Doses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table dose_record (
      id uuid primary key,
      beneficiary_id uuid not null references beneficiary (id),
      vaccine varchar(40) not null,
      dose_number int not null check (dose_number >= 1),
      given_on date not null,
      facility_id int,
      interval_exception varchar(200),
      recorded_by uuid,
      recorded_at timestamptz not null default now(),
      unique (beneficiary_id, dose_number))`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists dose_record');
  }
}

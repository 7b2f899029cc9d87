import { Migration } from '@mikro-orm/migrations';

/**
 * Vaccination sessions and appointments. A session holds its capacity per dose number (online and
 * walk-in) and per time slot as counters; booking moves them with one conditional UPDATE each, and
 * the CHECKs make overbooking impossible even if a statement were wrong. The partial unique index
 * allows one active appointment per beneficiary per dose. Idempotency keys keep the first answer.
 */
export class Migration20261123170000Sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table vaccination_session (
      id uuid primary key,
      facility_id int not null references facility (id),
      date date not null,
      vaccine varchar(40) not null,
      min_age int not null check (min_age between 0 and 130),
      max_age int check (max_age is null or max_age between min_age and 130),
      created_by uuid,
      created_at timestamptz not null default now())`);
    this.addSql('create index vaccination_session_facility_date_idx on vaccination_session (facility_id, date)');

    this.addSql(`create table session_capacity (
      session_id uuid not null references vaccination_session (id) on delete cascade,
      dose_number int not null check (dose_number >= 1),
      online_capacity int not null check (online_capacity >= 0),
      online_booked int not null default 0,
      walkin_capacity int not null default 0 check (walkin_capacity >= 0),
      walkin_used int not null default 0,
      primary key (session_id, dose_number),
      check (online_booked between 0 and online_capacity),
      check (walkin_used between 0 and walkin_capacity))`);

    this.addSql(`create table session_slot (
      session_id uuid not null references vaccination_session (id) on delete cascade,
      slot_index int not null check (slot_index >= 0),
      label varchar(20) not null,
      capacity int not null check (capacity >= 0),
      booked int not null default 0,
      primary key (session_id, slot_index),
      check (booked between 0 and capacity))`);

    this.addSql(`create table appointment (
      id uuid primary key,
      beneficiary_id uuid not null references beneficiary (id) on delete cascade,
      account_id uuid not null references account (id),
      session_id uuid not null references vaccination_session (id),
      slot_index int not null,
      dose_number int not null,
      security_code char(4) not null check (security_code ~ '^[0-9]{4}$'),
      state varchar(10) not null default 'booked' check (state in ('booked', 'cancelled', 'completed')),
      idempotency_key varchar(100),
      created_at timestamptz not null default now(),
      cancelled_at timestamptz,
      check ((state = 'cancelled') = (cancelled_at is not null)),
      foreign key (session_id, slot_index) references session_slot (session_id, slot_index),
      foreign key (session_id, dose_number) references session_capacity (session_id, dose_number))`);
    this.addSql(`create unique index appointment_active_dose_idx on appointment (beneficiary_id, dose_number) where state = 'booked'`);
    this.addSql('create index appointment_account_idx on appointment (account_id, created_at)');
    this.addSql('create index appointment_session_idx on appointment (session_id, slot_index)');

    this.addSql(`create table booking_request (
      account_id uuid not null references account (id),
      idempotency_key varchar(100) not null,
      request_hash char(64) not null,
      response jsonb not null,
      created_at timestamptz not null default now(),
      primary key (account_id, idempotency_key))`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists booking_request');
    this.addSql('drop table if exists appointment');
    this.addSql('drop table if exists session_slot');
    this.addSql('drop table if exists session_capacity');
    this.addSql('drop table if exists vaccination_session');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * The vaccination workflow at the centre.
 *
 * - `dose_record` learns where the dose came from (batch, session, the stock location it was taken
 *   from), who gave it (vaccinator, a staff user), when (`administered_at`), where on the body, the
 *   appointment it completed, and a client-supplied idempotency key (unique: a double click stores
 *   one record). A record is `recorded`, `corrected` or `voided`; a voided record no longer holds
 *   its dose number, so the partial unique index replaces the plain one.
 * - `dose_correction` keeps every correction and void: the values before, the reason, the
 *   supervisor and the time.
 * - `check_in`: a person arrived at a session, and how they were verified (the appointment's
 *   security code, or an identity document); a dose is recorded only for a verified check-in.
 * - `security_code_check` counts wrong security codes per appointment, so guessing stops.
 * - `beneficiary.account_id` becomes nullable: a walk-in registered at the centre without a mobile
 *   number belongs to no citizen account (no number to sign in with, and no account to fill up).
 */
export class Migration20261123200000Vaccination extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table dose_record
      add column batch_id uuid references batch (id),
      add column session_id uuid references vaccination_session (id),
      add column appointment_id uuid references appointment (id),
      add column stock_location varchar(50),
      add column administered_at timestamptz,
      add column vaccinator_id uuid references staff_user (id),
      add column injection_site varchar(20)
        check (injection_site in ('left-deltoid', 'right-deltoid', 'left-thigh', 'right-thigh', 'oral', 'other')),
      add column idempotency_key varchar(100),
      add column request_hash char(64),
      add column state varchar(10) not null default 'recorded' check (state in ('recorded', 'corrected', 'voided')),
      add column updated_at timestamptz`);
    this.addSql('alter table dose_record drop constraint if exists dose_record_beneficiary_id_dose_number_key');
    this.addSql(`create unique index dose_record_dose_idx on dose_record (beneficiary_id, dose_number) where state <> 'voided'`);
    this.addSql('create unique index dose_record_idempotency_idx on dose_record (idempotency_key) where idempotency_key is not null');
    this.addSql('create index dose_record_batch_idx on dose_record (batch_id)');
    this.addSql('create index dose_record_session_idx on dose_record (session_id)');

    this.addSql(`create table dose_correction (
      id uuid primary key,
      dose_record_id uuid not null references dose_record (id),
      kind varchar(10) not null check (kind in ('correction', 'void')),
      reason varchar(200) not null,
      previous jsonb not null,
      changes jsonb not null,
      supervisor_id uuid not null references staff_user (id),
      at timestamptz not null default now())`);
    this.addSql('create index dose_correction_record_idx on dose_correction (dose_record_id, at)');

    this.addSql(`create table check_in (
      session_id uuid not null references vaccination_session (id),
      beneficiary_id uuid not null references beneficiary (id) on delete cascade,
      appointment_id uuid references appointment (id),
      arrived_at timestamptz not null default now(),
      arrived_by uuid references staff_user (id),
      verified_by varchar(14) check (verified_by in ('security-code', 'document')),
      verified_at timestamptz,
      verifier_id uuid references staff_user (id),
      primary key (session_id, beneficiary_id),
      check ((verified_by is null) = (verified_at is null)))`);
    this.addSql('create index check_in_appointment_idx on check_in (appointment_id)');

    this.addSql(`create table security_code_check (
      appointment_id uuid primary key references appointment (id) on delete cascade,
      failures int not null default 0 check (failures >= 0),
      locked_at timestamptz)`);

    this.addSql('alter table beneficiary alter column account_id drop not null');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists security_code_check');
    this.addSql('drop table if exists check_in');
    this.addSql('drop table if exists dose_correction');
    this.addSql('drop index if exists dose_record_dose_idx');
    this.addSql('drop index if exists dose_record_idempotency_idx');
    this.addSql(`alter table dose_record drop column batch_id, drop column session_id, drop column appointment_id,
      drop column stock_location, drop column administered_at, drop column vaccinator_id, drop column injection_site,
      drop column idempotency_key, drop column request_hash, drop column state, drop column updated_at`);
    this.addSql('alter table dose_record add constraint dose_record_beneficiary_id_dose_number_key unique (beneficiary_id, dose_number)');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Adverse events following immunisation (AEFI), as WHO surveillance records them: a case per
 * event, linked to the dose record (and so the person, vaccine and facility) and to the batch the
 * dose came from; severity, the criteria that made it serious, symptom codes, onset, outcome and
 * status with the causality classification once closed. Free text (the symptom named under
 * "other", the narrative, follow-up notes) is health data and only stored encrypted (`*_enc`).
 * `aefi_follow_up` is the case's history: notes, outcome updates and status changes, appended.
 */
export class Migration20261123210000Aefi extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table aefi_case (
      id uuid primary key,
      dose_record_id uuid not null references dose_record (id),
      beneficiary_id uuid not null references beneficiary (id),
      batch_id uuid references batch (id),
      vaccine varchar(40) not null,
      facility_id int,
      reporter_type varchar(8) not null check (reporter_type in ('citizen', 'staff')),
      reporter_id uuid not null,
      severity varchar(8) not null check (severity in ('minor', 'severe', 'serious')),
      serious_criteria text[] not null default '{}',
      symptoms text[] not null check (cardinality(symptoms) > 0),
      other_symptom_enc bytea,
      description_enc bytea,
      onset_at timestamptz not null,
      outcome varchar(24) not null check (outcome in (
        'recovered', 'recovering', 'not-recovered', 'recovered-with-sequelae', 'fatal', 'unknown')),
      status varchar(24) not null default 'reported' check (status in ('reported', 'under-investigation', 'closed')),
      causality varchar(16) check (causality in ('consistent', 'indeterminate', 'inconsistent', 'unclassifiable')),
      flagged_at timestamptz,
      reported_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      closed_at timestamptz,
      check ((severity = 'serious') = (cardinality(serious_criteria) > 0)),
      check ((severity = 'serious') = (flagged_at is not null)),
      check ((status = 'closed') = (causality is not null and closed_at is not null)))`);
    this.addSql('create index aefi_case_dose_idx on aefi_case (dose_record_id)');
    this.addSql('create index aefi_case_beneficiary_idx on aefi_case (beneficiary_id)');
    this.addSql('create index aefi_case_batch_idx on aefi_case (batch_id, severity)');
    this.addSql('create index aefi_case_facility_idx on aefi_case (facility_id, reported_at desc)');
    // The district officers' queue: serious cases still open, oldest first.
    this.addSql(
      `create index aefi_case_serious_open_idx on aefi_case (facility_id, flagged_at) where severity = 'serious' and status <> 'closed'`,
    );

    this.addSql(`create table aefi_follow_up (
      id uuid primary key,
      case_id uuid not null references aefi_case (id) on delete cascade,
      at timestamptz not null,
      author_id uuid not null,
      note_enc bytea,
      outcome varchar(24) check (outcome in (
        'recovered', 'recovering', 'not-recovered', 'recovered-with-sequelae', 'fatal', 'unknown')),
      status varchar(24) check (status in ('reported', 'under-investigation', 'closed')),
      causality varchar(16) check (causality in ('consistent', 'indeterminate', 'inconsistent', 'unclassifiable')),
      recorded_at timestamptz not null default now())`);
    this.addSql('create index aefi_follow_up_case_idx on aefi_follow_up (case_id, at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists aefi_follow_up');
    this.addSql('drop table if exists aefi_case');
  }
}

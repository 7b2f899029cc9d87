import { Migration } from '@mikro-orm/migrations';

/**
 * Certificates (core/src/certificates). `signing_authority` is the tenant's country signing
 * authority (the EU DCC CSCA): a self-signed certificate and its private key, sealed with the
 * tenant's key. `signing_key` holds the keys each format signs with (one active per format;
 * retired keys stay published until their `not_after`, so certificates they signed still
 * verify). `certificate` is one issued certificate: the canonical WHO DDCC:VS record and each
 * format's payload, both sealed (health data), a state (active, superseded by a later dose,
 * revoked after a correction or a void) and the dose records it covers. `certificate_correction`
 * is a citizen's request and the officer's decision; `certificate_passport` the passport number a
 * person asked to have on their certificates for travel (sealed).
 */
export class Migration20261123220000Certificates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table signing_authority (
      id varchar(16) primary key,
      certificate bytea not null,
      private_key_enc bytea not null,
      not_before timestamptz not null,
      not_after timestamptz not null,
      created_at timestamptz not null default now())`);

    this.addSql(`create table signing_key (
      id uuid primary key,
      format varchar(10) not null check (format in ('eu-dcc', 'shc', 'w3c-vc')),
      kid varchar(300) not null unique,
      algorithm varchar(10) not null check (algorithm in ('ES256', 'Ed25519')),
      public_jwk jsonb not null,
      private_key_enc bytea not null,
      certificate bytea,
      not_before timestamptz not null,
      not_after timestamptz not null,
      state varchar(8) not null default 'active' check (state in ('active', 'retired')),
      created_at timestamptz not null default now(),
      retired_at timestamptz,
      check ((state = 'retired') = (retired_at is not null)))`);
    // One active key per format: two processes provisioning at once insert one.
    this.addSql(`create unique index signing_key_active_idx on signing_key (format) where state = 'active'`);

    this.addSql(`create table certificate (
      id uuid primary key,
      certificate_id varchar(60) not null unique,
      beneficiary_id uuid not null references beneficiary (id),
      dose_record_id uuid not null references dose_record (id),
      dose_record_ids uuid[] not null,
      issue_key varchar(120) not null unique,
      kind varchar(12) not null check (kind in ('provisional', 'final', 'booster')),
      version int not null check (version > 0),
      record_enc bytea not null,
      payloads_enc bytea not null,
      formats text[] not null,
      state varchar(10) not null default 'active' check (state in ('active', 'superseded', 'revoked')),
      issued_at timestamptz not null,
      superseded_at timestamptz,
      revoked_at timestamptz,
      revocation_reason varchar(20) check (revocation_reason in ('corrected', 'dose-corrected', 'dose-voided', 'withdrawn')),
      replaced_by uuid references certificate (id),
      unique (beneficiary_id, version),
      check ((state = 'revoked') = (revoked_at is not null and revocation_reason is not null)))`);
    this.addSql('create index certificate_beneficiary_idx on certificate (beneficiary_id, version desc)');
    this.addSql('create index certificate_doses_idx on certificate using gin (dose_record_ids)');
    this.addSql(`create index certificate_revoked_idx on certificate (revoked_at) where state = 'revoked'`);

    this.addSql(`create table certificate_correction (
      id uuid primary key,
      certificate_id uuid not null references certificate (id),
      beneficiary_id uuid not null references beneficiary (id),
      account_id uuid not null,
      field varchar(12) not null check (field in ('name', 'birthDate', 'document', 'passport')),
      value_enc bytea not null,
      reason_enc bytea not null,
      state varchar(10) not null default 'requested' check (state in ('requested', 'approved', 'rejected')),
      requested_at timestamptz not null default now(),
      decided_by uuid,
      decided_at timestamptz,
      new_certificate_id uuid references certificate (id),
      check ((state = 'requested') = (decided_at is null)))`);
    // One open request per certificate and field.
    this.addSql(
      `create unique index certificate_correction_open_idx on certificate_correction (certificate_id, field) where state = 'requested'`,
    );
    this.addSql('create index certificate_correction_state_idx on certificate_correction (state, requested_at)');

    this.addSql(`create table certificate_passport (
      beneficiary_id uuid primary key references beneficiary (id) on delete cascade,
      number_enc bytea not null,
      updated_at timestamptz not null default now())`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists certificate_passport');
    this.addSql('drop table if exists certificate_correction');
    this.addSql('drop table if exists certificate');
    this.addSql('drop table if exists signing_key');
    this.addSql('drop table if exists signing_authority');
  }
}

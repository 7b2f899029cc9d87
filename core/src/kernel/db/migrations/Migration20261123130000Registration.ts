import { Migration } from '@mikro-orm/migrations';

/**
 * Citizens, OTP sign-in, sessions, beneficiaries, staff and the audit log. Phone and document
 * numbers exist only as keyed hashes (to find and deduplicate) and AES-GCM ciphertext.
 */
export class Migration20261123130000Registration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table rate_limit (
      key varchar(200) primary key,
      window_start timestamptz not null,
      hits int not null)`);

    this.addSql(`create table account (
      id uuid primary key,
      phone_hash char(64) not null unique,
      phone_enc bytea not null,
      language varchar(12) not null,
      created_at timestamptz not null default now(),
      last_sign_in_at timestamptz)`);

    this.addSql(`create table otp_challenge (
      id uuid primary key,
      phone_hash char(64) not null,
      phone_enc bytea not null,
      code_hash char(64) not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      attempts int not null default 0,
      max_attempts int not null,
      confirmed_at timestamptz)`);
    this.addSql('create index otp_challenge_phone_idx on otp_challenge (phone_hash, created_at desc)');

    this.addSql(`create table auth_session (
      id uuid primary key,
      subject_type varchar(10) not null check (subject_type in ('citizen', 'staff')),
      subject_id uuid not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz)`);

    this.addSql(`create table beneficiary (
      id uuid primary key,
      reference_id char(14) not null unique,
      account_id uuid not null references account (id),
      name varchar(200) not null,
      birth_year int not null,
      birth_date date,
      gender char(1) not null check (gender in ('M', 'F', 'O')),
      document_type varchar(40) not null,
      document_verifier varchar(64) not null,
      document_hash char(64) not null unique,
      document_enc bytea not null,
      document_masked varchar(40) not null,
      comorbidities_enc bytea,
      consent_version varchar(20) not null,
      consent_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now())`);
    this.addSql('create index beneficiary_account_idx on beneficiary (account_id)');

    this.addSql(`create table staff_user (
      id uuid primary key,
      username varchar(64) not null unique,
      display_name varchar(200) not null,
      password_hash varchar(200) not null,
      totp_secret_enc bytea,
      totp_enabled boolean not null default false,
      failed_attempts int not null default 0,
      locked_until timestamptz,
      active boolean not null default true,
      created_at timestamptz not null default now())`);

    this.addSql(`create table staff_role (
      id uuid primary key,
      user_id uuid not null references staff_user (id) on delete cascade,
      role varchar(32) not null,
      scope_type varchar(16) not null check (scope_type in ('platform', 'tenant', 'area', 'facility')),
      scope_id varchar(64),
      unique (user_id, role, scope_type, scope_id))`);

    this.addSql(`create table audit_entry (
      id bigint generated always as identity primary key,
      at timestamptz not null default now(),
      actor_type varchar(10) not null,
      actor_id uuid,
      action varchar(64) not null,
      target_type varchar(40),
      target_id varchar(64),
      ip varchar(64),
      user_agent varchar(200),
      details jsonb not null default '{}')`);
    this.addSql('create index audit_entry_at_idx on audit_entry (at desc)');
    this.addSql('create index audit_entry_actor_idx on audit_entry (actor_id, at desc)');
  }

  override async down(): Promise<void> {
    for (const table of [
      'audit_entry',
      'staff_role',
      'staff_user',
      'beneficiary',
      'auth_session',
      'otp_challenge',
      'account',
      'rate_limit',
    ]) {
      this.addSql(`drop table if exists ${table}`);
    }
  }
}

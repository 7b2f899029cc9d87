import { Migration } from '@mikro-orm/migrations';

/**
 * Availability pushed to third parties (docs/subscriptions.md). `webhook_subscription` is one
 * notifier's webhook with its filter: an area (level and id, matched against the centre's area and
 * its ancestors) or a postal code, and optionally a vaccine, dose and age. Its signing secret is
 * kept encrypted with the tenant's key (it is needed again to sign); the management token only as
 * a keyed hash. Consecutive failed deliveries are counted and disable it past the tenant's limit,
 * with the reason. `availability_event` keeps recent events for SSE clients that reconnect with
 * `Last-Event-ID` (pruned after an hour); its id is the event id every client sees.
 */
export class Migration20261123230000Subscriptions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table webhook_subscription (
      id uuid primary key,
      owner_hash varchar(64) not null,
      url varchar(2048) not null,
      secret_enc bytea not null,
      area_level varchar(32),
      area_id int,
      postal_code varchar(16),
      vaccine varchar(40),
      dose int check (dose between 1 and 20),
      age int check (age between 0 and 150),
      consecutive_failures int not null default 0,
      last_failure varchar(300),
      last_failure_at timestamptz,
      last_success_at timestamptz,
      disabled_at timestamptz,
      disabled_reason varchar(300),
      created_at timestamptz not null default now(),
      check ((area_level is null) = (area_id is null)),
      check ((area_id is null) <> (postal_code is null)))`);
    this.addSql('create index webhook_subscription_owner_idx on webhook_subscription (owner_hash)');
    this.addSql(
      'create index webhook_subscription_area_idx on webhook_subscription (area_level, area_id) where disabled_at is null and area_id is not null',
    );
    this.addSql(
      'create index webhook_subscription_postal_idx on webhook_subscription (postal_code) where disabled_at is null and postal_code is not null',
    );
    this.addSql(`create table availability_event (
      id bigserial primary key,
      session_id uuid not null,
      payload jsonb not null,
      created_at timestamptz not null default now())`);
    this.addSql('create index availability_event_created_idx on availability_event (created_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table availability_event');
    this.addSql('drop table webhook_subscription');
  }
}

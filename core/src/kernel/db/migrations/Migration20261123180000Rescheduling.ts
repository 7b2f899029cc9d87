import { Migration } from '@mikro-orm/migrations';

/**
 * What scheduling needs beyond booking: sessions that staff cancel (their appointments are
 * cancelled with them) and sessions that open for booking at an announced moment; appointments
 * that remember how often they were moved; and the tickets of a fair opening, where requests that
 * arrive in the first seconds are pooled in the database (so every app process shares one pool)
 * and served in the order of a random draw.
 */
export class Migration20261123180000Rescheduling extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table vaccination_session
      add column state varchar(10) not null default 'active' check (state in ('active', 'cancelled')),
      add column cancelled_at timestamptz,
      add column bookable_from timestamptz,
      add check ((state = 'cancelled') = (cancelled_at is not null))`);
    this.addSql(`alter table appointment
      add column reschedule_count int not null default 0 check (reschedule_count >= 0),
      add column updated_at timestamptz`);
    this.addSql(`create table booking_ticket (
      id uuid primary key,
      session_id uuid not null references vaccination_session (id) on delete cascade,
      account_id uuid not null references account (id),
      draw double precision not null,
      request jsonb not null,
      outcome jsonb,
      created_at timestamptz not null default now())`);
    this.addSql('create index booking_ticket_pending_idx on booking_ticket (session_id, draw) where outcome is null');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists booking_ticket');
    this.addSql('alter table appointment drop column if exists reschedule_count, drop column if exists updated_at');
    this.addSql(
      'alter table vaccination_session drop column if exists state, drop column if exists cancelled_at, drop column if exists bookable_from',
    );
  }
}

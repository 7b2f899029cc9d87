import { Migration } from '@mikro-orm/migrations';

/**
 * Appointments whose confirmation and reminder are still to be queued. A booking writes its row in
 * the same statement as the appointment, so a crash after the commit loses no SMS; a relay moves the
 * rows to the job queue in batches (messaging/notice-outbox.ts).
 */
export class Migration20261123280000NoticeOutbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table notice_outbox (
      appointment_id uuid primary key,
      created_at timestamptz not null default now()
    )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists notice_outbox');
  }
}

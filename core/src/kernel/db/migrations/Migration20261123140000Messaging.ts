import { Migration } from '@mikro-orm/migrations';

/** Every SMS the platform sends, with its state, so none is ever lost silently. */
export class Migration20261123140000Messaging extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table sms_message (
      id uuid primary key,
      purpose varchar(40) not null,
      to_hash char(64) not null,
      to_masked varchar(24) not null,
      state varchar(12) not null check (state in ('queued', 'sent', 'delivered', 'failed')),
      gateway varchar(64),
      gateway_message_id varchar(200),
      attempts int not null default 0,
      last_error varchar(200),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now())`);
    this.addSql('create index sms_message_created_idx on sms_message (created_at desc)');
    this.addSql('create index sms_message_gateway_idx on sms_message (gateway, gateway_message_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sms_message');
  }
}

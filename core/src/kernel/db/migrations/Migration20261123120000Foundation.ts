import { Migration } from '@mikro-orm/migrations';

/** Storage plugins get through PluginStorage: append-only records, read newest first. */
export class Migration20261123120000Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table plugin_record (
        id uuid primary key,
        plugin_id varchar(64) not null,
        collection varchar(64) not null,
        data jsonb not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql('create index plugin_record_list_idx on plugin_record (plugin_id, collection, created_at desc)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists plugin_record');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * The availability entries app processes share (scheduling/availability-cache.ts): each search
 * target's centres and sessions as PostgreSQL last read them, so that an entry is read once per
 * lifetime for the whole deployment, not once per app process. A cache, so unlogged (no WAL; a
 * crash empties it, and the next search reads the entry again). `centres` is stored uncompressed:
 * it is rewritten every few seconds, and compressing ~50 kB of JSON text each time would cost more
 * than the room it saves.
 */
export class Migration20261207020000AvailabilitySnapshot extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create unlogged table availability_snapshot (
      key varchar(255) primary key,
      computed_at timestamptz not null,
      found boolean not null,
      digest varchar(64) not null,
      centres text not null
    )`);
    this.addSql('alter table availability_snapshot alter column centres set storage external');
    this.addSql('create index availability_snapshot_computed_idx on availability_snapshot (computed_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists availability_snapshot');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Administrative areas (states, districts, emirates, municipios...). The key is (level, id): ids
 * come from the country's own registry and are unique only within a level; Co-WIN numbers states
 * and districts separately, so state 1 and district 1 are different areas. The parent is the
 * area one level up, referenced by its (level, id).
 */
export class Migration20261123150000Areas extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table area (
      level varchar(32) not null,
      id int not null check (id >= 0),
      parent_level varchar(32),
      parent_id int,
      code varchar(32),
      name varchar(200) not null,
      names jsonb,
      primary key (level, id),
      check ((parent_level is null) = (parent_id is null)),
      foreign key (parent_level, parent_id) references area (level, id))`);
    this.addSql('create index area_parent_idx on area (parent_level, parent_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists area');
  }
}

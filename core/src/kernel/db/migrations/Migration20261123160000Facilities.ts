import { Migration } from '@mikro-orm/migrations';

/**
 * Vaccination centres. The id is the centre's own (Co-WIN's `center_id`), not a sequence. Each
 * centre belongs to one area (composite foreign key to area). Indexes serve the three public
 * searches: by area, by postal code, and near a point.
 *
 * Near-me search without PostGIS (not available on every server we run on): a plain btree on
 * (latitude, longitude) lets the query narrow to a bounding box around the point (a range on
 * latitude, then longitude checked inside the index), and only the rows in the box get the exact
 * haversine distance, which orders them and cuts the box's corners off. At ≤ 50 km the box holds
 * a few hundred centres at most, even in a dense city.
 */
export class Migration20261123160000Facilities extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table facility (
      id int not null primary key check (id >= 0),
      name varchar(200) not null,
      names jsonb,
      address varchar(400),
      addresses jsonb,
      area_level varchar(32) not null,
      area_id int not null,
      postal_code varchar(16),
      latitude numeric(8, 6) not null check (latitude between -90 and 90),
      longitude numeric(9, 6) not null check (longitude between -180 and 180),
      opens_at varchar(5) not null check (opens_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      closes_at varchar(5) not null check (closes_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      fee_type varchar(8) not null check (fee_type in ('free', 'paid')),
      fees jsonb,
      active boolean not null default true,
      check (opens_at < closes_at),
      check ((fee_type = 'paid') = (fees is not null)),
      foreign key (area_level, area_id) references area (level, id))`);
    this.addSql('create index facility_area_idx on facility (area_level, area_id)');
    this.addSql('create index facility_postal_code_idx on facility (postal_code)');
    this.addSql('create index facility_location_idx on facility (latitude, longitude)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists facility');
  }
}

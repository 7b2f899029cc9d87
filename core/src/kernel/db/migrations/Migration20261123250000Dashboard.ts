import { Migration } from '@mikro-orm/migrations';

/**
 * The public dashboard.
 *
 * - `area.population`: people living in the area, where the tenant's seed file gives it; the
 *   dashboard shows coverage (first doses / population) only for those areas.
 * - `dose_record_dashboard_idx`: the dashboard's aggregates read every dose that was not voided,
 *   by day; a partial index on the day carrying the grouped columns answers them from the index
 *   (the doses per day of the last 30 days become a range scan).
 */
export class Migration20261123250000Dashboard extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table area add column population bigint check (population >= 0)');
    this.addSql(`create index dose_record_dashboard_idx on dose_record (given_on)
      include (vaccine, dose_number, facility_id, beneficiary_id) where state <> 'voided'`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists dose_record_dashboard_idx');
    this.addSql('alter table area drop column if exists population');
  }
}

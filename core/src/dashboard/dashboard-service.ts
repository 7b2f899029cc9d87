import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { type Fresh, FreshCache } from '../kernel/cache/fresh-cache.js';
import { TOKENS } from '../kernel/di/tokens.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { todayIn } from '../scheduling/slots.js';
import { addDays } from '../vaccination/dose-schedule.js';

/** How long the aggregates are kept: the dashboard says how old they are. */
export const DASHBOARD_TTL_SECONDS = 300;
/** Doses per day over this many days, today included. */
export const DAYS = 30;
export const AGE_BANDS = ['under-12', '12-17', '18-44', '45-59', '60+'] as const;
export const GENDERS = ['F', 'M', 'O'] as const;

/** Doses and people counted over a slice of the records (voided doses never count). */
export interface Tally {
  doses: number;
  firstDoses: number;
  /** People with at least one dose. */
  people: number;
  /** People who reached the last dose of their vaccine's primary series. */
  complete: number;
  boosters: number;
}

export interface AreaFigures {
  id: number;
  tally: Tally;
}

export interface AreaInfo {
  level: string;
  id: number;
  parentId: number | null;
  code: string | null;
  name: string;
  names: Record<string, string> | null;
  population: number | null;
}

export interface DashboardData {
  totals: Tally;
  /** Zero-filled, oldest first, in the tenant's calendar. */
  days: { day: string; doses: number }[];
  /** By first-level area; doses whose centre has no known area are `id: null`. */
  byArea: { id: number | null; tally: Tally }[];
  /** By second-level area, with the first-level area it lies in. */
  bySubArea: { parentId: number; id: number; tally: Tally }[];
  byVaccine: { key: string; tally: Tally }[];
  /** `1`, `2`... within the primary series, `booster` after it. */
  byDose: { key: string; tally: Tally }[];
  byAge: { key: string; tally: Tally }[];
  byGender: { key: string; tally: Tally }[];
  /** The first two levels' areas, to name them and to find their population. */
  areas: AreaInfo[];
}

/** One row of the open data: doses given on a day, in a first-level area, of a vaccine and dose number. */
export interface OpenDataRow {
  date: string;
  areaId: number | null;
  vaccine: string;
  doseNumber: number;
  doses: number;
}

interface GroupRow {
  dim: string;
  top_id: number | null;
  second_id: number | null;
  key: string | null;
  doses: number;
  first_doses: number;
  people: number;
  complete: number;
  boosters: number;
}

const caches = new WeakMap<TenantConfig, FreshCache>();

/** An area the figures are restricted to (it and every area below it): the administration pages' view of a district. */
export interface Within {
  level: string;
  id: number;
}

/** The area and the areas below it, as a CTE (joined to the rest of a `with recursive`). */
const WITHIN_AREA = `within_area (level, id) as (
  select level, id from area where level = ? and id = ?
  union all
  select a.level, a.id from area a join within_area w on a.parent_level = w.level and a.parent_id = w.id
)`;
const IN_AREA = 'exists (select 1 from within_area w where w.level = f.area_level and w.id = f.area_id)';

/**
 * Every dose not voided, with the person's age band and gender at the dose and the first two
 * levels of the area its centre lies in (through the area tree, whatever level the centre names).
 */
const doses = (within: boolean) => `
with recursive up as (
  select level, id, parent_level, parent_id, level as from_level, id as from_id from area
  union all
  select a.level, a.id, a.parent_level, a.parent_id, up.from_level, up.from_id
  from area a join up on a.level = up.parent_level and a.id = up.parent_id
),
place as (
  select from_level, from_id, max(id) filter (where level = ?) as top_id, max(id) filter (where level = ?) as second_id
  from up group by from_level, from_id
),
schedule as (select code, doses from jsonb_to_recordset(?::jsonb) as s(code varchar, doses int)),${within ? `\n${WITHIN_AREA},` : ''}
dose as (
  select d.beneficiary_id, d.given_on, d.vaccine, d.dose_number,
    case when d.dose_number > coalesce(s.doses, 2) then 'booster' else d.dose_number::text end as dose_kind,
    d.dose_number >= coalesce(s.doses, 2) as completes,
    case
      when extract(year from d.given_on)::int - b.birth_year < 12 then 'under-12'
      when extract(year from d.given_on)::int - b.birth_year < 18 then '12-17'
      when extract(year from d.given_on)::int - b.birth_year < 45 then '18-44'
      when extract(year from d.given_on)::int - b.birth_year < 60 then '45-59'
      else '60+' end as age_band,
    b.gender, p.top_id, p.second_id
  from dose_record d
  join beneficiary b on b.id = d.beneficiary_id
  left join schedule s on s.code = d.vaccine
  left join facility f on f.id = d.facility_id
  left join place p on p.from_level = f.area_level and p.from_id = f.area_id
  where d.state <> 'voided'${within ? ` and ${IN_AREA}` : ''}
)`;

const groups = (within: boolean) => `${doses(within)}
select
  case
    when grouping(top_id, second_id) = 0 then 'sub-area'
    when grouping(top_id) = 0 then 'area'
    when grouping(vaccine) = 0 then 'vaccine'
    when grouping(dose_kind) = 0 then 'dose'
    when grouping(age_band) = 0 then 'age'
    when grouping(gender) = 0 then 'gender'
    else 'total' end as dim,
  top_id, second_id, coalesce(vaccine, dose_kind, age_band, gender::text) as key,
  count(*)::int as doses,
  (count(*) filter (where dose_number = 1))::int as first_doses,
  count(distinct beneficiary_id)::int as people,
  (count(distinct beneficiary_id) filter (where completes))::int as complete,
  (count(*) filter (where dose_kind = 'booster'))::int as boosters
from dose
group by grouping sets ((top_id), (top_id, second_id), (vaccine), (dose_kind), (age_band), (gender), ())`;

const tallyOf = (row: GroupRow): Tally => ({
  doses: row.doses,
  firstDoses: row.first_doses,
  people: row.people,
  complete: row.complete,
  boosters: row.boosters,
});

/**
 * The public dashboard's figures: aggregates over the tenant's dose records, computed in a few
 * grouped queries and kept per tenant for five minutes (the page and the open data say as of when).
 */
@injectable()
export class DashboardService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly config: TenantConfig,
  ) {}

  /** The tenant's figures, or (`within`) only the doses given at centres in that area or below it. */
  summary(within?: Within): Promise<Fresh<DashboardData>> {
    return this.cached(within ? `summary:${within.level}:${within.id}` : 'summary', () => this.compute(within));
  }

  openData(): Promise<Fresh<OpenDataRow[]>> {
    return this.cached('open-data', () => this.computeOpenData());
  }

  private cached<T>(key: string, compute: () => Promise<T>): Promise<Fresh<T>> {
    let cache = caches.get(this.config);
    if (!cache) {
      cache = new FreshCache();
      caches.set(this.config, cache);
    }
    return cache.get(key, DASHBOARD_TTL_SECONDS * 1000, compute);
  }

  private params(within?: Within): unknown[] {
    const [top = '', second = ''] = this.config.areas.levels;
    const schedule = this.config.vaccines.map((vaccine) => ({ code: vaccine.code, doses: vaccine.doses }));
    return [top, second, JSON.stringify(schedule), ...(within ? [within.level, within.id] : [])];
  }

  private async compute(within?: Within): Promise<DashboardData> {
    const rows = await this.em.execute<GroupRow[]>(groups(within !== undefined), this.params(within));
    const of = (dim: string) => rows.filter((row) => row.dim === dim);
    const byKey = (dim: string) => of(dim).map((row) => ({ key: String(row.key), tally: tallyOf(row) }));
    const total = of('total')[0];
    return {
      totals: total ? tallyOf(total) : { doses: 0, firstDoses: 0, people: 0, complete: 0, boosters: 0 },
      days: await this.days(within),
      byArea: of('area').map((row) => ({ id: row.top_id, tally: tallyOf(row) })),
      bySubArea: of('sub-area')
        .filter((row) => row.top_id !== null && row.second_id !== null)
        .map((row) => ({ parentId: row.top_id!, id: row.second_id!, tally: tallyOf(row) })),
      byVaccine: byKey('vaccine'),
      byDose: byKey('dose'),
      byAge: byKey('age'),
      byGender: byKey('gender'),
      areas: await this.areas(),
    };
  }

  /** Doses per day over the last DAYS days: a range scan of the dashboard index. */
  private async days(within?: Within): Promise<{ day: string; doses: number }[]> {
    const today = todayIn(this.config.timeZone);
    const from = addDays(today, -(DAYS - 1));
    const rows = await this.em.execute<{ day: string; doses: number }[]>(
      within
        ? `with recursive ${WITHIN_AREA}
           select d.given_on::text as day, count(*)::int as doses from dose_record d join facility f on f.id = d.facility_id
           where d.state <> 'voided' and d.given_on between ?::date and ?::date and ${IN_AREA} group by d.given_on`
        : `select given_on::text as day, count(*)::int as doses from dose_record
       where state <> 'voided' and given_on between ?::date and ?::date group by given_on`,
      within ? [within.level, within.id, from, today] : [from, today],
    );
    const counted = new Map(rows.map((row) => [row.day, row.doses]));
    return Array.from({ length: DAYS }, (_, index) => addDays(from, index)).map((day) => ({ day, doses: counted.get(day) ?? 0 }));
  }

  private async areas(): Promise<AreaInfo[]> {
    const [top = '', second = ''] = this.config.areas.levels;
    const rows = await this.em.execute<
      {
        level: string;
        id: number;
        parent_id: number | null;
        code: string | null;
        name: string;
        names: Record<string, string> | null;
        population: string | null;
      }[]
    >('select level, id, parent_id, code, name, names, population from area where level in (?, ?)', [top, second]);
    return rows.map((row) => ({
      level: row.level,
      id: row.id,
      parentId: row.parent_id,
      code: row.code,
      name: row.name,
      names: row.names,
      population: row.population === null ? null : Number(row.population),
    }));
  }

  private async computeOpenData(): Promise<OpenDataRow[]> {
    const rows = await this.em.execute<{ day: string; top_id: number | null; vaccine: string; dose_number: number; doses: number }[]>(
      `${doses(false)}
       select given_on::text as day, top_id, vaccine, dose_number, count(*)::int as doses
       from dose group by given_on, top_id, vaccine, dose_number
       order by given_on, top_id nulls last, vaccine, dose_number`,
      this.params(),
    );
    return rows.map((row) => ({ date: row.day, areaId: row.top_id, vaccine: row.vaccine, doseNumber: row.dose_number, doses: row.doses }));
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { Scope } from '../registration/staff/permissions.js';
import { todayIn } from '../scheduling/slots.js';
import { addDays } from '../vaccination/dose-schedule.js';

/** What a report covers: the whole tenant, an area (and every area below it) or one facility. */
export type Coverage = { area: { level: string; id: number } } | { facilityId: number } | Record<string, never>;

export interface PlannedVersusStock {
  facilityId: number;
  from: string;
  to: string;
  /** Per vaccine: doses planned in active sessions (online + walk-in places) and usable doses in stock. */
  vaccines: { vaccine: string; planned: number; inStock: number; shortBy: number }[];
  /** True when any vaccine is planned above its stock: show "planned N doses, M in stock". */
  warning: boolean;
}

const AREAS = `with recursive within_area (level, id) as (
    select level, id from area where level = ? and id = ?
    union all
    select a.level, a.id from area a join within_area w on a.parent_level = w.level and a.parent_id = w.id)`;

/**
 * Stock locations a report covers, as SQL over `stock_balance`/`stock_movement` columns `k`
 * (kind) and `i` (id): facilities (and their sessions' stock, counted with their facility) and
 * stores. Answers the CTE prefix, the condition, its parameters.
 */
function covered(coverage: Coverage): { cte: string; where: (k: string, i: string) => string; params: unknown[] } {
  const sessionFacility = (i: string) => `(select facility_id from vaccination_session where id = ${i}::uuid)`;
  const facilityOf = (k: string, i: string) =>
    `case when ${k} = 'facility' then ${i}::int when ${k} = 'session' then ${sessionFacility(i)} end`;
  if ('facilityId' in coverage) {
    return { cte: '', where: (k, i) => `${facilityOf(k, i)} = ${Number(coverage.facilityId)}`, params: [] };
  }
  if ('area' in coverage) {
    return {
      cte: AREAS,
      where: (k, i) =>
        `(${facilityOf(k, i)} in (select f.id from facility f join within_area w on f.area_level = w.level and f.area_id = w.id)
          or (${k} = 'store' and ${i}::int in (select s.id from store s join within_area w on s.area_level = w.level and s.area_id = w.id)))`,
      params: [coverage.area.level, coverage.area.id],
    };
  }
  return { cte: '', where: (k) => `${k} <> 'transit'`, params: [] };
}

/** Alerts and reports over the ledger, and the check of planned sessions against stock. */
@injectable()
export class InventoryReports {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
  ) {}

  /** The staff scope a coverage needs (for the permission check). */
  static scopeOf(coverage: Coverage): Scope {
    if ('facilityId' in coverage) return { type: 'facility', id: String(coverage.facilityId) };
    if ('area' in coverage) return { type: 'area', id: `${coverage.area.level}:${coverage.area.id}` };
    return { type: 'tenant', id: null };
  }

  async assertCoverage(coverage: Coverage): Promise<void> {
    if (
      'area' in coverage &&
      (await this.em.execute('select 1 from area where level = ? and id = ?', [coverage.area.level, coverage.area.id])).length === 0
    ) {
      throw new NotFoundError('no such area');
    }
    if ('facilityId' in coverage && (await this.em.execute('select 1 from facility where id = ?', [coverage.facilityId])).length === 0) {
      throw new NotFoundError('no such facility');
    }
  }

  /**
   * Stock by facility and by store, per vaccine, with the usable doses (batches neither expired nor
   * recalled) apart; and the same summed per area (the facility's or store's own area).
   */
  async stock(coverage: Coverage) {
    const { cte, where, params } = covered(coverage);
    const today = todayIn(this.tenant.timeZone);
    const rows = await this.em.execute<
      {
        kind: string;
        id: number;
        name: string;
        area_level: string | null;
        area_id: number | null;
        vaccine: string;
        doses: number;
        usable: number;
      }[]
    >(
      `${cte}
       select x.kind, x.id, coalesce(f.name, st.name) as name, coalesce(f.area_level, st.area_level) as area_level,
         coalesce(f.area_id, st.area_id) as area_id, x.vaccine, sum(x.doses)::int as doses, sum(x.usable)::int as usable
       from (
         select case when s.location_kind = 'store' then 'store' else 'facility' end as kind,
           case when s.location_kind = 'session' then (select facility_id from vaccination_session where id = s.location_id::uuid)
             else s.location_id::int end as id,
           b.vaccine, s.doses, case when b.state = 'active' and b.expires_on >= ?::date then s.doses else 0 end as usable
         from stock_balance s join batch b on b.id = s.batch_id
         where s.doses > 0 and s.location_kind <> 'transit' and ${where('s.location_kind', 's.location_id')}
       ) x
       left join facility f on x.kind = 'facility' and f.id = x.id
       left join store st on x.kind = 'store' and st.id = x.id
       group by x.kind, x.id, f.name, st.name, f.area_level, st.area_level, f.area_id, st.area_id, x.vaccine
       order by x.kind, x.id, x.vaccine`,
      [...params, today],
    );
    const locations = rows.map((r) => ({
      location: `${r.kind}:${r.id}`,
      name: r.name,
      area: r.area_level ? `${r.area_level}:${r.area_id}` : null,
      vaccine: r.vaccine,
      doses: r.doses,
      usable: r.usable,
    }));
    const areas = new Map<string, { area: string | null; vaccine: string; doses: number; usable: number }>();
    for (const row of locations) {
      const key = `${row.area}|${row.vaccine}`;
      const sum = areas.get(key) ?? { area: row.area, vaccine: row.vaccine, doses: 0, usable: 0 };
      sum.doses += row.doses;
      sum.usable += row.usable;
      areas.set(key, sum);
    }
    return {
      facilities: locations.filter((l) => l.location.startsWith('facility:')),
      stores: locations.filter((l) => l.location.startsWith('store:')),
      areas: [...areas.values()],
    };
  }

  /** Doses administered per facility and vaccine between two dates (tenant calendar, inclusive). */
  async consumption(coverage: Coverage, from: string, to: string) {
    const rows = await this.movementSums(coverage, from, to, `m.kind = 'administered'`);
    const totals = sumBy(rows, (r) => r.vaccine);
    return {
      from,
      to,
      facilities: rows.map((r) => ({ location: r.location, vaccine: r.vaccine, administered: -r.doses })),
      totals: totals.map(([vaccine, doses]) => ({ vaccine, administered: -doses })),
    };
  }

  /**
   * Wastage rate per vaccine: doses wasted / (doses administered + doses wasted), the WHO formula
   * over doses used, with the wasted doses by reason. Transfer discrepancies are listed apart.
   */
  async wastage(coverage: Coverage, from: string, to: string) {
    const rows = await this.movementSums(coverage, from, to, `m.kind in ('administered', 'wastage', 'discrepancy')`, true);
    const byVaccine = new Map<
      string,
      { vaccine: string; administered: number; wasted: number; byReason: Record<string, number>; discrepancy: number }
    >();
    for (const row of rows) {
      const entry = byVaccine.get(row.vaccine) ?? { vaccine: row.vaccine, administered: 0, wasted: 0, byReason: {}, discrepancy: 0 };
      if (row.kind === 'administered') entry.administered += -row.doses;
      else if (row.kind === 'wastage') {
        entry.wasted += -row.doses;
        entry.byReason[row.reason ?? 'other'] = (entry.byReason[row.reason ?? 'other'] ?? 0) - row.doses;
      } else entry.discrepancy += row.doses;
      byVaccine.set(row.vaccine, entry);
    }
    return {
      from,
      to,
      vaccines: [...byVaccine.values()].map((v) => ({ ...v, wastageRate: rate(v.wasted, v.administered + v.wasted) })),
    };
  }

  /**
   * Alerts: vaccines at facilities whose usable stock lasts fewer than `lowStockDays` at the
   * average daily use over the last `usageWindowDays` (doses administered / days), and batches in
   * stock that expire within `withinDays` (or have expired and still sit on a shelf).
   */
  async alerts(coverage: Coverage, options: { days?: number; withinDays?: number } = {}) {
    const settings = this.tenant.inventory;
    const threshold = options.days ?? settings.lowStockDays;
    const window = settings.usageWindowDays;
    const withinDays = options.withinDays ?? settings.expiringWithinDays;
    const today = todayIn(this.tenant.timeZone);
    const { cte, where, params } = covered(coverage);
    const facilityOf = `case when k = 'facility' then i::int else (select facility_id from vaccination_session where id = i::uuid) end`;
    const usage = await this.em.execute<{ facility_id: number; vaccine: string; stock: number; used: number }[]>(
      `${cte}
       select ${facilityOf} as facility_id, vaccine, sum(stock)::int as stock, sum(used)::int as used from (
         select s.location_kind as k, s.location_id as i, b.vaccine,
           case when b.state = 'active' and b.expires_on >= ?::date then s.doses else 0 end as stock, 0 as used
         from stock_balance s join batch b on b.id = s.batch_id
         where s.location_kind in ('facility', 'session') and ${where('s.location_kind', 's.location_id')}
         union all
         select m.location_kind, m.location_id, b.vaccine, 0, -m.doses
         from stock_movement m join batch b on b.id = m.batch_id
         where m.kind = 'administered' and m.at >= now() - make_interval(days => ?) and ${where('m.location_kind', 'm.location_id')}
       ) x group by 1, 2 order by 1, 2`,
      [...params, today, window],
    );
    const lowStock = usage
      .map((u) => {
        const perDay = u.used / window;
        return {
          facilityId: u.facility_id,
          vaccine: u.vaccine,
          doses: u.stock,
          averageDailyUse: round(perDay),
          daysOfStock: perDay > 0 ? round(u.stock / perDay) : null,
        };
      })
      .filter((u) => u.daysOfStock !== null && u.daysOfStock < threshold);
    const until = addDays(today, withinDays);
    const expiring = await this.em.execute<
      { location: string; batch_id: string; vaccine: string; lot_number: string; expires_on: string; doses: number }[]
    >(
      `${cte}
       select s.location_kind || ':' || s.location_id as location, b.id as batch_id, b.vaccine, b.lot_number,
         b.expires_on::text as expires_on, s.doses
       from stock_balance s join batch b on b.id = s.batch_id
       where s.doses > 0 and b.state = 'active' and b.expires_on <= ?::date and ${where('s.location_kind', 's.location_id')}
       order by b.expires_on, location`,
      [...params, until],
    );
    return {
      lowStock: { thresholdDays: threshold, usageWindowDays: window, items: lowStock },
      expiring: {
        withinDays,
        items: expiring.map((e) => ({
          location: e.location,
          batchId: e.batch_id,
          vaccine: e.vaccine,
          lotNumber: e.lot_number,
          expiresOn: e.expires_on,
          doses: e.doses,
          expired: e.expires_on < today,
        })),
      },
    };
  }

  /**
   * Read-only: the doses planned in a facility's active sessions between two dates (online and
   * walk-in places of every dose) against the usable doses at the facility and its sessions, per
   * vaccine. Batches that expire before `from` or are recalled do not count. For the session pages
   * and API to warn "planned N doses, M in stock"; it never refuses anything.
   */
  async plannedVersusStock(facilityId: number, from: string, to: string, em: EntityManager = this.em): Promise<PlannedVersusStock> {
    const rows = await em.execute<{ vaccine: string; planned: number; in_stock: number }[]>(
      `with planned as (
         select s.vaccine, sum(c.online_capacity + c.walkin_capacity)::int as doses
         from vaccination_session s join session_capacity c on c.session_id = s.id
         where s.facility_id = ? and s.state = 'active' and s.date between ?::date and ?::date
         group by s.vaccine),
       stock as (
         select b.vaccine, sum(sb.doses)::int as doses
         from stock_balance sb join batch b on b.id = sb.batch_id
         where b.state = 'active' and b.expires_on >= ?::date and sb.doses > 0
           and ((sb.location_kind = 'facility' and sb.location_id = ?)
             or (sb.location_kind = 'session' and sb.location_id in (select id::text from vaccination_session where facility_id = ?)))
         group by b.vaccine)
       select coalesce(p.vaccine, s.vaccine) as vaccine, coalesce(p.doses, 0) as planned, coalesce(s.doses, 0) as in_stock
       from planned p full join stock s on s.vaccine = p.vaccine
       order by 1`,
      [facilityId, from, to, from, String(facilityId), facilityId],
    );
    const vaccines = rows.map((r) => ({
      vaccine: r.vaccine,
      planned: r.planned,
      inStock: r.in_stock,
      shortBy: Math.max(0, r.planned - r.in_stock),
    }));
    return { facilityId, from, to, vaccines, warning: vaccines.some((v) => v.shortBy > 0) };
  }

  private async movementSums(coverage: Coverage, from: string, to: string, condition: string, withReason = false) {
    const { cte, where, params } = covered(coverage);
    const tz = this.tenant.timeZone;
    const location = `case when m.location_kind = 'session' then 'facility:' || (select facility_id from vaccination_session where id = m.location_id::uuid)
      else m.location_kind || ':' || m.location_id end`;
    return this.em.execute<{ location: string; vaccine: string; kind: string; reason: string | null; doses: number }[]>(
      `${cte}
       select ${location} as location, b.vaccine, m.kind, ${withReason ? 'm.reason' : 'null::text'} as reason, sum(m.doses)::int as doses
       from stock_movement m join batch b on b.id = m.batch_id
       where ${condition} and m.at >= (?::date)::timestamp at time zone ? and m.at < (?::date + 1)::timestamp at time zone ?
         and ${where('m.location_kind', 'm.location_id')}
       group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
      [...params, from, tz, to, tz],
    );
  }
}

function sumBy<T extends { doses: number }>(rows: T[], key: (row: T) => string): [string, number][] {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + row.doses);
  return [...sums.entries()];
}

const round = (value: number) => Math.round(value * 100) / 100;
const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10000) / 10000);

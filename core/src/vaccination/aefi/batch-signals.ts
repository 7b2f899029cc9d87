import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../../kernel/di/tokens.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import type { Role } from '../../registration/staff/permissions.js';
import type { StaffContext } from '../../registration/staff/staff-context.js';
import { AefiCases } from './aefi-cases.js';
import { coverageSql } from './coverage.js';
import type { BatchCountQuery } from './schemas.js';

/** Who sees counts per batch: the people who would act on a bad batch, over their own scope. */
const SIGNAL_ROLES: ReadonlySet<Role> = new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager']);

export interface BatchSignal {
  batchId: string;
  vaccine: string;
  lotNumber: string;
  batchState: string;
  cases: number;
  bySeverity: { minor: number; severe: number; serious: number };
  serious: number;
  /** Doses of the batch administered within the same scope. */
  administered: number;
  /** Cases per 1,000 doses administered; null while none are counted. */
  ratePer1000: number | null;
  /** True when the batch crosses the tenant's thresholds (`aefi.batchSignal`): look at it. */
  signal: boolean;
  reasons: ('serious-cases' | 'rate')[];
}

type CountRow = { batch_id: string; vaccine: string; lot_number: string; state: string; minor: number; severe: number; serious: number };

/**
 * Cases per batch with their rate per 1,000 doses administered, so a bad batch shows up. Cases
 * and doses are counted over the same scope (the caller's, or the area asked for). Flagged when
 * serious cases or the rate reach the tenant's thresholds (`aefi.batchSignal`).
 */
@injectable()
export class BatchSignals {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AefiCases) private readonly cases: AefiCases,
  ) {}

  async perBatch(actor: StaffContext, query: BatchCountQuery): Promise<{ batches: BatchSignal[]; unlinked: number }> {
    const coverage = await this.cases.narrowed(actor, SIGNAL_ROLES, query);
    const { cte, where } = coverageSql(coverage, 'c.facility_id');
    const vaccine = query.vaccine ? 'and c.vaccine = ?' : '';
    const params = query.vaccine ? [query.vaccine] : [];
    const rows = await this.em.execute<CountRow[]>(
      `${cte}
       select c.batch_id, b.vaccine, b.lot_number, b.state,
         (count(*) filter (where c.severity = 'minor'))::int as minor,
         (count(*) filter (where c.severity = 'severe'))::int as severe,
         (count(*) filter (where c.severity = 'serious'))::int as serious
       from aefi_case c join batch b on b.id = c.batch_id
       where ${where} ${vaccine}
       group by c.batch_id, b.vaccine, b.lot_number, b.state`,
      params,
    );
    const [{ unlinked }] = await this.em.execute<{ unlinked: number }[]>(
      `${cte} select count(*)::int as unlinked from aefi_case c where c.batch_id is null and ${where} ${vaccine}`,
      params,
    );
    const administered = await this.administered(
      coverageSql(coverage, 'x.facility_id'),
      rows.map((row) => row.batch_id),
    );
    const { minCases, ratePer1000: rateThreshold, seriousCases } = this.tenant.aefi.batchSignal;
    const batches = rows.map((row): BatchSignal => {
      const cases = row.minor + row.severe + row.serious;
      const given = administered.get(row.batch_id) ?? 0;
      const rate = given > 0 ? Math.round((cases / given) * 1000 * 100) / 100 : null;
      const reasons: BatchSignal['reasons'] = [];
      if (row.serious >= seriousCases) reasons.push('serious-cases');
      if (cases >= minCases && rate !== null && rate >= rateThreshold) reasons.push('rate');
      return {
        batchId: row.batch_id,
        vaccine: row.vaccine,
        lotNumber: row.lot_number,
        batchState: row.state,
        cases,
        bySeverity: { minor: row.minor, severe: row.severe, serious: row.serious },
        serious: row.serious,
        administered: given,
        ratePer1000: rate,
        signal: reasons.length > 0,
        reasons,
      };
    });
    batches.sort((a, b) => Number(b.signal) - Number(a.signal) || (b.ratePer1000 ?? -1) - (a.ratePer1000 ?? -1) || b.cases - a.cases);
    return { batches, unlinked };
  }

  /**
   * Doses of each batch given at the covered facilities: the dose records naming the batch (voided
   * ones aside), or the ledger's `administered` movements there and at those facilities' sessions
   * when it counts more (doses entered as a tally, without a record per person).
   */
  private async administered(scope: { cte: string; where: string }, batchIds: string[]): Promise<Map<string, number>> {
    if (batchIds.length === 0) return new Map();
    const ids = `'{${batchIds.join(',')}}'::uuid[]`;
    const rows = await this.em.execute<{ batch_id: string; doses: number }[]>(
      `${scope.cte}
       select x.batch_id, greatest(sum(x.recorded), sum(x.ledger))::int as doses from (
         select d.batch_id, 1 as recorded, 0 as ledger, d.facility_id
         from dose_record d where d.batch_id = any(${ids}) and d.state <> 'voided'
         union all
         select m.batch_id, 0, -m.doses,
           case when m.location_kind = 'facility' then m.location_id::int
             else (select s.facility_id from vaccination_session s where s.id = m.location_id::uuid) end
         from stock_movement m
         where m.kind = 'administered' and m.location_kind in ('facility', 'session') and m.batch_id = any(${ids})
       ) x
       where ${scope.where}
       group by x.batch_id`,
    );
    return new Map(rows.map((row) => [row.batch_id, row.doses]));
  }
}

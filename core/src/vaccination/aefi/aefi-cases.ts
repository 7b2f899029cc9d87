import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { oversees, type Role } from '../../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../../registration/staff/scope-directory.js';
import type { StaffContext } from '../../registration/staff/staff-context.js';
import { AefiFollowUp } from './aefi.entity.js';
import { AefiService, CASE_ROLES, INVESTIGATION_ROLES } from './aefi-service.js';
import { type CaseCoverage, coverageOf, coverageSql, reachesAnything } from './coverage.js';
import type { CaseQuery } from './schemas.js';

/** A case as listed: codes and links, no free text (that is in the case itself). */
export interface CaseSummary {
  id: string;
  beneficiary: { referenceId: string; name: string };
  dose: { id: string; doseNumber: number; vaccine: string; givenOn: string; facilityId: number | null };
  batch: { id: string; lotNumber: string; state: string } | null;
  reporter: 'citizen' | 'staff';
  severity: string;
  seriousCriteria: string[];
  symptoms: string[];
  onsetAt: string;
  outcome: string;
  status: string;
  causality: string | null;
  flaggedAt: string | null;
  reportedAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface CaseDetail extends CaseSummary {
  otherSymptom: string | null;
  description: string | null;
  followUps: { at: string; note: string | null; outcome: string | null; status: string | null; causality: string | null }[];
}

type CaseRow = {
  id: string;
  reference_id: string;
  name: string;
  dose_record_id: string;
  dose_number: number;
  vaccine: string;
  given_on: string;
  facility_id: number | null;
  batch_id: string | null;
  lot_number: string | null;
  batch_state: string | null;
  reporter_type: 'citizen' | 'staff';
  severity: string;
  serious_criteria: string[];
  symptoms: string[];
  other_symptom_enc: Buffer | null;
  description_enc: Buffer | null;
  onset_at: Date;
  outcome: string;
  status: string;
  causality: string | null;
  flagged_at: Date | null;
  reported_at: Date;
  updated_at: Date;
  closed_at: Date | null;
};

const SELECT = `select c.*, b.reference_id, b.name, d.dose_number, d.given_on::text as given_on,
    bt.lot_number, bt.state as batch_state
  from aefi_case c
  join dose_record d on d.id = c.dose_record_id
  join beneficiary b on b.id = c.beneficiary_id
  left join batch bt on bt.id = c.batch_id`;

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/**
 * Reading cases: the citizen's own, staff lists within their scope with filters, one case with
 * its free text and history, and the district officers' queue of serious cases still open.
 */
@injectable()
export class AefiCases {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(AefiService) private readonly service: AefiService,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  /** The cases reported about the account's beneficiaries, whoever reported them. */
  async ofCitizen(accountId: string, caseId?: string): Promise<CaseDetail[]> {
    const rows = await this.em.execute<CaseRow[]>(
      `${SELECT} where b.account_id = ? ${caseId ? 'and c.id = ?' : ''} order by c.reported_at desc limit 200`,
      caseId ? [accountId, caseId] : [accountId],
    );
    // Staff notes stay with staff: the citizen sees the case as it stands.
    return rows.map((row) => this.detail(row, []));
  }

  async list(actor: StaffContext, query: CaseQuery): Promise<CaseSummary[]> {
    const coverage = await this.narrowed(actor, CASE_ROLES, query);
    const { cte, where } = coverageSql(coverage, 'c.facility_id');
    const conditions = [where];
    const params: unknown[] = [];
    const add = (condition: string, value: unknown) => {
      conditions.push(condition);
      params.push(value);
    };
    if (query.severity) add('c.severity = ?', query.severity);
    if (query.status) add('c.status = ?', query.status);
    if (query.batchId) add('c.batch_id = ?', query.batchId);
    if (query.vaccine) add('c.vaccine = ?', query.vaccine);
    if (query.from) add('c.reported_at >= ?::date', query.from);
    if (query.to) add(`c.reported_at < ?::date + 1`, query.to);
    const rows = await this.em.execute<CaseRow[]>(
      `${cte} ${SELECT} where ${conditions.join(' and ')} order by c.reported_at desc limit ?`,
      [...params, Number(query.limit ?? 100)],
    );
    return rows.map((row) => this.summary(row));
  }

  async get(actor: StaffContext, caseId: string): Promise<CaseDetail> {
    await this.service.caseFor(actor, caseId, CASE_ROLES);
    const [row] = await this.em.execute<CaseRow[]>(`${SELECT} where c.id = ?`, [caseId]);
    const entries = await this.em.find(AefiFollowUp, { caseId }, { orderBy: { at: 'asc', recordedAt: 'asc' } });
    return this.detail(row, entries);
  }

  /**
   * Serious cases not yet closed at the facilities within the officer's areas (tenant roles: all),
   * oldest flag first: what the district officers must investigate.
   */
  async seriousQueue(actor: StaffContext, query: Pick<CaseQuery, 'area' | 'facility'>): Promise<CaseSummary[]> {
    const coverage = await this.narrowed(actor, INVESTIGATION_ROLES, query);
    const { cte, where } = coverageSql(coverage, 'c.facility_id');
    const rows = await this.em.execute<CaseRow[]>(
      `${cte} ${SELECT} where c.severity = 'serious' and c.status <> 'closed' and ${where} order by c.flagged_at asc limit 500`,
    );
    return rows.map((row) => this.summary(row));
  }

  /**
   * What the actor's roles among `roles` reach, narrowed to an area or facility they ask for (which
   * they must oversee). A caller holding none of the roles is refused.
   */
  async narrowed(actor: StaffContext, roles: ReadonlySet<Role>, query: { area?: string; facility?: string }): Promise<CaseCoverage> {
    const grants = actor.roles.filter((grant) => roles.has(grant.role));
    const coverage = coverageOf(grants, roles);
    if (!reachesAnything(coverage)) throw new ForbiddenError('no role for adverse events');
    if (query.area) {
      if (!(await oversees(grants, { type: 'area', id: query.area }, this.directory))) throw new ForbiddenError('area outside your scope');
      const [level, id] = query.area.split(':');
      if ((await this.em.execute('select 1 from area where level = ? and id = ?', [level, Number(id)])).length === 0) {
        throw new NotFoundError('no such area');
      }
      return { all: false, areas: [{ level, id: Number(id) }], facilityIds: [] };
    }
    if (query.facility) {
      if (!(await oversees(grants, { type: 'facility', id: query.facility }, this.directory))) {
        throw new ForbiddenError('facility outside your scope');
      }
      return { all: false, areas: [], facilityIds: [Number(query.facility)] };
    }
    return coverage;
  }

  private summary(row: CaseRow): CaseSummary {
    return {
      id: row.id,
      beneficiary: { referenceId: row.reference_id, name: row.name },
      dose: {
        id: row.dose_record_id,
        doseNumber: row.dose_number,
        vaccine: row.vaccine,
        givenOn: row.given_on,
        facilityId: row.facility_id,
      },
      batch: row.batch_id ? { id: row.batch_id, lotNumber: row.lot_number ?? '', state: row.batch_state ?? '' } : null,
      reporter: row.reporter_type,
      severity: row.severity,
      seriousCriteria: row.serious_criteria,
      symptoms: row.symptoms,
      onsetAt: iso(row.onset_at)!,
      outcome: row.outcome,
      status: row.status,
      causality: row.causality,
      flaggedAt: iso(row.flagged_at),
      reportedAt: iso(row.reported_at)!,
      updatedAt: iso(row.updated_at)!,
      closedAt: iso(row.closed_at),
    };
  }

  private detail(row: CaseRow, entries: AefiFollowUp[]): CaseDetail {
    return {
      ...this.summary(row),
      otherSymptom: this.open(row.other_symptom_enc),
      description: this.open(row.description_enc),
      followUps: entries.map((entry) => ({
        at: entry.at.toISOString(),
        note: this.open(entry.noteEnc ?? null),
        outcome: entry.outcome ?? null,
        status: entry.status ?? null,
        causality: entry.causality ?? null,
      })),
    };
  }

  private open(sealed: Buffer | Uint8Array | null): string | null {
    return sealed ? this.crypto.decrypt(Buffer.from(sealed)) : null;
  }
}

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { lockBalance } from '../inventory/ledger.js';
import { parseLocation } from '../inventory/locations.js';
import { StockService } from '../inventory/stock-service.js';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ConflictError, NotFoundError, ValidationError } from '../kernel/errors.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { todayIn } from '../scheduling/slots.js';
import { CentreAccess } from './centre-access.js';
import { emitDoseEvent } from './dose-events.js';
import type { InjectionSite } from './dose-record.entity.js';
import { type DoseView, doseView } from './dose-view.js';
import { DoseVoidedError } from './errors.js';

export interface DoseCorrection {
  reason: string;
  batchId?: string;
  injectionSite?: InjectionSite;
  administeredAt?: string;
  vaccinatorId?: string;
}

interface LockedDose {
  id: string;
  beneficiary_id: string;
  dose_number: number;
  given_on: string;
  facility_id: number | null;
  session_id: string | null;
  appointment_id: string | null;
  batch_id: string | null;
  stock_location: string | null;
  vaccine: string;
  administered_at: Date | null;
  vaccinator_id: string | null;
  injection_site: InjectionSite | null;
  state: 'recorded' | 'corrected' | 'voided';
}

/** The fields a correction may change, as they are stored and shown. */
const FIELDS = ['batchId', 'injectionSite', 'administeredAt', 'vaccinatorId'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Supervisors (the facility's manager, a district officer over it, administrators) correct or void
 * a wrong dose record, with a reason. Each keeps the values before in `dose_correction` and is
 * audited, in the same transaction as the change. Stock stays exact: a dose moved to another batch
 * is taken from the new batch (StockService.administer, same checks as a new dose) and put back on
 * the old one (a `dose-corrected` adjustment where it was taken from); a voided dose goes back to
 * stock (`dose-voided`) and gives back its walk-in place.
 */
@injectable()
export class DoseCorrections {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.JobQueue) private readonly jobs: JobQueue,
    @inject(TOKENS.Logger) private readonly log: Logger,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(CentreAccess) private readonly access: CentreAccess,
    @inject(StockService) private readonly stock: StockService,
  ) {}

  async correct(actor: StaffContext, doseId: string, input: DoseCorrection): Promise<DoseView> {
    const before = await this.load(actor, doseId);
    if (input.vaccinatorId !== undefined && input.vaccinatorId !== before.vaccinator_id) {
      if (before.facility_id === null)
        throw new ValidationError('no centre to check', [{ path: '/vaccinatorId', code: 'vaccinator-unknown' }]);
      await this.access.assertVaccinator(input.vaccinatorId, before.facility_id);
    }
    if (input.administeredAt !== undefined) {
      const at = new Date(input.administeredAt);
      if (at.getTime() > Date.now())
        throw new ValidationError('in the future', [{ path: '/administeredAt', code: 'administered-in-future' }]);
      if (todayIn(this.tenant.timeZone, at) !== before.given_on) {
        throw new ValidationError('not on the day the dose was given', [{ path: '/administeredAt', code: 'administered-not-session-day' }]);
      }
    }
    if (input.batchId !== undefined && input.batchId !== before.batch_id) await this.stock.batch(this.em, input.batchId);

    await inTransaction(this.em, async (em) => {
      const dose = await this.lock(em, doseId);
      const previous = current(dose);
      const changes: Partial<Record<Field, string>> = {};
      for (const field of FIELDS) {
        const wanted = input[field];
        if (wanted === undefined) continue;
        const normalised = field === 'administeredAt' ? new Date(wanted).toISOString() : wanted;
        if (normalised !== previous[field]) changes[field] = normalised;
      }
      if (Object.keys(changes).length === 0) throw new ValidationError('nothing to correct', [{ path: '/', code: 'no-change' }]);
      if (changes.batchId !== undefined) {
        if (dose.facility_id === null) throw new ValidationError('no centre to take stock from', [{ path: '/batchId', code: 'choice' }]);
        const taken = await this.stock.administer(em, {
          facilityId: dose.facility_id,
          ...(dose.session_id ? { sessionId: dose.session_id } : {}),
          batchId: changes.batchId,
          vaccine: dose.vaccine,
          reference: dose.id,
          actorId: actor.user.id,
        });
        await this.putBack(em, dose, 'dose-corrected', actor);
        await em.execute(
          'update dose_record set batch_id = ?, stock_location = ? where id = ?',
          [changes.batchId, taken.location, dose.id],
          'run',
        );
      }
      await em.execute(
        `update dose_record set injection_site = coalesce(?, injection_site), administered_at = coalesce(?::timestamptz, administered_at),
           vaccinator_id = coalesce(?::uuid, vaccinator_id), state = 'corrected', updated_at = now()
         where id = ?`,
        [changes.injectionSite ?? null, changes.administeredAt ?? null, changes.vaccinatorId ?? null, dose.id],
        'run',
      );
      await this.keep(em, actor, dose, 'correction', input.reason, previous, changes);
      await this.emit(em, 'corrected', before);
    });
    return doseView(this.em, doseId);
  }

  /** The dose was not given to this person: the record stops counting, its dose goes back to stock. */
  async void(actor: StaffContext, doseId: string, reason: string): Promise<DoseView> {
    const before = await this.load(actor, doseId);
    await inTransaction(this.em, async (em) => {
      const dose = await this.lock(em, doseId);
      const [later] = await em.execute(
        `select 1 from dose_record where beneficiary_id = ? and dose_number > ? and state <> 'voided' limit 1`,
        [dose.beneficiary_id, dose.dose_number],
      );
      if (later) throw new ConflictError('dose-not-latest', 'a later dose is recorded: void that one first');
      await this.putBack(em, dose, 'dose-voided', actor);
      if (dose.session_id && !dose.appointment_id) {
        await em.execute(
          'update session_capacity set walkin_used = walkin_used - 1 where session_id = ? and dose_number = ? and walkin_used > 0',
          [dose.session_id, dose.dose_number],
          'run',
        );
      }
      await em.execute(`update dose_record set state = 'voided', updated_at = now() where id = ?`, [dose.id], 'run');
      await this.keep(em, actor, dose, 'void', reason, current(dose), { state: 'voided' });
      await this.emit(em, 'voided', before);
    });
    return doseView(this.em, doseId);
  }

  private async load(actor: StaffContext, doseId: string): Promise<LockedDose> {
    const [dose] = await this.em.execute<LockedDose[]>(`${SELECT} where id = ?`, [doseId]);
    if (!dose) throw new NotFoundError('no such dose record');
    await this.access.at(actor, dose.facility_id, 'supervise');
    if (dose.state === 'voided') throw new DoseVoidedError();
    return dose;
  }

  /** The record, locked for the transaction: concurrent corrections of one record queue. */
  private async lock(em: EntityManager, doseId: string): Promise<LockedDose> {
    const [dose] = await em.execute<LockedDose[]>(`${SELECT} where id = ? for update`, [doseId]);
    if (dose.state === 'voided') throw new DoseVoidedError();
    return dose;
  }

  /** Puts the dose back on the batch where it was taken from, as an adjustment of +1 (the ledger stays a sum). */
  private async putBack(em: EntityManager, dose: LockedDose, reason: string, actor: StaffContext): Promise<void> {
    if (!dose.batch_id || !dose.stock_location) return;
    const location = parseLocation(dose.stock_location);
    const balance = await lockBalance(em, dose.batch_id, location, true);
    await this.stock.adjust(em, { location, batchId: dose.batch_id, counted: balance + 1, reason, actorId: actor.user.id });
  }

  /** Keeps the values before in `dose_correction` and audits the change (ids and field names only). */
  private async keep(
    em: EntityManager,
    actor: StaffContext,
    dose: LockedDose,
    kind: 'correction' | 'void',
    reason: string,
    previous: Record<string, unknown>,
    changes: Record<string, unknown>,
  ): Promise<void> {
    const id = randomUUID();
    await em.execute(
      `insert into dose_correction (id, dose_record_id, kind, reason, previous, changes, supervisor_id) values (?, ?, ?, ?, ?, ?, ?)`,
      [id, dose.id, kind, reason, JSON.stringify(previous), JSON.stringify(changes), actor.user.id],
      'run',
    );
    this.audit.record({
      actorType: 'staff',
      actorId: actor.user.id,
      action: kind === 'void' ? 'vaccination.dose.void' : 'vaccination.dose.correct',
      targetType: 'dose-record',
      targetId: dose.id,
      details: { correctionId: id, fields: Object.keys(changes) },
    });
  }

  /** In the change's transaction: its certificate job exists exactly when the change commits. */
  private async emit(em: EntityManager, kind: 'corrected' | 'voided', dose: LockedDose): Promise<void> {
    await emitDoseEvent({ kind, doseRecordId: dose.id, beneficiaryId: dose.beneficiary_id }, { jobs: this.jobs, em, log: this.log });
  }
}

const SELECT = `select id, beneficiary_id, dose_number, to_char(given_on, 'YYYY-MM-DD') as given_on, facility_id, session_id,
    appointment_id, batch_id, stock_location, vaccine, administered_at, vaccinator_id, injection_site, state
  from dose_record`;

function current(dose: LockedDose): Record<Field, string | null> {
  return {
    batchId: dose.batch_id,
    injectionSite: dose.injection_site,
    administeredAt: dose.administered_at ? new Date(dose.administered_at).toISOString() : null,
    vaccinatorId: dose.vaccinator_id,
  };
}

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { ConflictError, NotFoundError, ValidationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AppointmentNotices } from '../messaging/notices.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import { DoseRecord } from './dose-record.entity.js';
import { type GivenDose, nextDose } from './dose-schedule.js';

export interface DoseToRecord {
  beneficiaryId: string;
  vaccine: string;
  /** ISO date in the tenant's calendar. */
  givenOn: string;
  facilityId?: number;
  /** Required to record a dose before its minimum interval (travel, medical advice). */
  intervalException?: string;
  recordedBy?: string;
}

/**
 * Records a dose given, in the order the tenant's schedule allows: the next dose number, the
 * vaccine the person started with for the primary series, and not before the minimum interval
 * unless an exception says why. The centre workflow (verification, batches, stock) builds on it.
 */
@injectable()
export class DoseService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AppointmentNotices) private readonly notices: AppointmentNotices,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  async history(beneficiaryId: string): Promise<GivenDose[]> {
    const records = await this.em.find(
      DoseRecord,
      { beneficiary: beneficiaryId, state: { $ne: 'voided' } },
      { orderBy: { doseNumber: 'asc' } },
    );
    return records.map((r) => ({ vaccine: r.vaccine, doseNumber: r.doseNumber, givenOn: String(r.givenOn) }));
  }

  async record(dose: DoseToRecord): Promise<DoseRecord> {
    const beneficiary = await this.em.findOne(Beneficiary, { id: dose.beneficiaryId });
    if (!beneficiary) throw new NotFoundError('no such beneficiary');
    if (!this.tenant.vaccines.some((v) => v.code === dose.vaccine)) {
      throw new ValidationError('unknown vaccine', [{ path: '/vaccine', code: 'choice' }]);
    }
    const due = nextDose(await this.history(dose.beneficiaryId), this.tenant.vaccines, dose.givenOn);
    if (due.status === 'complete') throw new ConflictError('schedule-complete', 'every dose of the schedule is recorded');
    if (!due.vaccines.includes(dose.vaccine)) {
      throw new ValidationError('not the vaccine this dose must be', [{ path: '/vaccine', code: 'vaccine-mismatch' }]);
    }
    if (dose.givenOn < due.earliest && !dose.intervalException) {
      throw new ValidationError('too early for this dose', [{ path: '/givenOn', code: 'interval-too-short' }]);
    }
    const record = this.em.create(DoseRecord, {
      id: randomUUID(),
      beneficiary,
      vaccine: dose.vaccine,
      doseNumber: due.doseNumber,
      givenOn: dose.givenOn,
      facilityId: dose.facilityId ?? null,
      intervalException: dose.givenOn < due.earliest ? (dose.intervalException ?? null) : null,
      recordedBy: dose.recordedBy ?? null,
      recordedAt: new Date(),
    });
    await this.em.persist(record).flush();
    // The dose is stored: a notice that cannot be queued is logged (ids only), never undoes it.
    try {
      await this.notices.doseRecorded(beneficiary.id, await this.history(beneficiary.id));
    } catch (error) {
      this.log.error({ err: error, doseRecordId: record.id }, 'next-dose notice not queued');
    }
    return record;
  }
}

import { createHash, randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { StockService } from '../inventory/stock-service.js';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, TeekaError, ValidationError } from '../kernel/errors.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AppointmentNotices } from '../messaging/notices.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { Appointment } from '../scheduling/appointment.entity.js';
import { EligibilityService } from '../scheduling/eligibility.js';
import { AppointmentNotActiveError, IdempotencyKeyReusedError } from '../scheduling/errors.js';
import { SessionCapacity } from '../scheduling/session.entity.js';
import { todayIn } from '../scheduling/slots.js';
import { CentreAccess } from './centre-access.js';
import { sessionToday } from './centre-session.js';
import { CheckInService } from './check-in-service.js';
import { emitDoseEvent } from './dose-events.js';
import { DoseRecord, type InjectionSite } from './dose-record.entity.js';
import { DoseService } from './dose-service.js';
import { type DoseView, doseView } from './dose-view.js';
import { DoseAlreadyRecordedError, NotVerifiedError, WalkinFullError } from './errors.js';

export interface DoseAtSession {
  sessionId: string;
  /** The beneficiary's reference id. */
  beneficiary: string;
  batchId: string;
  /** The dose of the schedule being given, as the vaccinator sees it: checked against the schedule. */
  doseNumber: number;
  injectionSite: InjectionSite;
  /** When the dose was given (default now): on the session's day, not in the future. */
  administeredAt?: string;
  /** The staff user who gave the dose (default the signed-in user). */
  vaccinatorId?: string;
  /** For a walk-in due later: a reason the tenant accepts for an earlier dose (`travel`). */
  intervalException?: string;
}

/** Clocks of tablets at the centre run a little ahead; beyond this an `administeredAt` is refused. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Records a dose given at a session, in one transaction on the request's EntityManager: the dose
 * record (inserted first, so a concurrent duplicate waits on its unique indexes and then fails
 * without touching stock), the stock taken from the batch at the session or facility (expired,
 * recalled, other-vaccine and missing stock refused by StockService), the appointment completed or
 * a walk-in place taken with one conditional UPDATE, and the audit entry. After the commit: the
 * next-dose notice and the dose events (certificates). An Idempotency-Key makes a double submit
 * answer the first record.
 */
@injectable()
export class DoseRecording {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.JobQueue) private readonly jobs: JobQueue,
    @inject(TOKENS.Logger) private readonly log: Logger,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(CentreAccess) private readonly access: CentreAccess,
    @inject(CheckInService) private readonly checkIns: CheckInService,
    @inject(EligibilityService) private readonly eligibility: EligibilityService,
    @inject(StockService) private readonly stock: StockService,
    @inject(DoseService) private readonly doses: DoseService,
    @inject(AppointmentNotices) private readonly notices: AppointmentNotices,
  ) {}

  async record(actor: StaffContext, input: DoseAtSession, idempotencyKey?: string): Promise<{ dose: DoseView; replayed: boolean }> {
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          input.sessionId,
          input.beneficiary,
          input.batchId,
          input.doseNumber,
          input.injectionSite,
          input.vaccinatorId ?? null,
          input.intervalException ?? null,
        ]),
      )
      .digest('hex');
    if (idempotencyKey) {
      const earlier = await this.replay(idempotencyKey, requestHash);
      if (earlier) return { dose: earlier, replayed: true };
    }

    try {
      return await this.attempt(actor, input, idempotencyKey, requestHash);
    } catch (error) {
      // A double submit racing the first: by now the first may have committed, and this one then
      // finds the dose recorded or the next dose not yet due. The key says it is the same request:
      // it answers what the first recorded.
      if (idempotencyKey && error instanceof TeekaError && !(error instanceof IdempotencyKeyReusedError)) {
        const earlier = await this.replay(idempotencyKey, requestHash);
        if (earlier) return { dose: earlier, replayed: true };
      }
      throw error;
    }
  }

  private async attempt(
    actor: StaffContext,
    input: DoseAtSession,
    idempotencyKey: string | undefined,
    requestHash: string,
  ): Promise<{ dose: DoseView; replayed: boolean }> {
    const session = await sessionToday(this.em, this.access, actor, input.sessionId, this.tenant.timeZone);
    const beneficiary = await this.em.findOne(Beneficiary, { referenceId: input.beneficiary });
    if (!beneficiary) throw new NotFoundError('no such beneficiary');
    const checkIn = await this.checkIns.verified(this.em, session.id, beneficiary.id);
    if (!checkIn) throw new NotVerifiedError();
    const same = await this.em.findOne(DoseRecord, { beneficiary: beneficiary.id, doseNumber: input.doseNumber, state: { $ne: 'voided' } });
    if (same) throw new DoseAlreadyRecordedError(same.id);

    const appointment = checkIn.appointmentId ? await this.em.findOne(Appointment, { id: checkIn.appointmentId }) : null;
    if (appointment && (appointment.state !== 'booked' || appointment.sessionId !== session.id)) throw new AppointmentNotActiveError();
    const today = todayIn(this.tenant.timeZone);
    const offered = new Set((await this.em.find(SessionCapacity, { sessionId: session.id })).map((c) => c.doseNumber));
    const exception = appointment ? (appointment.intervalException ?? undefined) : input.intervalException;
    const fits = await this.eligibility.check(beneficiary, session, today, offered, exception);
    if (typeof fits === 'string')
      throw new ValidationError('this dose cannot be given to this person here', [{ path: '/beneficiary', code: fits }]);
    if (fits.dose !== input.doseNumber) {
      throw new ValidationError('the schedule says another dose is due', [{ path: '/doseNumber', code: 'dose-number-mismatch' }]);
    }

    const administeredAt = input.administeredAt ? new Date(input.administeredAt) : new Date();
    if (administeredAt.getTime() > Date.now() + CLOCK_SKEW_MS) {
      throw new ValidationError('the time is in the future', [{ path: '/administeredAt', code: 'administered-in-future' }]);
    }
    if (todayIn(this.tenant.timeZone, administeredAt) !== String(session.date)) {
      throw new ValidationError('not on the day of the session', [{ path: '/administeredAt', code: 'administered-not-session-day' }]);
    }
    await this.stock.batch(this.em, input.batchId);
    const vaccinatorId = input.vaccinatorId ?? actor.user.id;
    if (input.vaccinatorId !== undefined) await this.access.assertVaccinator(vaccinatorId, session.facilityId);

    const id = randomUUID();
    try {
      await inTransaction(this.em, async (em) => {
        await em.execute(
          `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, interval_exception, recorded_by,
             recorded_at, batch_id, session_id, appointment_id, administered_at, vaccinator_id, injection_site, idempotency_key,
             request_hash, state)
           values (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, 'recorded')`,
          [
            id,
            beneficiary.id,
            session.vaccine,
            fits.dose,
            String(session.date),
            session.facilityId,
            fits.exception ?? null,
            actor.user.id,
            input.batchId,
            session.id,
            appointment?.id ?? null,
            administeredAt,
            vaccinatorId,
            input.injectionSite,
            idempotencyKey ?? null,
            requestHash,
          ],
          'run',
        );
        const taken = await this.stock.administer(em, {
          facilityId: session.facilityId,
          sessionId: session.id,
          batchId: input.batchId,
          vaccine: session.vaccine,
          reference: id,
          actorId: actor.user.id,
        });
        await em.execute('update dose_record set stock_location = ? where id = ?', [taken.location, id], 'run');
        if (appointment) {
          const completed = await em.execute<{ affectedRows?: number }>(
            `update appointment set state = 'completed', updated_at = now() where id = ? and state = 'booked'`,
            [appointment.id],
            'run',
          );
          if (!completed.affectedRows) throw new AppointmentNotActiveError();
        } else {
          const place = await em.execute<{ affectedRows?: number }>(
            `update session_capacity set walkin_used = walkin_used + 1
             where session_id = ? and dose_number = ? and walkin_used < walkin_capacity`,
            [session.id, fits.dose],
            'run',
          );
          if (!place.affectedRows) throw new WalkinFullError();
        }
        this.audit.record({
          actorType: 'staff',
          actorId: actor.user.id,
          action: 'vaccination.dose.record',
          targetType: 'dose-record',
          targetId: id,
          details: { sessionId: session.id, appointmentId: appointment?.id ?? null, batchId: input.batchId },
        });
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // A concurrent double submit: the first one committed while this one waited on the index.
      if (idempotencyKey) {
        const earlier = await this.replay(idempotencyKey, requestHash);
        if (earlier) return { dose: earlier, replayed: true };
      }
      const first = await this.em.findOne(DoseRecord, { beneficiary: beneficiary.id, doseNumber: fits.dose, state: { $ne: 'voided' } });
      if (first) throw new DoseAlreadyRecordedError(first.id);
      throw error;
    }
    await this.afterCommit(beneficiary.id, id);
    return { dose: await doseView(this.em, id), replayed: false };
  }

  private async replay(idempotencyKey: string, requestHash: string): Promise<DoseView | undefined> {
    const [earlier] = await this.em.execute<{ id: string; request_hash: string }[]>(
      'select id, request_hash from dose_record where idempotency_key = ?',
      [idempotencyKey],
    );
    if (!earlier) return undefined;
    if (earlier.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
    return doseView(this.em, earlier.id);
  }

  /** The dose is stored: what follows is logged when it fails (ids only), and never undoes it. */
  private async afterCommit(beneficiaryId: string, doseRecordId: string): Promise<void> {
    try {
      await this.notices.doseRecorded(beneficiaryId, await this.doses.history(beneficiaryId));
    } catch (error) {
      this.log.error({ err: error, doseRecordId }, 'next-dose notice not queued');
    }
    await emitDoseEvent({ kind: 'recorded', doseRecordId, beneficiaryId }, { jobs: this.jobs, em: this.em, log: this.log });
  }
}

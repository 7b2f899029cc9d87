import { createHash, randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { formatLocation } from '../inventory/locations.js';
import { type BatchFacts, StockService } from '../inventory/stock-service.js';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { run, statement, statementFor } from '../kernel/db/prepared.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, TeekaError, ValidationError } from '../kernel/errors.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AppointmentNotices } from '../messaging/notices.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { EligibilityService } from '../scheduling/eligibility.js';
import { AppointmentNotActiveError, IdempotencyKeyReusedError, SessionCancelledError } from '../scheduling/errors.js';
import { todayIn } from '../scheduling/slots.js';
import { CentreAccess } from './centre-access.js';
import { emitDoseEvent } from './dose-events.js';
import { DoseRecord, type InjectionSite } from './dose-record.entity.js';
import type { GivenDose } from './dose-schedule.js';
import { type DoseView, doseView } from './dose-view.js';
import { DoseAlreadyRecordedError, NotVerifiedError, SessionNotTodayError, WalkinFullError } from './errors.js';

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

interface Facts {
  session_id: string;
  facility_id: number;
  date: string;
  vaccine: string;
  min_age: number;
  max_age: number | null;
  session_state: string;
  offered: number[];
  beneficiary_id: string | null;
  birth_year: number | null;
  comorbidities_enc: Buffer | null;
  verified_by: string | null;
  appointment_id: string | null;
  appointment_state: string | null;
  appointment_session_id: string | null;
  appointment_exception: string | null;
  /** The person's doses, voided ones aside, in dose order. */
  history: { id: string; vaccine: string; doseNumber: number; givenOn: string }[];
  batch: BatchFacts | null;
  issued_to_session: boolean;
}

/** The session, the person (by reference id), their check-in there, its appointment, their doses, and the batch. */
const FACTS = statement(
  'teeka-dose-facts',
  `select s.id as session_id, s.facility_id, to_char(s.date, 'YYYY-MM-DD') as date, s.vaccine, s.min_age, s.max_age,
    s.state as session_state,
    array(select c.dose_number from session_capacity c where c.session_id = s.id) as offered,
    b.id as beneficiary_id, b.birth_year, b.comorbidities_enc, ci.verified_by,
    a.id as appointment_id, a.state as appointment_state, a.session_id as appointment_session_id, a.interval_exception as appointment_exception,
    coalesce((select json_agg(json_build_object('id', d.id, 'vaccine', d.vaccine, 'doseNumber', d.dose_number,
        'givenOn', to_char(d.given_on, 'YYYY-MM-DD')) order by d.dose_number)
      from dose_record d where d.beneficiary_id = b.id and d.state <> 'voided'), '[]') as history,
    case when bt.id is null then null else json_build_object('id', bt.id, 'vaccine', bt.vaccine, 'lotNumber', bt.lot_number,
      'expiresOn', bt.expires_on::text, 'dosesPerVial', bt.doses_per_vial, 'state', bt.state) end as batch,
    exists (select 1 from stock_balance sb where sb.location_kind = 'session' and sb.location_id = s.id::text and sb.batch_id = bt.id)
      as issued_to_session
  from vaccination_session s
  left join beneficiary b on b.reference_id = ?
  left join check_in ci on ci.session_id = s.id and ci.beneficiary_id = b.id
  left join appointment a on a.id = ci.appointment_id
  left join batch bt on bt.id = ?
  where s.id = ?`,
);

const DOSE_BY_IDEMPOTENCY_KEY = statement(
  'teeka-dose-by-idempotency-key',
  'select id, request_hash from dose_record where idempotency_key = ?',
);

/**
 * Records a dose given at a session. Everything that only reads comes first, outside the
 * transaction (the session, the person, the check-in, eligibility, the batch and the stock location
 * its doses come from). The transaction is then three statements and the commit: the dose record
 * with the appointment completed or a walk-in place taken and the audit entry (one statement; the
 * record is inserted first, so a concurrent duplicate waits on its unique indexes and then fails
 * without touching stock), the dose event's jobs (the certificate job, stored in the same
 * transaction), and last the stock taken (StockService.take), so the balance row that every dose
 * at the centre updates is locked only from that statement to the commit. After the commit: the
 * next-dose notice. An Idempotency-Key makes a double submit answer the first record.
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
    @inject(EligibilityService) private readonly eligibility: EligibilityService,
    @inject(StockService) private readonly stock: StockService,
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
    // Every fact the dose depends on, read in one query (not one per table), then checked one by one.
    const [facts] = await run<Facts>(this.em, FACTS, [input.beneficiary, input.batchId, input.sessionId]);
    if (!facts) throw new NotFoundError('no such session');
    await this.access.at(actor, facts.facility_id, 'vaccinate');
    if (facts.session_state === 'cancelled') throw new SessionCancelledError();
    const today = todayIn(this.tenant.timeZone);
    if (facts.date !== today) throw new SessionNotTodayError();
    const session = {
      id: facts.session_id,
      facilityId: facts.facility_id,
      date: facts.date,
      vaccine: facts.vaccine,
      minAge: facts.min_age,
      maxAge: facts.max_age,
    };
    if (!facts.beneficiary_id) throw new NotFoundError('no such beneficiary');
    const beneficiary = { id: facts.beneficiary_id, birthYear: facts.birth_year!, comorbiditiesEnc: facts.comorbidities_enc };
    if (!facts.verified_by) throw new NotVerifiedError();
    const same = facts.history.find((dose) => dose.doseNumber === input.doseNumber);
    if (same) throw new DoseAlreadyRecordedError(same.id);

    const appointment = facts.appointment_id ? { id: facts.appointment_id, intervalException: facts.appointment_exception } : null;
    if (appointment && (facts.appointment_state !== 'booked' || facts.appointment_session_id !== session.id))
      throw new AppointmentNotActiveError();
    const exception = appointment ? (appointment.intervalException ?? undefined) : input.intervalException;
    const history: GivenDose[] = facts.history.map(({ vaccine, doseNumber, givenOn }) => ({ vaccine, doseNumber, givenOn }));
    const fits = await this.eligibility.check(beneficiary, session, today, new Set(facts.offered), exception, history);
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
    const vaccinatorId = input.vaccinatorId ?? actor.user.id;
    const id = randomUUID();
    const administration = {
      facilityId: session.facilityId,
      sessionId: session.id,
      batchId: input.batchId,
      vaccine: session.vaccine,
      reference: id,
      actorId: actor.user.id,
    };
    // Read before the transaction (nothing locked yet): the batch, refused when recalled, expired or
    // of another vaccine, and where its doses come from.
    const source = this.stock.sourceOf(facts.batch, administration, facts.issued_to_session);
    if (input.vaccinatorId !== undefined) await this.access.assertVaccinator(vaccinatorId, session.facilityId);

    let recordedAt: Date | undefined;
    try {
      await inTransaction(this.em, async (em) => {
        const audited = this.audit.insert({
          actorType: 'staff',
          actorId: actor.user.id,
          action: 'vaccination.dose.record',
          targetType: 'dose-record',
          targetId: id,
          details: { sessionId: session.id, appointmentId: appointment?.id ?? null, batchId: input.batchId },
        });
        // One statement: the dose record (a concurrent duplicate waits on its unique indexes, then
        // fails, before any stock is touched), the appointment completed or a walk-in place taken,
        // and the audit entry.
        const insert = statementFor(
          'teeka-dose-insert',
          `with dose as (
             insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, interval_exception, recorded_by,
               recorded_at, batch_id, session_id, appointment_id, administered_at, vaccinator_id, injection_site, idempotency_key,
               request_hash, state, stock_location)
             values (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, 'recorded', ?)
             returning recorded_at),
           placed as (${
             appointment
               ? `update appointment set state = 'completed', updated_at = now() where id = ? and state = 'booked' returning id`
               : `update session_capacity set walkin_used = walkin_used + 1
                  where session_id = ? and dose_number = ? and walkin_used < walkin_capacity returning session_id`
}),
           audited as (${audited.sql})
           select (select count(*) from placed)::int as placed, (select recorded_at from dose) as recorded_at`,
        );
        const [done] = await run<{ placed: number; recorded_at: Date }>(em, insert, [
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
          formatLocation(source.location),
          ...(appointment ? [appointment.id] : [session.id, fits.dose]),
          ...audited.params,
        ]);
        if (!done.placed) throw appointment ? new AppointmentNotActiveError() : new WalkinFullError();
        recordedAt = done.recorded_at;
        // The dose's follow-up work (its certificate job), stored in this transaction: it exists
        // exactly when the dose does. Before the stock, which must stay last.
        await emitDoseEvent({ kind: 'recorded', doseRecordId: id, beneficiaryId: beneficiary.id }, { jobs: this.jobs, em, log: this.log });
        // Last before the commit: the stock balance row every dose here updates is locked from this
        // statement to the commit, and nothing else runs in between.
        await this.stock.take(em, source, administration);
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
    await this.afterCommit(beneficiary.id, [
      ...history,
      { vaccine: session.vaccine, doseNumber: fits.dose, givenOn: String(session.date) },
    ]);
    const dose: DoseView = {
      id,
      beneficiary: input.beneficiary,
      vaccine: session.vaccine,
      doseNumber: fits.dose,
      givenOn: session.date,
      administeredAt: administeredAt.toISOString(),
      facilityId: session.facilityId,
      sessionId: session.id,
      appointmentId: appointment?.id ?? null,
      batch: { id: source.batch.id, lotNumber: source.batch.lotNumber, expiresOn: source.batch.expiresOn },
      injectionSite: input.injectionSite,
      vaccinatorId,
      state: 'recorded',
      intervalException: fits.exception ?? null,
      recordedBy: actor.user.id,
      recordedAt: new Date(recordedAt!).toISOString(),
    };
    return { dose, replayed: false };
  }

  private async replay(idempotencyKey: string, requestHash: string): Promise<DoseView | undefined> {
    const [earlier] = await run<{ id: string; request_hash: string }>(this.em, DOSE_BY_IDEMPOTENCY_KEY, [idempotencyKey]);
    if (!earlier) return undefined;
    if (earlier.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
    return doseView(this.em, earlier.id);
  }

  /** The dose is stored: the next-dose notice is logged when it fails (ids only), and never undoes it. */
  private async afterCommit(beneficiaryId: string, history: GivenDose[]): Promise<void> {
    try {
      await this.notices.doseRecorded(beneficiaryId, history);
    } catch (error) {
      this.log.error({ err: error, beneficiaryId }, 'next-dose notice not queued');
    }
  }
}

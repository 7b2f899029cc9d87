import { timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import type { NewBeneficiary } from '../registration/beneficiary-schemas.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { Appointment } from '../scheduling/appointment.entity.js';
import { AppointmentNotActiveError } from '../scheduling/errors.js';
import type { VaccinationSession } from '../scheduling/session.entity.js';
import { todayIn } from '../scheduling/slots.js';
import { CentreAccess } from './centre-access.js';
import { sessionToday } from './centre-session.js';
import { type NextDose, nextDose } from './dose-schedule.js';
import { DoseService } from './dose-service.js';
import { SecurityCodeInvalidError, SecurityCodeLockedError, WalkinFullError } from './errors.js';

/** Wrong security codes an appointment takes before only an identity document verifies the person. */
export const SECURITY_CODE_MAX_FAILURES = 5;

export type VerificationMethod = 'security-code' | 'document';

/** What the vaccinator sees of a person at the desk. Never the document number or comorbidities. */
export interface PersonAtCentre {
  referenceId: string;
  name: string;
  gender: string;
  birthYear: number;
  /** As the programme counts it: the session's year minus the birth year. */
  age: number;
  document: { type: string; masked: string };
  due: NextDose;
  appointment: { id: string; dose: number; slot: string; state: string } | null;
  checkIn: { arrivedAt: string; verifiedBy: VerificationMethod | null; verifiedAt: string | null } | null;
  /** Walk-in places left in the session for the dose due (null when the person has an appointment here). */
  walkinPlacesLeft: number | null;
}

export interface WalkInRegistration extends NewBeneficiary {
  sessionId: string;
  mobile?: string;
}

interface CheckInRow {
  arrived_at: Date;
  verified_by: VerificationMethod | null;
  verified_at: Date | null;
  appointment_id: string | null;
}

/**
 * The desk at the centre: people arrive (check-in), are verified by their appointment's 4-digit
 * security code or by their identity document, and walk-ins are registered. Only a verified
 * check-in lets a dose be recorded. Wrong codes are counted before they are compared (so parallel
 * guesses cannot exceed the limit) and lock the code after SECURITY_CODE_MAX_FAILURES; every
 * verification and every wrong code is audited. Codes and document numbers are never logged.
 */
@injectable()
export class CheckInService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(CentreAccess) private readonly access: CentreAccess,
    @inject(BeneficiaryService) private readonly beneficiaries: BeneficiaryService,
    @inject(DoseService) private readonly doses: DoseService,
  ) {}

  /** The person of a booked appointment has arrived (not yet verified). Saying so twice changes nothing. */
  async arrival(actor: StaffContext, appointmentId: string): Promise<PersonAtCentre> {
    const { appointment, session } = await this.bookedToday(actor, appointmentId);
    await inTransaction(this.em, async (em) => {
      await em.execute(
        `insert into check_in (session_id, beneficiary_id, appointment_id, arrived_by) values (?, ?, ?, ?)
         on conflict (session_id, beneficiary_id) do nothing`,
        [session.id, appointment.beneficiaryId, appointment.id, actor.user.id],
        'run',
      );
      this.record(actor, 'vaccination.arrival', 'appointment', appointment.id, { sessionId: session.id });
    });
    return this.person(session, appointment.beneficiaryId);
  }

  /** Verifies the person by the appointment's security code. */
  async verifyCode(actor: StaffContext, appointmentId: string, code: string): Promise<PersonAtCentre> {
    const { appointment, session } = await this.bookedToday(actor, appointmentId);
    // Counted as a failure before comparing; given back when the code matches.
    const failures = await inTransaction(this.em, async (em) => {
      await em.execute('insert into security_code_check (appointment_id) values (?) on conflict do nothing', [appointment.id], 'run');
      const [row] = await em.execute<{ failures: number }[]>(
        'update security_code_check set failures = failures + 1 where appointment_id = ? and failures < ? returning failures',
        [appointment.id, SECURITY_CODE_MAX_FAILURES],
      );
      return row?.failures;
    });
    if (failures === undefined) throw new SecurityCodeLockedError();
    if (!sameCode(code, appointment.securityCode)) {
      await inTransaction(this.em, async (em) => {
        const locked = failures >= SECURITY_CODE_MAX_FAILURES;
        if (locked) await em.execute('update security_code_check set locked_at = now() where appointment_id = ?', [appointment.id], 'run');
        this.record(actor, locked ? 'vaccination.security-code-locked' : 'vaccination.security-code-wrong', 'appointment', appointment.id, {
          failures,
        });
      });
      if (failures >= SECURITY_CODE_MAX_FAILURES) throw new SecurityCodeLockedError();
      throw new SecurityCodeInvalidError(SECURITY_CODE_MAX_FAILURES - failures);
    }
    await inTransaction(this.em, async (em) => {
      await em.execute('update security_code_check set failures = failures - 1 where appointment_id = ?', [appointment.id], 'run');
      await this.markVerified(em, actor, session, appointment.beneficiaryId, appointment.id, 'security-code');
    });
    return this.person(session, appointment.beneficiaryId);
  }

  /**
   * Verifies a person by their identity document (checked by the tenant's ID plugin first): a
   * walk-in, or a booked person without their code. 404 when nobody is registered with it.
   */
  async verifyDocument(actor: StaffContext, sessionId: string, document: { type: string; number: string }): Promise<PersonAtCentre> {
    const session = await sessionToday(this.em, this.access, actor, sessionId, this.tenant.timeZone);
    const beneficiary = await this.beneficiaries.findByDocument(document.type, document.number);
    if (!beneficiary) throw new NotFoundError('nobody is registered with this document');
    const appointment = await this.em.findOne(Appointment, { beneficiaryId: beneficiary.id, sessionId: session.id, state: 'booked' });
    await inTransaction(this.em, (em) => this.markVerified(em, actor, session, beneficiary.id, appointment?.id ?? null, 'document'));
    return this.person(session, beneficiary.id);
  }

  /**
   * Registers a walk-in at the centre (document checked through the ID plugin, mobile optional)
   * and checks them in, verified by that document. Refused when the session has no walk-in place
   * left for a first dose: the place itself is taken when the dose is recorded.
   */
  async registerWalkIn(actor: StaffContext, input: WalkInRegistration): Promise<PersonAtCentre> {
    const { sessionId, mobile, ...person } = input;
    const session = await sessionToday(this.em, this.access, actor, sessionId, this.tenant.timeZone);
    const age = Number(String(session.date).slice(0, 4)) - person.birthYear;
    if (age < session.minAge || (session.maxAge != null && age > session.maxAge)) {
      throw new ValidationError('not in the age range of this session', [{ path: '/birthYear', code: 'age-not-eligible' }]);
    }
    if ((await this.walkinPlacesLeft(session.id, 1)) < 1) throw new WalkinFullError();
    const beneficiary = await this.beneficiaries.registerAtCentre(person, mobile);
    await inTransaction(this.em, async (em) => {
      this.record(actor, 'vaccination.walk-in.register', 'beneficiary', beneficiary.referenceId, {
        sessionId: session.id,
        withMobile: mobile !== undefined,
      });
      await this.markVerified(em, actor, session, beneficiary.id, null, 'document');
    });
    return this.person(session, beneficiary.id);
  }

  /** The check-in of a person at a session, when they were verified there. */
  async verified(em: EntityManager, sessionId: string, beneficiaryId: string): Promise<{ appointmentId: string | null } | undefined> {
    const [row] = await em.execute<CheckInRow[]>(
      'select arrived_at, verified_by, verified_at, appointment_id from check_in where session_id = ? and beneficiary_id = ?',
      [sessionId, beneficiaryId],
    );
    return row?.verified_by ? { appointmentId: row.appointment_id } : undefined;
  }

  private async markVerified(
    em: EntityManager,
    actor: StaffContext,
    session: VaccinationSession,
    beneficiaryId: string,
    appointmentId: string | null,
    method: VerificationMethod,
  ): Promise<void> {
    await em.execute(
      `insert into check_in (session_id, beneficiary_id, appointment_id, arrived_by, verified_by, verified_at, verifier_id)
       values (?, ?, ?, ?, ?, now(), ?)
       on conflict (session_id, beneficiary_id) do update set
         appointment_id = coalesce(excluded.appointment_id, check_in.appointment_id),
         verified_by = excluded.verified_by, verified_at = excluded.verified_at, verifier_id = excluded.verifier_id`,
      [session.id, beneficiaryId, appointmentId, actor.user.id, method, actor.user.id],
      'run',
    );
    this.record(actor, 'vaccination.verify', 'session', session.id, { method, appointmentId });
  }

  /** A booked appointment in a session held today at a centre where the actor vaccinates. */
  private async bookedToday(actor: StaffContext, appointmentId: string) {
    const appointment = await this.em.findOne(Appointment, { id: appointmentId });
    if (!appointment) throw new NotFoundError('no such appointment');
    const session = await sessionToday(this.em, this.access, actor, appointment.sessionId, this.tenant.timeZone);
    if (appointment.state !== 'booked') throw new AppointmentNotActiveError();
    return { appointment, session };
  }

  async walkinPlacesLeft(sessionId: string, dose: number): Promise<number> {
    const [row] = await this.em.execute<{ left: number }[]>(
      'select walkin_capacity - walkin_used as left from session_capacity where session_id = ? and dose_number = ?',
      [sessionId, dose],
    );
    return row?.left ?? 0;
  }

  async person(session: VaccinationSession, beneficiaryId: string): Promise<PersonAtCentre> {
    const beneficiary = await this.em.findOneOrFail(Beneficiary, { id: beneficiaryId });
    const due = nextDose(await this.doses.history(beneficiaryId), this.tenant.vaccines, todayIn(this.tenant.timeZone));
    const [appointment] = await this.em.execute<{ id: string; dose_number: number; label: string; state: string }[]>(
      `select a.id, a.dose_number, sl.label, a.state from appointment a
       join session_slot sl on sl.session_id = a.session_id and sl.slot_index = a.slot_index
       where a.session_id = ? and a.beneficiary_id = ? and a.state in ('booked', 'completed')
       order by a.created_at desc limit 1`,
      [session.id, beneficiaryId],
    );
    const [checkIn] = await this.em.execute<CheckInRow[]>(
      'select arrived_at, verified_by, verified_at, appointment_id from check_in where session_id = ? and beneficiary_id = ?',
      [session.id, beneficiaryId],
    );
    return {
      referenceId: beneficiary.referenceId,
      name: beneficiary.name,
      gender: beneficiary.gender,
      birthYear: beneficiary.birthYear,
      age: Number(String(session.date).slice(0, 4)) - beneficiary.birthYear,
      document: { type: beneficiary.documentType, masked: beneficiary.documentMasked },
      due,
      appointment: appointment
        ? { id: appointment.id, dose: appointment.dose_number, slot: appointment.label, state: appointment.state }
        : null,
      checkIn: checkIn
        ? {
            arrivedAt: new Date(checkIn.arrived_at).toISOString(),
            verifiedBy: checkIn.verified_by,
            verifiedAt: checkIn.verified_at ? new Date(checkIn.verified_at).toISOString() : null,
          }
        : null,
      walkinPlacesLeft: appointment || due.status !== 'due' ? null : await this.walkinPlacesLeft(session.id, due.doseNumber),
    };
  }

  private record(actor: StaffContext, action: string, targetType: string, targetId: string, details: Record<string, unknown>): void {
    this.audit.record({ actorType: 'staff', actorId: actor.user.id, action, targetType, targetId, details });
  }
}

/** Compares in constant time, so the time taken tells nothing about how many digits matched. */
function sameCode(given: string, expected: string): boolean {
  const a = Buffer.from(given.padEnd(4, ' ').slice(0, 4));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) && given.length === expected.length;
}

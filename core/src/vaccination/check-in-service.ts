import { timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { run, statement, statementFor } from '../kernel/db/prepared.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { NewBeneficiary } from '../registration/beneficiary-schemas.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { Appointment } from '../scheduling/appointment.entity.js';
import { AppointmentNotActiveError, SessionCancelledError } from '../scheduling/errors.js';
import type { VaccinationSession } from '../scheduling/session.entity.js';
import { todayIn } from '../scheduling/slots.js';
import { CentreAccess } from './centre-access.js';
import { sessionToday } from './centre-session.js';
import { type GivenDose, type NextDose, nextDose } from './dose-schedule.js';
import { SecurityCodeInvalidError, SecurityCodeLockedError, SessionNotTodayError, WalkinFullError } from './errors.js';

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

interface PersonRow {
  reference_id: string;
  name: string;
  gender: string;
  birth_year: number;
  document_type: string;
  document_masked: string;
  history: GivenDose[];
  appointment_id: string | null;
  dose_number: number | null;
  label: string | null;
  appointment_state: string | null;
  arrived_at: Date | null;
  verified_by: VerificationMethod | null;
  verified_at: Date | null;
}

/**
 * The desk at the centre: people arrive (check-in), are verified by their appointment's 4-digit
 * security code or by their identity document, and walk-ins are registered. Only a verified
 * check-in lets a dose be recorded. Wrong codes are counted under the counter's row lock (so parallel
 * guesses cannot exceed the limit) and lock the code after SECURITY_CODE_MAX_FAILURES; every
 * verification and every wrong code is audited. Codes and document numbers are never logged.
 */
/** An appointment and its session (bookedToday). */
const BOOKED_TODAY = statement(
  'teeka-booked-today',
  `select a.id, a.beneficiary_id, a.security_code, a.state, s.id as session_id, s.facility_id, s.state as session_state,
     to_char(s.date, 'YYYY-MM-DD') as date
   from appointment a left join vaccination_session s on s.id = a.session_id where a.id = ?`,
);

/**
 * The person (`b`), their doses and their latest appointment in the session (one parameter: the
 * session id), as PersonRow has them but the check-in: for PERSON_AT_SESSION, and for the statement
 * that verifies a security code, which answers the check-in it writes.
 */
const PERSON_COLUMNS = `b.reference_id, b.name, b.gender, b.birth_year, b.document_type, b.document_masked,
     coalesce((select json_agg(json_build_object('vaccine', d.vaccine, 'doseNumber', d.dose_number,
         'givenOn', to_char(d.given_on, 'YYYY-MM-DD')) order by d.dose_number)
       from dose_record d where d.beneficiary_id = b.id and d.state <> 'voided'), '[]') as history,
     ap.id as appointment_id, ap.dose_number, ap.label, ap.state as appointment_state`;
const PERSON_FROM = `beneficiary b
   left join lateral (
     select a.id, a.dose_number, sl.label, a.state from appointment a
     join session_slot sl on sl.session_id = a.session_id and sl.slot_index = a.slot_index
     where a.session_id = ? and a.beneficiary_id = b.id and a.state in ('booked', 'completed')
     order by a.created_at desc limit 1) ap on true`;

/** The person, their doses, their latest appointment in the session and their check-in (person). */
const PERSON_AT_SESSION = statement(
  'teeka-person-at-session',
  `select ${PERSON_COLUMNS}, ci.arrived_at, ci.verified_by, ci.verified_at
   from ${PERSON_FROM}
   left join check_in ci on ci.session_id = ? and ci.beneficiary_id = b.id
   where b.id = ?`,
);

@injectable()
export class CheckInService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(CentreAccess) private readonly access: CentreAccess,
    @inject(BeneficiaryService) private readonly beneficiaries: BeneficiaryService,
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
    // The attempt goes through a conditional upsert of the failure counter, which holds the
    // counter's row until the commit and writes only while under the limit: parallel guesses at
    // one appointment queue behind each other and never exceed it, and once it is reached even the
    // right code is refused.
    if (sameCode(code, appointment.securityCode)) {
      // The right code, in one statement (so no transaction round trips): the counter unchanged
      // but checked, then the check-in and its audit entry only when it was under the limit, and
      // the person as the desk shows them, with the check-in just written (its RETURNING: the
      // statement's own reads do not see its writes).
      const verified = this.verifiedParts(actor, session.id, appointment.beneficiaryId, appointment.id, 'security-code', 'code');
      const verify = statementFor(
        'teeka-verify-code',
        `with code as (
           insert into security_code_check (appointment_id, failures) values (?, 0)
           on conflict (appointment_id) do update set failures = security_code_check.failures
           where security_code_check.failures < ?
           returning failures),
         ${verified.sql}
         select exists (select 1 from code) as verified, ${PERSON_COLUMNS}, c.arrived_at, c.verified_by, c.verified_at
         from ${PERSON_FROM} left join checked c on true
         where b.id = ?`,
      );
      const [row] = await run<PersonRow & { verified: boolean }>(this.em, verify, [
        appointment.id,
        SECURITY_CODE_MAX_FAILURES,
        ...verified.params,
        session.id,
        appointment.beneficiaryId,
      ]);
      if (!row?.verified) throw new SecurityCodeLockedError();
      return this.personFrom(session, row);
    }
    const outcome = await inTransaction(this.em, async (em) => {
      const [row] = await em.execute<{ failures: number }[]>(
        `insert into security_code_check (appointment_id, failures) values (?, 1)
         on conflict (appointment_id) do update set failures = security_code_check.failures + 1
         where security_code_check.failures < ?
         returning failures`,
        [appointment.id, SECURITY_CODE_MAX_FAILURES],
      );
      if (!row) return { locked: true, failures: SECURITY_CODE_MAX_FAILURES };
      const { failures } = row;
      const locked = failures >= SECURITY_CODE_MAX_FAILURES;
      if (locked) await em.execute('update security_code_check set locked_at = now() where appointment_id = ?', [appointment.id], 'run');
      this.record(actor, locked ? 'vaccination.security-code-locked' : 'vaccination.security-code-wrong', 'appointment', appointment.id, {
        failures,
      });
      return { locked, failures };
    });
    if (outcome.locked) throw new SecurityCodeLockedError();
    throw new SecurityCodeInvalidError(SECURITY_CODE_MAX_FAILURES - outcome.failures);
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

  private async markVerified(
    em: EntityManager,
    actor: StaffContext,
    session: { id: string },
    beneficiaryId: string,
    appointmentId: string | null,
    method: VerificationMethod,
  ): Promise<void> {
    const verified = this.verifiedParts(actor, session.id, beneficiaryId, appointmentId, method, '(values (1)) as go (one)');
    await em.execute(`with ${verified.sql} select 1`, verified.params, 'run');
  }

  /**
   * The check-in marked verified and its audit entry, as two parts of a `with` (one per row of
   * `from`): one statement, as this runs for every person vaccinated.
   */
  private verifiedParts(
    actor: StaffContext,
    sessionId: string,
    beneficiaryId: string,
    appointmentId: string | null,
    method: VerificationMethod,
    from: string,
  ): { sql: string; params: unknown[] } {
    const audited = this.audit.insert(
      {
        actorType: 'staff',
        actorId: actor.user.id,
        action: 'vaccination.verify',
        targetType: 'session',
        targetId: sessionId,
        details: { method, appointmentId },
      },
      from,
    );
    return {
      sql: `checked as (
         insert into check_in (session_id, beneficiary_id, appointment_id, arrived_by, verified_by, verified_at, verifier_id)
         select ?::uuid, ?::uuid, ?::uuid, ?::uuid, ?, now(), ?::uuid from ${from}
         on conflict (session_id, beneficiary_id) do update set
           appointment_id = coalesce(excluded.appointment_id, check_in.appointment_id),
           verified_by = excluded.verified_by, verified_at = excluded.verified_at, verifier_id = excluded.verifier_id
         returning arrived_at, verified_by, verified_at),
       audited as (${audited.sql})`,
      params: [sessionId, beneficiaryId, appointmentId, actor.user.id, method, actor.user.id, ...audited.params],
    };
  }

  /**
   * A booked appointment in a session held today at a centre where the actor vaccinates: the
   * appointment and its session in one query (this runs for every person vaccinated), checked in
   * the order sessionToday checks a session.
   */
  private async bookedToday(actor: StaffContext, appointmentId: string) {
    const [row] = await run<{
      id: string;
      beneficiary_id: string;
      security_code: string;
      state: string;
      session_id: string | null;
      facility_id: number;
      session_state: string;
      date: string;
    }>(this.em, BOOKED_TODAY, [appointmentId]);
    if (!row) throw new NotFoundError('no such appointment');
    if (!row.session_id) throw new NotFoundError('no such session');
    await this.access.at(actor, row.facility_id, 'vaccinate');
    if (row.session_state === 'cancelled') throw new SessionCancelledError();
    if (row.date !== todayIn(this.tenant.timeZone)) throw new SessionNotTodayError();
    if (row.state !== 'booked') throw new AppointmentNotActiveError();
    return {
      appointment: { id: row.id, beneficiaryId: row.beneficiary_id, securityCode: row.security_code },
      session: { id: row.session_id, date: row.date },
    };
  }

  async walkinPlacesLeft(sessionId: string, dose: number): Promise<number> {
    const [row] = await this.em.execute<{ left: number }[]>(
      'select walkin_capacity - walkin_used as left from session_capacity where session_id = ? and dose_number = ?',
      [sessionId, dose],
    );
    return row?.left ?? 0;
  }

  async person(session: Pick<VaccinationSession, 'id' | 'date'>, beneficiaryId: string): Promise<PersonAtCentre> {
    // The person, their doses, their latest appointment in the session and their check-in: one query.
    const [row] = await run<PersonRow>(this.em, PERSON_AT_SESSION, [session.id, session.id, beneficiaryId]);
    if (!row) throw new NotFoundError('no such beneficiary');
    return this.personFrom(session, row);
  }

  /** The person as the desk shows them, from their row (PERSON_COLUMNS and the check-in's). */
  private async personFrom(session: Pick<VaccinationSession, 'id' | 'date'>, row: PersonRow): Promise<PersonAtCentre> {
    const due = nextDose(row.history, this.tenant.vaccines, todayIn(this.tenant.timeZone));
    return {
      referenceId: row.reference_id,
      name: row.name,
      gender: row.gender,
      birthYear: row.birth_year,
      age: Number(String(session.date).slice(0, 4)) - row.birth_year,
      document: { type: row.document_type, masked: row.document_masked },
      due,
      appointment: row.appointment_id
        ? { id: row.appointment_id, dose: row.dose_number!, slot: row.label!, state: row.appointment_state! }
        : null,
      checkIn: row.arrived_at
        ? {
            arrivedAt: new Date(row.arrived_at).toISOString(),
            verifiedBy: row.verified_by,
            verifiedAt: row.verified_at ? new Date(row.verified_at).toISOString() : null,
          }
        : null,
      walkinPlacesLeft: row.appointment_id || due.status !== 'due' ? null : await this.walkinPlacesLeft(session.id, due.doseNumber),
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

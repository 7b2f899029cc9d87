import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { SmsDispatcher } from '../messaging/sms-dispatcher.js';
import { Account } from '../registration/account.entity.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import { deletionGuards } from '../registration/deletion-guards.js';
import { nextDose } from '../vaccination/dose-schedule.js';
import { DoseService } from '../vaccination/dose-service.js';
import { Appointment } from './appointment.entity.js';
import { AlreadyBookedError, AppointmentNotActiveError, IdempotencyKeyReusedError, SessionFullError } from './errors.js';
import { Facility } from './facility.entity.js';
import { SessionCapacity, SessionSlot, VaccinationSession } from './session.entity.js';
import type { NewBooking } from './session-schemas.js';
import { parseSlot, todayIn } from './slots.js';

/** A person with a booked appointment stays registered until it is cancelled. */
deletionGuards.push(async (em, beneficiaryId) =>
  (await em.count(Appointment, { beneficiaryId, state: 'booked' })) > 0 ? 'an appointment is booked' : undefined,
);

export interface AppointmentView {
  id: string;
  beneficiary: string;
  sessionId: string;
  facilityId: number;
  date: string;
  vaccine: string;
  slot: string;
  dose: number;
  securityCode: string;
  state: string;
  createdAt: string;
  cancelledAt: string | null;
}

export interface Booked {
  appointments: AppointmentView[];
}

const UNIQUE_VIOLATION = '23505';

interface AppointmentRow {
  id: string;
  reference_id: string;
  session_id: string;
  facility_id: number;
  date: string;
  vaccine: string;
  label: string;
  dose_number: number;
  security_code: string;
  state: string;
  created_at: Date | string;
  cancelled_at: Date | string | null;
}

const APPOINTMENTS = `select a.id, b.reference_id, a.session_id, s.facility_id, to_char(s.date, 'YYYY-MM-DD') as date, s.vaccine,
    sl.label, a.dose_number, a.security_code, a.state, a.created_at, a.cancelled_at
  from appointment a
  join beneficiary b on b.id = a.beneficiary_id
  join vaccination_session s on s.id = a.session_id
  join session_slot sl on sl.session_id = a.session_id and sl.slot_index = a.slot_index`;

function isUnique(error: unknown, constraint: string): boolean {
  return (error as { code?: string }).code === UNIQUE_VIOLATION && String((error as Error).message).includes(constraint);
}

/**
 * Books beneficiaries of an account into a session slot. Eligibility is checked first (the dose
 * each is due for, its vaccine and dates, age); then one transaction takes the places with one
 * conditional UPDATE per dose counter and one on the slot (PostgreSQL re-checks the condition on
 * the row it locked, so no interleaving of requests or processes can exceed the capacity), then
 * inserts the appointments, whose partial unique index allows one active appointment per dose.
 */
@injectable()
export class BookingService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.Language) private readonly lng: string,
    @inject(TOKENS.Translate) private readonly t: (key: string, options?: Record<string, unknown>) => string,
    @inject(SmsDispatcher) private readonly sms: SmsDispatcher,
    @inject(DoseService) private readonly doses: DoseService,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  async book(accountId: string, input: NewBooking, idempotencyKey?: string): Promise<{ booked: Booked; replayed: boolean }> {
    const requestHash = createHash('sha256')
      .update(JSON.stringify([input.sessionId, input.slot, input.beneficiaries]))
      .digest('hex');
    if (idempotencyKey) {
      const earlier = await this.earlier(accountId, idempotencyKey, requestHash);
      if (earlier) return { booked: earlier, replayed: true };
    }

    const session = await this.em.findOne(VaccinationSession, { id: input.sessionId });
    if (!session) throw new NotFoundError('no such session');
    const label = parseSlot(input.slot)?.label;
    const slot = label ? await this.em.findOne(SessionSlot, { sessionId: session.id, label }) : null;
    if (!slot) throw new ValidationError('no such slot in the session', [{ path: '/slot', code: 'choice' }]);
    const date = String(session.date);
    const today = todayIn(this.tenant.timeZone);
    if (date < today) throw new ValidationError('the session is over', [{ path: '/sessionId', code: 'session-closed' }]);

    const offered = new Set((await this.em.find(SessionCapacity, { sessionId: session.id })).map((capacity) => capacity.doseNumber));
    const found = await this.em.find(Beneficiary, { account: accountId, referenceId: { $in: input.beneficiaries } });
    const problems: { path: string; code: string }[] = [];
    const chosen: { beneficiary: Beneficiary; dose: number }[] = [];
    for (const [index, referenceId] of input.beneficiaries.entries()) {
      const beneficiary = found.find((b) => b.referenceId === referenceId);
      const problem = beneficiary ? await this.ineligibility(beneficiary, session, today, offered) : 'beneficiary-unknown';
      if (typeof problem === 'string') problems.push({ path: `/beneficiaries/${index}`, code: problem });
      else if (beneficiary) chosen.push({ beneficiary, dose: problem.dose });
    }
    if (problems.length > 0) throw new ValidationError('not every beneficiary can book this session', problems);

    let booked: Booked;
    try {
      booked = await this.em.transactional(async (em) => {
        if (idempotencyKey) {
          // First in the transaction: a concurrent retry with the same key waits here, then replays.
          await em.execute(
            `insert into booking_request (account_id, idempotency_key, request_hash, response) values (?, ?, ?, 'null'::jsonb)`,
            [accountId, idempotencyKey, requestHash],
            'run',
          );
        }
        const perDose = new Map<number, number>();
        for (const { dose } of chosen) perDose.set(dose, (perDose.get(dose) ?? 0) + 1);
        // Always in dose order, then the slot: concurrent bookings lock rows in the same order.
        for (const [dose, count] of [...perDose].sort((a, b) => a[0] - b[0])) {
          const taken = await em.execute<{ affectedRows?: number }>(
            `update session_capacity set online_booked = online_booked + ?
             where session_id = ? and dose_number = ? and online_booked + ? <= online_capacity`,
            [count, session.id, dose, count],
            'run',
          );
          if (!taken.affectedRows) throw new SessionFullError();
        }
        const seated = await em.execute<{ affectedRows?: number }>(
          `update session_slot set booked = booked + ? where session_id = ? and slot_index = ? and booked + ? <= capacity`,
          [chosen.length, session.id, slot.slotIndex, chosen.length],
          'run',
        );
        if (!seated.affectedRows) throw new SessionFullError();
        const ids = chosen.map(() => randomUUID());
        await em.execute(
          `insert into appointment (id, beneficiary_id, account_id, session_id, slot_index, dose_number, security_code, state, idempotency_key)
           values ${chosen.map(() => `(?, ?, ?, ?, ?, ?, ?, 'booked', ?)`).join(', ')}`,
          chosen.flatMap(({ beneficiary, dose }, index) => [
            ids[index],
            beneficiary.id,
            accountId,
            session.id,
            slot.slotIndex,
            dose,
            String(randomInt(0, 10_000)).padStart(4, '0'),
            idempotencyKey ?? null,
          ]),
          'run',
        );
        const rows = await em.execute<AppointmentRow[]>(`${APPOINTMENTS} where a.id in (${ids.map(() => '?').join(', ')})`, ids);
        const result: Booked = { appointments: ids.map((id) => this.view(rows.find((row) => row.id === id)!)) };
        if (idempotencyKey) {
          await em.execute(
            'update booking_request set response = ?::jsonb where account_id = ? and idempotency_key = ?',
            [JSON.stringify(result), accountId, idempotencyKey],
            'run',
          );
        }
        return result;
      });
    } catch (error) {
      if (idempotencyKey && isUnique(error, 'booking_request_pkey')) {
        const earlier = await this.earlier(accountId, idempotencyKey, requestHash);
        if (earlier) return { booked: earlier, replayed: true };
      }
      if (isUnique(error, 'appointment_active_dose_idx')) throw new AlreadyBookedError();
      throw error;
    }
    await this.confirm(accountId, booked, chosen, session.facilityId);
    return { booked, replayed: false };
  }

  async list(accountId: string): Promise<AppointmentView[]> {
    const rows = await this.em.execute<AppointmentRow[]>(`${APPOINTMENTS} where a.account_id = ? order by s.date, a.created_at, a.id`, [
      accountId,
    ]);
    return rows.map((row) => this.view(row));
  }

  /** Cancels a booked appointment and gives its places back, in one transaction. */
  async cancel(accountId: string, appointmentId: string): Promise<AppointmentView> {
    return this.em.transactional(async (em) => {
      const cancelled = await em.execute<{ session_id: string; slot_index: number; dose_number: number }[]>(
        `update appointment set state = 'cancelled', cancelled_at = now()
         where id = ? and account_id = ? and state = 'booked'
         returning session_id, slot_index, dose_number`,
        [appointmentId, accountId],
      );
      if (cancelled.length === 0) {
        const exists = await em.count(Appointment, { id: appointmentId, accountId });
        if (exists === 0) throw new NotFoundError('no such appointment');
        throw new AppointmentNotActiveError();
      }
      const { session_id, slot_index, dose_number } = cancelled[0];
      const freed = await em.execute<{ affectedRows?: number }>(
        'update session_capacity set online_booked = online_booked - 1 where session_id = ? and dose_number = ? and online_booked >= 1',
        [session_id, dose_number],
        'run',
      );
      const unseated = await em.execute<{ affectedRows?: number }>(
        'update session_slot set booked = booked - 1 where session_id = ? and slot_index = ? and booked >= 1',
        [session_id, slot_index],
        'run',
      );
      if (!freed.affectedRows || !unseated.affectedRows) throw new Error(`session ${session_id}: counters out of step with appointments`);
      const [row] = await em.execute<AppointmentRow[]>(`${APPOINTMENTS} where a.id = ?`, [appointmentId]);
      return this.view(row);
    });
  }

  /** What stops a beneficiary from booking this session, or the dose they would book. */
  private async ineligibility(
    beneficiary: Beneficiary,
    session: VaccinationSession,
    today: string,
    offered: Set<number>,
  ): Promise<string | { dose: number }> {
    const date = String(session.date);
    const due = nextDose(await this.doses.history(beneficiary.id), this.tenant.vaccines, today);
    if (due.status === 'complete') return 'dose-not-due';
    if (!due.vaccines.includes(session.vaccine)) return 'vaccine-mismatch';
    if (date < due.earliest) return 'dose-too-early';
    if (due.latest && date > due.latest) return 'dose-too-late';
    const age = Number(date.slice(0, 4)) - beneficiary.birthYear;
    if (age < session.minAge || (session.maxAge != null && age > session.maxAge)) return 'age-not-eligible';
    if (!offered.has(due.doseNumber)) return 'dose-not-offered';
    return { dose: due.doseNumber };
  }

  /** The stored answer to an earlier request with this key, or undefined if there was none. */
  private async earlier(accountId: string, key: string, requestHash: string): Promise<Booked | undefined> {
    const [row] = await this.em.execute<{ request_hash: string; response: Booked | null }[]>(
      'select request_hash, response from booking_request where account_id = ? and idempotency_key = ?',
      [accountId, key],
    );
    if (!row) return undefined;
    if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
    return row.response ?? undefined;
  }

  /** One SMS per appointment, with its security code. A failed SMS never undoes a booking. */
  private async confirm(accountId: string, booked: Booked, chosen: { beneficiary: Beneficiary }[], facilityId: number) {
    try {
      const account = await this.em.findOneOrFail(Account, { id: accountId });
      const facility = await this.em.findOne(Facility, { id: facilityId });
      const to = this.crypto.decrypt(Buffer.from(account.phoneEnc));
      const centre = facility ? (facility.names?.[this.lng] ?? facility.name) : String(facilityId);
      for (const [index, appointment] of booked.appointments.entries()) {
        const text = this.t('registration:appointment.sms', {
          name: chosen[index].beneficiary.name,
          code: appointment.securityCode,
          date: appointment.date,
          slot: appointment.slot,
          centre,
        });
        await this.sms.send({ to, text, purpose: 'appointment', reference: appointment.id });
      }
    } catch (error) {
      this.log.error({ err: error, accountId }, 'appointment confirmation SMS not sent');
    }
  }

  private view(row: AppointmentRow): AppointmentView {
    const iso = (value: Date | string) => new Date(value).toISOString();
    return {
      id: row.id,
      beneficiary: row.reference_id,
      sessionId: row.session_id,
      facilityId: row.facility_id,
      date: row.date,
      vaccine: row.vaccine,
      slot: row.label,
      dose: row.dose_number,
      securityCode: row.security_code,
      state: row.state,
      createdAt: iso(row.created_at),
      cancelledAt: row.cancelled_at ? iso(row.cancelled_at) : null,
    };
  }
}

import { createHash, randomInt, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { run, statementFor } from '../kernel/db/prepared.js';
import { isUniqueViolation } from '../kernel/db/unique-violation.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, UnauthorizedError, ValidationError } from '../kernel/errors.js';
import { countBooking } from '../kernel/metrics/metrics.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { NoticeOutbox } from '../messaging/notice-outbox.js';
import { AppointmentNotices } from '../messaging/notices.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import { deletionGuards } from '../registration/deletion-guards.js';
import { liveSessionWhere, SessionService } from '../registration/session-service.js';
import { AvailabilityEvents } from '../subscriptions/events.js';
import type { GivenDose } from '../vaccination/dose-schedule.js';
import { Appointment } from './appointment.entity.js';
import { type EligibilityPerson, EligibilityService, type EligibilitySession } from './eligibility.js';
import {
  AlreadyBookedError,
  AppointmentNotActiveError,
  IdempotencyKeyReusedError,
  RescheduleLimitError,
  SessionCancelledError,
  SessionFullError,
  SessionNotOpenError,
} from './errors.js';
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
  /** Times it was moved, against the tenant's `scheduling.reschedulesPerAppointment`. */
  reschedules: number;
  /** Booked before the usual interval for this reason (`travel`), or null. */
  intervalException: string | null;
  createdAt: string;
  cancelledAt: string | null;
}

export interface Booked {
  appointments: AppointmentView[];
}

/** One person's place in a booking: who, and the dose they are due for. */
interface Seat {
  beneficiaryId: string;
  dose: number;
  /** The reason a dose is booked before its usual interval (travel), shown at the centre. */
  exception?: string;
}

/** What a booking takes, stored as is in a fair opening's ticket. */
interface SeatRequest {
  accountId: string;
  slotIndex: number;
  seats: Seat[];
  idempotencyKey?: string;
  requestHash: string;
}

/** A session as booking reads it (no entity: the hot path reads rows). */
interface SessionFacts extends EligibilitySession {
  id: string;
  state: string;
  bookableFrom: Date | null;
}

/** A beneficiary of the account, with the dose history eligibility needs. */
interface Person extends EligibilityPerson {
  referenceId: string;
  history: GivenDose[];
}

interface TargetRow {
  /** Null when the session does not exist (the row is the sign-in check's alone). */
  id: string | null;
  /** With a sign-in session to check: whether it is live. */
  live?: boolean;
  date: string;
  vaccine: string;
  min_age: number;
  max_age: number | null;
  state: string;
  bookable_from: Date | string | null;
  slot_index: number | null;
  doses: number[];
  people: { id: string; referenceId: string; birthYear: number; comorbidities: string | null; history: GivenDose[] }[] | null;
}

type TicketOutcome = { booked: Booked; replayed: boolean } | { error: 'session-full' | 'already-booked' };

/** Raised on purpose by the one-statement booking when a counter was taken but the slot was full. */
const DIVISION_BY_ZERO = '22012';

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
  reschedule_count: number;
  interval_exception: string | null;
  created_at: Date | string;
  cancelled_at: Date | string | null;
}

const APPOINTMENTS = `select a.id, b.reference_id, a.session_id, s.facility_id, to_char(s.date, 'YYYY-MM-DD') as date, s.vaccine,
    sl.label, a.dose_number, a.security_code, a.state, a.reschedule_count, a.interval_exception, a.created_at, a.cancelled_at
  from appointment a
  join beneficiary b on b.id = a.beneficiary_id
  join vaccination_session s on s.id = a.session_id
  join session_slot sl on sl.session_id = a.session_id and sl.slot_index = a.slot_index`;

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
    @inject(AppointmentNotices) private readonly notices: AppointmentNotices,
    @inject(EligibilityService) private readonly eligibility: EligibilityService,
    @inject(AvailabilityEvents) private readonly availabilityEvents: AvailabilityEvents,
    @inject(TOKENS.Tenant) private readonly site: Tenant,
    @inject(SessionService) private readonly sessions: SessionService,
  ) {}

  /**
   * Books for the account. `liveSession`: the id of the sign-in session the request came with, when
   * the route has not checked it is live (requireCitizenToken): the first statement checks it, and
   * a signed-out or expired session is refused (401 `session-ended`) before anything is read or written.
   */
  async book(
    accountId: string,
    input: NewBooking,
    idempotencyKey?: string,
    liveSession?: string,
  ): Promise<{ booked: Booked; replayed: boolean }> {
    return countBooking(this.tenant.code, this.bookOnce(accountId, input, idempotencyKey, liveSession));
  }

  private async bookOnce(
    accountId: string,
    input: NewBooking,
    idempotencyKey?: string,
    liveSession?: string,
  ): Promise<{ booked: Booked; replayed: boolean }> {
    const requestHash = createHash('sha256')
      .update(JSON.stringify([input.sessionId, input.slot, input.beneficiaries, input.intervalException ?? null]))
      .digest('hex');
    if (idempotencyKey) {
      // A retry may be answered from what the first request stored: the session first.
      if (liveSession) await this.sessions.assertLive(liveSession, accountId);
      const earlier = await this.earlier(accountId, idempotencyKey, requestHash);
      if (earlier) return { booked: earlier, replayed: true };
    }

    // The session, slot, offered doses, and the account's named beneficiaries with their dose
    // histories (and whether the sign-in session is live, unless checked above): one query.
    const { session, slot, today, offered, people } = await this.target(
      input.sessionId,
      input.slot,
      accountId,
      input.beneficiaries,
      idempotencyKey ? undefined : liveSession,
    );
    const problems: { path: string; code: string }[] = [];
    const seats: Seat[] = [];
    for (const [index, referenceId] of input.beneficiaries.entries()) {
      const beneficiary = people.find((b) => b.referenceId === referenceId);
      const problem = beneficiary
        ? await this.eligibility.check(beneficiary, session, today, offered, input.intervalException, beneficiary.history)
        : 'beneficiary-unknown';
      if (typeof problem === 'string') problems.push({ path: `/beneficiaries/${index}`, code: problem });
      else if (beneficiary) {
        seats.push({ beneficiaryId: beneficiary.id, dose: problem.dose, ...(problem.exception ? { exception: problem.exception } : {}) });
      }
    }
    if (problems.length > 0) throw new ValidationError('not every beneficiary can book this session', problems);

    const request: SeatRequest = { accountId, slotIndex: slot.slotIndex, seats, idempotencyKey, requestHash };
    let booked: Booked;
    let replayed = false;
    const opening = this.fairOpening(session);
    if (opening && Date.now() < opening.closesAt) {
      ({ booked, replayed } = await this.drawn(session.id, request, opening.closesAt));
    } else {
      // Just after a fair opening, the pooled requests are served before anyone who came later.
      if (opening) await this.allocate(session.id);
      try {
        // One dose counter and no idempotency key (the usual booking): one statement, atomic by
        // itself. Otherwise a transaction around the statements.
        booked = this.oneStatement(request)
          ? await this.take(this.em, session.id, request)
          : await this.em.transactional((em) => this.take(em, session.id, request));
      } catch (error) {
        const earlier = await this.replayAfter(error, request);
        if (earlier) return { booked: earlier, replayed: true };
        throw error;
      }
    }
    // The appointments' outbox rows were written with them: wait until they are queued as jobs
    // (one relay run serves all the bookings that finished meanwhile). A relay that fails leaves
    // the rows for the next run; the booking stands.
    if (!replayed) await NoticeOutbox.of(this.site).relay();
    return { booked, replayed };
  }

  /**
   * Moves a booked appointment to another slot or session, for the same dose: the new place is
   * taken with the same conditional updates as a booking and the old one given back, in one
   * transaction, so the move happens entirely or not at all. A tenant limits how often.
   */
  async reschedule(accountId: string, appointmentId: string, to: { sessionId: string; slot: string }): Promise<AppointmentView> {
    const [view] = await this.rescheduleTogether(accountId, [appointmentId], to);
    return view;
  }

  /**
   * Moves several appointments of an account (a family booked together) to one slot: all of them
   * or none. Counter changes are summed per row and applied in one order (dose counters by
   * session and dose, then slots by session and index), so moves in opposite directions cannot
   * deadlock, and a full target refuses the whole move.
   */
  async rescheduleTogether(
    accountId: string,
    appointmentIds: string[],
    to: { sessionId: string; slot: string },
  ): Promise<AppointmentView[]> {
    const appointments = await this.em.find(Appointment, { id: { $in: appointmentIds }, accountId });
    if (appointments.length !== new Set(appointmentIds).size) throw new NotFoundError('no such appointment');
    if (appointments.some((a) => a.state !== 'booked')) throw new AppointmentNotActiveError();
    const limit = this.tenant.scheduling.reschedulesPerAppointment;
    if (appointments.some((a) => a.rescheduleCount >= limit)) throw new RescheduleLimitError(limit);
    const { session, slot, today, offered } = await this.target(to.sessionId, to.slot);
    const moving = appointments.filter((a) => a.sessionId !== session.id || a.slotIndex !== slot.slotIndex);
    for (const appointment of moving) {
      const beneficiary = await this.em.findOneOrFail(Beneficiary, { id: appointment.beneficiaryId });
      const problem = await this.eligibility.check(beneficiary, session, today, offered, appointment.intervalException ?? undefined);
      const code = typeof problem === 'string' ? problem : problem.dose !== appointment.doseNumber ? 'dose-not-due' : undefined;
      if (code) throw new ValidationError('the appointment cannot move to this session', [{ path: '/sessionId', code }]);
    }

    if (moving.length > 0) {
      await this.em.transactional(async (em) => {
        const doses = new Map<string, { sessionId: string; dose: number; delta: number }>();
        const slots = new Map<string, { sessionId: string; slotIndex: number; delta: number }>();
        const add = <T extends { delta: number }>(map: Map<string, T>, key: string, row: T) => {
          const known = map.get(key);
          if (known) known.delta += row.delta;
          else map.set(key, row);
        };
        for (const appointment of moving) {
          const moved = await em.execute<{ affectedRows?: number }>(
            `update appointment set session_id = ?, slot_index = ?, reschedule_count = reschedule_count + 1, updated_at = now()
             where id = ? and state = 'booked' and session_id = ? and slot_index = ? and reschedule_count < ?`,
            [session.id, slot.slotIndex, appointment.id, appointment.sessionId, appointment.slotIndex, limit],
            'run',
          );
          // Cancelled, completed or moved by another request since it was read.
          if (!moved.affectedRows) throw new AppointmentNotActiveError();
          const dose = appointment.doseNumber;
          add(doses, `${session.id}|${dose}`, { sessionId: session.id, dose, delta: 1 });
          add(doses, `${appointment.sessionId}|${dose}`, { sessionId: appointment.sessionId, dose, delta: -1 });
          add(slots, `${session.id}|${slot.slotIndex}`, { sessionId: session.id, slotIndex: slot.slotIndex, delta: 1 });
          add(slots, `${appointment.sessionId}|${appointment.slotIndex}`, {
            sessionId: appointment.sessionId,
            slotIndex: appointment.slotIndex,
            delta: -1,
          });
        }
        const inOrder = [...doses.values()].sort((a, b) => a.sessionId.localeCompare(b.sessionId) || a.dose - b.dose);
        for (const row of inOrder) if (row.delta !== 0) await this.shiftDose(em, row.sessionId, row.dose, row.delta);
        const slotOrder = [...slots.values()].sort((a, b) => a.sessionId.localeCompare(b.sessionId) || a.slotIndex - b.slotIndex);
        for (const row of slotOrder) if (row.delta !== 0) await this.shiftSlot(em, row.sessionId, row.slotIndex, row.delta);
      });
    }
    const views = await Promise.all(appointmentIds.map((id) => this.one(id)));
    if (moving.length > 0) await this.notices.moved(moving.map((a) => a.id));
    await this.availabilityEvents.placesOpened(moving.map((a) => a.sessionId));
    return views;
  }

  async list(accountId: string): Promise<AppointmentView[]> {
    const rows = await this.em.execute<AppointmentRow[]>(`${APPOINTMENTS} where a.account_id = ? order by s.date, a.created_at, a.id`, [
      accountId,
    ]);
    return rows.map((row) => this.view(row));
  }

  /** Cancels a booked appointment and gives its places back, in one transaction. */
  async cancel(accountId: string, appointmentId: string): Promise<AppointmentView> {
    const view = await this.em.transactional(async (em) => {
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
      await this.shiftDose(em, session_id, dose_number, -1);
      await this.shiftSlot(em, session_id, slot_index, -1);
      const [row] = await em.execute<AppointmentRow[]>(`${APPOINTMENTS} where a.id = ?`, [appointmentId]);
      return this.view(row);
    });
    await this.notices.cancelled([view.id], 'citizen');
    await this.availabilityEvents.placesOpened(view.sessionId);
    return view;
  }

  /**
   * The session and slot a request names, if they can be booked now; with the account's named
   * beneficiaries and their dose histories when asked. One query.
   */
  private async target(
    sessionId: string,
    slotText: string,
    accountId?: string,
    referenceIds: readonly string[] = [],
    liveSession?: string,
  ) {
    const label = parseSlot(slotText)?.label ?? null;
    const people =
      accountId && referenceIds.length > 0
        ? `(select json_agg(json_build_object('id', b.id, 'referenceId', b.reference_id, 'birthYear', b.birth_year,
              'comorbidities', encode(b.comorbidities_enc, 'base64'),
              'history', (select coalesce(json_agg(json_build_object('vaccine', d.vaccine, 'doseNumber', d.dose_number,
                   'givenOn', to_char(d.given_on, 'YYYY-MM-DD')) order by d.dose_number), '[]'::json)
                 from dose_record d where d.beneficiary_id = b.id and d.state <> 'voided')))
           from beneficiary b where b.account_id = ? and b.reference_id in (${referenceIds.map(() => '?').join(', ')}))`
        : 'null';
    // Whether the sign-in session is live, answered with or without a vaccination session (a
    // signed-out token learns nothing, not even whether the session exists).
    const live = liveSession
      ? `(select exists (select 1 from auth_session a where a.id = ?::uuid and a.subject_id = ?::uuid and ${liveSessionWhere('a')})
            as live) l left join`
      : '';
    // One prepared statement per number of people named (a few: an account holds a handful).
    const statement = statementFor(
      'teeka-booking-target',
      `select s.id, to_char(s.date, 'YYYY-MM-DD') as date, s.vaccine, s.min_age, s.max_age, s.state, s.bookable_from,
         (select sl.slot_index from session_slot sl where sl.session_id = s.id and sl.label = ?) as slot_index,
         array(select c.dose_number from session_capacity c where c.session_id = s.id) as doses,
         ${people} as people${live ? ', l.live' : ''}
       from ${live} vaccination_session s ${live ? 'on' : 'where'} s.id = ?`,
    );
    const [row] = await run<TargetRow>(this.em, statement, [
      label,
      ...(people === 'null' ? [] : [accountId, ...referenceIds]),
      ...(liveSession ? [liveSession, accountId] : []),
      sessionId,
    ]);
    if (liveSession && !row?.live) throw new UnauthorizedError('session-ended', 'session revoked or expired');
    if (!row?.id) throw new NotFoundError('no such session');
    const session: SessionFacts = {
      id: row.id,
      date: row.date,
      vaccine: row.vaccine,
      minAge: row.min_age,
      maxAge: row.max_age,
      state: row.state,
      bookableFrom: row.bookable_from ? new Date(row.bookable_from) : null,
    };
    if (session.state === 'cancelled') throw new SessionCancelledError();
    if (row.slot_index == null) throw new ValidationError('no such slot in the session', [{ path: '/slot', code: 'choice' }]);
    const slot = { slotIndex: row.slot_index };
    const today = todayIn(this.tenant.timeZone);
    if (session.date < today) throw new ValidationError('the session is over', [{ path: '/sessionId', code: 'session-closed' }]);
    if (session.bookableFrom && session.bookableFrom.getTime() > Date.now()) {
      throw new SessionNotOpenError(session.bookableFrom, Math.max(1, Math.ceil((session.bookableFrom.getTime() - Date.now()) / 1000)));
    }
    const found: Person[] = (row.people ?? []).map((p) => ({
      id: p.id,
      referenceId: p.referenceId,
      birthYear: p.birthYear,
      comorbiditiesEnc: p.comorbidities ? Buffer.from(p.comorbidities, 'base64') : null,
      history: p.history,
    }));
    return { session, slot, today, offered: new Set(row.doses), people: found };
  }

  /** Whether `take` is a single statement: one dose counter, no idempotency key to record. */
  private oneStatement(request: SeatRequest): boolean {
    return !request.idempotencyKey && new Set(request.seats.map((seat) => seat.dose)).size === 1;
  }

  /**
   * Takes the places for a request inside a transaction: one conditional UPDATE per dose counter
   * and one on the slot (PostgreSQL re-checks the condition on the row it locked, so no
   * interleaving of requests or processes can exceed the capacity), then the appointment rows.
   */
  private async take(em: EntityManager, sessionId: string, request: SeatRequest): Promise<Booked> {
    const { accountId, slotIndex, seats, idempotencyKey, requestHash } = request;
    if (idempotencyKey) {
      // First in the transaction: a concurrent retry with the same key waits here, then replays.
      await em.execute(
        `insert into booking_request (account_id, idempotency_key, request_hash, response) values (?, ?, ?, 'null'::jsonb)`,
        [accountId, idempotencyKey, requestHash],
        'run',
      );
    }
    const perDose = new Map<number, number>();
    for (const { dose } of seats) perDose.set(dose, (perDose.get(dose) ?? 0) + 1);
    const doses = [...perDose].sort((a, b) => a[0] - b[0]);
    const ids = seats.map(() => randomUUID());
    const values = seats.flatMap(({ beneficiaryId, dose, exception }, index) => [
      ids[index],
      beneficiaryId,
      accountId,
      sessionId,
      slotIndex,
      dose,
      String(randomInt(0, 10_000)).padStart(4, '0'),
      idempotencyKey ?? null,
      exception ?? null,
    ]);
    // The appointments, their outbox rows (their notices, relayed to the job queue after the
    // commit) and the read of what the answer shows.
    const insert = (condition: string) => `
       a as (
         insert into appointment (id, beneficiary_id, account_id, session_id, slot_index, dose_number, security_code, state,
           idempotency_key, interval_exception)
         select * from (values ${seats.map(() => `(?::uuid, ?::uuid, ?::uuid, ?::uuid, ?::int, ?::int, ?, 'booked', ?, ?)`).join(', ')}) as v
         ${condition}
         returning *),
       o as (insert into notice_outbox (appointment_id) select id from a)
       ${APPOINTMENTS.replace('from appointment a', 'from a')}`;
    let rows: AppointmentRow[];
    if (doses.length === 1) {
      // One statement, as pgbench runs it: the dose counter, then the slot only if the counter
      // moved, then the appointments only if the slot moved. A statement is atomic even outside a
      // transaction, but a statement that ends without error keeps what it wrote, so a counter
      // taken for a full slot must fail it: the insert's condition divides by zero exactly then
      // (counter moved, slot did not), and the error undoes the counter. Otherwise the condition
      // is "the slot moved": a full counter writes nothing.
      const [[dose, count]] = doses;
      const statement = statementFor(
        'teeka-booking-take',
        `with c as (
           update session_capacity set online_booked = online_booked + ?
           where session_id = ? and dose_number = ? and online_booked + ? <= online_capacity
           returning session_id),
         sl as (
           update session_slot set booked = booked + ?
           where session_id = (select session_id from c) and slot_index = ? and booked + ? <= capacity
           returning session_id),
         ${insert(
           `where (select count(*) from sl) = 1 / (case when (select count(*) from c) > (select count(*) from sl) then 0 else 1 end)`,
         )}`,
      );
      const query = run<AppointmentRow>(em, statement, [count, sessionId, dose, count, seats.length, slotIndex, seats.length, ...values]);
      rows = await query.catch((error: unknown) => {
        if ((error as { code?: string }).code === DIVISION_BY_ZERO) throw new SessionFullError();
        throw error;
      });
      if (rows.length === 0) throw new SessionFullError();
    } else {
      // Several dose counters (a family at different doses), inside the caller's transaction:
      // always in dose order, then the slot, so concurrent bookings lock rows in the same order.
      for (const [dose, count] of doses) {
        const taken = await em.execute<{ affectedRows?: number }>(
          `update session_capacity set online_booked = online_booked + ?
           where session_id = ? and dose_number = ? and online_booked + ? <= online_capacity`,
          [count, sessionId, dose, count],
          'run',
        );
        if (!taken.affectedRows) throw new SessionFullError();
      }
      const seated = await em.execute<{ affectedRows?: number }>(
        `update session_slot set booked = booked + ? where session_id = ? and slot_index = ? and booked + ? <= capacity`,
        [seats.length, sessionId, slotIndex, seats.length],
        'run',
      );
      if (!seated.affectedRows) throw new SessionFullError();
      rows = await em.execute<AppointmentRow[]>(`with ${insert('')}`, values);
    }
    const result: Booked = { appointments: ids.map((id) => this.view(rows.find((row) => row.id === id)!)) };
    if (idempotencyKey) {
      await em.execute(
        'update booking_request set response = ?::jsonb where account_id = ? and idempotency_key = ?',
        [JSON.stringify(result), accountId, idempotencyKey],
        'run',
      );
    }
    return result;
  }

  /** After a failed take: the earlier answer when it lost a race with its own retry; else the domain error. */
  private async replayAfter(error: unknown, request: SeatRequest): Promise<Booked | undefined> {
    if (request.idempotencyKey && isUniqueViolation(error, 'booking_request_pkey')) {
      const earlier = await this.earlier(request.accountId, request.idempotencyKey, request.requestHash);
      if (earlier) return earlier;
    }
    if (isUniqueViolation(error, 'appointment_active_dose_idx')) throw new AlreadyBookedError();
    return undefined;
  }

  /** Takes `delta` places from a session's dose counter (or gives them back, delta < 0); never past its bounds. */
  private async shiftDose(em: EntityManager, sessionId: string, dose: number, delta: number): Promise<void> {
    const changed = await em.execute<{ affectedRows?: number }>(
      delta > 0
        ? 'update session_capacity set online_booked = online_booked + ? where session_id = ? and dose_number = ? and online_booked + ? <= online_capacity'
        : 'update session_capacity set online_booked = online_booked - ? where session_id = ? and dose_number = ? and online_booked >= ?',
      [Math.abs(delta), sessionId, dose, Math.abs(delta)],
      'run',
    );
    if (changed.affectedRows) return;
    if (delta > 0) throw new SessionFullError();
    throw new Error(`session ${sessionId}: counters out of step with appointments`);
  }

  private async shiftSlot(em: EntityManager, sessionId: string, slotIndex: number, delta: number): Promise<void> {
    const changed = await em.execute<{ affectedRows?: number }>(
      delta > 0
        ? 'update session_slot set booked = booked + ? where session_id = ? and slot_index = ? and booked + ? <= capacity'
        : 'update session_slot set booked = booked - ? where session_id = ? and slot_index = ? and booked >= ?',
      [Math.abs(delta), sessionId, slotIndex, Math.abs(delta)],
      'run',
    );
    if (changed.affectedRows) return;
    if (delta > 0) throw new SessionFullError();
    throw new Error(`session ${sessionId}: counters out of step with appointments`);
  }

  /** A fair opening in force for this session: when its pool closes (epoch ms). */
  private fairOpening(session: SessionFacts): { closesAt: number } | undefined {
    const { enabled, windowMs } = this.tenant.scheduling.fairOpening;
    if (!enabled || !session.bookableFrom) return undefined;
    const closesAt = session.bookableFrom.getTime() + windowMs;
    // Long after the opening there is nothing left to allocate: no extra query per booking.
    return Date.now() < closesAt + 60_000 ? { closesAt } : undefined;
  }

  /**
   * A request in a fair opening's window: a ticket with a random draw goes into the pool (in the
   * database, shared by every app process); when the window closes, the pool is served in draw
   * order and this request answers with its own ticket's outcome. Arriving first gains nothing.
   */
  private async drawn(sessionId: string, request: SeatRequest, closesAt: number): Promise<{ booked: Booked; replayed: boolean }> {
    const ticketId = randomUUID();
    await this.em.execute(
      'insert into booking_ticket (id, session_id, account_id, draw, request) values (?, ?, ?, ?, ?::jsonb)',
      [ticketId, sessionId, request.accountId, randomInt(0, 2 ** 47) / 2 ** 47, JSON.stringify(request)],
      'run',
    );
    await delay(Math.max(0, closesAt - Date.now()) + 10);
    await this.allocate(sessionId);
    const [row] = await this.em.execute<{ outcome: TicketOutcome | null }[]>('select outcome from booking_ticket where id = ?', [ticketId]);
    const outcome = row?.outcome;
    if (!outcome) throw new Error(`booking ticket ${ticketId} was not allocated`);
    if ('booked' in outcome) return { booked: outcome.booked, replayed: outcome.replayed };
    if (outcome.error === 'already-booked') throw new AlreadyBookedError();
    throw new SessionFullError();
  }

  /**
   * Serves the pending tickets of a session in draw order. One process does it (an advisory lock
   * per session); the others wait for it and then find their outcomes. Each ticket is taken in a
   * savepoint, so a full session or a double booking fails that ticket alone.
   */
  private async allocate(sessionId: string): Promise<void> {
    await this.em.transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`booking-ticket:${sessionId}`]);
      const tickets = await em.execute<{ id: string; request: SeatRequest }[]>(
        'select id, request from booking_ticket where session_id = ? and outcome is null order by draw, id',
        [sessionId],
      );
      for (const ticket of tickets) {
        let outcome: TicketOutcome;
        try {
          outcome = {
            booked: await em.transactional((inner) => this.take(inner as EntityManager, sessionId, ticket.request)),
            replayed: false,
          };
        } catch (error) {
          if (error instanceof SessionFullError) outcome = { error: 'session-full' };
          else if (isUniqueViolation(error, 'appointment_active_dose_idx')) outcome = { error: 'already-booked' };
          else if (ticket.request.idempotencyKey && isUniqueViolation(error, 'booking_request_pkey')) {
            // A retry of a request served earlier (perhaps in this same loop): its first answer.
            const [row] = await em.execute<{ response: Booked | null }[]>(
              'select response from booking_request where account_id = ? and idempotency_key = ?',
              [ticket.request.accountId, ticket.request.idempotencyKey],
            );
            outcome = row?.response ? { booked: row.response, replayed: true } : { error: 'session-full' };
          } else throw error;
        }
        await em.execute('update booking_ticket set outcome = ?::jsonb where id = ?', [JSON.stringify(outcome), ticket.id], 'run');
      }
    });
  }

  private async one(appointmentId: string): Promise<AppointmentView> {
    const [row] = await this.em.execute<AppointmentRow[]>(`${APPOINTMENTS} where a.id = ?`, [appointmentId]);
    return this.view(row);
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
      reschedules: row.reschedule_count,
      intervalException: row.interval_exception,
      createdAt: iso(row.created_at),
      cancelledAt: row.cancelled_at ? iso(row.cancelled_at) : null,
    };
  }
}

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AppointmentNotices } from '../messaging/notices.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import type { Grant } from '../registration/staff/permissions.js';
import { oversees } from '../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../registration/staff/scope-directory.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { AvailabilityEvents } from '../subscriptions/events.js';
import { Appointment } from './appointment.entity.js';
import { EligibilityService } from './eligibility.js';
import { SessionCancelledError } from './errors.js';
import { Facility } from './facility.entity.js';
import { SessionCapacity, SessionSlot, VaccinationSession } from './session.entity.js';
import type { NewSession } from './session-schemas.js';
import { evenSplit, isIsoDate, minutesOf, type ParsedSlot, parseSlot, todayIn } from './slots.js';

export interface SessionView {
  id: string;
  facilityId: number;
  date: string;
  vaccine: string;
  minAge: number;
  maxAge: number | null;
  /** Per dose number: online places still free, and the walk-in places. */
  doses: { dose: number; onlineCapacity: number; available: number; walkin: number }[];
  state: 'active' | 'cancelled';
  /** When booking opens, if announced (ISO 8601); null: open. */
  bookableFrom: string | null;
  slots: { label: string; capacity: number; available: number }[];
}

type Field = { path: string; code: string };

/** A row of `between`'s statement. */
interface SessionRow {
  id: string;
  facility_id: number;
  date: string;
  vaccine: string;
  min_age: number;
  max_age: number | null;
  state: 'active' | 'cancelled';
  bookable_from: Date | string | null;
  doses: SessionView['doses'];
  slots: SessionView['slots'];
}

/**
 * Who creates sessions: a signed-in staff member (their grants are checked), or the platform
 * operator at the command line (`teeka import sessions`), who may create them at any centre.
 */
export type SessionCreator = StaffContext | { operator: 'command-line' };

/** Roles that may create sessions: at any centre, or (facility-manager) at their own. */
const SESSION_ROLES = new Set<Grant['role']>(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager']);

/**
 * Creates vaccination sessions (staff) and lists them with their free places (public).
 * District officers are not yet allowed: that needs a ScopeDirectory over the area tree.
 */
@injectable()
export class SessionService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(EligibilityService) private readonly eligibility: EligibilityService,
    @inject(AppointmentNotices) private readonly notices: AppointmentNotices,
    @inject(AvailabilityEvents) private readonly availabilityEvents: AvailabilityEvents,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  /** All sessions or none: every one is checked first, then all are stored in one transaction. */
  async create(actor: SessionCreator, inputs: NewSession[], prefix: (index: number) => string): Promise<SessionView[]> {
    const staff = 'operator' in actor ? undefined : actor;
    const roles = staff ? staff.roles.filter((grant) => SESSION_ROLES.has(grant.role)) : [];
    for (const input of staff ? inputs : []) {
      if (!(await oversees(roles, { type: 'facility', id: String(input.facilityId) }, this.directory))) {
        throw new ForbiddenError(`may not create sessions at facility ${input.facilityId}`);
      }
    }
    const facilities = new Map(
      (await this.em.find(Facility, { id: { $in: [...new Set(inputs.map((input) => input.facilityId))] } })).map((f) => [f.id, f]),
    );
    const problems: Field[] = [];
    const checked = inputs.map((input, index) => this.check(input, facilities.get(input.facilityId), prefix(index), problems));
    if (problems.length > 0) throw new ValidationError('the session is not valid', problems);

    // One transaction: the sessions, then (foreign keys) their capacities and slots, and the audit
    // entries, are stored together or not at all.
    const em = this.em;
    const sessions = inputs.map((input) =>
      em.create(VaccinationSession, {
        id: randomUUID(),
        facilityId: input.facilityId,
        date: input.date,
        vaccine: input.vaccine,
        minAge: input.minAge,
        maxAge: input.maxAge ?? null,
        state: 'active',
        bookableFrom: input.opensAt ? new Date(input.opensAt) : null,
        createdBy: staff?.user.id ?? null,
        createdAt: new Date(),
      }),
    );
    const views: SessionView[] = [];
    await em.begin();
    try {
      em.persist(sessions);
      await em.flush();
      for (const [index, input] of inputs.entries()) {
        const session = sessions[index];
        const { slots, slotCapacities } = checked[index];
        const capacities = input.capacities.map((c) =>
          em.create(SessionCapacity, {
            sessionId: session.id,
            doseNumber: c.dose,
            onlineCapacity: c.online,
            onlineBooked: 0,
            walkinCapacity: c.walkin ?? 0,
            walkinUsed: 0,
          }),
        );
        const slotRows = slots.map((slot, slotIndex) =>
          em.create(SessionSlot, { sessionId: session.id, slotIndex, label: slot.label, capacity: slotCapacities[slotIndex], booked: 0 }),
        );
        em.persist([...capacities, ...slotRows]);
        this.audit.record({
          actorType: staff ? 'staff' : 'system',
          actorId: staff?.user.id,
          action: 'session.create',
          targetType: 'session',
          targetId: session.id,
          details: { facilityId: input.facilityId, date: input.date, vaccine: input.vaccine, doses: input.capacities.map((c) => c.dose) },
        });
        views.push(sessionView(session, capacities, slotRows));
      }
      await em.flush();
      await em.commit();
    } catch (error) {
      await em.rollback();
      throw error;
    }
    await this.availabilityEvents.placesOpened(views.map((view) => view.id));
    return views;
  }

  /**
   * Cancels a session: nothing more can be booked in it, and its booked appointments are cancelled
   * with it in the same transaction (their places counted back to zero). Answers the appointments
   * cancelled, for the caller to tell each person.
   */
  async cancel(actor: StaffContext, sessionId: string, reason?: string): Promise<{ session: SessionView; cancelled: string[] }> {
    const session = await this.managed(actor, sessionId);
    const cancelled = await inTransaction(this.em, async (em) => {
      const changed = await em.execute<{ affectedRows?: number }>(
        `update vaccination_session set state = 'cancelled', cancelled_at = now() where id = ? and state = 'active'`,
        [session.id],
        'run',
      );
      if (!changed.affectedRows) throw new SessionCancelledError();
      const rows = await em.execute<{ id: string }[]>(
        `update appointment set state = 'cancelled', cancelled_at = now() where session_id = ? and state = 'booked' returning id`,
        [session.id],
      );
      await em.execute('update session_capacity set online_booked = 0 where session_id = ?', [session.id], 'run');
      await em.execute('update session_slot set booked = 0 where session_id = ?', [session.id], 'run');
      this.audit.record({
        actorType: 'staff',
        actorId: actor.user.id,
        action: 'session.cancel',
        targetType: 'session',
        targetId: session.id,
        details: { appointments: rows.length, ...(reason ? { reason } : {}) },
      });
      return rows.map((row) => row.id);
    });
    await this.notices.cancelled(cancelled, 'session-cancelled');
    return { session: await this.one(session.id), cancelled };
  }

  /**
   * Moves a session to another day. Its appointments move with it, but a person for whom the new
   * day breaks the rules (a second dose that would now come too early or too late, an age limit)
   * has the appointment cancelled instead; both are told by SMS.
   */
  async move(
    actor: StaffContext,
    sessionId: string,
    date: string,
    reason?: string,
  ): Promise<{ session: SessionView; moved: string[]; cancelled: string[] }> {
    const session = await this.managed(actor, sessionId);
    if (session.state === 'cancelled') throw new SessionCancelledError();
    const today = todayIn(this.tenant.timeZone);
    if (!isIsoDate(date)) throw new ValidationError('not a date', [{ path: '/date', code: 'format' }]);
    if (date < today) throw new ValidationError('the day is past', [{ path: '/date', code: 'date-past' }]);
    const from = String(session.date);
    if (date === from) return { session: await this.one(session.id), moved: [], cancelled: [] };

    const booked = await this.em.find(Appointment, { sessionId: session.id, state: 'booked' });
    const offered = new Set((await this.em.find(SessionCapacity, { sessionId: session.id })).map((c) => c.doseNumber));
    const atNewDate = Object.assign(Object.create(Object.getPrototypeOf(session)) as VaccinationSession, session, { date });
    const keep: string[] = [];
    const drop: Appointment[] = [];
    for (const appointment of booked) {
      const beneficiary = await this.em.findOneOrFail(Beneficiary, { id: appointment.beneficiaryId });
      const fits = await this.eligibility.check(beneficiary, atNewDate, today, offered);
      if (typeof fits !== 'string' && fits.dose === appointment.doseNumber) keep.push(appointment.id);
      else drop.push(appointment);
    }
    await inTransaction(this.em, async (em) => {
      const changed = await em.execute<{ affectedRows?: number }>(
        `update vaccination_session set date = ? where id = ? and state = 'active' and date = ?`,
        [date, session.id, from],
        'run',
      );
      if (!changed.affectedRows) throw new SessionCancelledError();
      for (const appointment of drop) {
        const gone = await em.execute<{ affectedRows?: number }>(
          `update appointment set state = 'cancelled', cancelled_at = now() where id = ? and state = 'booked'`,
          [appointment.id],
          'run',
        );
        if (!gone.affectedRows) continue;
        await em.execute(
          'update session_capacity set online_booked = online_booked - 1 where session_id = ? and dose_number = ?',
          [session.id, appointment.doseNumber],
          'run',
        );
        await em.execute(
          'update session_slot set booked = booked - 1 where session_id = ? and slot_index = ?',
          [session.id, appointment.slotIndex],
          'run',
        );
      }
      this.audit.record({
        actorType: 'staff',
        actorId: actor.user.id,
        action: 'session.move',
        targetType: 'session',
        targetId: session.id,
        details: { from, to: date, moved: keep.length, cancelled: drop.length, ...(reason ? { reason } : {}) },
      });
    });
    const cancelled = drop.map((a) => a.id);
    await this.availabilityEvents.placesOpened(session.id);
    await this.notices.moved(keep);
    await this.notices.cancelled(cancelled, 'session-cancelled');
    return { session: await this.one(session.id), moved: keep, cancelled };
  }

  /** A session the actor may manage (its centre within their grants), or a 404/403. */
  private async managed(actor: StaffContext, sessionId: string): Promise<VaccinationSession> {
    const session = await this.em.findOne(VaccinationSession, { id: sessionId }, { refresh: true });
    if (!session) throw new NotFoundError('no such session');
    const roles = actor.roles.filter((grant) => SESSION_ROLES.has(grant.role));
    if (!(await oversees(roles, { type: 'facility', id: String(session.facilityId) }, this.directory))) {
      throw new ForbiddenError(`may not manage sessions at facility ${session.facilityId}`);
    }
    return session;
  }

  private async one(sessionId: string): Promise<SessionView> {
    const session = await this.em.findOneOrFail(VaccinationSession, { id: sessionId }, { refresh: true });
    const capacities = await this.em.find(SessionCapacity, { sessionId }, { refresh: true });
    const slots = await this.em.find(SessionSlot, { sessionId }, { refresh: true });
    return sessionView(session, capacities, slots);
  }

  /** Sessions at a centre on a day, with what is still free. */
  async list(facilityId: number, date: string): Promise<SessionView[]> {
    return this.between([facilityId], date, date);
  }

  /**
   * Sessions at any of these centres from `from` to `to` (inclusive), by date then creation. One
   * statement, no entities: every availability search that misses the cache runs it, and at
   * national scale most do (bench/availability.ts), so capacities and slots come back as JSON
   * beside their session rather than as two more queries and a hydrated entity per row.
   */
  async between(facilityIds: number[], from: string, to: string): Promise<SessionView[]> {
    if (facilityIds.length === 0) return [];
    const rows = await this.em.execute<SessionRow[]>(
      `select s.id, s.facility_id, to_char(s.date, 'YYYY-MM-DD') as date, s.vaccine, s.min_age, s.max_age, s.state, s.bookable_from,
              coalesce((select json_agg(json_build_object('dose', c.dose_number, 'onlineCapacity', c.online_capacity,
                                          'available', c.online_capacity - c.online_booked, 'walkin', c.walkin_capacity - c.walkin_used)
                                        order by c.dose_number)
                          from session_capacity c where c.session_id = s.id), '[]'::json) as doses,
              coalesce((select json_agg(json_build_object('label', l.label, 'capacity', l.capacity, 'available', l.capacity - l.booked)
                                        order by l.slot_index)
                          from session_slot l where l.session_id = s.id), '[]'::json) as slots
         from vaccination_session s
        where s.facility_id = any(?::int[]) and s.date between ?::date and ?::date and s.state = 'active'
        order by s.date, s.created_at, s.id`,
      [`{${facilityIds.map((id) => Math.trunc(Number(id))).join(',')}}`, from, to],
    );
    return rows.map((row) => ({
      id: row.id,
      facilityId: row.facility_id,
      date: row.date,
      vaccine: row.vaccine,
      minAge: row.min_age,
      maxAge: row.max_age ?? null,
      state: row.state,
      bookableFrom: row.bookable_from ? new Date(row.bookable_from).toISOString() : null,
      doses: row.doses,
      slots: row.slots,
    }));
  }

  private check(
    input: NewSession,
    facility: Facility | undefined,
    at: string,
    problems: Field[],
  ): { slots: ParsedSlot[]; slotCapacities: number[] } {
    const problem = (path: string, code: string) => problems.push({ path: `${at}${path}`, code });
    if (!facility?.active) problem('/facilityId', 'facility-unknown');
    const today = todayIn(this.tenant.timeZone);
    if (!isIsoDate(input.date)) problem('/date', 'format');
    else if (input.date < today) problem('/date', 'date-past');
    const vaccine = this.tenant.vaccines.find((v) => v.code === input.vaccine);
    if (!vaccine) problem('/vaccine', 'choice');
    else if (input.minAge < (vaccine.minAgeYears ?? 0)) problem('/minAge', 'age-below-vaccine');
    if (input.maxAge != null && input.maxAge < input.minAge) problem('/maxAge', 'range');

    const doses = input.capacities.map((c) => c.dose);
    doses.forEach((dose, index) => {
      if (doses.indexOf(dose) !== index) problem(`/capacities/${index}/dose`, 'duplicate');
    });
    const slots: ParsedSlot[] = [];
    for (const [index, text] of input.slots.entries()) {
      const slot = parseSlot(text);
      const previous = slots.at(-1);
      if (!slot) problem(`/slots/${index}`, 'slot-invalid');
      else if (previous && slot.from < previous.to) problem(`/slots/${index}`, 'slot-overlap');
      else if (facility && (slot.from < minutesOf(facility.opensAt) || slot.to > minutesOf(facility.closesAt))) {
        problem(`/slots/${index}`, 'slot-outside-hours');
      } else slots.push(slot);
    }
    const online = input.capacities.reduce((sum, c) => sum + c.online, 0);
    let slotCapacities = evenSplit(online, input.slots.length);
    if (input.slotCapacities) {
      if (input.slotCapacities.length !== input.slots.length) problem('/slotCapacities', 'slot-count');
      else if (input.slotCapacities.reduce((sum, n) => sum + n, 0) !== online) problem('/slotCapacities', 'capacity-mismatch');
      else slotCapacities = input.slotCapacities;
    }
    return { slots, slotCapacities };
  }
}

/** A session as the API shows it, from its rows. */
export function sessionView(session: VaccinationSession, capacities: SessionCapacity[], slots: SessionSlot[]): SessionView {
  return {
    id: session.id,
    facilityId: session.facilityId,
    date: String(session.date),
    vaccine: session.vaccine,
    minAge: session.minAge,
    maxAge: session.maxAge ?? null,
    state: session.state,
    bookableFrom: session.bookableFrom ? new Date(session.bookableFrom).toISOString() : null,
    doses: [...capacities]
      .sort((a, b) => a.doseNumber - b.doseNumber)
      .map((c) => ({
        dose: c.doseNumber,
        onlineCapacity: c.onlineCapacity,
        available: c.onlineCapacity - c.onlineBooked,
        walkin: c.walkinCapacity - c.walkinUsed,
      })),
    slots: [...slots]
      .sort((a, b) => a.slotIndex - b.slotIndex)
      .map((s) => ({ label: s.label, capacity: s.capacity, available: s.capacity - s.booked })),
  };
}

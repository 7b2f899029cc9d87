import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { Grant } from '../registration/staff/permissions.js';
import { oversees } from '../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../registration/staff/scope-directory.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { Facility } from './facility.entity.js';
import { SessionCapacity, SessionSlot, VaccinationSession } from './session.entity.js';
import type { NewSession } from './session-schemas.js';
import { evenSplit, minutesOf, type ParsedSlot, parseSlot, todayIn } from './slots.js';

export interface SessionView {
  id: string;
  facilityId: number;
  date: string;
  vaccine: string;
  minAge: number;
  maxAge: number | null;
  /** Per dose number: online places still free, and the walk-in places. */
  doses: { dose: number; onlineCapacity: number; available: number; walkin: number }[];
  slots: { label: string; capacity: number; available: number }[];
}

type Field = { path: string; code: string };

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
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  /** All sessions or none: every one is checked first, then all are stored in one transaction. */
  async create(actor: StaffContext, inputs: NewSession[], prefix: (index: number) => string): Promise<SessionView[]> {
    const roles = actor.roles.filter((grant) => SESSION_ROLES.has(grant.role));
    for (const input of inputs) {
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
        createdBy: actor.user.id,
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
          actorType: 'staff',
          actorId: actor.user.id,
          action: 'session.create',
          targetType: 'session',
          targetId: session.id,
          details: { facilityId: input.facilityId, date: input.date, vaccine: input.vaccine, doses: input.capacities.map((c) => c.dose) },
        });
        views.push(this.view(session, capacities, slotRows));
      }
      await em.flush();
      await em.commit();
    } catch (error) {
      await em.rollback();
      throw error;
    }
    return views;
  }

  /** Sessions at a centre on a day, with what is still free. */
  async list(facilityId: number, date: string): Promise<SessionView[]> {
    const sessions = await this.em.find(VaccinationSession, { facilityId, date }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    if (sessions.length === 0) return [];
    const ids = sessions.map((s) => s.id);
    const capacities = await this.em.find(SessionCapacity, { sessionId: { $in: ids } }, { orderBy: { doseNumber: 'asc' } });
    const slots = await this.em.find(SessionSlot, { sessionId: { $in: ids } }, { orderBy: { slotIndex: 'asc' } });
    return sessions.map((session) =>
      this.view(
        session,
        capacities.filter((c) => c.sessionId === session.id),
        slots.filter((s) => s.sessionId === session.id),
      ),
    );
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
    if (
      Number.isNaN(Date.parse(`${input.date}T00:00:00Z`)) ||
      new Date(`${input.date}T00:00:00Z`).toISOString().slice(0, 10) !== input.date
    ) {
      problem('/date', 'format');
    } else if (input.date < today) problem('/date', 'date-past');
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

  private view(session: VaccinationSession, capacities: SessionCapacity[], slots: SessionSlot[]): SessionView {
    return {
      id: session.id,
      facilityId: session.facilityId,
      date: String(session.date),
      vaccine: session.vaccine,
      minAge: session.minAge,
      maxAge: session.maxAge ?? null,
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
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { Beneficiary } from '../registration/beneficiary.entity.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { todayIn } from '../scheduling/slots.js';
import { CentreAccess } from './centre-access.js';
import { type DoseView, dosesOf } from './dose-view.js';

interface SessionRow {
  id: string;
  vaccine: string;
  min_age: number;
  max_age: number | null;
  state: string;
}

interface ExpectedRow {
  session_id: string;
  appointment_id: string | null;
  reference_id: string;
  name: string;
  birth_year: number;
  dose_number: number | null;
  label: string | null;
  state: string | null;
  arrived_at: Date | null;
  verified_by: string | null;
  dose_record_id: string | null;
}

/**
 * What a vaccinator's day looks like at a centre: the sessions held there on a day, each with its
 * places per dose (walk-in places left), the people expected (name, age, dose, slot, state, arrived,
 * verified, vaccinated) and the walk-ins checked in. Never security codes or document numbers.
 */
@injectable()
export class CentreDay {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(CentreAccess) private readonly access: CentreAccess,
  ) {}

  async day(actor: StaffContext, facilityId: number, date = todayIn(this.tenant.timeZone)) {
    await this.access.at(actor, facilityId, 'vaccinate');
    const sessions = await this.em.execute<SessionRow[]>(
      `select id, vaccine, min_age, max_age, state from vaccination_session where facility_id = ? and date = ? order by created_at, id`,
      [facilityId, date],
    );
    const ids = sessions.map((s) => s.id);
    if (ids.length === 0) return { facilityId, date, sessions: [] };
    const list = ids.map(() => '?').join(', ');
    const capacities = await this.em.execute<
      {
        session_id: string;
        dose_number: number;
        online_capacity: number;
        online_booked: number;
        walkin_capacity: number;
        walkin_used: number;
      }[]
    >(`select * from session_capacity where session_id in (${list}) order by dose_number`, ids);
    const people = await this.em.execute<ExpectedRow[]>(
      `select a.session_id, a.id as appointment_id, b.reference_id, b.name, b.birth_year, a.dose_number, sl.label, a.state,
         ci.arrived_at, ci.verified_by, dr.id as dose_record_id
       from appointment a
       join beneficiary b on b.id = a.beneficiary_id
       join session_slot sl on sl.session_id = a.session_id and sl.slot_index = a.slot_index
       left join check_in ci on ci.session_id = a.session_id and ci.beneficiary_id = a.beneficiary_id
       left join dose_record dr on dr.appointment_id = a.id and dr.state <> 'voided'
       where a.session_id in (${list}) and a.state in ('booked', 'completed')
       union all
       select ci.session_id, null, b.reference_id, b.name, b.birth_year, dr.dose_number, null, null,
         ci.arrived_at, ci.verified_by, dr.id
       from check_in ci
       join beneficiary b on b.id = ci.beneficiary_id
       left join dose_record dr on dr.session_id = ci.session_id and dr.beneficiary_id = ci.beneficiary_id and dr.state <> 'voided'
       where ci.session_id in (${list})
         and not exists (select 1 from appointment a where a.session_id = ci.session_id and a.beneficiary_id = ci.beneficiary_id
                         and a.state in ('booked', 'completed'))
       order by label nulls last, name`,
      [...ids, ...ids],
    );
    const year = Number(date.slice(0, 4));
    const person = (row: ExpectedRow) => ({
      beneficiary: row.reference_id,
      name: row.name,
      age: year - row.birth_year,
      arrived: row.arrived_at !== null,
      verifiedBy: row.verified_by,
      doseRecordId: row.dose_record_id,
    });
    return {
      facilityId,
      date,
      sessions: sessions.map((s) => ({
        id: s.id,
        vaccine: s.vaccine,
        minAge: s.min_age,
        maxAge: s.max_age,
        state: s.state,
        doses: capacities
          .filter((c) => c.session_id === s.id)
          .map((c) => ({
            dose: c.dose_number,
            onlineCapacity: c.online_capacity,
            booked: c.online_booked,
            walkinCapacity: c.walkin_capacity,
            walkinUsed: c.walkin_used,
            walkinLeft: c.walkin_capacity - c.walkin_used,
          })),
        appointments: people
          .filter((p) => p.session_id === s.id && p.appointment_id)
          .map((p) => ({ id: p.appointment_id, ...person(p), dose: p.dose_number, slot: p.label, state: p.state })),
        walkIns: people.filter((p) => p.session_id === s.id && !p.appointment_id).map((p) => ({ ...person(p), dose: p.dose_number })),
      })),
    };
  }

  /** A person's dose records, corrected and voided ones included, for staff. The read is audited. */
  async doses(actor: StaffContext, referenceId: string): Promise<{ beneficiary: string; doses: DoseView[] }> {
    if (actor.roles.length === 0) throw new ForbiddenError('no role');
    const beneficiary = await this.em.findOne(Beneficiary, { referenceId });
    if (!beneficiary) throw new NotFoundError('no such beneficiary');
    const doses = await dosesOf(this.em, beneficiary.id);
    await inTransaction(this.em, async () => {
      this.audit.record({
        actorType: 'staff',
        actorId: actor.user.id,
        action: 'vaccination.doses.read',
        targetType: 'beneficiary',
        targetId: referenceId,
      });
    });
    return { beneficiary: referenceId, doses };
  }
}

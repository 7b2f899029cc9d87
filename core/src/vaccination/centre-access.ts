import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, ValidationError } from '../kernel/errors.js';
import { type Grant, oversees } from '../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../registration/staff/scope-directory.js';
import { grantsOf, type StaffContext } from '../registration/staff/staff-context.js';
import { StaffUser } from '../registration/staff-user.entity.js';

/**
 * Who may do what at a centre: `vaccinate` (see the day, verify people, register walk-ins, record
 * doses) for every role over the facility, vaccinators included; `supervise` (correct and void dose
 * records) for its facility manager, a district officer over it, administrators and operators.
 */
export type CentreWork = 'vaccinate' | 'supervise';
const ROLES: Record<CentreWork, ReadonlySet<Grant['role']>> = {
  vaccinate: new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager', 'vaccinator']),
  supervise: new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager']),
};

@injectable()
export class CentreAccess {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  /** Fails with 403 unless one of the actor's roles for `work` covers the facility (or, for null, the tenant). */
  async at(actor: StaffContext, facilityId: number | null, work: CentreWork): Promise<void> {
    if (!(await this.covers(actor.roles, facilityId, work))) throw new ForbiddenError('not allowed at this centre');
  }

  /** Staff who may be named as the vaccinator: an active user holding a role over the facility. */
  async assertVaccinator(userId: string, facilityId: number): Promise<void> {
    const user = await this.em.findOne(StaffUser, { id: userId });
    const grants = user?.active ? await grantsOf(this.em, userId) : [];
    if (!(await this.covers(grants, facilityId, 'vaccinate'))) {
      throw new ValidationError('not a member of staff at this centre', [{ path: '/vaccinatorId', code: 'vaccinator-unknown' }]);
    }
  }

  private covers(grants: readonly Grant[], facilityId: number | null, work: CentreWork): Promise<boolean> {
    const allowed = grants.filter((grant) => ROLES[work].has(grant.role));
    const scope = facilityId === null ? { type: 'tenant' as const, id: null } : { type: 'facility' as const, id: String(facilityId) };
    return oversees(allowed, scope, this.directory);
  }
}

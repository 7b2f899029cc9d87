import type { EntityManager } from '@mikro-orm/postgresql';
import { UnauthorizedError } from '../../kernel/errors.js';
import { type AppContext, tenantScope } from '../../kernel/http/state.js';
import { StaffRole, StaffUser } from '../staff-user.entity.js';
import { type Grant, isRole, isScopeType, ROLES } from './permissions.js';

/** The signed-in member of staff, with the roles they hold at this moment. */
export interface StaffContext {
  user: StaffUser;
  roles: Grant[];
  sessionId: string;
}

/** A staff_role row as a grant; undefined for a row naming a role this code does not know. */
export function grantOf(row: StaffRole): Grant | undefined {
  if (!isRole(row.role) || !isScopeType(row.scopeType)) return undefined;
  return { role: row.role, scopeType: row.scopeType, scopeId: row.scopeId ?? null };
}

/** Grants in a stable order: by role rank, then scope id. */
export function sortGrants(grants: Grant[]): Grant[] {
  return grants.sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || (a.scopeId ?? '').localeCompare(b.scopeId ?? ''));
}

export async function grantsOf(em: EntityManager, userId: string): Promise<Grant[]> {
  const rows = await em.find(StaffRole, { user: userId });
  return sortGrants(rows.map(grantOf).filter((grant) => grant !== undefined));
}

/**
 * The member of staff behind the request (after requireStaff()), with roles read afresh from
 * staff_role on every request, so a revoked role stops working at once. A deleted or deactivated
 * account ends the session.
 */
export async function currentStaff(ctx: AppContext): Promise<StaffContext> {
  const staff = ctx.state.staff;
  if (!staff) throw new UnauthorizedError();
  const { em } = tenantScope(ctx);
  const user = await em.findOne(StaffUser, { id: staff.userId });
  if (!user?.active) throw new UnauthorizedError('session-ended', 'staff account no longer active');
  return { user, roles: await grantsOf(em, user.id), sessionId: staff.sessionId };
}

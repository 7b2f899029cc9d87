import type { EntityManager } from '@mikro-orm/postgresql';
import { run, statement } from '../../kernel/db/prepared.js';
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
export function grantOf(row: Pick<StaffRole, 'role' | 'scopeType' | 'scopeId'>): Grant | undefined {
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

const STAFF_WITH_ROLES = statement(
  'teeka-staff-with-roles',
  `select u.*, coalesce((select json_agg(json_build_object('role', r.role, 'scopeType', r.scope_type, 'scopeId', r.scope_id))
     from staff_role r where r.user_id = u.id), '[]') as roles
   from staff_user u where u.id = ?`,
);

/**
 * The member of staff behind the request (after requireStaff()), with roles read afresh from
 * staff_role on every request, so a revoked role stops working at once. A deleted or deactivated
 * account ends the session.
 */
export async function currentStaff(ctx: AppContext): Promise<StaffContext> {
  const staff = ctx.state.staff;
  if (!staff) throw new UnauthorizedError();
  const { em } = tenantScope(ctx);
  // The account and its roles in one query (this runs on every staff request).
  const [row] = await run<Record<string, unknown> & { roles: RoleRow[] }>(em, STAFF_WITH_ROLES, [staff.userId]);
  if (!row) throw new UnauthorizedError('session-ended', 'staff account no longer active');
  const { roles, ...columns } = row;
  const user = em.map(StaffUser, columns);
  if (!user.active) throw new UnauthorizedError('session-ended', 'staff account no longer active');
  const grants = roles.map((role) => grantOf(role)).filter((grant) => grant !== undefined);
  return { user, roles: sortGrants(grants), sessionId: staff.sessionId };
}

type RoleRow = Pick<StaffRole, 'role' | 'scopeType' | 'scopeId'>;

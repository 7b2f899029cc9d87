import type { EntityManager } from '@mikro-orm/postgresql';
import { run, statement } from '../../kernel/db/prepared.js';
import { UnauthorizedError } from '../../kernel/errors.js';
import { type AppContext, tenantScope } from '../../kernel/http/state.js';
import { liveSessionWhere } from '../session-service.js';
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
 * The same, behind a live session: what requireStaff() reads for every staff request, so that the
 * session check and the account with its roles are one round trip, not two (a dose recorded is two
 * staff requests). No row: the session is revoked or over; a row without an account: it is gone.
 */
const STAFF_OF_SESSION = statement(
  'teeka-staff-of-session',
  `select u.*, coalesce((select json_agg(json_build_object('role', r.role, 'scopeType', r.scope_type, 'scopeId', r.scope_id))
     from staff_role r where r.user_id = u.id), '[]') as roles
   from auth_session s left join staff_user u on u.id = s.subject_id
   where s.id = ? and s.subject_id = ? and ${liveSessionWhere('s')}`,
);

type StaffRow = Record<string, unknown> & { id: string | null; roles: RoleRow[] };

function staffOf(em: EntityManager, row: StaffRow | undefined, sessionId: string): StaffContext {
  if (!row?.id) throw new UnauthorizedError('session-ended', 'staff account no longer active');
  const { roles, ...columns } = row;
  const user = em.map(StaffUser, columns);
  if (!user.active) throw new UnauthorizedError('session-ended', 'staff account no longer active');
  const grants = roles.map((role) => grantOf(role)).filter((grant) => grant !== undefined);
  return { user, roles: sortGrants(grants), sessionId };
}

/** What requireStaff() found, by request: currentStaff answers it without asking again. */
const loaded = new WeakMap<object, StaffContext>();

/**
 * The member of staff behind a live session (for requireStaff(), with the session's claims from
 * its token), with their roles read afresh; remembered for the request's currentStaff().
 */
export async function signedInStaff(ctx: AppContext, claims: { userId: string; sessionId: string }): Promise<StaffContext> {
  const { em } = tenantScope(ctx);
  const [row] = await run<StaffRow>(em, STAFF_OF_SESSION, [claims.sessionId, claims.userId]);
  if (!row) throw new UnauthorizedError('session-ended', 'session revoked or expired');
  const staff = staffOf(em, row, claims.sessionId);
  loaded.set(ctx.state, staff);
  return staff;
}

/**
 * The member of staff behind the request (after requireStaff()), with roles read afresh from
 * staff_role for every request, so a revoked role stops working at once. A deleted or deactivated
 * account ends the session.
 */
export async function currentStaff(ctx: AppContext): Promise<StaffContext> {
  const staff = ctx.state.staff;
  if (!staff) throw new UnauthorizedError();
  const known = loaded.get(ctx.state);
  if (known) return known;
  const { em } = tenantScope(ctx);
  // The account and its roles in one query.
  const [row] = await run<StaffRow>(em, STAFF_WITH_ROLES, [staff.userId]);
  return staffOf(em, row, staff.sessionId);
}

type RoleRow = Pick<StaffRole, 'role' | 'scopeType' | 'scopeId'>;

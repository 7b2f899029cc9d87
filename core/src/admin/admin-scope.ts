import { ForbiddenError } from '../kernel/errors.js';
import { type AppContext, tenantScope } from '../kernel/http/state.js';
import { type Grant, oversees, type Scope } from '../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../registration/staff/scope-directory.js';
import type { StaffContext } from '../registration/staff/staff-context.js';

/**
 * Who reaches the administration pages, and over what: tenant administrators (and platform
 * operators) over the whole tenant, district officers over their areas. Facility roles do not
 * reach them at all (403). What each page may change is still decided by the services; this only
 * chooses what a page lists and refuses pages outside the actor's scope.
 */
const ADMIN_ROLES: ReadonlySet<Grant['role']> = new Set(['platform-operator', 'tenant-admin', 'district-officer']);

export interface AreaRef {
  level: string;
  id: number;
}

export interface AdminScope {
  actor: StaffContext;
  /** The whole tenant (administrators), or only `areas` (district officers). */
  tenant: boolean;
  areas: AreaRef[];
  /** The grants that make the actor an administrator here (facility roles left out). */
  grants: Grant[];
}

export function parseAreaRef(text: string): AreaRef | undefined {
  const match = /^([a-z][a-z-]{0,31}):(0|[1-9][0-9]{0,8})$/.exec(text);
  return match ? { level: match[1], id: Number(match[2]) } : undefined;
}

export const areaKey = (area: AreaRef) => `${area.level}:${area.id}`;

/** The actor's administration scope; a member of staff without an administrative role gets 403. */
export function adminScope(actor: StaffContext): AdminScope {
  const grants = actor.roles.filter((grant) => ADMIN_ROLES.has(grant.role));
  if (grants.length === 0) throw new ForbiddenError('administration pages are for administrators and district officers');
  const tenant = grants.some((grant) => grant.scopeType === 'platform' || grant.scopeType === 'tenant');
  const areas = grants
    .filter((grant) => grant.scopeType === 'area' && grant.scopeId)
    .map((grant) => parseAreaRef(grant.scopeId!))
    .filter((area) => area !== undefined);
  if (!tenant && areas.length === 0) throw new ForbiddenError('no area to administer');
  return { actor, tenant, areas, grants };
}

function directory(ctx: AppContext): ScopeDirectory {
  const { container } = tenantScope(ctx);
  return container.isRegistered(SCOPE_DIRECTORY, true) ? container.resolve<ScopeDirectory>(SCOPE_DIRECTORY) : new NoAreasYet();
}

/** Whether the scope includes the target (an area or a facility), through the staff permissions. */
export function inScope(ctx: AppContext, scope: AdminScope, target: Scope): Promise<boolean> {
  return oversees(scope.grants, target, directory(ctx));
}

/** Refuses (403, a themed page) a target outside the scope. */
export async function assertInScope(ctx: AppContext, scope: AdminScope, target: Scope): Promise<void> {
  if (!(await inScope(ctx, scope, target))) throw new ForbiddenError('outside the administrator’s scope');
}

export const areaScope = (area: AreaRef): Scope => ({ type: 'area', id: areaKey(area) });
export const facilityScope = (id: number): Scope => ({ type: 'facility', id: String(id) });

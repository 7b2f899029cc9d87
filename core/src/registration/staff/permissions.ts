import type { ScopeDirectory } from './scope-directory.js';

/**
 * Staff roles and what they allow, as pure functions of the roles held (the scope directory, which
 * knows where facilities and areas lie, is passed in). Every staff endpoint decides through these.
 */
export const ROLES = ['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager', 'vaccinator'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPE_TYPES = ['platform', 'tenant', 'area', 'facility'] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

/** The one scope type each role is held in. */
export const ROLE_SCOPE: Readonly<Record<Role, ScopeType>> = {
  'platform-operator': 'platform',
  'tenant-admin': 'tenant',
  'district-officer': 'area',
  'facility-manager': 'facility',
  vaccinator: 'facility',
};

export interface Scope {
  type: ScopeType;
  /** Area id or facility id; null for the platform and the tenant. */
  id: string | null;
}

/** A role held within a scope (a row of staff_role). */
export interface Grant {
  role: Role;
  scopeType: ScopeType;
  scopeId: string | null;
}

/**
 * Roles a holder of `role` may grant (and revoke), each only within the holder's scope. Nobody
 * grants their own role sideways except the tenant administrator and the platform operator.
 */
const GRANTABLE: Readonly<Record<Role, readonly Role[]>> = {
  'platform-operator': ROLES,
  'tenant-admin': ['tenant-admin', 'district-officer', 'facility-manager', 'vaccinator'],
  // Only at facilities in the officer's area: none until the scheduling module brings a real
  // ScopeDirectory (see NoAreasYet).
  'district-officer': ['facility-manager', 'vaccinator'],
  'facility-manager': ['vaccinator'],
  vaccinator: [],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isScopeType(value: unknown): value is ScopeType {
  return typeof value === 'string' && (SCOPE_TYPES as readonly string[]).includes(value);
}

export function grantableRoles(role: Role): readonly Role[] {
  return GRANTABLE[role];
}

export function scopeOf(grant: Grant): Scope {
  return { type: grant.scopeType, id: grant.scopeId };
}

export type GrantProblem = 'scope-type' | 'scope-id-missing' | 'scope-id-unexpected';

/** What is wrong with a grant's shape (its role held in the wrong kind of scope...), if anything. */
export function grantProblem(grant: Grant): GrantProblem | undefined {
  if (ROLE_SCOPE[grant.role] !== grant.scopeType) return 'scope-type';
  const needsId = grant.scopeType === 'area' || grant.scopeType === 'facility';
  if (needsId && !grant.scopeId) return 'scope-id-missing';
  if (!needsId && grant.scopeId !== null) return 'scope-id-unexpected';
  return undefined;
}

/**
 * Whether the holder's scope includes the target scope. The platform covers everything; the tenant
 * covers itself and every area and facility; an area covers itself, the areas inside it and the
 * facilities in those; a facility covers itself only.
 */
export async function covers(holder: Scope, target: Scope, directory: ScopeDirectory): Promise<boolean> {
  switch (holder.type) {
    case 'platform':
      return true;
    case 'tenant':
      return target.type !== 'platform';
    case 'area': {
      if (!holder.id || !target.id) return false;
      if (target.type === 'area') return target.id === holder.id || (await directory.isAreaWithin(target.id, holder.id));
      if (target.type !== 'facility') return false;
      const area = await directory.areaOfFacility(target.id);
      return area !== undefined && (area === holder.id || (await directory.isAreaWithin(area, holder.id)));
    }
    case 'facility':
      return target.type === 'facility' && holder.id !== null && target.id === holder.id;
  }
}

/** Whether someone holding `holder` may grant (or revoke) `target`: a role they may hand out, within their scope. */
export async function mayGrant(holder: readonly Grant[], target: Grant, directory: ScopeDirectory): Promise<boolean> {
  if (grantProblem(target)) return false;
  for (const grant of holder) {
    if (grantProblem(grant)) continue;
    if (grantableRoles(grant.role).includes(target.role) && (await covers(scopeOf(grant), scopeOf(target), directory))) return true;
  }
  return false;
}

/** Whether any of the holder's roles covers the target scope (to see a user holding a role there). */
export async function oversees(holder: readonly Grant[], target: Scope, directory: ScopeDirectory): Promise<boolean> {
  for (const grant of holder) {
    if (!grantProblem(grant) && (await covers(scopeOf(grant), target, directory))) return true;
  }
  return false;
}

/** Tenant administrators and platform operators see every member of staff, roles or not. */
export function seesAllStaff(holder: readonly Grant[]): boolean {
  return holder.some((grant) => !grantProblem(grant) && (grant.scopeType === 'platform' || grant.scopeType === 'tenant'));
}

/** Only tenant administrators and platform operators read the audit log. */
export function mayReadAudit(holder: readonly Grant[]): boolean {
  return holder.some((grant) => !grantProblem(grant) && (grant.role === 'platform-operator' || grant.role === 'tenant-admin'));
}

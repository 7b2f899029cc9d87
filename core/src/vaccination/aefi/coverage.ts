import type { Grant, Role } from '../../registration/staff/permissions.js';
import { grantProblem } from '../../registration/staff/permissions.js';

/**
 * Which cases a member of staff reaches, as SQL over a facility id column: everything (tenant and
 * platform roles), the facilities in their areas and every area below, and their own facilities.
 * Cases at no known facility are reached by tenant-wide roles only.
 */
export interface CaseCoverage {
  all: boolean;
  areas: { level: string; id: number }[];
  facilityIds: number[];
}

export function coverageOf(grants: readonly Grant[], roles: ReadonlySet<Role>): CaseCoverage {
  const coverage: CaseCoverage = { all: false, areas: [], facilityIds: [] };
  for (const grant of grants) {
    if (!roles.has(grant.role) || grantProblem(grant)) continue;
    if (grant.scopeType === 'platform' || grant.scopeType === 'tenant') coverage.all = true;
    const match = grant.scopeType === 'area' ? /^([a-z][a-z-]*):(\d{1,9})$/.exec(grant.scopeId ?? '') : null;
    if (match) coverage.areas.push({ level: match[1], id: Number(match[2]) });
    if (grant.scopeType === 'facility' && /^\d{1,9}$/.test(grant.scopeId ?? '')) coverage.facilityIds.push(Number(grant.scopeId));
  }
  return coverage;
}

export function reachesAnything(coverage: CaseCoverage): boolean {
  return coverage.all || coverage.areas.length > 0 || coverage.facilityIds.length > 0;
}

/**
 * The coverage as a CTE (`aefi_area`: the areas reached, at any depth) and a condition on
 * `column`. Arrays go in as PostgreSQL array literals of checked integers and level names.
 */
export function coverageSql(coverage: CaseCoverage, column: string): { cte: string; where: string } {
  if (coverage.all) return { cte: '', where: 'true' };
  const levels = `'{${coverage.areas.map((a) => a.level).join(',')}}'::text[]`;
  const ids = `'{${coverage.areas.map((a) => a.id).join(',')}}'::int[]`;
  const facilities = `'{${coverage.facilityIds.join(',')}}'::int[]`;
  const cte = `with recursive aefi_area (level, id) as (
      select a.level, a.id from area a join unnest(${levels}, ${ids}) as r (level, id) on a.level = r.level and a.id = r.id
      union
      select a.level, a.id from area a join aefi_area w on a.parent_level = w.level and a.parent_id = w.id)`;
  const where = `(${column} = any(${facilities})
      or ${column} in (select f.id from facility f join aefi_area w on f.area_level = w.level and f.area_id = w.id))`;
  return { cte, where };
}

import type { TenantOrm } from '../kernel/db/orm.js';
import type { ScopeDirectory } from '../registration/staff/scope-directory.js';

/**
 * The staff scope directory backed by the tenant's areas and facilities. An area scope id is
 * `<level>:<id>` (`district:395`), because area ids are only unique within a level (Co-WIN numbers
 * states and districts separately). A facility lies in its area and in every area above it.
 */
export class AreaScopeDirectory implements ScopeDirectory {
  constructor(private readonly orm: TenantOrm) {}

  async areaOfFacility(facilityId: string): Promise<string | undefined> {
    if (!/^\d{1,9}$/.test(facilityId)) return undefined;
    const rows = await this.orm.em
      .getConnection()
      .execute<{ level: string; id: number }[]>('select area_level as level, area_id as id from facility where id = ?', [
        Number(facilityId),
      ]);
    return rows[0] ? `${rows[0].level}:${rows[0].id}` : undefined;
  }

  async isAreaWithin(area: string, ancestor: string): Promise<boolean> {
    const child = parseArea(area);
    const parent = parseArea(ancestor);
    if (!child || !parent) return false;
    const rows = await this.orm.em.getConnection().execute<{ found: boolean }[]>(
      `with recursive up (level, id) as (
         select parent_level, parent_id from area where level = ? and id = ? and parent_id is not null
         union
         select a.parent_level, a.parent_id from area a join up on a.level = up.level and a.id = up.id where a.parent_id is not null
       )
       select exists (select 1 from up where level = ? and id = ?) as found`,
      [child.level, child.id, parent.level, parent.id],
    );
    return Boolean(rows[0]?.found);
  }
}

function parseArea(scopeId: string): { level: string; id: number } | undefined {
  const match = /^([a-z][a-z-]*):(\d{1,9})$/.exec(scopeId);
  return match ? { level: match[1], id: Number(match[2]) } : undefined;
}

import { asciiDigits, text } from '../kernel/http/forms.js';
import { type AppContext, tenantScope } from '../kernel/http/state.js';
import type { Grant } from '../registration/staff/permissions.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { AreaService } from '../scheduling/area-service.js';
import { FacilityService, type FacilityView } from '../scheduling/facility-service.js';

/**
 * The centres a member of staff works at, for the centre pages: their own facility for a facility
 * manager or vaccinator, every centre of their area for a district officer, every centre for an
 * administrator. This only chooses what a page shows; the services check every permission.
 */
export async function facilitiesOf(ctx: AppContext, actor: StaffContext, roles: ReadonlySet<Grant['role']>): Promise<FacilityView[]> {
  const { tenant, container } = tenantScope(ctx);
  const facilities = container.resolve(FacilityService);
  const found = new Map<number, FacilityView>();
  const add = (list: FacilityView[]) => {
    for (const facility of list) found.set(facility.id, facility);
  };
  for (const grant of actor.roles.filter((g) => roles.has(g.role))) {
    if (grant.scopeType === 'platform' || grant.scopeType === 'tenant') {
      const top = tenant.config.areas.levels[0];
      for (const area of await container.resolve(AreaService).list({ level: top })) add(await facilities.inArea(top, area.id));
    } else if (grant.scopeType === 'area' && grant.scopeId) {
      const [level, id] = grant.scopeId.split(':');
      if (level && /^\d+$/.test(id ?? '')) add(await facilities.inArea(level, Number(id)).catch(() => []));
    } else if (grant.scopeType === 'facility' && /^\d+$/.test(grant.scopeId ?? '')) {
      add(
        await facilities.get(Number(grant.scopeId)).then(
          (f) => [f],
          () => [],
        ),
      );
    }
  }
  // A facility grant is the staff member's own centre: it comes first, then the rest by name.
  const own = new Set(actor.roles.filter((g) => g.scopeType === 'facility').map((g) => Number(g.scopeId)));
  return [...found.values()].sort((a, b) => Number(own.has(b.id)) - Number(own.has(a.id)) || a.name.localeCompare(b.name) || a.id - b.id);
}

/** A `facility` query or form value as a number, or undefined when it is not one. */
export function facilityParam(value: unknown): number | undefined {
  const typed = asciiDigits(text(value)).trim();
  return /^[1-9][0-9]{0,8}$/.test(typed) ? Number(typed) : undefined;
}

/**
 * The centre a page is about: the one asked for (`?facility=`) when the staff member works there,
 * otherwise their first one; undefined when they work at none. Also the list to choose from.
 */
export async function chosenFacility(
  ctx: AppContext,
  actor: StaffContext,
  roles: ReadonlySet<Grant['role']>,
  asked: unknown,
): Promise<{ facility?: FacilityView; choices: { id: number; name: string; selected: boolean }[] }> {
  const list = await facilitiesOf(ctx, actor, roles);
  const id = facilityParam(asked);
  const facility = list.find((f) => f.id === id) ?? list[0];
  return { facility, choices: list.map((f) => ({ id: f.id, name: f.name, selected: f.id === facility?.id })) };
}

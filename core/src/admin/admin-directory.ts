import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Static, Type } from '@sinclair/typebox';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import { type AppContext, tenantScope } from '../kernel/http/state.js';
import { currencyDigits } from '../scheduling/facility-seeds.js';
import { type AdminScope, type AreaRef, areaKey, areaScope, assertInScope, facilityScope, inScope } from './admin-scope.js';

/**
 * Areas and facilities as administrators see and change them: listed within their scope, added
 * and edited with the rules the seed files follow (the tenant's levels, postal code format, opening
 * before closing, fees only for paid centres in the currency's decimals). Every change is audited.
 */

const LocalName = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f<>]+$' });
const Names = Type.Record(Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$' }), LocalName(200));
const Time = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

export const AreaInput = Type.Object(
  {
    name: LocalName(200),
    names: Names,
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$' })),
  },
  { additionalProperties: false },
);
export type AreaInput = Static<typeof AreaInput>;

export const FacilityInput = Type.Object(
  {
    name: LocalName(200),
    names: Names,
    address: Type.Optional(LocalName(400)),
    area: Type.String({ pattern: '^[a-z][a-z-]{0,31}:(0|[1-9][0-9]{0,8})$' }),
    postalCode: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
    opensAt: Type.String({ pattern: Time }),
    closesAt: Type.String({ pattern: Time }),
    feeType: Type.Union([Type.Literal('free'), Type.Literal('paid')]),
    fees: Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 16 })),
  },
  { additionalProperties: false },
);
export type FacilityInput = Static<typeof FacilityInput>;

export interface AdminArea {
  level: string;
  id: number;
  key: string;
  name: string;
  code: string | null;
  names: Record<string, string>;
  defaultName: string;
  parent: string | null;
}

export interface AdminFacility {
  id: number;
  name: string;
  defaultName: string;
  names: Record<string, string>;
  address: string | null;
  area: string;
  postalCode: string | null;
  latitude: number;
  longitude: number;
  opensAt: string;
  closesAt: string;
  feeType: 'free' | 'paid';
  fees: Record<string, string>;
  active: boolean;
}

const WITHIN = `with recursive within_area (level, id) as (
    select level, id from area where (level, id) in (select * from jsonb_to_recordset(?::jsonb) as r(level varchar, id int))
    union
    select a.level, a.id from area a join within_area w on a.parent_level = w.level and a.parent_id = w.id)`;

export class AdminDirectory {
  private readonly em: EntityManager;
  private readonly lng: string;

  constructor(
    private readonly ctx: AppContext,
    private readonly scope: AdminScope,
  ) {
    this.em = tenantScope(ctx).em;
    this.lng = ctx.state.lng;
  }

  private get config() {
    return tenantScope(this.ctx).tenant.config;
  }

  /** The scope's areas as SQL: everything for the tenant, else the officer's areas and those below. */
  private within(): { cte: string; where: (level: string, id: string) => string; params: unknown[] } {
    if (this.scope.tenant) return { cte: '', where: () => 'true', params: [] };
    return {
      cte: WITHIN,
      where: (level, id) => `exists (select 1 from within_area w where w.level = ${level} and w.id = ${id})`,
      params: [JSON.stringify(this.scope.areas)],
    };
  }

  // --- areas ------------------------------------------------------------------------------------

  async areas(level?: string): Promise<AdminArea[]> {
    const { cte, where, params } = this.within();
    const rows = await this.em.execute<
      {
        level: string;
        id: number;
        code: string | null;
        name: string;
        names: Record<string, string> | null;
        parent_level: string | null;
        parent_id: number | null;
      }[]
    >(
      `${cte} select level, id, code, name, names, parent_level, parent_id from area a
       where ${where('a.level', 'a.id')} ${level ? 'and a.level = ?' : ''}`,
      [...params, ...(level ? [level] : [])],
    );
    const levels = this.config.areas.levels;
    const collator = new Intl.Collator(this.lng);
    return rows
      .map((row) => ({
        level: row.level,
        id: row.id,
        key: `${row.level}:${row.id}`,
        name: row.names?.[this.lng] ?? row.name,
        code: row.code,
        names: row.names ?? {},
        defaultName: row.name,
        parent: row.parent_level ? `${row.parent_level}:${row.parent_id}` : null,
      }))
      .sort((a, b) => levels.indexOf(a.level) - levels.indexOf(b.level) || collator.compare(a.name, b.name) || a.id - b.id);
  }

  async area(ref: AreaRef): Promise<AdminArea> {
    await assertInScope(this.ctx, this.scope, areaScope(ref));
    const found = (await this.areas(ref.level)).find((area) => area.id === ref.id);
    if (!found) throw new NotFoundError(`no ${ref.level} ${ref.id}`);
    return found;
  }

  /** A new area under `parent` (or at the top level, for administrators); its id is the next free one of its level. */
  async createArea(level: string, parent: string, input: AreaInput): Promise<AreaRef> {
    const levels = this.config.areas.levels;
    const depth = levels.indexOf(level);
    if (depth < 0) throw new ValidationError('unknown level', [{ path: '/level', code: 'choice' }]);
    this.checkLanguages(input.names);
    let parentRef: AreaRef | undefined;
    if (depth === 0) {
      if (!this.scope.tenant) throw new ForbiddenError('only administrators add top-level areas');
    } else {
      const match = /^([a-z][a-z-]*):(\d{1,9})$/.exec(parent);
      if (!match || match[1] !== levels[depth - 1]) throw new ValidationError('parent missing', [{ path: '/parent', code: 'required' }]);
      parentRef = { level: match[1], id: Number(match[2]) };
      if (!(await inScope(this.ctx, this.scope, areaScope(parentRef))))
        throw new ValidationError('parent outside scope', [{ path: '/parent', code: 'choice' }]);
      if ((await this.em.execute('select 1 from area where level = ? and id = ?', [parentRef.level, parentRef.id])).length === 0)
        throw new ValidationError('no such parent', [{ path: '/parent', code: 'choice' }]);
    }
    // The change and its audit entry are stored together, or neither is.
    return inTransaction(this.em, async (em) => {
      const [row] = await em.execute<{ id: number }[]>(
        `insert into area (level, id, parent_level, parent_id, code, name, names)
         select ?, coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?::jsonb from area where level = ?
         returning id`,
        [level, parentRef?.level ?? null, parentRef?.id ?? null, input.code ?? null, input.name, nonEmpty(input.names), level],
      );
      const ref = { level, id: row.id };
      this.audit('admin.area-created', 'area', areaKey(ref), { parent: parentRef ? areaKey(parentRef) : null });
      return ref;
    });
  }

  async updateArea(ref: AreaRef, input: AreaInput): Promise<void> {
    await this.area(ref);
    this.checkLanguages(input.names);
    await inTransaction(this.em, async (em) => {
      await em.execute('update area set name = ?, names = ?::jsonb, code = ? where level = ? and id = ?', [
        input.name,
        nonEmpty(input.names),
        input.code ?? null,
        ref.level,
        ref.id,
      ]);
      this.audit('admin.area-updated', 'area', areaKey(ref));
    });
  }

  // --- facilities -------------------------------------------------------------------------------

  /** Facilities in the scope (or in `area` within it), active first, by name; a page of `size`. */
  async facilities(filter: { area?: AreaRef; page: number; size: number }): Promise<{ items: AdminFacility[]; total: number }> {
    let cte: string;
    let params: unknown[];
    let where: string;
    if (filter.area) {
      await assertInScope(this.ctx, this.scope, areaScope(filter.area));
      cte = WITHIN;
      params = [JSON.stringify([filter.area])];
      where = 'exists (select 1 from within_area w where w.level = f.area_level and w.id = f.area_id)';
    } else {
      const within = this.within();
      cte = within.cte;
      params = within.params;
      where = within.where('f.area_level', 'f.area_id');
    }
    const rows = await this.em.execute<(FacilityRow & { total: number })[]>(
      `${cte} select ${FACILITY_COLUMNS}, count(*) over ()::int as total from facility f where ${where}
       order by f.active desc, coalesce(f.names->>?, f.name), f.id limit ? offset ?`,
      [...params, this.lng, filter.size, (filter.page - 1) * filter.size],
    );
    return { items: rows.map((row) => this.facilityView(row)), total: rows[0]?.total ?? 0 };
  }

  async facility(id: number): Promise<AdminFacility> {
    const [row] = await this.em.execute<FacilityRow[]>(`select ${FACILITY_COLUMNS} from facility f where f.id = ?`, [id]);
    if (!row) throw new NotFoundError(`no facility ${id}`);
    await assertInScope(this.ctx, this.scope, facilityScope(id));
    return this.facilityView(row);
  }

  async createFacility(input: FacilityInput): Promise<number> {
    const area = await this.checkFacility(input);
    const values = this.facilityValues(input);
    for (let attempt = 0; ; attempt++) {
      try {
        return await inTransaction(this.em, async (em) => {
          const [row] = await em.execute<{ id: number }[]>(
            `insert into facility (id, name, names, address, addresses, area_level, area_id, postal_code, latitude, longitude,
             opens_at, closes_at, fee_type, fees, active)
           select coalesce(max(id), 0) + 1, ?, ?::jsonb, ?, null, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, true from facility
           returning id`,
            [values.name, values.names, values.address, area.level, area.id, ...values.rest],
          );
          this.audit('admin.facility-created', 'facility', String(row.id), { area: areaKey(area) });
          return row.id;
        });
      } catch (error) {
        // Two administrators adding a centre at the same moment: the second takes the next id.
        if (!(error instanceof UniqueConstraintViolationException) || attempt >= 2) throw error;
      }
    }
  }

  async updateFacility(id: number, input: FacilityInput): Promise<void> {
    await this.facility(id);
    const area = await this.checkFacility(input);
    const values = this.facilityValues(input);
    await inTransaction(this.em, async (em) => {
      await em.execute(
        `update facility set name = ?, names = ?::jsonb, address = ?, area_level = ?, area_id = ?, postal_code = ?,
           latitude = ?, longitude = ?, opens_at = ?, closes_at = ?, fee_type = ?, fees = ?::jsonb where id = ?`,
        [values.name, values.names, values.address, area.level, area.id, ...values.rest, id],
      );
      this.audit('admin.facility-updated', 'facility', String(id), { area: areaKey(area) });
    });
  }

  /** Closes a centre: it no longer appears in searches or session forms; its records stay. */
  async deactivateFacility(id: number): Promise<void> {
    await this.facility(id);
    await inTransaction(this.em, async (em) => {
      await em.execute('update facility set active = false where id = ?', [id]);
      this.audit('admin.facility-deactivated', 'facility', String(id));
    });
  }

  private async checkFacility(input: FacilityInput): Promise<AreaRef> {
    this.checkLanguages(input.names);
    const [level, id] = input.area.split(':');
    const area = { level, id: Number(id) };
    const exists = (await this.em.execute('select 1 from area where level = ? and id = ?', [area.level, area.id])).length > 0;
    if (!exists || !(await inScope(this.ctx, this.scope, areaScope(area))))
      throw new ValidationError('area outside scope', [{ path: '/area', code: 'choice' }]);
    const problems: { path: string; code: string }[] = [];
    const pattern = this.config.areas.postalCode?.pattern;
    if (input.postalCode && pattern && !new RegExp(pattern).test(input.postalCode)) problems.push({ path: '/postalCode', code: 'format' });
    if (input.opensAt >= input.closesAt) problems.push({ path: '/closesAt', code: 'range' });
    const fees = Object.entries(input.fees);
    if (input.feeType === 'paid' && fees.length === 0) problems.push({ path: '/fees', code: 'required' });
    const digits = currencyDigits(this.config.currency);
    const amount = new RegExp(`^(0|[1-9][0-9]{0,8})${digits > 0 ? `\\.[0-9]{${digits}}` : ''}$`);
    for (const [vaccine, fee] of fees) {
      if (!this.config.vaccines.some((v) => v.code === vaccine)) problems.push({ path: '/fees', code: 'choice' });
      else if (!amount.test(fee)) problems.push({ path: `/fees/${vaccine}`, code: 'format' });
    }
    if (problems.length > 0) throw new ValidationError('facility not valid', problems);
    return area;
  }

  private facilityValues(input: FacilityInput) {
    return {
      name: input.name,
      names: nonEmpty(input.names),
      address: input.address ?? null,
      rest: [
        input.postalCode ?? null,
        input.latitude,
        input.longitude,
        input.opensAt,
        input.closesAt,
        input.feeType,
        input.feeType === 'paid' ? nonEmpty(input.fees) : null,
      ],
    };
  }

  /** Names only in the tenant's other languages (the default language's is `name`). */
  private checkLanguages(names: Record<string, string>): void {
    const { enabled, default: first } = this.config.languages;
    const wrong = Object.keys(names).filter((lng) => lng === first || !enabled.includes(lng));
    if (wrong.length > 0)
      throw new ValidationError(
        'names in unknown languages',
        wrong.map((lng) => ({ path: `/names/${lng}`, code: 'choice' })),
      );
  }

  private facilityView(row: FacilityRow): AdminFacility {
    return {
      id: row.id,
      name: row.names?.[this.lng] ?? row.name,
      defaultName: row.name,
      names: row.names ?? {},
      address: row.address,
      area: `${row.area_level}:${row.area_id}`,
      postalCode: row.postal_code,
      latitude: row.latitude,
      longitude: row.longitude,
      opensAt: row.opens_at,
      closesAt: row.closes_at,
      feeType: row.fee_type,
      fees: row.fees ?? {},
      active: row.active,
    };
  }

  private audit(action: string, targetType: string, targetId: string, details?: Record<string, unknown>): void {
    tenantScope(this.ctx)
      .container.resolve(AuditLog)
      .record({ actorType: 'staff', actorId: this.scope.actor.user.id, action, targetType, targetId, details });
  }
}

interface FacilityRow {
  id: number;
  name: string;
  names: Record<string, string> | null;
  address: string | null;
  area_level: string;
  area_id: number;
  postal_code: string | null;
  latitude: number;
  longitude: number;
  opens_at: string;
  closes_at: string;
  fee_type: 'free' | 'paid';
  fees: Record<string, string> | null;
  active: boolean;
}

const FACILITY_COLUMNS = `f.id, f.name, f.names, f.address, f.area_level, f.area_id, f.postal_code, f.latitude::float8 as latitude,
  f.longitude::float8 as longitude, f.opens_at, f.closes_at, f.fee_type, f.fees, f.active`;

const nonEmpty = (value: Record<string, string>) => (Object.keys(value).length > 0 ? JSON.stringify(value) : null);

import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { Area } from './area.entity.js';
import type { FeeType } from './facility.entity.js';

export interface FacilityView {
  id: number;
  name: string;
  address: string | null;
  area: { level: string; id: number };
  postalCode: string | null;
  latitude: number;
  longitude: number;
  hours: { from: string; to: string };
  feeType: FeeType;
  /** Vaccine code → amount in `currency`, as a decimal string; empty for free centres. */
  fees: Record<string, string>;
  currency: string;
  /** Only in a search near a point: kilometres from it, to 10 m. */
  distanceKm?: number;
}

/** The largest radius of a near-me search, and the default. */
export const MAX_RADIUS_KM = 50;
export const DEFAULT_RADIUS_KM = 10;
/** Mean Earth radius (IUGG), in km. */
const EARTH_KM = 6371.0088;

interface Row {
  id: number;
  name: string;
  names: Record<string, string> | null;
  address: string | null;
  addresses: Record<string, string> | null;
  area_level: string;
  area_id: number;
  postal_code: string | null;
  latitude: number;
  longitude: number;
  opens_at: string;
  closes_at: string;
  fee_type: FeeType;
  fees: Record<string, string> | null;
  distance_km?: number;
}

const COLUMNS = `f.id, f.name, f.names, f.address, f.addresses, f.area_level, f.area_id, f.postal_code,
  f.latitude::float8 as latitude, f.longitude::float8 as longitude, f.opens_at, f.closes_at, f.fee_type, f.fees`;

/** The tenant's active vaccination centres, named in the request's language where a name exists. */
@injectable()
export class FacilityService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly config: TenantConfig,
    @inject(TOKENS.Language) private readonly lng: string,
  ) {}

  /** Centres in an area or any area below it (a state finds its districts' centres). */
  async inArea(level: string, id: number): Promise<FacilityView[]> {
    if (!this.config.areas.levels.includes(level))
      throw new ValidationError(`unknown area level ${level}`, [{ path: '/area', code: 'choice' }]);
    if (!(await this.em.findOne(Area, { level, id }))) throw new NotFoundError(`no ${level} ${id}`);
    const rows = await this.em.execute<Row[]>(
      `with recursive within_area (level, id) as (
         select level, id from area where level = ? and id = ?
         union all
         select a.level, a.id from area a join within_area w on a.parent_level = w.level and a.parent_id = w.id)
       select ${COLUMNS} from facility f join within_area w on f.area_level = w.level and f.area_id = w.id
       where f.active`,
      [level, id],
    );
    return this.byName(rows);
  }

  async withPostalCode(postalCode: string): Promise<FacilityView[]> {
    const pattern = this.config.areas.postalCode?.pattern;
    if (pattern && !new RegExp(pattern).test(postalCode)) {
      throw new ValidationError('not a postal code of this country', [{ path: '/postalCode', code: 'format' }]);
    }
    const rows = await this.em.execute<Row[]>(`select ${COLUMNS} from facility f where f.active and f.postal_code = ?`, [postalCode]);
    return this.byName(rows);
  }

  /**
   * Centres within `radiusKm` of a point, nearest first. The bounding box around the point is a
   * range on the (latitude, longitude) index; the exact great-circle (haversine) distance is then
   * computed only for the rows inside it, orders them, and drops the box's corners. Near a pole, or
   * where the box would cross the antimeridian, the longitude bound is left out: slower, still right.
   */
  async near(latitude: number, longitude: number, radiusKm: number): Promise<FacilityView[]> {
    if (latitude < -90 || latitude > 90) throw new ValidationError('latitude out of range', [{ path: '/lat', code: 'range' }]);
    if (longitude < -180 || longitude > 180) throw new ValidationError('longitude out of range', [{ path: '/long', code: 'range' }]);
    if (!(radiusKm > 0 && radiusKm <= MAX_RADIUS_KM)) {
      throw new ValidationError(`radius must be more than 0 and at most ${MAX_RADIUS_KM} km`, [{ path: '/radiusKm', code: 'range' }]);
    }
    const angle = radiusKm / EARTH_KM;
    const degrees = (radians: number) => (radians * 180) / Math.PI;
    const dLat = degrees(angle);
    const box: string[] = ['f.latitude between ? and ?'];
    const params: number[] = [latitude - dLat, latitude + dLat];
    if (latitude + dLat < 90 && latitude - dLat > -90) {
      const dLong = degrees(Math.asin(Math.sin(angle) / Math.cos((latitude * Math.PI) / 180)));
      if (longitude - dLong >= -180 && longitude + dLong <= 180) {
        box.push('f.longitude between ? and ?');
        params.push(longitude - dLong, longitude + dLong);
      }
    }
    const rows = await this.em.execute<Row[]>(
      `select * from (
         select ${COLUMNS}, 2 * ${EARTH_KM} * asin(least(1, sqrt(
             power(sin(radians(f.latitude::float8 - ?::float8) / 2), 2)
             + cos(radians(?::float8)) * cos(radians(f.latitude::float8))
               * power(sin(radians(f.longitude::float8 - ?::float8) / 2), 2)))) as distance_km
         from facility f
         where f.active and ${box.join(' and ')}) near
       where distance_km <= ?
       order by distance_km, id`,
      [latitude, latitude, longitude, ...params, radiusKm],
    );
    return rows.map((row) => this.view(row));
  }

  async get(id: number): Promise<FacilityView> {
    const [row] = await this.em.execute<Row[]>(`select ${COLUMNS} from facility f where f.active and f.id = ?`, [id]);
    if (!row) throw new NotFoundError(`no facility ${id}`);
    return this.view(row);
  }

  private byName(rows: Row[]): FacilityView[] {
    const collator = new Intl.Collator(this.lng);
    return rows.map((row) => this.view(row)).sort((a, b) => collator.compare(a.name, b.name) || a.id - b.id);
  }

  private view(row: Row): FacilityView {
    return {
      id: row.id,
      name: row.names?.[this.lng] ?? row.name,
      address: row.addresses?.[this.lng] ?? row.address,
      area: { level: row.area_level, id: row.area_id },
      postalCode: row.postal_code,
      latitude: row.latitude,
      longitude: row.longitude,
      hours: { from: row.opens_at, to: row.closes_at },
      feeType: row.fee_type,
      fees: row.fees ?? {},
      currency: this.config.currency,
      ...(row.distance_km === undefined ? {} : { distanceKm: Math.round(row.distance_km * 100) / 100 }),
    };
  }
}

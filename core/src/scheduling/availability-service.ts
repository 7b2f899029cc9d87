import type { EntityManager } from '@mikro-orm/postgresql';
import { delay, inject, injectable } from 'tsyringe';
import { type Fresh, FreshCache } from '../kernel/cache/fresh-cache.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { addDays } from '../vaccination/dose-schedule.js';
import { type CentreAvailability, centresOf, entryFor, MAX_CALENDAR_DAYS, requireFound, type Target } from './availability-cache.js';
import { DEFAULT_RADIUS_KM, FacilityService, type FacilityView } from './facility-service.js';
import { SessionService } from './session-service.js';

export type { CentreAvailability };
export { MAX_CALENDAR_DAYS };

/** Near-me searches (a point is not a shared target): cached per rounded point and calendar. */
const NEAR_ENTRIES = 2_000;
/** Keyed by the tenant's config object: one cache per tenant, gone with the tenant. */
const nearCaches = new WeakMap<TenantConfig, FreshCache>();

/**
 * Where a person can get vaccinated in the coming days: centres found by area, postal code,
 * distance or id, each with its sessions and free places over a calendar window. Answers come
 * from entries kept `scheduling.availabilityCacheSeconds` (availability-cache.ts: free places are
 * then at most that old; a booking itself always checks the live counters). Pages, the native API
 * and the Co-WIN-compatible API all read through here.
 */
@injectable()
export class AvailabilityService {
  constructor(
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Language) private readonly lng: string,
    // Cached answers need no EntityManager: the request's fork is only made for a read.
    @inject(TOKENS.LazyEntityManager) private readonly em: () => EntityManager,
    // Only near-me searches need these: resolved on first use, not on every cached answer.
    @inject(delay(() => FacilityService)) private readonly facilities: FacilityService,
    @inject(delay(() => SessionService)) private readonly sessions: SessionService,
  ) {}

  async byArea(level: string, areaId: number, from: string, days = 7): Promise<CentreAvailability[]> {
    return (await this.fresh.byArea(level, areaId, from, days)).value;
  }

  async byPostalCode(postalCode: string, from: string, days = 7): Promise<CentreAvailability[]> {
    return (await this.fresh.byPostalCode(postalCode, from, days)).value;
  }

  async near(lat: number, lon: number, radiusKm: number | undefined, from: string, days = 7): Promise<CentreAvailability[]> {
    return (await this.fresh.near(lat, lon, radiusKm, from, days)).value;
  }

  async byCentre(facilityId: number, from: string, days = 7): Promise<CentreAvailability | undefined> {
    return (await this.fresh.byCentre(facilityId, from, days)).value;
  }

  /**
   * The same searches with the moment each answer's data was read, for HTTP freshness headers,
   * and its `source`: answers with the same source (and arguments) are equal, so their bytes can be kept.
   */
  readonly fresh = {
    byArea: (level: string, areaId: number, from: string, days = 7) =>
      searchEntry(this.em, this.tenant, this.lng, areaTarget(this.tenant, level, areaId), from, days),
    byPostalCode: (postalCode: string, from: string, days = 7) =>
      searchEntry(this.em, this.tenant, this.lng, postalTarget(this.tenant, postalCode), from, days),
    near: (lat: number, lon: number, radiusKm: number | undefined, from: string, days = 7): Promise<Fresh<CentreAvailability[]>> => {
      const radius = radiusKm ?? DEFAULT_RADIUS_KM;
      const compute = async () => this.withSessions(await this.facilities.near(lat, lon, radius), from, days);
      const seconds = this.tenant.scheduling.availabilityCacheSeconds;
      if (seconds <= 0) return compute().then((value) => ({ value, computedAt: Date.now() }));
      let cache = nearCaches.get(this.tenant);
      if (!cache) {
        cache = new FreshCache(NEAR_ENTRIES);
        nearCaches.set(this.tenant, cache);
      }
      // Rounded to ~100 m for the key only, so that people standing near each other share an answer.
      const key = `${this.lng}|${lat.toFixed(3)}|${lon.toFixed(3)}|${radius}|${from}|${days}`;
      return cache.get(key, seconds * 1000, compute);
    },
    byCentre: async (facilityId: number, from: string, days = 7): Promise<Fresh<CentreAvailability | undefined>> => {
      const answer = await searchEntry(this.em, this.tenant, this.lng, { kind: 'centre', id: facilityId }, from, days);
      return { ...answer, value: answer.value[0] };
    },
  };

  private async withSessions(facilities: FacilityView[], from: string, days: number): Promise<CentreAvailability[]> {
    const sessions = await this.sessions.between(
      facilities.map((f) => f.id),
      from,
      addDays(from, span(days) - 1),
    );
    const byFacility = Map.groupBy(sessions, (s) => s.facilityId);
    return facilities.map((facility) => ({ facility, sessions: byFacility.get(facility.id) ?? [] }));
  }
}

/** A search of an area, refused when the tenant has no such level. */
export function areaTarget(tenant: TenantConfig, level: string, id: number): Target {
  if (!tenant.areas.levels.includes(level)) throw new ValidationError(`unknown area level ${level}`, [{ path: '/area', code: 'choice' }]);
  return { kind: 'area', level, id };
}

/** A search of a postal code, refused when it does not have the country's pattern. */
export function postalTarget(tenant: TenantConfig, code: string): Target {
  const pattern = tenant.areas.postalCode?.pattern;
  if (pattern && !postalPattern(pattern).test(code)) {
    throw new ValidationError('not a postal code of this country', [{ path: '/postalCode', code: 'format' }]);
  }
  return { kind: 'postal', code };
}

/**
 * Centres and sessions cut from the target's entry for this calendar, in `lng`: what
 * AvailabilityService answers, as a plain function for routes that need nothing else from a
 * request's DI scope (Co-WIN's public searches: a cached answer then makes no container). `em`
 * is called only for a read.
 */
export async function searchEntry(
  em: () => EntityManager,
  tenant: TenantConfig,
  lng: string,
  target: Target,
  from: string,
  days: number,
): Promise<Fresh<CentreAvailability[]>> {
  const to = addDays(from, span(days) - 1);
  const entry = await entryFor(em, tenant, target, from, to);
  requireFound(entry, target);
  return { value: centresOf(entry, tenant, lng, from, to), computedAt: entry.computedAt, source: entry.centres };
}

/** 1 to MAX_CALENDAR_DAYS days. */
const span = (days: number) => Math.min(Math.max(days, 1), MAX_CALENDAR_DAYS);

/** Compiled once per pattern, not per search. */
const patterns = new Map<string, RegExp>();
function postalPattern(source: string): RegExp {
  let found = patterns.get(source);
  if (!found) {
    found = new RegExp(source);
    patterns.set(source, found);
  }
  return found;
}

export type { Fresh };

import { inject, injectable } from 'tsyringe';
import { type Fresh, FreshCache } from '../kernel/cache/fresh-cache.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { addDays } from '../vaccination/dose-schedule.js';
import { DEFAULT_RADIUS_KM, FacilityService, type FacilityView } from './facility-service.js';
import { SessionService, type SessionView } from './session-service.js';

export interface CentreAvailability {
  facility: FacilityView;
  /** Ascending by date. */
  sessions: SessionView[];
}

/** The longest calendar one search returns. */
export const MAX_CALENDAR_DAYS = 14;
const CACHE_ENTRIES = 5_000;

/** Keyed by the tenant's config object: one cache per tenant, gone with the tenant. */
const caches = new WeakMap<TenantConfig, FreshCache>();

/**
 * Where a person can get vaccinated in the coming days: centres found by area, postal code,
 * distance or id, each with its sessions and free places over a calendar window. Answers are
 * cached per tenant for `scheduling.availabilityCacheSeconds` (free places are then at most that
 * old; a booking itself always checks the live counters). Pages, the native API and the
 * Co-WIN-compatible API all read through here.
 */
@injectable()
export class AvailabilityService {
  constructor(
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Language) private readonly lng: string,
    @inject(FacilityService) private readonly facilities: FacilityService,
    @inject(SessionService) private readonly sessions: SessionService,
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

  /** The same searches with the moment each answer was computed, for HTTP freshness headers. */
  readonly fresh = {
    byArea: (level: string, areaId: number, from: string, days = 7) =>
      this.cached(`area|${level}|${areaId}|${from}|${days}`, async () =>
        this.withSessions(await this.facilities.inArea(level, areaId), from, days),
      ),
    byPostalCode: (postalCode: string, from: string, days = 7) =>
      this.cached(`postal|${postalCode}|${from}|${days}`, async () =>
        this.withSessions(await this.facilities.withPostalCode(postalCode), from, days),
      ),
    near: (lat: number, lon: number, radiusKm: number | undefined, from: string, days = 7) => {
      const radius = radiusKm ?? DEFAULT_RADIUS_KM;
      // Rounded to ~100 m for the key only, so that people standing near each other share an answer.
      return this.cached(`near|${lat.toFixed(3)}|${lon.toFixed(3)}|${radius}|${from}|${days}`, async () =>
        this.withSessions(await this.facilities.near(lat, lon, radius), from, days),
      );
    },
    byCentre: (facilityId: number, from: string, days = 7) =>
      this.cached(`centre|${facilityId}|${from}|${days}`, async () => {
        let facility: FacilityView;
        try {
          facility = await this.facilities.get(facilityId);
        } catch (error) {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        }
        return (await this.withSessions([facility], from, days))[0];
      }),
  };

  private async withSessions(facilities: FacilityView[], from: string, days: number): Promise<CentreAvailability[]> {
    const span = Math.min(Math.max(days, 1), MAX_CALENDAR_DAYS);
    const sessions = await this.sessions.between(
      facilities.map((f) => f.id),
      from,
      addDays(from, span - 1),
    );
    const byFacility = Map.groupBy(sessions, (s) => s.facilityId);
    return facilities.map((facility) => ({ facility, sessions: byFacility.get(facility.id) ?? [] }));
  }

  private cached<T>(key: string, compute: () => Promise<T>): Promise<Fresh<T>> {
    const seconds = this.tenant.scheduling.availabilityCacheSeconds;
    if (seconds === 0) return compute().then((value) => ({ value, computedAt: Date.now() }));
    let cache = caches.get(this.tenant);
    if (!cache) {
      cache = new FreshCache(CACHE_ENTRIES);
      caches.set(this.tenant, cache);
    }
    // Names and addresses come in the request's language: part of the key.
    return cache.get(`${this.lng}|${key}`, seconds * 1000, compute);
  }
}

export type { Fresh };

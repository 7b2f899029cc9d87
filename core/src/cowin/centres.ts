import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { FreshCache } from '../kernel/cache/fresh-cache.js';
import { concatBytes, type JoinedTexts, keptBytes } from '../kernel/cache/joined-texts.js';
import { keptIn } from '../kernel/cache/kept-in.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { sessionsSlice } from '../scheduling/availability-cache.js';
import type { CentreAvailability } from '../scheduling/availability-service.js';
import type { FacilityView } from '../scheduling/facility-service.js';
import type { SessionView } from '../scheduling/session-service.js';

/**
 * Co-WIN's shapes, as production served them (field names, order and types are what clients
 * parse: see shared/reference/cowin-api.md). Everything here is a projection of the native
 * services' answers; nothing is computed twice.
 */

/** The names an area has: the one Co-WIN calls English and the request's translation. */
interface AreaNames {
  level: string;
  parent: { level: string; id: number } | null;
  english: string;
  localised: string;
}

/** The tenant's areas by `level:id`, with English and localised names, for naming a centre's state, district and block. */
export type AreaIndex = Map<string, AreaNames>;

interface AreaRow {
  level: string;
  id: number;
  parent_level: string | null;
  parent_id: number | null;
  name: string;
  names: Record<string, string> | null;
}

function areaRows(em: EntityManager): Promise<AreaRow[]> {
  return em.execute<AreaRow[]>('select level, id, parent_level, parent_id, name, names from area order by level, id');
}

function indexOf(rows: AreaRow[], lng: string | undefined): AreaIndex {
  return new Map(
    rows.map((row) => [
      `${row.level}:${row.id}`,
      {
        level: row.level,
        parent: row.parent_level != null && row.parent_id != null ? { level: row.parent_level, id: row.parent_id } : null,
        english: row.names?.en ?? row.name,
        localised: (lng && row.names?.[lng]) || row.name,
      },
    ]),
  );
}

export async function areaIndex(em: EntityManager, lng: string | undefined): Promise<AreaIndex> {
  return indexOf(await areaRows(em), lng);
}

/** Keyed by the tenant's config object: gone with the tenant. */
const areaIndexes = new WeakMap<TenantConfig, { cache: FreshCache; last: Map<string, { digest: string; index: AreaIndex }> }>();

/**
 * The area index, read once per `scheduling.availabilityCacheSeconds` and language rather than on
 * every search: area names change only with the seeds, and answers are that old anyway. A read
 * that finds the same areas answers the same index object, so what is kept per index (centres'
 * JSON texts, answers built with it) lives on until an area changes. `em` is called only for a read.
 */
export async function cachedAreaIndex(em: () => EntityManager, tenant: TenantConfig, lng: string | undefined): Promise<AreaIndex> {
  const seconds = tenant.scheduling.availabilityCacheSeconds;
  if (seconds <= 0) return areaIndex(em(), lng);
  let kept = areaIndexes.get(tenant);
  if (!kept) {
    // One per language at most: the tenant's languages, and none (English only).
    kept = { cache: new FreshCache(tenant.languages.enabled.length + 1), last: new Map() };
    areaIndexes.set(tenant, kept);
  }
  const { cache, last } = kept;
  const language = lng ?? '';
  const read = async () => {
    const rows = await areaRows(em());
    const digest = createHash('sha256').update(JSON.stringify(rows)).digest('base64');
    const known = last.get(language);
    if (known?.digest === digest) return known.index;
    const index = indexOf(rows, lng);
    last.set(language, { digest, index });
    return index;
  };
  return (await cache.get(language, seconds * 1000, read)).value;
}

/** The centre's area and every area above it, by level. */
function ancestry(index: AreaIndex, area: { level: string; id: number }): Map<string, AreaNames> {
  const found = new Map<string, AreaNames>();
  let at: { level: string; id: number } | null = area;
  for (let depth = 0; at && depth < 10; depth++) {
    const names = index.get(`${at.level}:${at.id}`);
    if (!names) break;
    found.set(names.level, names);
    at = names.parent;
  }
  return found;
}

/** DD-MM-YYYY, Co-WIN's dates, from and to ISO dates. */
export const cowinDate = (iso: string): string => `${iso.slice(8, 10)}-${iso.slice(5, 7)}-${iso.slice(0, 4)}`;

export function isoFromCowin(text: string): string | undefined {
  const match = /^(\d{2})-(\d{2})-(\d{4})$/.exec(text);
  if (!match) return undefined;
  const iso = `${match[3]}-${match[2]}-${match[1]}`;
  const time = Date.parse(`${iso}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** Digits of a postal code as Co-WIN's integer `pincode` (0 where a country's codes have letters). */
function pincode(postalCode: string | null): number {
  return postalCode && /^\d+$/.test(postalCode) ? Number(postalCode) : 0;
}

export interface Projection {
  tenant: TenantConfig;
  areas: AreaIndex;
  /** The same centres named in the request's language, when `Accept-Language` was sent: the `*_l` fields. */
  localised?: Map<number, FacilityView>;
}

/** The centre fields every session and calendar response starts with, in Co-WIN's order. */
export function centreFields(facility: FacilityView, projection: Projection): Record<string, unknown> {
  const { levels } = projection.tenant.areas;
  const above = ancestry(projection.areas, facility.area);
  const [state, district, block] = [levels[0], levels[1], levels[2]].map((level) => (level ? above.get(level) : undefined));
  const fields: Record<string, unknown> = {
    center_id: facility.id,
    name: facility.name,
    address: facility.address ?? '',
    state_name: state?.english ?? '',
    district_name: district?.english ?? '',
    block_name: block?.english ?? '',
    pincode: pincode(facility.postalCode),
    lat: Math.trunc(facility.latitude),
    long: Math.trunc(facility.longitude),
    from: `${facility.hours.from}:00`,
    to: `${facility.hours.to}:00`,
    fee_type: facility.feeType === 'paid' ? 'Paid' : 'Free',
  };
  const local = projection.localised?.get(facility.id);
  if (local) {
    Object.assign(fields, {
      name_l: local.name,
      address_l: local.address ?? '',
      state_name_l: state?.localised ?? '',
      district_name_l: district?.localised ?? '',
      block_name_l: block?.localised ?? '',
    });
  }
  return fields;
}

/** Vaccines are named as the tenant's file names them, upper case as Co-WIN wrote them. */
function vaccineName(tenant: TenantConfig, code: string): string {
  return (tenant.vaccines.find((v) => v.code === code)?.name ?? code).toUpperCase();
}

/** A fee as Co-WIN wrote it: a string of the amount without decimals when whole ("780"). */
function fee(facility: FacilityView, vaccine: string): string {
  const amount = facility.fees[vaccine];
  if (amount === undefined) return '0';
  const value = Number(amount);
  return Number.isInteger(value) ? String(value) : amount;
}

/** A session as calendar responses carry it. */
export function sessionFields(session: SessionView, tenant: TenantConfig): Record<string, unknown> {
  const available = (dose: number) => session.doses.find((d) => d.dose === dose)?.available ?? 0;
  const fields: Record<string, unknown> = {
    session_id: session.id,
    date: cowinDate(session.date),
    available_capacity: session.doses.reduce((sum, d) => sum + d.available, 0),
    min_age_limit: session.minAge,
  };
  if (session.maxAge != null) fields.max_age_limit = session.maxAge;
  Object.assign(fields, {
    allow_all_age: session.maxAge == null && session.minAge <= 18,
    vaccine: vaccineName(tenant, session.vaccine),
    slots: session.slots.map((slot) => slot.label),
    available_capacity_dose1: available(1),
    available_capacity_dose2: available(2),
  });
  return fields;
}

/**
 * Answers are joined from JSON texts kept per object of the availability entry they come from
 * (entries are immutable, see AvailabilityEntry): a centre's fields and a session's are written
 * once per entry, not once per search. Serialising whole answers was about a third of a cached
 * search's server CPU (calendars over a district repeat the same sessions search after search).
 * Held weakly: the texts go with the entry's objects.
 */
const NO_TRANSLATION = {};
const centreTexts = new WeakMap<AreaIndex, WeakMap<FacilityView, WeakMap<object, string>>>();
const sessionTexts = new WeakMap<SessionView, string>();
const rowTexts = new WeakMap<SessionView, string>();

/** centreFields as JSON text without its braces, so that more fields can follow it. */
function centreText(facility: FacilityView, projection: Projection): string {
  const byFacility = keptIn(centreTexts, projection.areas, () => new WeakMap<FacilityView, WeakMap<object, string>>());
  const byTranslation = keptIn(byFacility, facility, () => new WeakMap<object, string>());
  const translation = projection.localised?.get(facility.id) ?? NO_TRANSLATION;
  return keptIn(byTranslation, translation, () => JSON.stringify(centreFields(facility, projection)).slice(1, -1));
}

/** A session's calendar text, kept per session: for calendars not cut from an entry as they are (vaccine-filtered). */
const sessionText = (session: SessionView, tenant: TenantConfig): string =>
  keptIn(sessionTexts, session, () => JSON.stringify(sessionFields(session, tenant)));

/** Calendar texts of all an entry's sessions of a centre, joined: a calendar is one slice of them. */
const sessionRuns = new WeakMap<readonly SessionView[], JoinedTexts>();

function calendarSessions(centre: CentreAvailability, tenant: TenantConfig): Buffer | string {
  return (
    sessionsSlice(centre, sessionRuns, (session) => JSON.stringify(sessionFields(session, tenant))) ??
    centre.sessions.map((session) => sessionText(session, tenant)).join(',')
  );
}

/** `{<centre fields>,"sessions":[` as bytes, kept like centreText. */
const calendarHeads = new WeakMap<AreaIndex, WeakMap<FacilityView, WeakMap<object, Buffer>>>();
function calendarHead(facility: FacilityView, projection: Projection): Buffer {
  const byFacility = keptIn(calendarHeads, projection.areas, () => new WeakMap<FacilityView, WeakMap<object, Buffer>>());
  const byTranslation = keptIn(byFacility, facility, () => new WeakMap<object, Buffer>());
  const translation = projection.localised?.get(facility.id) ?? NO_TRANSLATION;
  return keptIn(byTranslation, translation, () => keptBytes(`{${centreText(facility, projection)},"sessions":[`));
}

/** One centre of a calendarBy* answer: its fields, its sessions in the window and, if paid, its fees. */
function calendarCentre(centre: CentreAvailability, projection: Projection, parts: (Buffer | string)[]): void {
  const { facility } = centre;
  parts.push(calendarHead(facility, projection), calendarSessions(centre, projection.tenant));
  if (facility.feeType === 'paid') {
    const vaccines = [...new Set(centre.sessions.map((s) => s.vaccine)), ...Object.keys(facility.fees)];
    const fees = [...new Set(vaccines)].map((code) => ({ vaccine: vaccineName(projection.tenant, code), fee: fee(facility, code) }));
    parts.push(`],"vaccine_fees":${JSON.stringify(fees)}}`);
  } else parts.push(CLOSE_CENTRE);
}
const CLOSE_CENTRE = Buffer.from(']}');

/**
 * calendarBy* answers: the centres that have sessions in the window, `{"centers":[…]}`, or, with
 * `one` (calendarByCenter), the first of them alone, `{"centers":{…}}` (`{}` for none).
 */
export function calendarBytes(centres: CentreAvailability[], projection: Projection, one = false): Buffer {
  const withSessions = centres.filter((centre) => centre.sessions.length > 0);
  const parts: (Buffer | string)[] = [one ? '{"centers":' : '{"centers":['];
  if (one) {
    if (withSessions[0]) calendarCentre(withSessions[0], projection, parts);
    else parts.push('{}');
  } else {
    withSessions.forEach((centre, i) => {
      if (i > 0) parts.push(',');
      calendarCentre(centre, projection, parts);
    });
  }
  parts.push(one ? '}' : ']}');
  return concatBytes(parts);
}

/** findBy*: one flat row per session, the centre fields then the session's, as a JSON array. */
export function sessionRowsText(centres: CentreAvailability[], projection: Projection): string {
  const rows = centres.flatMap((centre) =>
    centre.sessions.map((session) => {
      const sessionPart = keptIn(rowTexts, session, () => {
        const { session_id, date, available_capacity, available_capacity_dose1, available_capacity_dose2, ...rest } = sessionFields(
          session,
          projection.tenant,
        );
        const fields = {
          session_id,
          date,
          available_capacity,
          available_capacity_dose1,
          available_capacity_dose2,
          fee: fee(centre.facility, session.vaccine),
          ...rest,
        };
        return JSON.stringify(fields).slice(1, -1);
      });
      return `{${centreText(centre.facility, projection)},${sessionPart}}`;
    }),
  );
  return `[${rows.join(',')}]`;
}

/** findByLatLong: the centre only, with Co-WIN's string pincode and 8-decimal string coordinates. */
export function nearbyCentre(facility: FacilityView, projection: Projection): Record<string, unknown> {
  const { levels } = projection.tenant.areas;
  const above = ancestry(projection.areas, facility.area);
  const name = (level: string | undefined) => (level ? (above.get(level)?.english ?? '') : '');
  const fields: Record<string, unknown> = {
    center_id: facility.id,
    name: facility.name,
    district_name: name(levels[1]),
    state_name: name(levels[0]),
    location: facility.address ?? '',
    pincode: facility.postalCode ?? '',
    block_name: name(levels[2]),
    lat: facility.latitude.toFixed(8),
    long: facility.longitude.toFixed(8),
  };
  const local = projection.localised?.get(facility.id);
  if (local) {
    const localName = (level: string | undefined) => (level ? (above.get(level)?.localised ?? '') : '');
    Object.assign(fields, {
      name_l: local.name,
      district_name_l: localName(levels[1]),
      state_name_l: localName(levels[0]),
      location_l: local.address ?? '',
      block_name_l: localName(levels[2]),
    });
  }
  return fields;
}

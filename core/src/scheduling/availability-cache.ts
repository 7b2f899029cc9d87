import type { EntityManager } from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';
import { availabilityCacheBudget } from '../kernel/cache/cache-budget.js';
import { cacheLookups } from '../kernel/cache/cache-metrics.js';
import { isRunOf, JoinedTexts } from '../kernel/cache/joined-texts.js';
import { keptIn } from '../kernel/cache/kept-in.js';
import { RELAXED_COMMIT, runPrepared } from '../kernel/db/prepared.js';
import { NotFoundError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { addDays } from '../vaccination/dose-schedule.js';
import type { FeeType } from './facility.entity.js';
import type { FacilityView } from './facility-service.js';
import type { SessionView } from './session-service.js';
import { todayIn } from './slots.js';

/**
 * What availability searches are answered from: one entry per search target (an area, a postal
 * code, a centre) holding its centres and every active session of the window the tenant
 * publishes, read in one statement. Any calendar (1 to 14 days from any date in that window)
 * and any language is cut from the same entry, so random days over one district hit the cache
 * after its first search. Entries live `scheduling.availabilityCacheSeconds` (the staleness
 * bound) and the whole cache is bounded by size, process-wide, whatever the number of tenants.
 */

/** The longest calendar one search returns. */
export const MAX_CALENDAR_DAYS = 14;
/**
 * The window an entry holds, from the tenant's today: any calendar of up to MAX_CALENDAR_DAYS that
 * starts in the first MAX_CALENDAR_DAYS days fits in it. Calendars outside it (past days, far
 * ahead) get an entry of their own for exactly their days.
 */
const WINDOW_DAYS = 2 * MAX_CALENDAR_DAYS - 1;
/**
 * An entry takes more room than the JSON text it is parsed from: measured 1.79× for national-scale
 * district entries (V8 objects and strings; doses and slots become objects), plus the per-language
 * centre views, plus the JSON texts answers are joined from, kept per centre and session while the
 * entry lives (cowin/centres.ts, scheduling/session-api.ts): 2.3× once the native and Co-WIN
 * searches have all been asked (bench:availability, 756 districts: 75 MB of texts for 33 MB read).
 */
const ENTRY_OVERHEAD = 4;

/** A centre as the entry keeps it: every language's name, and its sessions ascending by date. */
interface EntryCentre {
  id: number;
  name: string;
  names: Record<string, string> | null;
  address: string | null;
  addresses: Record<string, string> | null;
  areaLevel: string;
  areaId: number;
  postalCode: string | null;
  latitude: number;
  longitude: number;
  opensAt: string;
  closesAt: string;
  feeType: FeeType;
  fees: Record<string, string> | null;
  sessions: SessionView[];
}

export interface CentreAvailability {
  facility: FacilityView;
  /** Ascending by date. */
  sessions: SessionView[];
}

/** Where a centre's sessions were cut from: its entry's list of them (immutable) and the first index. */
interface SessionRun {
  of: readonly SessionView[];
  from: number;
}
/** Beside the centres centresOf answers, not on them: those are the services' answers, serialised as they are. */
const runs = new WeakMap<CentreAvailability, SessionRun>();

/**
 * A centre's sessions as their texts (`text`) joined with commas, when centresOf cut them from an
 * entry: one slice of the texts of the entry's whole list, joined once and kept in `kept` (see
 * JoinedTexts). Undefined for any other centre (a vaccine-filtered copy, say): join those yourself.
 */
export function sessionsSlice(
  centre: CentreAvailability,
  kept: WeakMap<readonly SessionView[], JoinedTexts>,
  text: (session: SessionView) => string,
): Buffer | undefined {
  const run = runs.get(centre);
  if (!run || !isRunOf(centre.sessions, run.of, run.from)) return undefined;
  return keptIn(kept, run.of, () => new JoinedTexts(run.of.map(text))).slice(run.from, run.from + centre.sessions.length);
}

/** A dose counter as the statement sends it: dose number, online capacity, online places free, walk-in places free. */
type DoseRow = [number, number, number, number];
/** A slot as the statement sends it: label, capacity, places free. */
type SlotRow = [string, number, number];

/**
 * An entry: immutable once read, so answers built from one entry are equal (see AnswerBytes). A
 * read that finds exactly what the previous one found renews that entry (a new object with a new
 * `computedAt`) instead of parsing it again: its `centres`, views and the JSON texts kept for its
 * objects carry over, and so do answers kept for it (their source is `centres`). Most districts'
 * availability does not change between two reads 10 s apart; parsing and serialising it again was
 * most of a search's cost (bench:availability, random districts and dates).
 */
export interface AvailabilityEntry {
  /** When the statement was sent (epoch ms): the data is at least this recent. */
  computedAt: number;
  /**
   * Until when this process answers from it (epoch ms): the end of its lifetime when this process
   * read it, a little earlier when it was taken from another process (see `takenUntil`).
   */
  keptUntil: number;
  /** The ISO days the entry holds sessions for. */
  from: string;
  to: string;
  /** Whether the target exists (an unknown area or centre is not an error of the cache). */
  found: boolean;
  centres: EntryCentre[];
  /** Estimated bytes in memory, for the cache's bound. */
  size: number;
  /** Per language, the centres as views, ordered for that language (built on first use). */
  views: Map<string, { facility: FacilityView; sessions: SessionView[] }[]>;
  order: 'name' | 'id';
  /** SHA-256 of the statement's answer (found, then the centres' JSON text): what a renewal compares. */
  digest: string;
}

/**
 * The columns of a centre and its sessions in [from, to], as one JSON object. A session's doses and
 * slots come as arrays of values, not objects (see DoseRow, SlotRow): a district holds hundreds of
 * them, and building their keys was two thirds of a miss's time in PostgreSQL (measured: 6.5 ms a
 * district with objects, about 4.5 with arrays, on 7 centres × 14 sessions).
 */
const SESSIONS_JSON = `coalesce((select json_agg(json_build_object(
    'id', s.id, 'facilityId', s.facility_id, 'date', to_char(s.date, 'YYYY-MM-DD'), 'vaccine', s.vaccine,
    'minAge', s.min_age, 'maxAge', s.max_age, 'state', s.state, 'bookableFrom', s.bookable_from,
    'doses', coalesce((select json_agg(json_build_array(c.dose_number, c.online_capacity,
                                         c.online_capacity - c.online_booked, c.walkin_capacity - c.walkin_used)
                                       order by c.dose_number)
                         from session_capacity c where c.session_id = s.id), '[]'::json),
    'slots', coalesce((select json_agg(json_build_array(l.label, l.capacity, l.capacity - l.booked) order by l.slot_index)
                         from session_slot l where l.session_id = s.id), '[]'::json))
    order by s.date, s.created_at, s.id)
   from vaccination_session s
  where s.facility_id = f.id and s.date between w.first_day and w.last_day and s.state = 'active'), '[]'::json)`;

const CENTRE_JSON = `json_build_object('id', f.id, 'name', f.name, 'names', f.names, 'address', f.address, 'addresses', f.addresses,
    'areaLevel', f.area_level, 'areaId', f.area_id, 'postalCode', f.postal_code, 'latitude', f.latitude::float8,
    'longitude', f.longitude::float8, 'opensAt', f.opens_at, 'closesAt', f.closes_at, 'feeType', f.fee_type, 'fees', f.fees,
    'sessions', ${SESSIONS_JSON})`;

/** What an entry is read for. Each is one statement: whether the target exists, and its centres with their sessions. */
export type Target = { kind: 'area'; level: string; id: number } | { kind: 'postal'; code: string } | { kind: 'centre'; id: number };

/** The target's part of an entry's key: on every search, so it does not build the statement. */
function targetKey(target: Target): string {
  switch (target.kind) {
    case 'area':
      return `area|${target.level}|${target.id}`;
    case 'postal':
      return `postal|${target.code}`;
    case 'centre':
      return `centre|${target.id}`;
  }
}

/**
 * The statement that reads an entry, as its parts: the common table expressions (the window's days
 * first, $1 and $2 as `window_days`, joined as `w`, then the target's own) and the select of
 * `found` and `centres` (the target's parameters from $3). Run prepared (one name per kind of
 * target and use), so a miss is planned once per connection: planning the area statement took about
 * a quarter of a miss.
 */
function statement(target: Target): { ctes: string; entry: string; params: unknown[]; order: 'name' | 'id' } {
  const window = 'window_days (first_day, last_day) as (select $1::date, $2::date)';
  const centres = (from: string) => `coalesce((select json_agg(${CENTRE_JSON} order by f.id) ${from}), '[]'::json)::text as centres`;
  switch (target.kind) {
    case 'area':
      return {
        params: [target.level, target.id],
        order: 'name',
        ctes: `recursive ${window},
              within_area (level, id) as (
                select level, id from area where level = $3 and id = $4::int
                union all
                select a.level, a.id from area a join within_area t on a.parent_level = t.level and a.parent_id = t.id)`,
        entry: `select exists (select 1 from within_area) as found,
                     ${centres(
                       // A lateral subquery kept apart (offset 0) so each area of the target is
                       // looked up in facility_area_idx: planned as a join, the recursive CTE's
                       // estimate (~200 areas for one district) chose a hash join over every
                       // centre of the country (0.7 ms of ~4.6 ms per district, 5,000 centres).
                       `from window_days w, within_area t
                         cross join lateral (select * from facility f where f.area_level = t.level and f.area_id = t.id and f.active offset 0) f`,
                     )}`,
      };
    case 'postal':
      return {
        params: [target.code],
        order: 'name',
        ctes: window,
        entry: `select true as found, ${centres('from window_days w, facility f where f.active and f.postal_code = $3')}`,
      };
    case 'centre':
      return {
        params: [target.id],
        order: 'id',
        ctes: window,
        entry: `select count(*) > 0 as found, coalesce(json_agg(${CENTRE_JSON}), '[]'::json)::text as centres
                from window_days w, facility f where f.active and f.id = $3::int`,
      };
  }
}

/**
 * Part of every shared entry's key: entries written by another version of the platform (a rolling
 * update) are not read if their JSON might differ. Change it whenever CENTRE_JSON changes.
 */
const SHARED_FORMAT = 'v1';
/** Longer keys (a postal code of a country without a pattern, say) are not shared: the column's bound. */
const SHARED_KEY_MAX = 255;

/**
 * What a renewal compares: a digest of the statement's answer, found flag and centres' JSON text.
 * Computed over `entry`, which must be materialized: inlined, the centres' expression would be
 * evaluated twice, once for the text and once for its digest (twice the read's cost, measured).
 */
const DIGEST_SQL = `encode(sha256(convert_to(case when found then 'found' else 'none' end || chr(10) || centres, 'UTF8')), 'base64')`;

/**
 * An entry another app process has read, if one is young enough ($3: the oldest age accepted, in
 * seconds): its age by PostgreSQL's clock (so app machines' clocks need not agree), and its text
 * only when its digest is not the one this process already has ($2).
 */
const SHARED_LOOKUP_SQL = `select (extract(epoch from clock_timestamp() - computed_at) * 1000)::float8 as age_ms, found, digest,
       case when digest = $2::varchar then null else centres end as centres
  from availability_snapshot where key = $1::varchar and computed_at > clock_timestamp() - make_interval(secs => $3::float8)`;

/**
 * The entry read and stored for the other processes in one statement (`key`: its parameter number).
 * The text is stored again only when it changed (an unchanged value keeps its stored copy), and
 * never over a younger one. It commits relaxed (RELAXED_COMMIT): a lost row is read again.
 */
function readAndShare(ctes: string, entry: string, key: number): string {
  return `with ${ctes},
       entry as materialized (${entry}),
       sealed as (select found, centres, ${DIGEST_SQL} as digest from entry),
       stored as (
         insert into availability_snapshot as s (key, computed_at, found, digest, centres)
         select $${key}::varchar, now(), found, digest, centres from sealed
         on conflict (key) do update set computed_at = excluded.computed_at, found = excluded.found, digest = excluded.digest,
           centres = case when s.digest = excluded.digest then s.centres else excluded.centres end
         where s.computed_at < excluded.computed_at)
  select found, centres, digest from sealed where ${RELAXED_COMMIT}`;
}

/** Tenants' config objects numbered, so two platforms with the same tenant code (tests, reloads) never share entries. */
const tenantIds = new WeakMap<TenantConfig, number>();
let lastTenantId = 0;
export function tenantKey(tenant: TenantConfig): string {
  let id = tenantIds.get(tenant);
  if (id === undefined) {
    id = ++lastTenantId;
    tenantIds.set(tenant, id);
  }
  return `${tenant.code}#${id}`;
}

interface Read {
  /** The request's EntityManager, made on the first call: only a read needs it. */
  em: () => EntityManager;
  tenant: TenantConfig;
  target: Target;
  from: string;
  to: string;
  /** The entry this read replaces, if any: renewed when nothing changed. */
  previous?: AvailabilityEntry;
  /** With a lifetime (ms): the entry is shared with the other app processes through PostgreSQL. */
  ttl?: number;
}

let made: LRUCache<string, AvailabilityEntry, Read> | undefined;
/**
 * Entries of all tenants together, bounded by their estimated size (JSON text from PostgreSQL ×
 * ENTRY_OVERHEAD; TEEKA_AVAILABILITY_CACHE_MB), made on first use.
 */
function entries(): LRUCache<string, AvailabilityEntry, Read> {
  made ??= new LRUCache<string, AvailabilityEntry, Read>({
    maxSize: availabilityCacheBudget().entries,
    sizeCalculation: (entry) => Math.max(1, entry.size),
    // Each entry gets its tenant's lifetime in fetch(); this is only the ceiling.
    ttl: 3_600_000,
    // Concurrent misses of one key share one statement: a popular district at 8 a.m. is read once.
    fetchMethod: async (_key, _stale, { context }) => read(context),
  });
  return made;
}

/**
 * Reads an entry. With a lifetime, first from what another app process stored (availability_snapshot):
 * with n processes, a district is then read from the sessions once per lifetime, not n times
 * (bench:availability measured PostgreSQL's CPU per search growing with the processes); an
 * entry taken from there keeps its age, so no answer is older than the lifetime. Otherwise, or when
 * none is young enough, from the sessions, storing it for the others in the same statement.
 */
async function read(context: Read): Promise<AvailabilityEntry> {
  const { em, target, from, to, previous, ttl } = context;
  const { ctes, entry, params, order } = statement(target);
  const key = `${SHARED_FORMAT}|${targetKey(target)}|${from}|${to}`;
  const shared = ttl !== undefined && key.length <= SHARED_KEY_MAX;
  if (shared) {
    // Only one young enough to be kept a while here: at least a second, or half the lifetime if shorter.
    const oldest = (ttl - Math.min(1_000, ttl / 2)) / 1000;
    const { rows } = await runPrepared<{ age_ms: number; found: boolean; digest: string; centres: string | null }>(
      em(),
      'availability-shared',
      SHARED_LOOKUP_SQL,
      [key, previous?.digest ?? '', oldest],
    );
    const stored = rows[0];
    cacheLookups.inc({ tenant: context.tenant.code, cache: 'availability-shared', result: stored ? 'hit' : 'miss' });
    if (stored) {
      const computedAt = Date.now() - Math.max(0, stored.age_ms);
      const keptUntil = takenUntil(computedAt, ttl);
      return entryOf(stored.found, stored.centres, stored.digest, { computedAt, keptUntil, from, to, order, previous });
    }
  }
  const computedAt = Date.now();
  const keptUntil = computedAt + (ttl ?? 0);
  // Raw SQL, no entities: the centres come back as one JSON text, parsed once here (text, not json,
  // so that its length sizes the entry). A read of its own (autocommit), so runPrepared may run it.
  const { rows } = shared
    ? await runPrepared<{ found: boolean; centres: string; digest: string }>(
        em(),
        `availability-${target.kind}-shared`,
        readAndShare(ctes, entry, 3 + params.length),
        [from, to, ...params, key],
      )
    : await runPrepared<{ found: boolean; centres: string; digest: string }>(
        em(),
        `availability-${target.kind}`,
        `with ${ctes}, entry as materialized (${entry}) select found, centres, ${DIGEST_SQL} as digest from entry`,
        [from, to, ...params],
      );
  const when: EntryRead = { computedAt, keptUntil, from, to, order, previous };
  return entryOf(Boolean(rows[0]?.found), rows[0]?.centres ?? '[]', rows[0]?.digest ?? '', when);
}

/**
 * Until when a process keeps an entry it took from another process: before the end of the entry's
 * lifetime, by a random 50-100 % of a tenth of the lifetime (at most 1 s, and at most half of what
 * is left of it). Every process that took one stored entry would otherwise let it expire at the
 * same moment as all the others, and then each read the district from the sessions again, within
 * the same few milliseconds: n reads per lifetime with n processes, for every district searched
 * everywhere. Spread out, the first to expire reads it and stores it, and the others, expiring
 * later, take that. The process that read the entry keeps it for its whole lifetime, so with one
 * process nothing changes, and no answer is ever older than the lifetime.
 */
export function takenUntil(computedAt: number, ttl: number, now = Date.now(), random = Math.random()): number {
  const end = computedAt + ttl;
  return end - (0.5 + random / 2) * Math.min(1_000, ttl / 10, Math.max(0, end - now) / 2);
}

/** What entryOf needs besides the statement's answer: when it was read, for how long it is kept, and the entry it may renew. */
interface EntryRead {
  computedAt: number;
  keptUntil: number;
  from: string;
  to: string;
  order: 'name' | 'id';
  previous?: AvailabilityEntry;
}

/**
 * The entry for a statement's answer: the previous entry renewed when the digest says nothing
 * changed (`text` may then be null: the shared look-up does not send what this process has), else
 * the text parsed.
 */
function entryOf(found: boolean, text: string | null, digest: string, when: EntryRead): AvailabilityEntry {
  const { computedAt, keptUntil, from, to, order, previous } = when;
  if (previous && previous.digest === digest && previous.from === from && previous.to === to && previous.order === order) {
    return { ...previous, computedAt, keptUntil };
  }
  if (text === null) throw new Error('availability entry: no text and nothing to renew');
  const centres = JSON.parse(text) as EntryCentre[];
  for (const centre of centres) {
    for (const session of centre.sessions) {
      // As SessionService writes it (toISOString), not as PostgreSQL's JSON writes timestamps.
      if (session.bookableFrom) session.bookableFrom = new Date(session.bookableFrom).toISOString();
      // Assigned in place, so the keys keep the order SessionService's views have.
      session.doses = (session.doses as unknown as DoseRow[]).map(([dose, onlineCapacity, available, walkin]) => ({
        dose,
        onlineCapacity,
        available,
        walkin,
      }));
      session.slots = (session.slots as unknown as SlotRow[]).map(([label, capacity, available]) => ({ label, capacity, available }));
    }
  }
  return {
    computedAt,
    keptUntil,
    from,
    to,
    found,
    centres,
    size: Math.ceil(text.length * ENTRY_OVERHEAD) + 256,
    views: new Map(),
    order,
    digest,
  };
}

/**
 * The entry for `target` covering [from, to] (ISO days), at most `ttlMs` old. Calendars inside the
 * tenant's published window share the window's entry; others get one of their own.
 */
export async function entryFor(
  em: () => EntityManager,
  tenant: TenantConfig,
  target: Target,
  from: string,
  to: string,
): Promise<AvailabilityEntry> {
  const today = todayIn(tenant.timeZone);
  const windowTo = addDays(today, WINDOW_DAYS - 1);
  const [start, end] = from >= today && to <= windowTo ? [today, windowTo] : [from, to];
  const seconds = tenant.scheduling.availabilityCacheSeconds;
  const context: Read = { em, tenant, target, from: start, to: end };
  if (seconds <= 0) return read(context);
  const key = `${tenantKey(tenant)}|${targetKey(target)}|${start}|${end}`;
  const ttl = seconds * 1000;
  // Stale too: an expired entry is what a read that finds nothing changed renews.
  const known = entries().get(key, { allowStale: true });
  if (known && Date.now() < known.keptUntil) {
    cacheLookups.inc({ tenant: tenant.code, cache: 'availability-entry', result: 'hit' });
    return known;
  }
  cacheLookups.inc({ tenant: tenant.code, cache: 'availability-entry', result: 'miss' });
  if (known) entries().delete(key);
  const entry = await entries().fetch(key, { context: { ...context, previous: known, ttl }, ttl });
  if (!entry) throw new Error('availability entry not read');
  return entry;
}

/** Collators are costly to create: one per language, for the process. */
const collators = new Map<string, Intl.Collator>();
function collator(lng: string): Intl.Collator {
  let found = collators.get(lng);
  if (!found) {
    found = new Intl.Collator(lng);
    collators.set(lng, found);
  }
  return found;
}

/** The entry's centres in `lng`, as FacilityService would name and order them. */
function views(entry: AvailabilityEntry, tenant: TenantConfig, lng: string) {
  let found = entry.views.get(lng);
  if (!found) {
    found = entry.centres.map((centre) => ({
      facility: {
        id: centre.id,
        name: centre.names?.[lng] ?? centre.name,
        address: centre.addresses?.[lng] ?? centre.address,
        area: { level: centre.areaLevel, id: centre.areaId },
        postalCode: centre.postalCode,
        latitude: centre.latitude,
        longitude: centre.longitude,
        hours: { from: centre.opensAt, to: centre.closesAt },
        feeType: centre.feeType,
        fees: centre.fees ?? {},
        currency: tenant.currency,
      } satisfies FacilityView,
      sessions: centre.sessions,
    }));
    if (entry.order === 'name') {
      const compare = collator(lng);
      found.sort((a, b) => compare.compare(a.facility.name, b.facility.name) || a.facility.id - b.facility.id);
    }
    entry.views.set(lng, found);
  }
  return found;
}

/** The centres of an entry in `lng` with their sessions from `from` to `to` (ISO days, inclusive). */
export function centresOf(entry: AvailabilityEntry, tenant: TenantConfig, lng: string, from: string, to: string): CentreAvailability[] {
  const whole = from <= entry.from && to >= entry.to;
  return views(entry, tenant, lng).map(({ facility, sessions }) => {
    // Ascending by date: the calendar's sessions are one run of them.
    let first = 0;
    let end = sessions.length;
    if (!whole) {
      while (first < sessions.length && sessions[first].date < from) first++;
      end = first;
      while (end < sessions.length && sessions[end].date <= to) end++;
    }
    const centre = { facility, sessions: whole ? sessions : sessions.slice(first, end) };
    runs.set(centre, { of: sessions, from: first });
    return centre;
  });
}

/** An area that does not exist is a 404, as FacilityService.inArea answers it. */
export function requireFound(entry: AvailabilityEntry, target: Target): void {
  if (!entry.found && target.kind === 'area') throw new NotFoundError(`no ${target.level} ${target.id}`);
}

/** For tests: how much the entry cache holds. */
export function entryCacheSize(): { entries: number; bytes: number; maxBytes: number } {
  const cache = entries();
  return { entries: cache.size, bytes: cache.calculatedSize, maxBytes: cache.maxSize };
}

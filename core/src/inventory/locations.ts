import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../kernel/errors.js';
import type { Scope } from '../registration/staff/permissions.js';

/**
 * Where stock is. `facility` and `store` hold stock between sessions; `session` is a session's own
 * stock, issued from its facility for the day; `transit` is a transfer between dispatch and
 * receipt (its id is the transfer's). Written `kind:id` in the API: `facility:1001`, `store:3`.
 */
export const LOCATION_KINDS = ['facility', 'store', 'session', 'transit'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

export interface Location {
  kind: LocationKind;
  id: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The locations a request may change stock at: stores and facilities, and sessions. */
export const LOCATION_PATTERN = `^((facility|store):(0|[1-9][0-9]{0,8})|session:${UUID})$`;
/** The locations a request may read: those, and transfers in transit. */
export const READ_LOCATION_PATTERN = `^((facility|store):(0|[1-9][0-9]{0,8})|(session|transit):${UUID})$`;

export function parseLocation(text: string): Location {
  const [kind, ...rest] = text.split(':');
  return { kind: kind as LocationKind, id: rest.join(':') };
}

export function formatLocation(location: Location): string {
  return `${location.kind}:${location.id}`;
}

export const facilityLocation = (facilityId: number): Location => ({ kind: 'facility', id: String(facilityId) });

/** The facility a session is held at, or undefined for an unknown session. */
export async function facilityOfSession(em: EntityManager, sessionId: string): Promise<number | undefined> {
  const [row] = await em.execute<{ facility_id: number }[]>('select facility_id from vaccination_session where id = ?', [sessionId]);
  return row?.facility_id;
}

/** Fails with a 404 unless the location exists (an active store, a facility, a session). */
export async function assertLocation(em: EntityManager, location: Location): Promise<void> {
  const sql: Record<LocationKind, string> = {
    facility: 'select 1 from facility where id = ?::int',
    store: 'select 1 from store where id = ?::int and active',
    session: 'select 1 from vaccination_session where id = ?::uuid',
    transit: 'select 1 from stock_transfer where id = ?::uuid',
  };
  const rows = await em.execute(sql[location.kind], [location.id]);
  if (rows.length === 0) throw new NotFoundError(`no ${location.kind} ${location.id}`);
}

/**
 * The staff scope a location lies in, for permission checks: a facility is its own scope, a
 * session its facility's, a store its area's (the national store the tenant's).
 */
export async function scopeOfLocation(em: EntityManager, location: Location): Promise<Scope> {
  await assertLocation(em, location);
  if (location.kind === 'facility') return { type: 'facility', id: location.id };
  if (location.kind === 'session') return { type: 'facility', id: String(await facilityOfSession(em, location.id)) };
  if (location.kind === 'store') {
    const [row] = await em.execute<{ area_level: string | null; area_id: number | null }[]>(
      'select area_level, area_id from store where id = ?::int',
      [location.id],
    );
    return row?.area_level ? { type: 'area', id: `${row.area_level}:${row.area_id}` } : { type: 'tenant', id: null };
  }
  // In transit: whoever oversees the destination follows it.
  const [transfer] = await em.execute<{ to_kind: LocationKind; to_id: string }[]>(
    'select to_kind, to_id from stock_transfer where id = ?',
    [location.id],
  );
  return scopeOfLocation(em, { kind: transfer.to_kind, id: transfer.to_id });
}

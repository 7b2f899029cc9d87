import { EventEmitter } from 'node:events';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import { todayIn } from '../scheduling/slots.js';
import { queueDeliveries, sessionOpensJob } from './webhooks.js';

/** The PostgreSQL channel events are announced on, in each tenant's own database. */
export const CHANNEL = 'teeka_availability';
/** Events older than this are pruned from `availability_event` (replay reads at most replaySeconds). */
const KEEP_SECONDS = 3600;

/** New places in a session: what webhooks carry and SSE clients receive. Public data only. */
export interface AvailabilityEvent {
  /** Increasing per tenant: the SSE `id:` and the webhook's `Teeka-Event-Id`. */
  id: string;
  type: 'places-opened';
  tenant: string;
  sessionId: string;
  facilityId: number;
  /** The centre's area first, then every area above it (`district:395`, `state:21`). */
  area: string[];
  postalCode: string | null;
  vaccine: string;
  date: string;
  minAge: number;
  maxAge: number | null;
  /** Free online places per dose number. */
  doses: { dose: number; available: number }[];
  createdAt: string;
}

/** What a subscriber wants to hear about: one place filter, and optionally vaccine, dose and age. */
export interface AvailabilityFilter {
  area?: string;
  postalCode?: string;
  vaccine?: string;
  dose?: number;
  age?: number;
}

/** Whether an event is one the filter asks for. The same rule for webhooks and SSE. */
export function matches(filter: AvailabilityFilter, event: AvailabilityEvent): boolean {
  if (filter.area !== undefined && !event.area.includes(filter.area)) return false;
  if (filter.postalCode !== undefined && event.postalCode !== filter.postalCode) return false;
  if (filter.vaccine !== undefined && event.vaccine !== filter.vaccine) return false;
  const open = event.doses.filter((d) => d.available > 0);
  if (filter.dose !== undefined && !open.some((d) => d.dose === filter.dose)) return false;
  if (open.length === 0) return false;
  if (filter.age !== undefined && (filter.age < event.minAge || (event.maxAge !== null && filter.age > event.maxAge))) return false;
  return true;
}

// --- Fan-out inside one process ------------------------------------------------------------------

/**
 * One tenant's events as this process hears them: a LISTEN connection to the tenant's database
 * (so events published by any app process arrive here) feeding an EventEmitter for the SSE
 * clients connected to this process. The connection opens with the first listener and closes with
 * the last; what is missed in between is replayed from `availability_event` by `Last-Event-ID`.
 */
export class AvailabilityBus {
  private readonly emitter = new EventEmitter();
  private client?: pg.Client;
  private opening?: Promise<void>;
  private listeners = 0;

  constructor(
    private readonly url: () => string,
    private readonly log: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  /** Calls `listener` with every event from now on; answers when listening, with the way to stop. */
  async listen(listener: (event: AvailabilityEvent) => void): Promise<() => void> {
    this.emitter.on('event', listener);
    this.listeners++;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      this.emitter.off('event', listener);
      if (--this.listeners === 0) void this.close();
    };
    try {
      await this.open();
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  private open(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.opening ??= (async () => {
      const client = new pg.Client({ connectionString: this.url(), application_name: 'teeka-availability' });
      client.on('notification', (message) => {
        if (message.channel !== CHANNEL || !message.payload) return;
        try {
          this.emitter.emit('event', JSON.parse(message.payload) as AvailabilityEvent);
        } catch (error) {
          this.log.warn({ err: error }, 'availability event not understood');
        }
      });
      client.on('error', (error) => {
        this.log.warn({ err: error }, 'availability listener lost its connection');
        if (this.client === client) this.client = undefined;
        client.end().catch(() => undefined);
      });
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      this.client = client;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    if (this.listeners > 0 || !this.client) return;
    const client = this.client;
    this.client = undefined;
    await client.end().catch(() => undefined);
  }
}

/** One bus per running tenant in this process, gone with the tenant. */
const buses = new WeakMap<Tenant, AvailabilityBus>();

export function availabilityBus(tenant: Tenant): AvailabilityBus {
  let bus = buses.get(tenant);
  if (!bus) {
    const orm = tenant.orm;
    bus = new AvailabilityBus(() => String(orm.config.get('clientUrl')), tenant.log.child({ component: 'availability' }));
    buses.set(tenant, bus);
  }
  return bus;
}

// --- Publishing ---------------------------------------------------------------------------------

interface SessionRow {
  id: string;
  facility_id: number;
  vaccine: string;
  date: string;
  min_age: number;
  max_age: number | null;
  state: string;
  bookable_from: Date | null;
  area_level: string;
  area_id: number;
  postal_code: string | null;
  doses: { dose: number; available: number }[] | null;
}

const SESSIONS = `select s.id, s.facility_id, s.vaccine, to_char(s.date, 'YYYY-MM-DD') as date, s.min_age, s.max_age, s.state,
    s.bookable_from, f.area_level, f.area_id, f.postal_code,
    (select json_agg(json_build_object('dose', c.dose_number, 'available', c.online_capacity - c.online_booked) order by c.dose_number)
       from session_capacity c where c.session_id = s.id) as doses
  from vaccination_session s join facility f on f.id = s.facility_id`;

const ANCESTORS = `with recursive up (level, id, parent_level, parent_id, depth) as (
    select level, id, parent_level, parent_id, 0 from area where level = ? and id = ?
    union all
    select a.level, a.id, a.parent_level, a.parent_id, up.depth + 1 from area a join up on a.level = up.parent_level and a.id = up.parent_id
    where up.depth < 10)
  select level, id from up order by depth`;

/**
 * Announces new places: sessions created, places given back by a cancellation or a reschedule,
 * a session moved to another day, a fair opening's `bookableFrom` passing. Each event is stored
 * (for replay), announced with pg_notify to every app process (SSE) and queued as one webhook job
 * per matching subscription. Call it after the transaction that freed the places has committed;
 * it never throws.
 */
@injectable()
export class AvailabilityEvents {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.Tenant) private readonly tenant: Tenant,
    @inject(TOKENS.JobQueue) private readonly jobs: JobQueue,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  /** Places may have opened in these sessions (ids, or one id). */
  async placesOpened(sessionIds: string | readonly string[]): Promise<void> {
    const ids = [...new Set(typeof sessionIds === 'string' ? [sessionIds] : sessionIds)];
    if (ids.length === 0) return;
    try {
      const rows = await this.em.execute<SessionRow[]>(`${SESSIONS} where s.id in (${ids.map(() => '?').join(', ')})`, ids);
      for (const row of rows) await this.publish(row);
    } catch (error) {
      this.log.error({ err: error, sessions: ids.length }, 'availability event not published');
    }
  }

  private async publish(row: SessionRow): Promise<void> {
    if (row.state !== 'active' || row.date < todayIn(this.tenant.config.timeZone)) return;
    const opensAt = row.bookable_from ? new Date(row.bookable_from) : undefined;
    if (opensAt && opensAt.getTime() > Date.now()) {
      // Not bookable yet: announced when it opens, by a job (the key keeps one per opening time).
      await this.jobs.send(
        sessionOpensJob,
        { sessionId: row.id },
        { key: `opens:${row.id}:${opensAt.toISOString()}`, startAfter: opensAt },
      );
      return;
    }
    const doses = row.doses ?? [];
    if (!doses.some((d) => d.available > 0)) return;
    const areas = await this.em.execute<{ level: string; id: number }[]>(ANCESTORS, [row.area_level, row.area_id]);
    const event: Omit<AvailabilityEvent, 'id' | 'createdAt'> = {
      type: 'places-opened',
      tenant: this.tenant.code,
      sessionId: row.id,
      facilityId: row.facility_id,
      area: areas.length > 0 ? areas.map((a) => `${a.level}:${a.id}`) : [`${row.area_level}:${row.area_id}`],
      postalCode: row.postal_code,
      vaccine: row.vaccine,
      date: row.date,
      minAge: row.min_age,
      maxAge: row.max_age,
      doses,
    };
    // Stored and announced in one statement: the notification carries the event with its id.
    const [stored] = await this.em.execute<{ event: AvailabilityEvent }[]>(
      `with e as (insert into availability_event (session_id, payload) values (?, ?::jsonb) returning id, payload, created_at),
            full_event as (select e.payload || jsonb_build_object('id', e.id::text, 'createdAt', e.created_at) as event from e)
       select event, pg_notify(?, event::text) from full_event`,
      [row.id, JSON.stringify(event), CHANNEL],
    );
    await this.em.execute(`delete from availability_event where created_at < now() - make_interval(secs => ?)`, [KEEP_SECONDS], 'run');
    await queueDeliveries(this.em, this.jobs, stored.event, this.log);
  }
}

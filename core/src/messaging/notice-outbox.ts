import type { EntityManager } from '@mikro-orm/postgresql';
import { run, statement } from '../kernel/db/prepared.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import { appointmentBookedJob, appointmentReminderJob, placeKey, reminderDue } from './notices.js';

/** Rows moved to the job queue per transaction. */
const BATCH = 500;

/**
 * The oldest rows no other relay holds, with what their notices need. The appointment of each
 * claimed row is looked up by its key (a lateral subquery with a limit is not flattened into a
 * join): as a plain join, the prepared statement's plan, made once while the tables were small,
 * hashed every appointment for each batch.
 */
const CLAIM_BATCH = statement(
  'teeka-outbox-claim',
  `with claimed as (
     select appointment_id, created_at from notice_outbox
     order by created_at
     limit ${BATCH}
     for update skip locked)
   select c.appointment_id as "appointmentId", a.session_id as "sessionId", a.slot_index as "slotIndex", a.date, a.state
   from claimed c
   left join lateral (
     select a.session_id, a.slot_index, to_char(s.date, 'YYYY-MM-DD') as date, a.state
     from appointment a join vaccination_session s on s.id = a.session_id
     where a.id = c.appointment_id
     limit 1) a on true
   order by c.created_at`,
);
const DELETE_RELAYED = statement('teeka-outbox-delete', 'delete from notice_outbox where appointment_id = any(?::uuid[])');
/** How often each process looks for rows left behind (a process killed between commit and relay). */
const SWEEP_MS = 15_000;

interface Row {
  appointmentId: string;
  sessionId: string | null;
  slotIndex: number | null;
  date: string | null;
  state: string | null;
}

/**
 * The booking outbox of one tenant in this process. A booking inserts its appointments' ids into
 * `notice_outbox` in the same statement as the appointments, then awaits `relay()`: one relay run
 * serves every booking that asked since the last run, moving up to 500 rows per transaction into
 * the job queue with one insert per job kind (a confirmation now, a reminder the evening before),
 * under the same job keys as `AppointmentNotices.booked`, so a row relayed twice (a crash after
 * the jobs were stored) still queues one notice. Rows are claimed `for update skip locked`: several
 * app processes relay side by side, each row once. A periodic sweep picks up rows a killed process
 * left behind.
 */
export class NoticeOutbox {
  static readonly #byTenant = new WeakMap<Tenant, NoticeOutbox>();

  static of(tenant: Tenant): NoticeOutbox {
    let outbox = NoticeOutbox.#byTenant.get(tenant);
    if (!outbox) {
      outbox = new NoticeOutbox(tenant);
      NoticeOutbox.#byTenant.set(tenant, outbox);
    }
    return outbox;
  }

  #waiting: (() => void)[] = [];
  #running = false;
  #sweep?: NodeJS.Timeout;
  #stopped = false;

  private constructor(private readonly tenant: Tenant) {}

  /** Starts the periodic sweep (and relays what a previous process left). */
  start(): void {
    if (this.#sweep) return;
    this.#sweep = setInterval(() => void this.relay(), SWEEP_MS);
    this.#sweep.unref();
    void this.relay();
  }

  /** Stops the sweep; a relay in progress finishes. */
  stop(): void {
    this.#stopped = true;
    if (this.#sweep) clearInterval(this.#sweep);
  }

  /**
   * Resolves when a relay run that started after this call has finished (never rejects: a failure
   * is logged and the rows stay for the next run).
   */
  relay(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (!this.#running) {
        this.#running = true;
        setImmediate(() => void this.#loop());
      }
    });
  }

  async #loop(): Promise<void> {
    while (this.#waiting.length > 0) {
      const waiting = this.#waiting.splice(0);
      try {
        while (!this.#stopped && (await this.#batch()) === BATCH) {
          // A full batch: there may be more.
        }
      } catch (error) {
        this.tenant.log.error({ err: error }, 'booking notices not relayed; the outbox keeps them');
      }
      for (const resolve of waiting) resolve();
    }
    this.#running = false;
  }

  /** Moves one batch of rows to the job queue; answers how many rows it claimed. */
  async #batch(): Promise<number> {
    const jobs = this.tenant.jobs;
    const { timeZone } = this.tenant.config;
    return this.tenant.orm.em.fork().transactional(async (em) => {
      const rows = await run<Row>(em as EntityManager, CLAIM_BATCH, []);
      if (rows.length === 0) return 0;
      // Cancelled before its notice was queued: its own notice says so; nothing to confirm.
      const placements = rows
        .filter((row) => row.state === 'booked')
        .map((row) => ({ appointmentId: row.appointmentId, sessionId: row.sessionId!, slotIndex: row.slotIndex!, date: row.date! }));
      await jobs.sendMany(
        appointmentBookedJob,
        placements.map((placement) => ({ data: placement, key: `booked:${placement.appointmentId}` })),
      );
      // Booked once the evening before has come (for today, or for tomorrow after 18:00): the
      // confirmation is the reminder (reminderDue).
      const now = Date.now();
      await jobs.sendMany(
        appointmentReminderJob,
        placements.flatMap((placement) => {
          const startAfter = reminderDue(placement.date, timeZone, now);
          return startAfter ? [{ data: placement, key: `reminder:${placeKey(placement)}`, startAfter }] : [];
        }),
      );
      await run(em as EntityManager, DELETE_RELAYED, [rows.map((row) => row.appointmentId)]);
      return rows.length;
    });
  }
}

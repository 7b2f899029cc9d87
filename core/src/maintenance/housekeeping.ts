import type { EntityManager } from '@mikro-orm/postgresql';
import { defineJob } from '../kernel/jobs/job.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';

/**
 * Rows that only matter for a while, kept a day after they stop mattering (for a support desk's
 * questions), then deleted: at a busy hour's 1,000 sign-ins a second, OTP challenges alone would
 * grow by 86 million rows a day, each with an encrypted phone number nobody needs any more.
 */
export const KEEP_AFTER_EXPIRY_SECONDS = 86_400;
/** Rows per delete statement, so that no statement holds many row locks or runs long. */
const DELETE_BATCH = 5_000;

export interface Purged {
  otpChallenges: number;
  sessions: number;
  rateLimits: number;
  availabilitySnapshots: number;
}

/**
 * Shared availability entries live seconds (at most `availabilityCacheSeconds`, 300 s); an hour-old
 * one is a search nobody has asked since (a window that has moved on, a postal code asked once).
 */
const SNAPSHOT_KEEP_SECONDS = 3_600;

/**
 * Deletes what has expired: OTP challenges and sign-in sessions a day after they expired, and
 * rate-limit windows a day after they (and any cool-down they hold) ended. A rate-limit row whose
 * window has ended counts as nothing (its next hit starts a new window), so deleting it changes no
 * limit; the longest window is the citizen session's (the Co-WIN search limit per login), so rows
 * are kept for at least that. Shared availability entries go an hour after they were read.
 */
export async function purgeExpired(em: EntityManager, config: TenantConfig): Promise<Purged> {
  const keepSeconds = KEEP_AFTER_EXPIRY_SECONDS;
  const longestWindow = Math.max(3_600, config.limits.citizenSessionSeconds, config.limits.staffSessionSeconds);
  return {
    otpChallenges: await deleteInBatches(em, 'otp_challenge', 'expires_at < now() - make_interval(secs => ?)', [keepSeconds]),
    sessions: await deleteInBatches(em, 'auth_session', 'expires_at < now() - make_interval(secs => ?)', [keepSeconds]),
    rateLimits: await deleteInBatches(
      em,
      'rate_limit',
      'window_start < now() - make_interval(secs => ?) and (hold_until is null or hold_until < now())',
      [longestWindow + keepSeconds],
    ),
    availabilitySnapshots: await deleteInBatches(em, 'availability_snapshot', 'computed_at < now() - make_interval(secs => ?)', [
      SNAPSHOT_KEEP_SECONDS,
    ]),
  };
}

async function deleteInBatches(em: EntityManager, table: string, where: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await em.execute<{ n: number }[]>(
      `with gone as (delete from ${table} where ctid in (select ctid from ${table} where ${where} limit ${DELETE_BATCH}) returning 1)
       select count(*)::int as n from gone`,
      params,
    );
    total += deleted[0].n;
    if (deleted[0].n < DELETE_BATCH) return total;
  }
}

/** The UTC hour a run belongs to, which names its job: one run per hour, whichever process sends it. */
export function hourKey(at: Date): string {
  return `housekeeping:${at.toISOString().slice(0, 13)}`;
}

/**
 * Hourly, in each tenant, exactly once across every app process: each run first queues the next
 * hour's (keyed by that hour, so a second send is ignored), and every process queues the current
 * hour's when it starts, which restarts the chain should a run have failed for good.
 */
export const housekeepingJob = defineJob<{ hour: string }>({
  name: 'maintenance.housekeeping',
  policy: { retries: 2, concurrency: 1, batchSize: 1, timeoutSeconds: 900 },
  async handle(_data, context) {
    await scheduleNextHousekeeping(context.tenant.jobs, new Date());
    const purged = await purgeExpired(context.em, context.tenant.config);
    context.log.info({ purged }, 'expired rows deleted');
  },
});

export async function scheduleNextHousekeeping(jobs: JobQueue, now: Date): Promise<void> {
  const next = new Date(now);
  next.setUTCMinutes(0, 0, 0);
  next.setUTCHours(next.getUTCHours() + 1);
  await jobs.send(housekeepingJob, { hour: next.toISOString() }, { key: hourKey(next), startAfter: next });
}

/** At start-up: this hour's run (ignored when another process, or an earlier start, sent it). */
export async function startHousekeeping(jobs: JobQueue, now = new Date()): Promise<void> {
  await jobs.send(housekeepingJob, { hour: now.toISOString() }, { key: hourKey(now) });
}

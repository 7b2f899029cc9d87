import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';

/** What happened to a dose record. Ids only: a hook reads what it needs in its own transaction. */
export interface DoseEvent {
  kind: 'recorded' | 'corrected' | 'voided';
  doseRecordId: string;
  beneficiaryId: string;
}

/** What a hook may use: the tenant's job queue (for durable work) and the EntityManager in the dose's transaction. */
export interface DoseEventContext {
  jobs: JobQueue;
  em: EntityManager;
  log: Logger;
}

export type DoseEventHook = (event: DoseEvent, context: DoseEventContext) => Promise<void>;

/**
 * Modules that follow dose records register here (certificates: issue, reissue or revoke a
 * certificate). Hooks run inside the dose's transaction, last, and should only queue a job there
 * (`jobs.send(…, { em })`, keyed by the record id and the event): the job then exists exactly when
 * the dose does, so a crash after the commit loses no certificate, and a retried request queues it
 * once. A hook that fails fails the dose (it rolls back), so a dose is never stored without its
 * work. Code, the same for every tenant.
 */
export const doseEventHooks: DoseEventHook[] = [];

/** Call it inside the transaction that records, corrects or voids the dose, with its EntityManager. */
export async function emitDoseEvent(event: DoseEvent, context: DoseEventContext): Promise<void> {
  for (const hook of doseEventHooks) await hook(event, context);
}

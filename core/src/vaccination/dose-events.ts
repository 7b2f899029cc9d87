import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';

/** What happened to a dose record. Ids only: a hook reads what it needs in its own transaction. */
export interface DoseEvent {
  kind: 'recorded' | 'corrected' | 'voided';
  doseRecordId: string;
  beneficiaryId: string;
}

/** What a hook may use: the tenant's job queue (for durable work) and the request's EntityManager. */
export interface DoseEventContext {
  jobs: JobQueue;
  em: EntityManager;
  log: Logger;
}

export type DoseEventHook = (event: DoseEvent, context: DoseEventContext) => Promise<void>;

/**
 * Modules that follow dose records register here (certificates: issue, reissue or revoke a
 * certificate; it should queue a job keyed by the record id and the event, so the work survives a
 * restart and a retried request queues it once). Hooks run after the dose's transaction has
 * committed; one that fails is logged and never undoes the dose. Code, the same for every tenant.
 */
export const doseEventHooks: DoseEventHook[] = [];

export async function emitDoseEvent(event: DoseEvent, context: DoseEventContext): Promise<void> {
  for (const hook of doseEventHooks) {
    try {
      await hook(event, context);
    } catch (error) {
      context.log.error({ err: error, doseRecordId: event.doseRecordId, kind: event.kind }, 'dose event hook failed');
    }
  }
}

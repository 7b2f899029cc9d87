import { type DoseEvent, type DoseEventContext, doseEventHooks } from '../vaccination/dose-events.js';
import { certificateIssueJob } from './jobs.js';

/**
 * Follows dose records: each event queues the certificate job in the dose's own transaction, keyed
 * by the record and the event (a correction also by its time, since one dose may be corrected
 * twice), so the job exists exactly when the dose change commits and a retried request queues it once.
 */
export async function queueCertificate(event: DoseEvent, { jobs, em }: DoseEventContext): Promise<void> {
  let at: string | undefined;
  if (event.kind === 'corrected') {
    const [row] = await em.execute<{ at: string }[]>(`select coalesce(updated_at, recorded_at)::text as at from dose_record where id = ?`, [
      event.doseRecordId,
    ]);
    at = row?.at;
  }
  const data = { ...event, ...(at ? { at } : {}) };
  await jobs.send(certificateIssueJob, data, { key: `${event.doseRecordId}:${event.kind}${at ? `:${at}` : ''}`, em });
}

if (!doseEventHooks.includes(queueCertificate)) doseEventHooks.push(queueCertificate);

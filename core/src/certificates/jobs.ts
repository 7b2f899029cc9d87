import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { addToBatch, readsById } from '../kernel/db/write-batch.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { defineJob, type JobContext } from '../kernel/jobs/job.js';
import { SmsDispatcher } from '../messaging/sms-dispatcher.js';
import type { DoseEvent } from '../vaccination/dose-events.js';
import { CertificateIssuer, type IssueCause } from './issuance.js';
import { recordIssuer } from './issuer.js';

/** What a dose event does to the person's certificates. */
export interface IssueData extends DoseEvent {
  /** For `corrected`: the correction's time, so each correction of one dose reissues once. */
  at?: string;
}

function issuerIn(context: JobContext): CertificateIssuer {
  return new CertificateIssuer(
    context.em,
    context.container.resolve<TenantCrypto>(TOKENS.Crypto),
    context.tenant.config,
    recordIssuer(context.tenant),
    context.log,
  );
}

function causeOf(data: IssueData): IssueCause {
  const issueKey = `dose:${data.doseRecordId}:${data.kind}${data.at ? `:${data.at}` : ''}`;
  // A later dose recorded meanwhile issues the certificate that lists this one; a voided one none.
  if (data.kind === 'recorded') return { issueKey, doseRecordId: data.doseRecordId, onlyIfLatest: true };
  const reason = data.kind === 'corrected' ? 'dose-corrected' : 'dose-voided';
  return {
    issueKey,
    ...(data.kind === 'corrected' ? { doseRecordId: data.doseRecordId } : {}),
    revoke: { reason, doseRecordId: data.doseRecordId },
  };
}

/**
 * Issues (or reissues) a person's certificate after a dose event: a new dose supersedes the
 * earlier certificate; a corrected or voided dose revokes those that list it. Idempotent by the
 * event, so a retried job issues once; then the account is told by SMS.
 */
export const certificateIssueJob = defineJob<IssueData>({
  name: 'certificates.issue',
  // Every dose gives one, and a job mostly waits on its two statements: more run at once per
  // process than the default 2, so certificates keep up with a busy day's doses. A job takes one of
  // the tenant's 10 ORM connections only for each statement (no transaction around the signing).
  policy: { concurrency: 4 },
  async handle(data, context) {
    const issued = await issuerIn(context).issue(data.beneficiaryId, causeOf(data));
    if (issued?.accountId) {
      await context.tenant.jobs.send(certificateNoticeJob, { certificate: issued.id }, { key: `issued:${issued.id}` });
    }
  },
});

interface NoticeFacts {
  id: string;
  certificate_id: string;
  kind: string;
  state: string;
  name: string;
  phone_enc: Buffer;
  language: string;
}

/**
 * What the notices of certificates say, by certificate. The notices one worker sends side by side
 * (`together`: after a busy hour, one per dose) read theirs in one statement (WriteBatch).
 */
const NOTICE_FACTS_SQL = `select c.id, c.certificate_id, c.kind, c.state, b.name, acc.phone_enc, acc.language
   from certificate c join beneficiary b on b.id = c.beneficiary_id join account acc on acc.id = b.account_id
  where c.id = any($1::uuid[])`;

const noticeFacts = readsById<NoticeFacts>('teeka-certificate-notices', NOTICE_FACTS_SQL);

/** The SMS to the person's account: their certificate is ready, with a link to download it. */
export const certificateNoticeJob = defineJob<{ certificate: string }>({
  name: 'certificates.notice',
  policy: { together: true },
  async handle(data, context) {
    const row = await addToBatch(context.em, 'certificate-notices', noticeFacts, data.certificate);
    if (row?.state !== 'active') return context.log.info({ certificate: data.certificate }, 'certificate replaced before its notice');
    const { t } = context.useLanguage(row.language);
    const link = `${recordIssuer(context.tenant).url}/certificates/${encodeURIComponent(row.certificate_id)}`;
    const text = t('certificates:sms.issued', { name: row.name, kind: t(`certificates:kind.${row.kind}`), link });
    const crypto = context.container.resolve<TenantCrypto>(TOKENS.Crypto);
    const sent = await context.container
      .resolve(SmsDispatcher)
      .send({ to: crypto.decrypt(Buffer.from(row.phone_enc)), text, purpose: 'certificate-issued', reference: data.certificate });
    if (sent.state === 'failed') throw new Error(`certificate notice not sent (sms ${sent.id})`);
  },
});

/** The jobs of this module, for the tenant's job queue (core/src/jobs.ts). */
export const certificateJobs = [certificateIssueJob, certificateNoticeJob];

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { run, statement, statementFor } from '../kernel/db/prepared.js';
import { isUniqueViolation } from '../kernel/db/unique-violation.js';
import type { Logger } from '../kernel/log/logger.js';
import { countCertificate } from '../kernel/metrics/metrics.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { RevocationReason } from './certificate.entity.js';
import { newCertificateId } from './certificate-id.js';
import { formatOf } from './formats/index.js';
import { activeKeysJson, type SealedKeyJson, SigningKeyStore } from './keys/key-store.js';
import type { CertificateRecord, FormatId, Issued, SigningKey } from './record.js';
import { buildRecord, type DoseRow, PERSON_COLUMNS, PERSON_DOSES_JSON, type PersonRow, personDoses } from './record-builder.js';

const NONE = '00000000-0000-0000-0000-000000000000';

const LOCK_PERSON = statement('teeka-certificate-lock-person', 'select account_id from beneficiary where id = ? for update');
/** Tries of a new dose's certificate when concurrent issues for the person keep storing first. */
const MAX_ISSUE_ATTEMPTS = 5;

/** Why a certificate is issued, and what happens to the person's earlier ones. */
export interface IssueCause {
  /** One certificate per cause: a job run twice issues once. */
  issueKey: string;
  /** The dose whose recording or correction causes it (the person's latest, for a correction of their details). */
  doseRecordId?: string;
  /**
   * Earlier certificates are superseded by a new dose (they stay valid: they were true when
   * issued). When they carry something wrong they are revoked: all of them after a correction of
   * the person's details, those listing the dose after the dose is corrected or voided.
   */
  revoke?: { reason: RevocationReason; doseRecordId?: string };
  /**
   * Issue nothing when a later dose of the person was recorded meanwhile (its own certificate lists
   * `doseRecordId`) or `doseRecordId` was voided: for the job after a dose is recorded.
   */
  onlyIfLatest?: boolean;
}

/** What one query reads for a certificate besides the person (see `issue`). */
interface IssueFacts {
  doses: DoseRow[];
  done: { id: string; certificate_id: string; kind: CertificateRecord['kind']; version: number } | null;
  version: number;
  covered: boolean;
  keys: SealedKeyJson[];
}

export interface IssuedCertificate {
  id: string;
  certificateId: string;
  kind: CertificateRecord['kind'];
  version: number;
  accountId: string | null;
  /** False when the cause had issued it before. */
  created: boolean;
}

/** Sealed as one JSON object: every format's payload and QR segments. */
export type Payloads = Partial<Record<FormatId, Issued>>;

/**
 * Issues certificates: reads the person and their doses, builds the canonical record, signs each
 * of the tenant's formats with its active key, and stores the certificate with the record and
 * payloads sealed; versions follow each other (see `issue`) and the earlier certificates are
 * superseded or revoked together with the new one's arrival.
 */
export class CertificateIssuer {
  constructor(
    private readonly em: EntityManager,
    private readonly crypto: TenantCrypto,
    private readonly config: TenantConfig,
    private readonly issuer: CertificateRecord['issuer'],
    private readonly log: Logger,
  ) {}

  /**
   * Undefined when the person has no dose left to certify (their earlier certificates are revoked
   * as asked), or when `cause.onlyIfLatest` and a later dose was recorded meanwhile (its own job
   * lists this one) or this one was voided.
   *
   * A new dose's certificate (no `revoke`, the one every dose causes) takes two statements and no
   * transaction: everything it is made of read in one query, then, after signing, the certificate
   * stored and the earlier ones superseded in one. Versions follow each other all the same: the
   * unique (person, version) constraint refuses the second of two concurrent issues for one person, which
   * reads again (finding the first, or finding itself covered by a later dose) and tries once more.
   * Before, the person's row was locked for the whole issuance, signing included: five round trips
   * and a pooled connection held in a transaction while the formats were signed.
   *
   * A correction or void (`revoke`) is rare and retires several certificates in several statements:
   * it runs in one transaction holding the person's row, read after the lock, so a concurrent issue
   * for this person has committed by then and the version and earlier certificates include it.
   */
  async issue(beneficiaryId: string, cause: IssueCause): Promise<IssuedCertificate | undefined> {
    // Inside a caller's transaction a refused insert would abort it: that case locks too.
    if (cause.revoke || this.em.isInTransaction()) {
      return this.em.transactional((em) => this.issueWith(em as EntityManager, beneficiaryId, cause, true));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.issueWith(this.em, beneficiaryId, cause, false);
      } catch (error) {
        // Another issue for this person stored this version first, or this very cause (a job run
        // twice at once): the next read sees it.
        const raced =
          isUniqueViolation(error, 'certificate_beneficiary_id_version_key') || isUniqueViolation(error, 'certificate_issue_key_key');
        if (!raced || attempt >= MAX_ISSUE_ATTEMPTS) throw error;
        this.log.info({ attempt }, 'a concurrent certificate for this person was stored first; reading again');
      }
    }
  }

  private async issueWith(
    em: EntityManager,
    beneficiaryId: string,
    cause: IssueCause,
    lock: boolean,
  ): Promise<IssuedCertificate | undefined> {
    if (lock) {
      const [person] = await run<{ account_id: string | null }>(em, LOCK_PERSON, [beneficiaryId]);
      if (!person) return undefined;
    }
    const formats = this.config.certificates.formats;
    const latest = cause.onlyIfLatest ? cause.doseRecordId : undefined;
    const factsStatement = statementFor(
      'teeka-certificate-facts',
      `select ${PERSON_COLUMNS}, ${PERSON_DOSES_JSON} as doses,
         (select json_build_object('id', c.id, 'certificate_id', c.certificate_id, 'kind', c.kind, 'version', c.version)
          from certificate c where c.issue_key = ?) as done,
         (select coalesce(max(c.version), 0) + 1 from certificate c where c.beneficiary_id = b.id)::int as version,
         ${
           latest
             ? `exists (select 1 from dose_record d join dose_record this on this.id = ?
                 where d.beneficiary_id = this.beneficiary_id and d.state <> 'voided' and (d.dose_number > this.dose_number or this.state = 'voided'))`
             : 'false'
} as covered,
         ${activeKeysJson(formats)} as keys
       from beneficiary b left join certificate_passport p on p.beneficiary_id = b.id where b.id = ?`,
    );
    const [facts] = await run<PersonRow & IssueFacts>(em, factsStatement, [
      cause.issueKey,
      ...(latest ? [latest] : []),
      ...formats,
      beneficiaryId,
    ]);
    if (!facts) return undefined;
    if (facts.covered) {
      this.log.info({ doseRecordId: latest }, 'a later certificate covers this dose');
      return undefined;
    }
    const { done } = facts;
    if (done)
      return {
        id: done.id,
        certificateId: done.certificate_id,
        kind: done.kind,
        version: done.version,
        accountId: facts.account_id,
        created: false,
      };

    const found = personDoses(this.crypto, this.config, beneficiaryId, facts, facts.doses);
    const id = randomUUID();
    if (found.doses.length === 0) {
      await this.retireEarlier(em, beneficiaryId, cause, null);
      return undefined;
    }
    const { version } = facts;
    const issuedAt = new Date();
    const record = buildRecord(found, this.config, this.issuer, {
      certificateId: newCertificateId(this.config.certificates.issuer.country),
      version,
      issuedAt,
    });
    const keys = new SigningKeyStore(em, this.crypto, this.config).keysFrom(facts.keys, this.issuer.url);
    const payloads = await this.sign(record, keys);
    const insert = `insert into certificate (id, certificate_id, beneficiary_id, dose_record_id, dose_record_ids, issue_key, kind, version,
         record_enc, payloads_enc, formats, state, issued_at)
       values (?, ?, ?, ?, ?::uuid[], ?, ?, ?, ?, ?, ?::text[], 'active', ?)`;
    const values = [
      id,
      record.certificateId,
      beneficiaryId,
      cause.doseRecordId ?? found.doses.at(-1)!.doseRecordId,
      `{${found.doses.map((dose) => dose.doseRecordId).join(',')}}`,
      cause.issueKey,
      record.kind,
      version,
      this.crypto.encrypt(JSON.stringify(record)),
      this.crypto.encrypt(JSON.stringify(payloads)),
      `{${Object.keys(payloads).join(',')}}`,
      issuedAt,
    ];
    if (cause.revoke) {
      await run(em, statementFor('teeka-certificate-insert', insert), values);
      await this.retireEarlier(em, beneficiaryId, cause, id);
    } else {
      // A new dose: the new certificate and the earlier ones superseded, in one statement (the
      // update's snapshot does not hold the row inserted beside it, and skips it by id anyway).
      await run(
        em,
        statementFor(
          'teeka-certificate-issue',
          `with issued as (${insert} returning id)
           update certificate set state = 'superseded', superseded_at = now(), replaced_by = ?
           where beneficiary_id = ? and state = 'active' and id <> ?`,
        ),
        [...values, id, beneficiaryId, id],
      );
    }
    this.log.info({ certificate: id, kind: record.kind, version, formats: Object.keys(payloads) }, 'certificate issued');
    countCertificate(this.config.code, record.kind, Object.keys(payloads));
    return { id, certificateId: record.certificateId, kind: record.kind, version, accountId: facts.account_id, created: true };
  }

  /** Each of the tenant's formats that is installed, signed with its active key. A format that fails is logged and left out. */
  private async sign(record: CertificateRecord, keys: Map<FormatId, () => SigningKey>): Promise<Payloads> {
    const payloads: Payloads = {};
    for (const id of this.config.certificates.formats) {
      const format = formatOf(id);
      if (!format) continue;
      try {
        const key = keys.get(id);
        if (!key) throw new Error(`no active ${id} key: the tenant's keys are not provisioned`);
        payloads[id] = await format.issue(record, key());
      } catch (error) {
        this.log.error({ err: error, format: id }, 'certificate format not issued');
      }
    }
    return payloads;
  }

  private async retireEarlier(em: EntityManager, beneficiaryId: string, cause: IssueCause, replacedBy: string | null): Promise<void> {
    const { revoke } = cause;
    if (!revoke) {
      await em.execute(
        `update certificate set state = 'superseded', superseded_at = now(), replaced_by = ? where beneficiary_id = ? and state = 'active' and id <> ?`,
        [replacedBy, beneficiaryId, replacedBy ?? NONE],
      );
      return;
    }
    await em.execute(
      `update certificate set state = 'revoked', revoked_at = now(), revocation_reason = ?, replaced_by = ?
       where beneficiary_id = ? and state <> 'revoked' and id <> ? ${revoke.doseRecordId ? 'and ?::uuid = any(dose_record_ids)' : ''}`,
      [revoke.reason, replacedBy, beneficiaryId, replacedBy ?? NONE, ...(revoke.doseRecordId ? [revoke.doseRecordId] : [])],
    );
    // Certificates issued after the dose (the dose-corrected case) and not listing it are superseded as usual.
    await em.execute(
      `update certificate set state = 'superseded', superseded_at = now(), replaced_by = ? where beneficiary_id = ? and state = 'active' and id <> ?`,
      [replacedBy, beneficiaryId, replacedBy ?? NONE],
    );
  }
}

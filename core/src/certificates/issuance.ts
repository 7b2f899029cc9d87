import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import type { Logger } from '../kernel/log/logger.js';
import { countCertificate } from '../kernel/metrics/metrics.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { RevocationReason } from './certificate.entity.js';
import { newCertificateId } from './certificate-id.js';
import { formatOf } from './formats/index.js';
import { SigningKeyStore } from './keys/key-store.js';
import type { CertificateRecord, FormatId, Issued } from './record.js';
import { buildRecord, readPersonDoses } from './record-builder.js';

const NONE = '00000000-0000-0000-0000-000000000000';

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
 * payloads sealed, in one transaction that holds the person's row, so versions follow each other
 * and the earlier certificates are superseded or revoked together with the new one's arrival.
 */
export class CertificateIssuer {
  constructor(
    private readonly em: EntityManager,
    private readonly crypto: TenantCrypto,
    private readonly config: TenantConfig,
    private readonly issuer: CertificateRecord['issuer'],
    private readonly log: Logger,
  ) {}

  /** Undefined when the person has no dose left to certify (their earlier certificates are revoked as asked). */
  async issue(beneficiaryId: string, cause: IssueCause): Promise<IssuedCertificate | undefined> {
    return this.em.transactional(async (em) => {
      const [person] = await em.execute<{ account_id: string | null }[]>('select account_id from beneficiary where id = ? for update', [
        beneficiaryId,
      ]);
      if (!person) return undefined;
      const [done] = await em.execute<{ id: string; certificate_id: string; kind: CertificateRecord['kind']; version: number }[]>(
        'select id, certificate_id, kind, version from certificate where issue_key = ?',
        [cause.issueKey],
      );
      if (done)
        return {
          id: done.id,
          certificateId: done.certificate_id,
          kind: done.kind,
          version: done.version,
          accountId: person.account_id,
          created: false,
        };

      const found = await readPersonDoses(em as EntityManager, this.crypto, this.config, beneficiaryId);
      const id = randomUUID();
      if (!found || found.doses.length === 0) {
        await this.retireEarlier(em as EntityManager, beneficiaryId, cause, null);
        return undefined;
      }
      const [{ version }] = await em.execute<{ version: number }[]>(
        'select coalesce(max(version), 0) + 1 as version from certificate where beneficiary_id = ?',
        [beneficiaryId],
      );
      const issuedAt = new Date();
      const record = buildRecord(found, this.config, this.issuer, {
        certificateId: newCertificateId(this.config.certificates.issuer.country),
        version,
        issuedAt,
      });
      const payloads = await this.sign(em as EntityManager, record);
      await em.execute(
        `insert into certificate (id, certificate_id, beneficiary_id, dose_record_id, dose_record_ids, issue_key, kind, version,
           record_enc, payloads_enc, formats, state, issued_at)
         values (?, ?, ?, ?, ?::uuid[], ?, ?, ?, ?, ?, ?::text[], 'active', ?)`,
        [
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
        ],
      );
      await this.retireEarlier(em as EntityManager, beneficiaryId, cause, id);
      this.log.info({ certificate: id, kind: record.kind, version, formats: Object.keys(payloads) }, 'certificate issued');
      countCertificate(this.config.code, record.kind, Object.keys(payloads));
      return { id, certificateId: record.certificateId, kind: record.kind, version, accountId: person.account_id, created: true };
    });
  }

  /** Each of the tenant's formats that is installed, signed with its active key. A format that fails is logged and left out. */
  private async sign(em: EntityManager, record: CertificateRecord): Promise<Payloads> {
    const formats = this.config.certificates.formats;
    const keys = await new SigningKeyStore(em, this.crypto, this.config).activeKeys(formats, this.issuer.url);
    const payloads: Payloads = {};
    for (const id of formats) {
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

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { isUniqueViolation } from '../kernel/db/unique-violation.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import { isCertificateId } from './certificate-id.js';
import { CertificateNotActiveError, CorrectionPendingError } from './errors.js';
import { CertificateIssuer, type Payloads } from './issuance.js';
import { recordIssuer } from './issuer.js';
import { SigningKeyStore } from './keys/key-store.js';
import type { CertificateRecord, FormatId, TrustList } from './record.js';
import type { CorrectionRequest } from './schemas.js';
import { buildTrustList, revokedCertificateIds, type TrustListDocument, trustListDocument } from './trust-list.js';

interface CertificateRow {
  id: string;
  certificate_id: string;
  beneficiary_id: string;
  reference_id: string;
  kind: CertificateRecord['kind'];
  version: number;
  state: string;
  formats: FormatId[];
  issued_at: Date;
  revoked_at: Date | null;
  record_enc?: Buffer;
  payloads_enc?: Buffer;
}

const SELECT = `select c.id, c.certificate_id, c.beneficiary_id, b.reference_id, c.kind, c.version, c.state, c.formats, c.issued_at, c.revoked_at`;

/**
 * Certificates as citizens and verifiers see them: a citizen's own (through the account that holds
 * the person; anyone else's is "not found"), their payloads and QR codes, correction requests, and
 * the tenant's trust list and revocations for verifiers.
 */
@injectable()
export class CertificateService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.Tenant) private readonly tenant: Tenant,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  get keys(): SigningKeyStore {
    return new SigningKeyStore(this.em, this.crypto, this.tenant.config);
  }

  get issuerUrl(): string {
    return recordIssuer(this.tenant).url;
  }

  /** Every certificate of the account's people, newest first. */
  async list(accountId: string) {
    const rows = await this.em.execute<(CertificateRow & { name: string })[]>(
      `${SELECT}, b.name from certificate c join beneficiary b on b.id = c.beneficiary_id
       where b.account_id = ? order by c.issued_at desc, c.version desc`,
      [accountId],
    );
    return rows.map((row) => ({ ...summary(row), name: row.name }));
  }

  /** One certificate with its record and every format's payload and QR codes. */
  async get(accountId: string, certificateId: string) {
    const row = await this.own(accountId, certificateId, true);
    const payloads = JSON.parse(this.crypto.decrypt(Buffer.from(row.payloads_enc!))) as Payloads;
    return {
      ...summary(row),
      record: JSON.parse(this.crypto.decrypt(Buffer.from(row.record_enc!))) as CertificateRecord,
      formats: payloads,
    };
  }

  async payload(accountId: string, certificateId: string, format: FormatId) {
    const { formats } = await this.get(accountId, certificateId);
    const issued = formats[format];
    if (!issued) throw new NotFoundError('no such format for this certificate');
    return issued;
  }

  /** A citizen asks for a correction of what the person's current certificate says. */
  async requestCorrection(accountId: string, certificateId: string, input: CorrectionRequest): Promise<{ id: string; state: string }> {
    const row = await this.own(accountId, certificateId, false);
    if (row.state !== 'active') throw new CertificateNotActiveError();
    checkCorrectionValue(input);
    const id = randomUUID();
    try {
      await this.em.execute(
        `insert into certificate_correction (id, certificate_id, beneficiary_id, account_id, field, value_enc, reason_enc, state, requested_at)
         values (?, ?, ?, ?, ?, ?, ?, 'requested', now())`,
        [
          id,
          row.id,
          row.beneficiary_id,
          accountId,
          input.field,
          this.crypto.encrypt(input.value.trim()),
          this.crypto.encrypt(input.reason),
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new CorrectionPendingError();
      throw error;
    }
    this.log.info({ correction: id, field: input.field }, 'certificate correction requested');
    return { id, state: 'requested' };
  }

  async corrections(accountId: string, certificateId: string) {
    const row = await this.own(accountId, certificateId, false);
    const rows = await this.em.execute<{ id: string; field: string; state: string; requested_at: Date; decided_at: Date | null }[]>(
      'select id, field, state, requested_at, decided_at from certificate_correction where certificate_id = ? order by requested_at',
      [row.id],
    );
    return rows.map((r) => ({ id: r.id, field: r.field, state: r.state, requestedAt: r.requested_at, decidedAt: r.decided_at }));
  }

  async trustList(format?: FormatId): Promise<TrustList> {
    return buildTrustList(this.em, this.keys, this.tenant.config, this.issuerUrl, format);
  }

  async trustListDocument(): Promise<TrustListDocument> {
    return trustListDocument(this.em, this.keys, this.tenant.config, this.issuerUrl);
  }

  async revocations(): Promise<{ country: string; issuerUrl: string; revoked: string[]; generatedAt: string }> {
    return {
      country: this.tenant.config.certificates.issuer.country,
      issuerUrl: this.issuerUrl,
      revoked: await revokedCertificateIds(this.em),
      generatedAt: new Date().toISOString(),
    };
  }

  issuer(): CertificateIssuer {
    return new CertificateIssuer(this.em, this.crypto, this.tenant.config, recordIssuer(this.tenant), this.log);
  }

  private async own(accountId: string, certificateId: string, sealed: boolean): Promise<CertificateRow> {
    // A mistyped id fails its check character before any look-up; someone else's is "not found" too.
    if (!isCertificateId(certificateId)) throw new NotFoundError('no such certificate');
    const [row] = await this.em.execute<CertificateRow[]>(
      `${SELECT}${sealed ? ', c.record_enc, c.payloads_enc' : ''} from certificate c join beneficiary b on b.id = c.beneficiary_id
       where c.certificate_id = ? and b.account_id = ?`,
      [certificateId, accountId],
    );
    if (!row) throw new NotFoundError('no such certificate');
    return row;
  }
}

function summary(row: CertificateRow) {
  return {
    certificateId: row.certificate_id,
    beneficiary: row.reference_id,
    kind: row.kind,
    version: row.version,
    state: row.state,
    formats: row.formats,
    issuedAt: new Date(row.issued_at).toISOString(),
    ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at).toISOString() } : {}),
  };
}

/** Values each field accepts; the ID plugin checks a document again when the officer approves. */
function checkCorrectionValue(input: CorrectionRequest): void {
  const value = input.value.trim();
  const ok =
    input.field === 'birthDate'
      ? /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) && new Date(value) <= new Date()
      : input.field === 'passport'
        ? /^[A-Z0-9]{5,20}$/i.test(value)
        : value.length > 0;
  if (!ok) throw new ValidationError('the corrected value is not valid', [{ path: '/value', code: 'format' }]);
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError } from '../kernel/errors.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { BeneficiaryChanges } from '../registration/beneficiary-schemas.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import { oversees, type Role } from '../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../registration/staff/scope-directory.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import type { CorrectionField } from './certificate.entity.js';
import { CertificateService } from './certificate-service.js';
import { CorrectionDecidedError } from './errors.js';
import { certificateNoticeJob } from './jobs.js';

/** Why an officer rejects a correction: codes (translated on pages), so the audit can name them. */
export const REJECT_REASONS = ['evidence-missing', 'does-not-match-document', 'not-an-error', 'other'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Officers decide corrections: the tenant's administrators and district officers over the dose's centre. */
export const OFFICER_ROLES: ReadonlySet<Role> = new Set(['platform-operator', 'tenant-admin', 'district-officer']);

interface CorrectionRow {
  id: string;
  certificate_id: string;
  public_id: string;
  beneficiary_id: string;
  reference_id: string;
  account_id: string;
  name: string;
  document_type: string;
  field: CorrectionField;
  value_enc: Buffer;
  reason_enc: Buffer;
  state: string;
  requested_at: Date;
  decided_at: Date | null;
  facility_id: number | null;
}

const SELECT = `select cc.id, cc.certificate_id, c.certificate_id as public_id, cc.beneficiary_id, b.reference_id, cc.account_id, b.name,
    b.document_type, cc.field, cc.value_enc, cc.reason_enc, cc.state, cc.requested_at, cc.decided_at, d.facility_id
  from certificate_correction cc
  join certificate c on c.id = cc.certificate_id
  join beneficiary b on b.id = cc.beneficiary_id
  join dose_record d on d.id = c.dose_record_id`;

/**
 * The officers' side of corrections. Approving changes the person (through BeneficiaryService, so
 * the ID plugin checks a new document and the document stays registered once), then revokes every
 * earlier certificate of the person and issues a new version, and tells the account by SMS.
 */
@injectable()
export class CorrectionDesk {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.JobQueue) private readonly jobs: JobQueue,
    @inject(BeneficiaryService) private readonly beneficiaries: BeneficiaryService,
    @inject(CertificateService) private readonly certificates: CertificateService,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(TOKENS.Logger) private readonly log: Logger,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  async list(actor: StaffContext, state: string = 'requested') {
    const rows = await this.em.execute<CorrectionRow[]>(`${SELECT} where cc.state = ? order by cc.requested_at limit 500`, [state]);
    const visible: CorrectionRow[] = [];
    for (const row of rows) if (await this.covers(actor, row)) visible.push(row);
    return visible.map((row) => this.view(row));
  }

  /** One request in the officer's scope, whatever its state, with the person's details as they stand. */
  async get(actor: StaffContext, id: string) {
    const row = await this.load(actor, id);
    const person = await this.beneficiaries.get(row.account_id, row.reference_id).catch(() => undefined);
    const [passport] = await this.em.execute<{ number_enc: Buffer }[]>(
      'select number_enc from certificate_passport where beneficiary_id = ?',
      [row.beneficiary_id],
    );
    return {
      ...this.view(row),
      current: {
        name: person?.name ?? row.name,
        birthDate: person ? (person.birthDate ?? String(person.birthYear)) : null,
        document: person ? { type: person.document.type, masked: person.document.masked } : null,
        passport: passport ? this.crypto.decrypt(Buffer.from(passport.number_enc)) : null,
      },
    };
  }

  async approve(actor: StaffContext, id: string) {
    const row = await this.load(actor, id);
    await this.em.begin();
    try {
      const decided = await this.em.execute<{ id: string }[]>(
        `update certificate_correction set state = 'approved', decided_by = ?, decided_at = now() where id = ? and state = 'requested' returning id`,
        [actor.user.id, id],
      );
      if (decided.length === 0) throw new CorrectionDecidedError();
      await this.apply(row);
      this.record(actor, 'certificate.correction-approved', row);
      await this.em.flush();
      await this.em.commit();
    } catch (error) {
      await this.em.rollback();
      throw error;
    }
    const issued = await this.certificates
      .issuer()
      .issue(row.beneficiary_id, { issueKey: `correction:${id}`, revoke: { reason: 'corrected' } });
    if (issued) {
      await this.em.execute('update certificate_correction set new_certificate_id = ? where id = ?', [issued.id, id]);
      await this.jobs
        .send(certificateNoticeJob, { certificate: issued.id }, { key: `issued:${issued.id}` })
        .catch((error) => this.log.error({ err: error, certificate: issued.id }, 'certificate notice not queued'));
    }
    return { ...this.view({ ...row, state: 'approved', decided_at: new Date() }), newCertificateId: issued?.certificateId ?? null };
  }

  async reject(actor: StaffContext, id: string, reason?: RejectReason) {
    const row = await this.load(actor, id);
    const decided = await this.em.execute<{ id: string }[]>(
      `update certificate_correction set state = 'rejected', decided_by = ?, decided_at = now() where id = ? and state = 'requested' returning id`,
      [actor.user.id, id],
    );
    if (decided.length === 0) throw new CorrectionDecidedError();
    this.record(actor, 'certificate.correction-rejected', row, reason ? { reason } : {});
    await this.em.flush();
    return this.view({ ...row, state: 'rejected', decided_at: new Date() });
  }

  /** The person's details changed as asked; a passport is kept for certificates only. */
  private async apply(row: CorrectionRow): Promise<void> {
    const value = this.crypto.decrypt(Buffer.from(row.value_enc));
    if (row.field === 'passport') {
      await this.em.execute(
        `insert into certificate_passport (beneficiary_id, number_enc, updated_at) values (?, ?, now())
         on conflict (beneficiary_id) do update set number_enc = excluded.number_enc, updated_at = now()`,
        [row.beneficiary_id, this.crypto.encrypt(value.toUpperCase())],
      );
      return;
    }
    const changes: BeneficiaryChanges =
      row.field === 'name'
        ? { name: value }
        : row.field === 'birthDate'
          ? { birthDate: value, birthYear: Number(value.slice(0, 4)) }
          : { document: documentOf(value, row.document_type) };
    await this.beneficiaries.update(row.account_id, row.reference_id, changes);
  }

  private async load(actor: StaffContext, id: string): Promise<CorrectionRow> {
    const [row] = await this.em.execute<CorrectionRow[]>(`${SELECT} where cc.id = ?`, [id]);
    if (!row || !(await this.covers(actor, row))) throw new NotFoundError('no such correction');
    return row;
  }

  private async covers(actor: StaffContext, row: CorrectionRow): Promise<boolean> {
    const grants = actor.roles.filter((grant) => OFFICER_ROLES.has(grant.role));
    const target =
      row.facility_id === null ? { type: 'tenant' as const, id: null } : { type: 'facility' as const, id: String(row.facility_id) };
    return oversees(grants, target, this.directory);
  }

  private record(actor: StaffContext, action: string, row: CorrectionRow, extra: Record<string, string> = {}): void {
    // The value and the reason describe the person: ids and the field name only.
    this.audit.record({
      actorType: 'staff',
      actorId: actor.user.id,
      action,
      targetType: 'certificate-correction',
      targetId: row.id,
      details: { field: row.field, beneficiary: row.reference_id, ...extra },
    });
  }

  private view(row: CorrectionRow) {
    return {
      id: row.id,
      certificateId: row.public_id,
      beneficiary: row.reference_id,
      name: row.name,
      field: row.field,
      value: this.crypto.decrypt(Buffer.from(row.value_enc)),
      reason: this.crypto.decrypt(Buffer.from(row.reason_enc)),
      state: row.state,
      requestedAt: new Date(row.requested_at).toISOString(),
      ...(row.decided_at ? { decidedAt: new Date(row.decided_at).toISOString() } : {}),
    };
  }
}

/** `<type>:<number>`, or the number alone for the document type the person has. */
function documentOf(value: string, currentType: string): { type: string; number: string } {
  const at = value.indexOf(':');
  return at > 0 ? { type: value.slice(0, at), number: value.slice(at + 1) } : { type: currentType, number: value };
}

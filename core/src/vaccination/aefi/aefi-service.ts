import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog, type AuditRecord } from '../../kernel/audit/audit-log.js';
import type { TenantCrypto } from '../../kernel/crypto/tenant-crypto.js';
import { inTransaction } from '../../kernel/db/transaction.js';
import { TOKENS } from '../../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/log/logger.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import { type Grant, oversees, type Role } from '../../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../../registration/staff/scope-directory.js';
import type { StaffContext } from '../../registration/staff/staff-context.js';
import { todayIn } from '../../scheduling/slots.js';
import { AefiCase, AefiFollowUp } from './aefi.entity.js';
import { type CaseStatus, NEXT_STATUS, OTHER_SYMPTOM } from './codes.js';
import { batchOf, citizenDose, doseById, type LinkedDose } from './dose-link.js';
import { AefiCaseClosedError, AefiStatusError } from './errors.js';
import type { CitizenReport, EventReport, FollowUp, StaffReport, StatusChange } from './schemas.js';

type Field = { path: string; code: string };

/** Any member of staff reports and follows up cases at the facilities they oversee. */
export const CASE_ROLES: ReadonlySet<Role> = new Set([
  'platform-operator',
  'tenant-admin',
  'district-officer',
  'facility-manager',
  'vaccinator',
]);
/** Investigation and causality assessment belong to district officers and the tenant (WHO: AEFI committees). */
export const INVESTIGATION_ROLES: ReadonlySet<Role> = new Set(['platform-operator', 'tenant-admin', 'district-officer']);

/** Onset a few minutes ahead of the server clock is a clock difference, not the future. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Reporting and following up adverse events following immunisation. A case is linked to the dose
 * it followed and through it to the batch; serious cases are flagged to the district officers over
 * the dose's facility at once (their queue) and the flag is audited. Free text is sealed with the
 * tenant's key before it reaches the unit of work and is never logged.
 */
@injectable()
export class AefiService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(TOKENS.Logger) private readonly log: Logger,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  /** A citizen reports for a dose of one of their own beneficiaries; anyone else's is a 404. */
  async reportByCitizen(accountId: string, input: CitizenReport): Promise<string> {
    const dose = await citizenDose(this.em, accountId, input.beneficiary, input.doseNumber);
    return this.report(dose, input, { actorType: 'citizen', actorId: accountId });
  }

  /** Staff report for a dose given at a facility they oversee. */
  async reportByStaff(actor: StaffContext, input: StaffReport): Promise<string> {
    const dose = await doseById(this.em, input.doseRecordId);
    await this.authorize(actor, dose.facilityId, CASE_ROLES);
    return this.report(dose, input, { actorType: 'staff', actorId: actor.user.id });
  }

  /** A dated note and/or an outcome update by staff; a closed case takes none. */
  async followUp(actor: StaffContext, caseId: string, input: FollowUp): Promise<void> {
    const found = await this.caseFor(actor, caseId, CASE_ROLES);
    if (found.status === 'closed') throw new AefiCaseClosedError();
    const at = this.followUpTime(input.at, found);
    await inTransaction(this.em, async (em) => {
      // Only while the case is open, checked in the same statement: a close that wins the race wins.
      const changed = await em.execute<{ affectedRows?: number }>(
        `update aefi_case set outcome = coalesce(?, outcome), updated_at = now() where id = ? and status <> 'closed'`,
        [input.outcome ?? null, found.id],
        'run',
      );
      if (!changed.affectedRows) throw new AefiCaseClosedError();
      em.persist(this.entry(found.id, actor, at, { note: input.note, outcome: input.outcome }));
      this.record(actor, 'aefi.follow-up', found.id, { ...(input.outcome ? { outcome: input.outcome } : {}), note: Boolean(input.note) });
    });
  }

  /** Investigation, then closing with the WHO causality classification; forward only. */
  async changeStatus(actor: StaffContext, caseId: string, input: StatusChange): Promise<void> {
    const found = await this.caseFor(actor, caseId, INVESTIGATION_ROLES);
    const status = found.status as CaseStatus;
    if (status === 'closed') throw new AefiCaseClosedError();
    if (!NEXT_STATUS[status].includes(input.status)) throw new AefiStatusError(status, input.status);
    const closing = input.status === 'closed';
    if (closing && !input.causality) throw new ValidationError('closing needs the causality', [{ path: '/causality', code: 'required' }]);
    if (!closing && input.causality) {
      throw new ValidationError('causality is given when closing', [{ path: '/causality', code: 'causality-when-closing' }]);
    }
    await inTransaction(this.em, async (em) => {
      // The case row changes only if nobody moved it meanwhile: two officers closing at once get one close.
      const changed = await em.execute<{ affectedRows?: number }>(
        `update aefi_case set status = ?, causality = ?, closed_at = ${closing ? 'now()' : 'null'}, updated_at = now()
         where id = ? and status = ?`,
        [input.status, input.causality ?? null, found.id, found.status],
        'run',
      );
      if (!changed.affectedRows) throw new AefiStatusError(found.status, input.status);
      em.persist(this.entry(found.id, actor, new Date(), { note: input.note, status: input.status, causality: input.causality }));
      this.record(actor, 'aefi.status', found.id, {
        from: found.status,
        to: input.status,
        ...(input.causality ? { causality: input.causality } : {}),
      });
    });
  }

  /** The case, if one of the actor's roles among `roles` oversees its facility (else "not found"). */
  async caseFor(actor: StaffContext, caseId: string, roles: ReadonlySet<Role>): Promise<AefiCase> {
    const found = await this.em.findOne(AefiCase, { id: caseId });
    if (!found) throw new NotFoundError('no such case');
    const grants = actor.roles.filter((grant) => roles.has(grant.role));
    if (!(await this.covers(grants, found.facilityId ?? null))) {
      // Outside every role of the caller: as if absent. Within a role that may only read: refused.
      if (
        await this.covers(
          actor.roles.filter((grant) => CASE_ROLES.has(grant.role)),
          found.facilityId ?? null,
        )
      )
        throw new ForbiddenError();
      throw new NotFoundError('no such case');
    }
    return found;
  }

  private async report(dose: LinkedDose, input: EventReport, reporter: Pick<AuditRecord, 'actorType' | 'actorId'>): Promise<string> {
    const onsetAt = new Date(input.onsetAt);
    this.checkEvent(input, onsetAt, dose);
    const batchId = await batchOf(this.em, dose, input);
    const now = new Date();
    const serious = input.severity === 'serious';
    const created = this.em.create(AefiCase, {
      id: randomUUID(),
      doseRecordId: dose.id,
      beneficiaryId: dose.beneficiaryId,
      batchId,
      vaccine: dose.vaccine,
      facilityId: dose.facilityId,
      reporterType: reporter.actorType === 'citizen' ? 'citizen' : 'staff',
      reporterId: reporter.actorId!,
      severity: input.severity,
      seriousCriteria: input.seriousCriteria ?? [],
      symptoms: input.symptoms,
      otherSymptomEnc: input.otherSymptom ? this.crypto.encrypt(input.otherSymptom) : null,
      descriptionEnc: input.description ? this.crypto.encrypt(input.description) : null,
      onsetAt,
      outcome: input.outcome ?? 'unknown',
      status: 'reported',
      causality: null,
      flaggedAt: serious ? now : null,
      reportedAt: now,
      updatedAt: now,
      closedAt: null,
    });
    await inTransaction(this.em, async (em) => {
      em.persist(created);
      this.audit.record({
        ...reporter,
        action: 'aefi.report',
        targetType: 'aefi-case',
        targetId: created.id,
        details: { severity: input.severity },
      });
      if (serious) {
        // Flagged to the district officers over the facility: their queue shows it from now on.
        this.audit.record({
          actorType: 'system',
          action: 'aefi.serious-flagged',
          targetType: 'aefi-case',
          targetId: created.id,
          details: {
            facilityId: dose.facilityId,
            area: dose.facilityId === null ? null : await this.directory.areaOfFacility(String(dose.facilityId)),
          },
        });
      }
    });
    this.log.info({ caseId: created.id, severity: input.severity, batchLinked: batchId !== null }, 'aefi case reported');
    return created.id;
  }

  /** Severity and its criteria agree, symptoms are the tenant's, `other` is described, onset follows the dose. */
  private checkEvent(input: EventReport, onsetAt: Date, dose: LinkedDose): void {
    const problems: Field[] = [];
    const serious = input.severity === 'serious';
    if (serious && !input.seriousCriteria?.length) problems.push({ path: '/seriousCriteria', code: 'required' });
    if (!serious && input.seriousCriteria?.length) problems.push({ path: '/seriousCriteria', code: 'serious-criteria-unexpected' });
    if (input.outcome === 'fatal' && !input.seriousCriteria?.includes('death')) {
      problems.push({ path: '/outcome', code: 'fatal-needs-death' });
    }
    const known = new Set(this.tenant.aefi.symptoms);
    input.symptoms.forEach((code, index) => {
      if (!known.has(code)) problems.push({ path: `/symptoms/${index}`, code: 'choice' });
    });
    const other = input.symptoms.includes(OTHER_SYMPTOM);
    if (other && !input.otherSymptom) problems.push({ path: '/otherSymptom', code: 'required' });
    if (!other && input.otherSymptom) problems.push({ path: '/otherSymptom', code: 'other-symptom-unexpected' });
    if (onsetAt.getTime() > Date.now() + CLOCK_SKEW_MS) problems.push({ path: '/onsetAt', code: 'onset-in-future' });
    // The dose's day in the tenant's calendar, or its moment where the record holds one.
    const beforeDose = dose.givenAt ? onsetAt < dose.givenAt : todayIn(this.tenant.timeZone, onsetAt) < dose.givenOn;
    if (beforeDose) problems.push({ path: '/onsetAt', code: 'onset-before-dose' });
    if (problems.length > 0) throw new ValidationError('the report is not valid', problems);
  }

  private followUpTime(at: string | undefined, found: AefiCase): Date {
    const when = at ? new Date(at) : new Date();
    if (when.getTime() > Date.now() + CLOCK_SKEW_MS)
      throw new ValidationError('in the future', [{ path: '/at', code: 'follow-up-in-future' }]);
    if (when < found.onsetAt) throw new ValidationError('before the onset', [{ path: '/at', code: 'follow-up-before-onset' }]);
    return when;
  }

  private entry(
    caseId: string,
    actor: StaffContext,
    at: Date,
    what: { note?: string; outcome?: AefiFollowUp['outcome']; status?: CaseStatus; causality?: AefiFollowUp['causality'] },
  ): AefiFollowUp {
    return this.em.create(AefiFollowUp, {
      id: randomUUID(),
      caseId,
      at,
      authorId: actor.user.id,
      noteEnc: what.note ? this.crypto.encrypt(what.note) : null,
      outcome: what.outcome ?? null,
      status: what.status ?? null,
      causality: what.causality ?? null,
      recordedAt: new Date(),
    });
  }

  private async authorize(actor: StaffContext, facilityId: number | null, roles: ReadonlySet<Role>): Promise<void> {
    const grants = actor.roles.filter((grant) => roles.has(grant.role));
    // A dose at no known facility is someone else's: "not found" unless the caller sees the whole tenant.
    if (!(await this.covers(grants, facilityId))) throw new NotFoundError('no such dose');
  }

  private async covers(grants: readonly Grant[], facilityId: number | null): Promise<boolean> {
    const target = facilityId === null ? { type: 'tenant' as const, id: null } : { type: 'facility' as const, id: String(facilityId) };
    return oversees(grants, target, this.directory);
  }

  private record(actor: StaffContext, action: string, caseId: string, details: Record<string, unknown>): void {
    this.audit.record({ actorType: 'staff', actorId: actor.user.id, action, targetType: 'aefi-case', targetId: caseId, details });
  }
}

import { defineEntity, p } from '@mikro-orm/core';
import type { CaseStatus, Causality, Outcome, Severity } from './codes.js';

/**
 * An adverse event following immunisation: one case, linked to the dose record it followed (and
 * through it the person, vaccine and facility) and to the dose's batch. Free text is health data:
 * stored only encrypted with the tenant's key (`*Enc`), never logged.
 */
export const AefiCaseSchema = defineEntity({
  name: 'AefiCase',
  tableName: 'aefi_case',
  properties: {
    id: p.uuid().primary(),
    doseRecordId: p.uuid(),
    beneficiaryId: p.uuid(),
    batchId: p.uuid().nullable(),
    vaccine: p.string().length(40),
    facilityId: p.integer().nullable(),
    reporterType: p.string().length(8).$type<'citizen' | 'staff'>(),
    /** The citizen's account or the staff user. */
    reporterId: p.uuid(),
    severity: p.string().length(8).$type<Severity>(),
    seriousCriteria: p.array<string>(),
    symptoms: p.array<string>(),
    otherSymptomEnc: p.blob().nullable(),
    descriptionEnc: p.blob().nullable(),
    onsetAt: p.datetime(),
    outcome: p.string().length(24).$type<Outcome>(),
    status: p.string().length(24).$type<CaseStatus>().default('reported'),
    causality: p.string().length(16).$type<Causality>().nullable(),
    /** When the case was flagged to district officers (serious cases, at once). */
    flaggedAt: p.datetime().nullable(),
    reportedAt: p.datetime(),
    updatedAt: p.datetime(),
    closedAt: p.datetime().nullable(),
  },
});
export class AefiCase extends AefiCaseSchema.class {}
AefiCaseSchema.setClass(AefiCase);

/** One entry of a case's history by staff: a dated note, an outcome update, a status change. */
export const AefiFollowUpSchema = defineEntity({
  name: 'AefiFollowUp',
  tableName: 'aefi_follow_up',
  properties: {
    id: p.uuid().primary(),
    caseId: p.uuid(),
    at: p.datetime(),
    authorId: p.uuid(),
    noteEnc: p.blob().nullable(),
    outcome: p.string().length(24).$type<Outcome>().nullable(),
    status: p.string().length(24).$type<CaseStatus>().nullable(),
    causality: p.string().length(16).$type<Causality>().nullable(),
    recordedAt: p.datetime(),
  },
});
export class AefiFollowUp extends AefiFollowUpSchema.class {}
AefiFollowUpSchema.setClass(AefiFollowUp);

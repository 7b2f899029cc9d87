import { defineEntity, p } from '@mikro-orm/core';
import type { JWK } from 'jose';
import type { FormatId } from './record.js';

export type CertificateState = 'active' | 'superseded' | 'revoked';
export type RevocationReason = 'corrected' | 'dose-corrected' | 'dose-voided' | 'withdrawn';

/**
 * One certificate issued to a person: the canonical record (WHO DDCC:VS) and every format's
 * payload, both sealed with the tenant's key because they are health data. A later dose
 * supersedes it (it stays valid: it was true when issued); a correction or a voided dose revokes it.
 */
export const CertificateSchema = defineEntity({
  name: 'Certificate',
  tableName: 'certificate',
  properties: {
    id: p.uuid().primary(),
    certificateId: p.string().length(60),
    beneficiaryId: p.uuid(),
    /** The dose whose recording (or correction) made this certificate. */
    doseRecordId: p.uuid(),
    /** Every dose the record lists. */
    doseRecordIds: p.array<string>(),
    /** What caused the issue (`dose:<id>:recorded`, `correction:<id>`): one certificate per cause. */
    issueKey: p.string().length(120),
    kind: p.string().length(12).$type<'provisional' | 'final' | 'booster'>(),
    version: p.integer(),
    recordEnc: p.blob(),
    payloadsEnc: p.blob(),
    formats: p.array<FormatId>(),
    state: p.string().length(10).$type<CertificateState>().default('active'),
    issuedAt: p.datetime(),
    supersededAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    revocationReason: p.string().length(20).$type<RevocationReason>().nullable(),
    replacedBy: p.uuid().nullable(),
  },
});
export class Certificate extends CertificateSchema.class {}
CertificateSchema.setClass(Certificate);

/** A key a format signs with; the private key only sealed. Retired keys verify until `notAfter`. */
export const SigningKeySchema = defineEntity({
  name: 'SigningKeyRow',
  tableName: 'signing_key',
  properties: {
    id: p.uuid().primary(),
    format: p.string().length(10).$type<FormatId>(),
    kid: p.string().length(300),
    algorithm: p.string().length(10).$type<'ES256' | 'Ed25519'>(),
    publicJwk: p.json<JWK>(),
    privateKeyEnc: p.blob(),
    certificate: p.blob().nullable(),
    notBefore: p.datetime(),
    notAfter: p.datetime(),
    state: p.string().length(8).$type<'active' | 'retired'>().default('active'),
    createdAt: p.datetime(),
    retiredAt: p.datetime().nullable(),
  },
});
export class SigningKeyRow extends SigningKeySchema.class {}
SigningKeySchema.setClass(SigningKeyRow);

export type CorrectionField = 'name' | 'birthDate' | 'document' | 'passport';

/** A citizen's request to correct what a certificate says, and the officer's decision. */
export const CertificateCorrectionSchema = defineEntity({
  name: 'CertificateCorrection',
  tableName: 'certificate_correction',
  properties: {
    id: p.uuid().primary(),
    certificateId: p.uuid(),
    beneficiaryId: p.uuid(),
    accountId: p.uuid(),
    field: p.string().length(12).$type<CorrectionField>(),
    valueEnc: p.blob(),
    reasonEnc: p.blob(),
    state: p.string().length(10).$type<'requested' | 'approved' | 'rejected'>().default('requested'),
    requestedAt: p.datetime(),
    decidedBy: p.uuid().nullable(),
    decidedAt: p.datetime().nullable(),
    newCertificateId: p.uuid().nullable(),
  },
});
export class CertificateCorrection extends CertificateCorrectionSchema.class {}
CertificateCorrectionSchema.setClass(CertificateCorrection);

import { defineEntity, p } from '@mikro-orm/core';
import { AccountSchema } from './account.entity.js';

/**
 * A person to be vaccinated, registered under a citizen's account. The identity document is kept
 * as a keyed hash (unique per tenant: one registration per document), an encrypted copy and a
 * masked form for display. Comorbidities are health data: encrypted.
 */
export const BeneficiarySchema = defineEntity({
  name: 'Beneficiary',
  tableName: 'beneficiary',
  properties: {
    id: p.uuid().primary(),
    referenceId: p.string().length(14),
    /** Null for a walk-in registered at a centre without a mobile number. */
    account: () => p.manyToOne(AccountSchema).nullable(),
    name: p.string().length(200),
    birthYear: p.integer(),
    birthDate: p.date().nullable(),
    gender: p.string().length(1),
    documentType: p.string().length(40),
    documentVerifier: p.string().length(64),
    documentHash: p.string().length(64),
    documentEnc: p.blob(),
    documentMasked: p.string().length(40),
    comorbiditiesEnc: p.blob().nullable(),
    consentVersion: p.string().length(20),
    consentAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export class Beneficiary extends BeneficiarySchema.class {}
BeneficiarySchema.setClass(Beneficiary);

import { defineEntity, p } from '@mikro-orm/core';
import { BeneficiarySchema } from '../registration/beneficiary.entity.js';

export const INJECTION_SITES = ['left-deltoid', 'right-deltoid', 'left-thigh', 'right-thigh', 'oral', 'other'] as const;
export type InjectionSite = (typeof INJECTION_SITES)[number];

/** `corrected` by a supervisor (the values before are in `dose_correction`); `voided`: not given. */
export const DOSE_STATES = ['recorded', 'corrected', 'voided'] as const;
export type DoseState = (typeof DOSE_STATES)[number];

/**
 * A dose given to a beneficiary: which vaccine, which dose of the schedule (1, 2, then boosters
 * numbered on), when and where. One record per dose number per person, voided ones aside. Doses
 * given at a centre also name the batch, the session, the stock location the dose was taken from,
 * the vaccinator and the injection site; older or imported records may lack them.
 */
export const DoseRecordSchema = defineEntity({
  name: 'DoseRecord',
  tableName: 'dose_record',
  properties: {
    id: p.uuid().primary(),
    beneficiary: () => p.manyToOne(BeneficiarySchema),
    vaccine: p.string().length(40),
    doseNumber: p.integer(),
    givenOn: p.date(),
    facilityId: p.integer().nullable(),
    /** Why a dose was given before its minimum interval (travel, medical advice), when it was. */
    intervalException: p.string().length(200).nullable(),
    recordedBy: p.uuid().nullable(),
    recordedAt: p.datetime(),
    batchId: p.uuid().nullable(),
    sessionId: p.uuid().nullable(),
    appointmentId: p.uuid().nullable(),
    /** Where the stock was taken from (`session:<id>` or `facility:<id>`), to put it back on a correction. */
    stockLocation: p.string().length(50).nullable(),
    administeredAt: p.datetime().nullable(),
    /** The staff user who gave the dose. */
    vaccinatorId: p.uuid().nullable(),
    injectionSite: p.string().length(20).$type<InjectionSite>().nullable(),
    /** The client's key for this request: a double submit answers the first record. */
    idempotencyKey: p.string().length(100).nullable(),
    requestHash: p.string().length(64).nullable(),
    state: p.string().length(10).$type<DoseState>().default('recorded'),
    updatedAt: p.datetime().nullable(),
  },
});
export class DoseRecord extends DoseRecordSchema.class {}
DoseRecordSchema.setClass(DoseRecord);

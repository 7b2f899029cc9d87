import { defineEntity, p } from '@mikro-orm/core';
import { BeneficiarySchema } from '../registration/beneficiary.entity.js';

/**
 * A dose given to a beneficiary: which vaccine, which dose of the schedule (1, 2, then boosters
 * numbered on), when and where. One record per dose number per person.
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
  },
});
export class DoseRecord extends DoseRecordSchema.class {}
DoseRecordSchema.setClass(DoseRecord);

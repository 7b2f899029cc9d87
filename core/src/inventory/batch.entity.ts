import { defineEntity, p } from '@mikro-orm/core';

/**
 * A manufacturer's lot of one vaccine product (the tenant file's vaccine code). Usable through
 * its expiry date, in the tenant's calendar; a recalled batch is never issued or administered.
 */
export const BatchSchema = defineEntity({
  name: 'Batch',
  tableName: 'batch',
  properties: {
    id: p.uuid().primary(),
    vaccine: p.string().length(40),
    lotNumber: p.string().length(40),
    manufacturer: p.string().length(200).nullable(),
    expiresOn: p.date(),
    dosesPerVial: p.integer(),
    state: p.string().length(10).$type<'active' | 'recalled'>().default('active'),
    recalledAt: p.datetime().nullable(),
    recallReason: p.string().length(200).nullable(),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class Batch extends BatchSchema.class {}
BatchSchema.setClass(Batch);

import { defineEntity, p } from '@mikro-orm/core';

/** Who did what, to what, when and from where. Details never hold personal data. */
export const AuditEntrySchema = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_entry',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    at: p.datetime().onCreate(() => new Date()),
    actorType: p.string().length(10),
    actorId: p.uuid().nullable(),
    action: p.string().length(64),
    targetType: p.string().length(40).nullable(),
    targetId: p.string().length(64).nullable(),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(200).nullable(),
    details: p.json<Record<string, unknown>>(),
  },
});
export class AuditEntry extends AuditEntrySchema.class {}
AuditEntrySchema.setClass(AuditEntry);

import { defineEntity, p } from '@mikro-orm/core';

/** A member of staff: tenant administrator, district officer, facility manager, vaccinator... */
export const StaffUserSchema = defineEntity({
  name: 'StaffUser',
  tableName: 'staff_user',
  properties: {
    id: p.uuid().primary(),
    username: p.string().length(64),
    displayName: p.string().length(200),
    /** scrypt, in the self-describing form `scrypt$N$r$p$salt$hash`. */
    passwordHash: p.string().length(200),
    totpSecretEnc: p.blob().nullable(),
    totpEnabled: p.boolean().default(false),
    failedAttempts: p.integer().default(0),
    lockedUntil: p.datetime().nullable(),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class StaffUser extends StaffUserSchema.class {}
StaffUserSchema.setClass(StaffUser);

/** A role held within a scope: the platform, the tenant, an area or a facility. */
export const StaffRoleSchema = defineEntity({
  name: 'StaffRole',
  tableName: 'staff_role',
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(StaffUserSchema),
    role: p.string().length(32),
    scopeType: p.string().length(16),
    scopeId: p.string().length(64).nullable(),
  },
});
export class StaffRole extends StaffRoleSchema.class {}
StaffRoleSchema.setClass(StaffRole);

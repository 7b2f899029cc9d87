import { randomUUID } from 'node:crypto';
import { AuditEntry } from '../../kernel/audit/audit-entry.entity.js';
import type { Tenant } from '../../kernel/tenancy/tenant.js';
import { StaffRole, StaffUser } from '../staff-user.entity.js';
import { hashPassword, PASSWORD_MIN_LENGTH } from './passwords.js';

const ADMIN_USERNAME = 'admin';

/**
 * Development start-up: gives a tenant with no staff at all a first administrator, `admin`
 * (tenant-admin), with the password given; once any member of staff exists it does nothing.
 * Concurrent start-ups are serialised by an advisory lock, so only one creates the account.
 */
export async function bootstrapDevelopmentAdmin(tenant: Tenant, password: string): Promise<{ username: string; created: boolean }> {
  if (password.length < PASSWORD_MIN_LENGTH)
    throw new Error(`the administrator's password needs at least ${PASSWORD_MIN_LENGTH} characters`);
  const passwordHash = await hashPassword(password);
  const created = await tenant.orm.em.fork().transactional(async (em) => {
    await em
      .getConnection()
      .execute('select pg_advisory_xact_lock(hashtext(?))', ['teeka:staff:bootstrap'], 'all', em.getTransactionContext());
    if ((await em.count(StaffUser, {})) > 0) return false;
    const user = em.create(StaffUser, {
      id: randomUUID(),
      username: ADMIN_USERNAME,
      displayName: 'Tenant administrator',
      passwordHash,
      totpEnabled: false,
      failedAttempts: 0,
      active: true,
      createdAt: new Date(),
    });
    em.persist(user);
    em.persist(em.create(StaffRole, { id: randomUUID(), user, role: 'tenant-admin', scopeType: 'tenant', scopeId: null }));
    em.persist(
      em.create(AuditEntry, {
        at: new Date(),
        actorType: 'system',
        actorId: null,
        action: 'staff.admin-bootstrapped',
        targetType: 'staff-user',
        targetId: user.id,
        ip: null,
        userAgent: null,
        details: { roles: [{ role: 'tenant-admin', scopeType: 'tenant', scopeId: null }] },
      }),
    );
    return true;
  });
  return { username: ADMIN_USERNAME, created };
}

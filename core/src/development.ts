import type { SecretStore } from './kernel/secrets/secret-store.js';
import type { Tenant } from './kernel/tenancy/tenant.js';
import { bootstrapDevelopmentAdmin } from './registration/staff/bootstrap.js';

/**
 * What development mode adds to each tenant at start: a first tenant administrator, so the demo
 * can be administered at once. Its password is TEEKA_<CODE>_ADMIN_PASSWORD, generated once into
 * the data folder like every development secret, and printed for the developer.
 */
export async function prepareDevelopmentTenant(tenant: Tenant, secrets: SecretStore, notice: (line: string) => void): Promise<void> {
  const password = secrets.resolve({ env: `TEEKA_${tenant.code.toUpperCase()}_ADMIN_PASSWORD` });
  if (!password) return;
  const { username, created } = await bootstrapDevelopmentAdmin(tenant, password);
  if (created) notice(`tenant ${tenant.code}: created the first tenant administrator`);
  notice(`tenant ${tenant.code}: staff sign-in ${username} / ${password} (POST /api/v1/staff/sign-in)`);
}

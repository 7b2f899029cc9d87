import type { SecretRef, TenantConfig } from './tenant-config.js';

/**
 * Secrets every tenant has: token signing (sessions), encryption of identity numbers at rest,
 * and the key of the hashes used to deduplicate them. A tenant file may name the environment
 * variable of each; by default it is TEEKA_<CODE>_<NAME>.
 */
export const TENANT_SECRETS = ['tokenKey', 'encryptionKey', 'hashKey'] as const;
export type TenantSecretName = (typeof TENANT_SECRETS)[number];

const snake = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();

export function tenantSecretRef(tenant: TenantConfig, name: TenantSecretName): SecretRef {
  return tenant.secrets[name] ?? { env: `TEEKA_${tenant.code.toUpperCase()}_${snake(name)}` };
}

export function pluginSecretRef(tenant: TenantConfig, pluginId: string, secret: string, declared?: SecretRef): SecretRef {
  return declared ?? { env: `TEEKA_${tenant.code.toUpperCase()}_${snake(pluginId)}_${snake(secret)}` };
}

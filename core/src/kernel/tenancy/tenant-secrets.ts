import type { PluginRegistry } from '../plugins/plugin-registry.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { pluginUses, type SecretRef, type TenantConfig } from './tenant-config.js';

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

/**
 * Resolves every secret the tenants need (their own, their plugins' and a `database.url`) before
 * anything starts, so that in production `secrets.assertComplete()` (or `secrets.missingNames()`)
 * lists all the missing ones at once. Used by start-up and by `teeka tenant check`.
 */
export function preflightSecrets(configs: readonly TenantConfig[], registry: PluginRegistry, secrets: SecretStore): void {
  for (const config of configs) {
    for (const name of TENANT_SECRETS) secrets.resolve(tenantSecretRef(config, name));
    for (const use of pluginUses(config)) {
      for (const name of registry.code(use.id)?.manifest.secrets ?? []) {
        secrets.resolve(pluginSecretRef(config, use.id, name, use.secrets?.[name]));
      }
    }
    if (config.database?.url) secrets.resolve(config.database.url, { generate: false });
  }
}

import type { TenantCrypto } from '../../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../kernel/di/tokens.js';
import type { Tenant } from '../../kernel/tenancy/tenant.js';
import { SigningKeyStore } from './key-store.js';

/**
 * Part of provisioning a tenant (every start): its signing authority and a key for each format it
 * issues, created where missing. Idempotent, and safe with several processes starting at once.
 */
export async function provisionSigningKeys(tenant: Tenant): Promise<void> {
  const store = new SigningKeyStore(tenant.orm.em.fork(), tenant.container.resolve<TenantCrypto>(TOKENS.Crypto), tenant.config);
  const created = await store.provision();
  if (created > 0) tenant.log.info({ created }, 'certificate signing keys created');
}

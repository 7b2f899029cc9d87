import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { coreKeys, hasKey as has, missingTenantKeys } from '../../src/kernel/i18n/missing-keys.js';
import type { Resources } from '../../src/kernel/i18n/resources.js';
import { PluginRegistry } from '../../src/kernel/plugins/plugin-registry.js';
import { loadTenantFiles } from '../../src/kernel/tenancy/load-tenants.js';

/**
 * Every key that core code or a tenant's effective templates use must exist in every language the
 * tenant enables: in that language itself, not only through a fallback (see src/kernel/i18n/missing-keys.ts).
 */
const paths = projectPaths();

test('every key used by core and each tenant’s theme exists in every language the tenant enables', async (t) => {
  const registry = await PluginRegistry.discover(paths);
  const tenants = loadTenantFiles(paths.tenants, paths.root);
  const shared = coreKeys();
  t.true(shared.length > 20, 'found the keys core uses');
  const missing: string[] = [];
  for (const tenant of tenants) {
    for (const { lng, key } of await missingTenantKeys(tenant, registry, paths.tenants, { shared }))
      missing.push(`${tenant.code}/${lng}: ${key}`);
  }
  t.deepEqual(missing, []);
});

test('the check itself notices a missing key', (t) => {
  const resources: Resources = { en: { common: { a: 'A', n_one: 'one', n_other: 'many' } }, ar: { common: { a: '', n_one: 'x' } } };
  t.true(has(resources, 'en', 'common:a'));
  t.true(has(resources, 'en', 'common:n'));
  t.false(has(resources, 'ar', 'common:a'), 'empty string counts as missing');
  t.false(has(resources, 'ar', 'common:n'), 'Arabic needs all six plural forms');
});

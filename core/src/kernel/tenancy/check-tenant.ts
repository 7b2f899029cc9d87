import { describeErrors } from '../config/json-schema.js';
import type { Mode } from '../config/settings.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import type { PluginUse, TenantConfig } from './tenant-config.js';

/**
 * Checks what a tenant file asks of the installed plugins, language packs and themes. Returns
 * problems as `/path: message` lines; an empty list means the tenant can be activated.
 */
export function checkTenantPlugins(tenant: TenantConfig, registry: PluginRegistry, mode: Mode): string[] {
  const problems: string[] = [];
  for (const lng of tenant.languages.enabled) {
    if (!registry.language(lng)) {
      const known = registry
        .ofKind('language')
        .map((p) => p.manifest.id)
        .join(', ');
      problems.push(`/languages/enabled: no language pack "${lng}" in locales/ (installed: ${known})`);
    }
  }
  if (!registry.theme(tenant.theme.name)) {
    const known = registry
      .ofKind('theme')
      .map((p) => p.manifest.id)
      .join(', ');
    problems.push(`/theme/name: no theme "${tenant.theme.name}" in themes/ (installed: ${known})`);
  }
  tenant.plugins.idVerifiers.forEach((use, index) => {
    problems.push(...checkUse(tenant, use, `/plugins/idVerifiers/${index}`, 'id-verifier', registry, mode));
  });
  problems.push(...checkUse(tenant, tenant.plugins.sms, '/plugins/sms', 'sms-gateway', registry, mode));
  if (tenant.plugins.smsFallback) {
    problems.push(...checkUse(tenant, tenant.plugins.smsFallback, '/plugins/smsFallback', 'sms-gateway', registry, mode));
  }
  return problems;
}

function checkUse(
  tenant: TenantConfig,
  use: PluginUse,
  path: string,
  kind: 'id-verifier' | 'sms-gateway',
  registry: PluginRegistry,
  mode: Mode,
): string[] {
  const found = registry.code(use.id);
  if (!found) {
    const known =
      registry
        .ofKind(kind)
        .map((p) => p.manifest.id)
        .join(', ') || 'none';
    return [`${path}/id: unknown plugin "${use.id}" (installed ${kind} plugins: ${known})`];
  }
  const { manifest } = found;
  if (manifest.kind !== kind) return [`${path}/id: plugin "${use.id}" is a ${manifest.kind}, not a ${kind}`];
  const problems: string[] = [];
  if (!manifest.countries.includes('*') && !manifest.countries.includes(tenant.country)) {
    problems.push(`${path}/id: plugin "${use.id}" serves ${manifest.countries.join(', ')}, not ${tenant.country}`);
  }
  if (mode === 'production' && manifest.developmentOnly) {
    problems.push(`${path}/id: plugin "${use.id}" is for development only and is refused in production mode`);
  }
  // Validate a copy: ajv fills defaults in place, and the tenant's file stays as written.
  const config = structuredClone(use.config ?? {});
  if (!found.validateConfig(config)) {
    for (const line of describeErrors(found.validateConfig.errors)) {
      problems.push(
        `${path}/config${line.startsWith('(top level)') ? line.slice('(top level)'.length) : line} (checked against plugin "${use.id}"'s config schema)`,
      );
    }
  } else {
    use.config = config;
  }
  for (const name of Object.keys(use.secrets ?? {})) {
    if (!(manifest.secrets ?? []).includes(name)) problems.push(`${path}/secrets/${name}: plugin "${use.id}" declares no secret "${name}"`);
  }
  return problems;
}

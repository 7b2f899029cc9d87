import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INVALID_REASONS } from '@teeka/plugin-sdk';
import { testContext } from '@teeka/plugin-sdk/testing';
import { PROJECT_ROOT } from '../config/paths.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import { tenantResources, themeChain } from '../tenancy/tenant.js';
import type { TenantConfig } from '../tenancy/tenant-config.js';
import type { Resources } from './resources.js';

/**
 * Which translation keys a tenant needs and which of them a language lacks. A key must exist in
 * every language the tenant enables: in that language itself, not only through a fallback. Used by
 * the translation test, `teeka tenant check` and `teeka translations missing`.
 */
const KEY_IN_TEMPLATE = /\(?t\s+"([a-z-]+:[\w.-]+)"/g;
const KEY_IN_CODE = /\bt\(\s*['"`]([a-z-]+:[\w.-]+)['"`]/g;
/** `super('code', 404`, `new UnauthorizedError('code'`, `new RateLimitedError(seconds, 'code')`. */
const ERROR_CODE_IN_CODE = /(?:super|Error)\((?:[^()']*,\s*)?'([a-z]+(?:-[a-z]+)+)'/g;

function files(directory: string, extension: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return files(path, extension);
    return entry.name.endsWith(extension) ? [path] : [];
  });
}

function matches(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((m) => m[1]);
}

/**
 * Keys used by core: literal t() calls, and the title and detail of every error code. Read from
 * core's TypeScript sources (`codeRoot`/core/src: the checkout the running code belongs to).
 */
export function coreKeys(codeRoot = PROJECT_ROOT): string[] {
  const sources = files(join(codeRoot, 'core', 'src'), '.ts').map((file) => readFileSync(file, 'utf8'));
  const problemSource = readFileSync(join(codeRoot, 'core', 'src', 'kernel', 'http', 'problem.ts'), 'utf8');
  const codes = new Set([
    ...matches(problemSource, /'([a-z]+(?:-[a-z]+)+|[a-z]+-[a-z]+)'/g),
    ...sources.flatMap((s) => matches(s, ERROR_CODE_IN_CODE)),
  ]);
  codes.add('internal-error');
  // Field error codes: those validation maps ajv keywords to, those code sets by hand, and one
  // per reason an ID plugin may give (`document-checksum`...).
  const validateSource = readFileSync(join(codeRoot, 'core', 'src', 'kernel', 'http', 'validate.ts'), 'utf8');
  const fieldCodes = new Set([
    ...matches(validateSource, /:\s*'([a-z]+(?:-[a-z]+)*)'/g),
    'invalid',
    ...sources.flatMap((s) => matches(s, /path: [^,]+, code: '([a-z0-9]+(?:-[a-z0-9]+)*)'/g)),
    ...sources.flatMap((s) => matches(s, /code: result\.status === 'mismatch' \? '([a-z-]+)' : '([a-z-]+)'/g)),
    'document-not-found',
    ...INVALID_REASONS.map((reason) => `document-${reason}`),
  ]);
  return [
    ...sources.flatMap((s) => matches(s, KEY_IN_CODE)),
    ...[...codes].flatMap((code) => [`errors:${code}.title`, `errors:${code}.detail`]),
    ...[...fieldCodes].map((code) => `errors:fields.${code}`),
  ];
}

/** Keys in the templates a tenant actually renders: the most specific theme's file wins. */
export function templateKeys(directories: string[]): string[] {
  const effective = new Map<string, string>();
  for (const directory of directories) {
    for (const kind of ['layouts', 'partials', 'pages']) {
      try {
        for (const file of files(join(directory, kind), '.hbs')) effective.set(file.slice(directory.length), file);
      } catch {
        // a theme need not have every kind of template
      }
    }
  }
  return [...effective.values()].flatMap((file) => matches(readFileSync(file, 'utf8'), KEY_IN_TEMPLATE));
}

/** True when `lng` itself has a non-empty string for the key (or every plural form of it). */
export function hasKey(resources: Resources, lng: string, qualified: string): boolean {
  const [ns, key] = qualified.split(':');
  const lookup = (path: string) => {
    let node: unknown = resources[lng]?.[ns];
    for (const part of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    return typeof node === 'string' && node.trim() !== '';
  };
  if (lookup(key)) return true;
  const categories = new Intl.PluralRules(lng).resolvedOptions().pluralCategories;
  return categories.every((category) => lookup(`${key}_${category}`));
}

export interface MissingKeysOptions {
  /** Core's keys, computed once for several tenants (see `coreKeys`). */
  shared?: string[];
  /** Only these languages (default: every language the tenant enables). */
  languages?: string[];
}

/**
 * The keys a tenant uses (core's, its effective templates', its ID plugins' document labels) that
 * one of its languages lacks, as `{ lng, key }`, sorted by language then key.
 */
export async function missingTenantKeys(
  tenant: TenantConfig,
  registry: PluginRegistry,
  tenantsDir: string,
  options: MissingKeysOptions = {},
): Promise<{ lng: string; key: string }[]> {
  const chain = themeChain(tenant.theme.name, registry);
  const resources = tenantResources(tenant, registry, chain, tenantsDir);
  const pluginKeys: string[] = [];
  for (const use of tenant.plugins.idVerifiers) {
    const verifier = await registry.code(use.id)!.plugin.create(testContext(use.config ?? {}) as never);
    if ('documentTypes' in verifier) pluginKeys.push(...verifier.documentTypes().map((type) => `${use.id}:${type.labelKey}`));
    await verifier.close?.();
  }
  const keys = [
    ...new Set([...(options.shared ?? coreKeys()), ...templateKeys(chain.map((layer) => layer.directory)), ...pluginKeys]),
  ].sort();
  const missing: { lng: string; key: string }[] = [];
  for (const lng of options.languages ?? tenant.languages.enabled) {
    for (const key of keys) if (!hasKey(resources, lng, key)) missing.push({ lng, key });
  }
  return missing;
}

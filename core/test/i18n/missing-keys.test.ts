import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INVALID_REASONS } from '@teeka/plugin-sdk';
import { testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import type { Resources } from '../../src/kernel/i18n/resources.js';
import { PluginRegistry } from '../../src/kernel/plugins/plugin-registry.js';
import { loadTenantFiles } from '../../src/kernel/tenancy/load-tenants.js';
import { tenantResources, themeChain } from '../../src/kernel/tenancy/tenant.js';

/**
 * Every key that core code or a tenant's effective templates use must exist in every language the
 * tenant enables: in that language itself, not only through a fallback.
 */
const paths = projectPaths();
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

/** Keys used by core: literal t() calls, and the title and detail of every error code. */
function coreKeys(): string[] {
  const sources = files(join(paths.root, 'core', 'src'), '.ts').map((file) => readFileSync(file, 'utf8'));
  const problemSource = readFileSync(join(paths.root, 'core', 'src', 'kernel', 'http', 'problem.ts'), 'utf8');
  const codes = new Set([
    ...matches(problemSource, /'([a-z]+(?:-[a-z]+)+|[a-z]+-[a-z]+)'/g),
    ...sources.flatMap((s) => matches(s, ERROR_CODE_IN_CODE)),
  ]);
  codes.add('internal-error');
  // Field error codes: those validation maps ajv keywords to, those code sets by hand, and one
  // per reason an ID plugin may give (`document-checksum`...).
  const validateSource = readFileSync(join(paths.root, 'core', 'src', 'kernel', 'http', 'validate.ts'), 'utf8');
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
function templateKeys(directories: string[]): string[] {
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

function has(resources: Resources, lng: string, qualified: string): boolean {
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

test('every key used by core and each tenant’s theme exists in every language the tenant enables', async (t) => {
  const registry = await PluginRegistry.discover(paths);
  const tenants = loadTenantFiles(paths.tenants, paths.root);
  const shared = coreKeys();
  t.true(shared.length > 20, 'found the keys core uses');
  const missing: string[] = [];
  for (const tenant of tenants) {
    const chain = themeChain(tenant.theme.name, registry);
    const resources = tenantResources(tenant, registry, chain, paths.tenants);
    const pluginKeys: string[] = [];
    for (const use of tenant.plugins.idVerifiers) {
      const verifier = await registry.code(use.id)!.plugin.create(testContext(use.config ?? {}) as never);
      if ('documentTypes' in verifier) pluginKeys.push(...verifier.documentTypes().map((type) => `${use.id}:${type.labelKey}`));
    }
    const keys = new Set([...shared, ...templateKeys(chain.map((layer) => layer.directory)), ...pluginKeys]);
    for (const lng of tenant.languages.enabled) {
      for (const key of keys) if (!has(resources, lng, key)) missing.push(`${tenant.code}/${lng}: ${key}`);
    }
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

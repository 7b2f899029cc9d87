import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Command, EXIT, stringOption, tenantCode, UsageError } from '../args.js';
import { readTenant } from '../tenant-files.js';

const USAGE = 'teeka translations missing <lng> [--tenant <code>]';

export const translationsMissing: Command = {
  name: 'translations missing',
  summary: 'list the translation keys a language lacks (for translators)',
  usage: USAGE,
  help: `Lists every key that core, the tenants' themes and their ID plugins use and that language <lng>
lacks in its own files (a fallback language does not count), for every tenant that enables <lng>
(or only --tenant). Each line is the key, the file to add it to, and the tenants that need it.
Exits 1 when keys are missing.

Options:
  --tenant <code>        only this tenant (it need not enable <lng>)`,
  options: { tenant: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ settings, values, positionals, out }) {
    const { paths } = settings;
    const lng = positionals[0];
    if (!/^[a-z]{2,3}(-[A-Z]{2})?$/.test(lng)) throw new UsageError(`"${lng}" is not a language code (e.g. hi, ar, es)`, USAGE);
    if (!existsSync(join(paths.locales, lng))) {
      throw new UsageError(`no language pack "${lng}" in ${relative(paths.root, paths.locales)}/ (copy locales/en to start one)`, USAGE);
    }
    const only = stringOption(values, 'tenant');
    const codes = only
      ? [tenantCode(only, USAGE)]
      : readdirSync(paths.tenants)
          .filter((name) => /\.ya?ml$/.test(name))
          .map((name) => name.replace(/\.ya?ml$/, ''))
          .sort();
    const { coreKeys, missingTenantKeys } = await import('../../kernel/i18n/missing-keys.js');
    const { PluginRegistry } = await import('../../kernel/plugins/plugin-registry.js');
    const registry = await PluginRegistry.discover(paths);
    const shared = coreKeys();
    const needs = new Map<string, string[]>();
    let tenants = 0;
    for (const code of codes) {
      const config = readTenant(paths, code);
      if (!only && !config.languages.enabled.includes(lng)) continue;
      tenants++;
      const languages = config.languages.enabled.includes(lng) ? [...config.languages.enabled] : [...config.languages.enabled, lng];
      const tenant = { ...config, languages: { ...config.languages, enabled: languages } };
      for (const missing of await missingTenantKeys(tenant, registry, paths.tenants, { shared, languages: [lng] })) {
        needs.set(missing.key, [...(needs.get(missing.key) ?? []), code]);
      }
    }
    if (tenants === 0) {
      out(`no tenant enables "${lng}"; use --tenant <code> to check it for one`);
      return EXIT.ok;
    }
    if (needs.size === 0) {
      out(`${lng}: no missing keys (${tenants} tenant(s) checked)`);
      return EXIT.ok;
    }
    for (const [key, users] of [...needs].sort(([a], [b]) => a.localeCompare(b))) {
      const [ns] = key.split(':');
      // A plugin's strings (namespace = plugin id) live in its source, under `resources`.
      const where = registry.code(ns) ? `plugin ${ns} (resources.${lng})` : relative(paths.root, join(paths.locales, lng, `${ns}.json`));
      out(`${key}\t${where}\t(${users.join(', ')})`);
    }
    out(`${lng}: ${needs.size} missing key(s)`);
    return EXIT.problems;
  },
};

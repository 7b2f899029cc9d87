import { readFileSync } from 'node:fs';
import type { TestFn } from 'ava';
import type { CodePlugin } from '../index.js';
import { manifestSchema, PLUGIN_API_VERSION, type PluginManifest } from '../manifest.js';

/** Options of {@link manifestContract}. */
export interface ManifestKitOptions {
  /** URL of the plugin's package.json, e.g. `new URL('../../package.json', import.meta.url)`. */
  packageJson: URL;
  /** The plugin module's default export (its kind must match the manifest's). */
  plugin: CodePlugin;
  /** Configs the plugin's configSchema must accept, and ones it must refuse. `{}` is always tried. */
  validConfigs?: unknown[];
  /** Configs the plugin's configSchema must refuse. */
  invalidConfigs?: unknown[];
}

/**
 * Contract for the manifest an integrator writes in package.json: it passes the schema the host
 * checks at boot, names the plugin API version this SDK provides, matches the module's kind, and
 * its configSchema accepts and refuses what the plugin expects. The host validates with ajv, which
 * plugins have as a development dependency.
 */
export function manifestContract(test: TestFn, options: ManifestKitOptions): void {
  test('contract: the manifest passes the host’s checks and its config schema works', async (t) => {
    const { Ajv } = await import('ajv');
    const addFormats = ((await import('ajv-formats')) as unknown as { default: (ajv: unknown) => void }).default;
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
    addFormats(ajv);
    const pkg = JSON.parse(readFileSync(options.packageJson, 'utf8')) as { teeka?: PluginManifest };
    t.truthy(pkg.teeka, 'package.json has a "teeka" manifest');
    const manifest = pkg.teeka!;
    t.true(ajv.validate(manifestSchema, manifest), ajv.errorsText());
    t.is(manifest.apiVersion, PLUGIN_API_VERSION);
    t.is(manifest.kind, options.plugin.kind);
    const config = ajv.compile(manifest.configSchema ?? { type: 'object' });
    for (const valid of [{}, ...(options.validConfigs ?? [])]) t.true(config(structuredClone(valid)), `accepts ${JSON.stringify(valid)}`);
    for (const invalid of options.invalidConfigs ?? []) t.false(config(structuredClone(invalid)), `refuses ${JSON.stringify(invalid)}`);
  });
}

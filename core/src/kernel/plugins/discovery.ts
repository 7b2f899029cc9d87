import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CodePlugin, manifestSchema, PLUGIN_API_VERSION, type PluginKind, type PluginManifest } from '@teeka/plugin-sdk';
import type { ValidateFunction } from 'ajv';
import { createAjv, validateWith } from '../config/json-schema.js';
import { ConfigError } from '../errors.js';

/** A discovered, validated plugin of any kind. */
export interface DiscoveredPlugin {
  manifest: PluginManifest & Record<string, unknown>;
  /** Folder of the package, language pack or theme. */
  directory: string;
  /** Where the manifest was read from, relative to the project, for messages. */
  source: string;
  validateConfig: ValidateFunction;
}

export interface LoadedCodePlugin extends DiscoveredPlugin {
  plugin: CodePlugin;
}

const ajv = createAjv();
const validateManifest = ajv.compile(manifestSchema);

/** Validates one manifest; the message names the file and the field. */
export function checkManifest(raw: unknown, source: string, expectedKinds: PluginKind[]): PluginManifest & Record<string, unknown> {
  const result = validateWith<PluginManifest & Record<string, unknown>>(validateManifest, raw);
  if (!result.ok) throw new ConfigError(`Invalid plugin manifest in ${source}:\n${result.errors.map((e) => `  ${e}`).join('\n')}`);
  const manifest = result.value;
  if (manifest.apiVersion !== PLUGIN_API_VERSION) {
    throw new ConfigError(
      `Plugin "${manifest.id}" (${source}) targets plugin API version ${manifest.apiVersion}, but this Teeka provides version ${PLUGIN_API_VERSION}. Update the plugin to @teeka/plugin-sdk ${PLUGIN_API_VERSION}.x.`,
    );
  }
  if (!expectedKinds.includes(manifest.kind)) {
    throw new ConfigError(`Plugin "${manifest.id}" (${source}) is of kind "${manifest.kind}", expected ${expectedKinds.join(' or ')} here`);
  }
  return manifest;
}

function compileConfigSchema(manifest: PluginManifest, source: string): ValidateFunction {
  try {
    return ajv.compile(manifest.configSchema ?? { type: 'object' });
  } catch (error) {
    throw new ConfigError(`Plugin "${manifest.id}" (${source}): its configSchema is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

function readJson(path: string, root: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read ${relative(root, path)}: ${(error as Error).message}`);
  }
}

function subfolders(directory: string): string[] {
  if (!existsSync(directory)) return [];
  // statSync follows symlinks: a plugin folder may be linked in from elsewhere.
  return readdirSync(directory)
    .filter((name) => !name.startsWith('.') && statSync(join(directory, name)).isDirectory())
    .sort();
}

/** Language packs (`locales/<lng>/manifest.json`) and themes (`themes/<name>/theme.json`). */
export function discoverFolders(directory: string, manifestFile: string, kind: 'language' | 'theme', root: string): DiscoveredPlugin[] {
  return subfolders(directory).map((name) => {
    const folder = join(directory, name);
    const file = join(folder, manifestFile);
    const source = relative(root, file);
    if (!existsSync(file)) throw new ConfigError(`${relative(root, folder)} has no ${manifestFile}`);
    const manifest = checkManifest(readJson(file, root), source, [kind]);
    if (manifest.id !== name) throw new ConfigError(`${source}: id "${manifest.id}" must match its folder name "${name}"`);
    return { manifest, directory: folder, source, validateConfig: compileConfigSchema(manifest, source) };
  });
}

/** Code plugins: every package under plugins/ with a `teeka` manifest in its package.json. */
export async function discoverCodePlugins(directory: string, root: string): Promise<LoadedCodePlugin[]> {
  const found: LoadedCodePlugin[] = [];
  for (const name of subfolders(directory)) {
    const folder = join(directory, name);
    const packageFile = join(folder, 'package.json');
    const source = relative(root, packageFile);
    if (!existsSync(packageFile)) throw new ConfigError(`${relative(root, folder)} is not a plugin package: it has no package.json`);
    const pkg = readJson(packageFile, root) as { teeka?: unknown; main?: string; exports?: unknown };
    if (pkg.teeka === undefined) throw new ConfigError(`${source} has no "teeka" manifest, so it is not a Teeka plugin`);
    const manifest = checkManifest(pkg.teeka, source, ['id-verifier', 'sms-gateway']);
    const entry = resolve(folder, pkg.main ?? 'dist/src/index.js');
    if (!existsSync(entry))
      throw new ConfigError(
        `Plugin "${manifest.id}" (${source}): entry ${relative(root, entry)} does not exist; build it with npm run build`,
      );
    const plugin = ((await import(pathToFileURL(entry).href)) as { default?: CodePlugin }).default;
    if (!plugin || typeof plugin.create !== 'function' || plugin.kind !== manifest.kind) {
      throw new ConfigError(
        `Plugin "${manifest.id}" (${source}): its module must default-export define${manifest.kind === 'id-verifier' ? 'IdVerifier' : 'SmsGateway'}({...}) of kind "${manifest.kind}"`,
      );
    }
    found.push({ manifest, directory: folder, source, validateConfig: compileConfigSchema(manifest, source), plugin });
  }
  return found;
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/** language -> namespace -> nested keys */
export type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Deep merge, later layers win; used to layer pack -> theme strings -> tenant overrides. */
export function mergeResources(...layers: Resources[]): Resources {
  const out: Resources = {};
  for (const layer of layers) {
    for (const [lng, namespaces] of Object.entries(layer)) {
      out[lng] ??= {};
      for (const [ns, keys] of Object.entries(namespaces)) {
        out[lng][ns] = deepMerge(out[lng][ns] ?? {}, keys);
      }
    }
  }
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && current && typeof current === 'object'
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** Reads `<dir>/<lng>/<ns>.json` for the given languages; missing folders are simply empty. */
export function readLocaleTree(directory: string, languages: string[], label: string): Resources {
  const resources: Resources = {};
  for (const lng of languages) {
    const folder = join(directory, lng);
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.json') && name !== 'manifest.json')) {
      const ns = file.slice(0, -'.json'.length);
      try {
        resources[lng] ??= {};
        resources[lng][ns] = JSON.parse(readFileSync(join(folder, file), 'utf8'));
      } catch (error) {
        throw new ConfigError(`${label}/${lng}/${file}: not valid JSON (${(error as Error).message})`);
      }
    }
  }
  return resources;
}

/** All leaf keys of a namespace, dotted: `errors.not-found.title`. */
export function flattenKeys(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    value && typeof value === 'object' ? flattenKeys(value as Record<string, unknown>, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

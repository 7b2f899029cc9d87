import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ProjectPaths } from '../kernel/config/paths.js';
import { ConfigError } from '../kernel/errors.js';
import { parseTenantFile } from '../kernel/tenancy/load-tenants.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';

/** `tenants/<code>.yaml` (or `.yml`), whichever exists. */
export function tenantFile(paths: ProjectPaths, code: string): string | undefined {
  return ['yaml', 'yml'].map((ext) => join(paths.tenants, `${code}.${ext}`)).find((file) => existsSync(file));
}

/** Reads and validates one tenant file with the platform's own parser; problems name the file. */
export function readTenant(paths: ProjectPaths, code: string): TenantConfig {
  const file = tenantFile(paths, code);
  if (!file) throw new ConfigError(`${relative(paths.root, join(paths.tenants, `${code}.yaml`))}: no such tenant file`);
  try {
    return parseTenantFile(readFileSync(file, 'utf8'), code);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${relative(paths.root, file)}:\n${error.message}`);
    throw error;
  }
}

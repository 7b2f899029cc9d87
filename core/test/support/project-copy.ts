import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProjectPaths, projectPaths } from '../../src/kernel/config/paths.js';

/**
 * A copy of the project's configuration (tenants, locales, themes) with the real plugins linked
 * in, plus test fixture plugins, and tenant files changed as a test needs. Code stays shared.
 */
export function projectCopy(options: { fixtures?: string[]; tenants?: Record<string, (yaml: string) => string> } = {}): ProjectPaths {
  const source = projectPaths();
  const root = mkdtempSync(join(tmpdir(), 'teeka-copy-'));
  for (const folder of ['locales', 'themes', 'tenants']) cpSync(join(source.root, folder), join(root, folder), { recursive: true });
  mkdirSync(join(root, 'plugins'));
  for (const plugin of readdirSync(source.plugins)) symlinkSync(join(source.plugins, plugin), join(root, 'plugins', plugin));
  for (const fixture of options.fixtures ?? []) {
    symlinkSync(join(source.root, 'core', 'test', 'fixtures', fixture), join(root, 'plugins', fixture));
  }
  for (const [code, change] of Object.entries(options.tenants ?? {})) {
    const file = join(root, 'tenants', `${code}.yaml`);
    writeFileSync(file, change(readFileSync(file, 'utf8')));
  }
  return projectPaths(root);
}

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: this file is at core/dist/src/kernel/config/paths.js once compiled. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');

export interface ProjectPaths {
  root: string;
  tenants: string;
  plugins: string;
  locales: string;
  themes: string;
  /** Git-ignored folder for generated development secrets and (usually) embedded PostgreSQL data. */
  data: string;
}

export function projectPaths(root = PROJECT_ROOT): ProjectPaths {
  return {
    root,
    tenants: resolve(root, 'tenants'),
    plugins: resolve(root, 'plugins'),
    locales: resolve(root, 'locales'),
    themes: resolve(root, 'themes'),
    data: resolve(root, '.data'),
  };
}

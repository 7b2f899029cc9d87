import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mode } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import type { SecretRef } from '../tenancy/tenant-config.js';

/**
 * Resolves secret references (`{ env: NAME }`) to values. Tenant files only ever name secrets.
 * In development a missing secret is generated once into the git-ignored data folder and reused,
 * so the demo runs with no set-up; in production a missing secret stops start-up.
 */
export class SecretStore {
  private generated: Record<string, string> | undefined;
  private readonly missing = new Set<string>();

  constructor(
    private readonly mode: Mode,
    private readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private get file(): string {
    return join(this.dataDir, 'secrets', 'development-secrets.json');
  }

  /** The value, or undefined (recorded as missing) in production. */
  resolve(ref: SecretRef, options: { generate?: boolean } = {}): string | undefined {
    const value = this.env[ref.env];
    if (value) return value;
    if (this.mode === 'production' || options.generate === false) {
      if (this.mode === 'production') this.missing.add(ref.env);
      return undefined;
    }
    this.generated ??= existsSync(this.file) ? JSON.parse(readFileSync(this.file, 'utf8')) : {};
    const store = this.generated as Record<string, string>;
    if (!store[ref.env]) {
      store[ref.env] = randomBytes(32).toString('base64url');
      // The data folder itself stays traversable (the embedded server's data lives in it too);
      // only the secrets folder is private. A recursive mkdir would give both mode 0700.
      mkdirSync(this.dataDir, { recursive: true });
      mkdirSync(join(this.dataDir, 'secrets'), { recursive: true, mode: 0o700 });
      writeFileSync(this.file, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
    }
    return store[ref.env];
  }

  /** The environment variables found missing so far (production), in the order they were asked for. */
  missingNames(): string[] {
    return [...this.missing];
  }

  /** Throws one error naming every missing secret, so an operator fixes them all at once. */
  assertComplete(): void {
    if (this.missing.size === 0) return;
    throw new ConfigError(
      `Production mode needs these secrets in the environment, and they are not set:\n${[...this.missing].map((name) => `  ${name}`).join('\n')}`,
    );
  }
}

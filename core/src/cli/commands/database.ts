import { readdirSync } from 'node:fs';
import type { FormatId } from '../../certificates/record.js';
import { type Command, EXIT, stringOption, tenantCode, UsageError } from '../args.js';
import { readTenant } from '../tenant-files.js';

const MIGRATE_USAGE = 'teeka migrate [<code>...]';

export const migrate: Command = {
  name: 'migrate',
  summary: 'create missing tenant databases and run pending migrations',
  usage: MIGRATE_USAGE,
  help: `Brings the databases of the given tenants (default: every tenants/*.yaml, or TEEKA_TENANTS) up to
date with core's migrations, creating a database that does not exist yet. Start-up does the same;
this runs it on its own, e.g. before a deployment. The server is DATABASE_URL, else the embedded one.`,
  positionals: { min: 0, max: 50 },
  async run({ settings, positionals, out, err }) {
    const codes =
      positionals.length > 0
        ? positionals.map((code) => tenantCode(code, MIGRATE_USAGE))
        : settings.tenantCodes.length > 0
          ? settings.tenantCodes
          : readdirSync(settings.paths.tenants)
              .filter((name) => /\.ya?ml$/.test(name))
              .map((name) => name.replace(/\.ya?ml$/, ''))
              .sort();
    const { openTenantDatabase, withDatabaseServer } = await import('../database.js');
    const configs = codes.map((code) => readTenant(settings.paths, code));
    await withDatabaseServer(settings, err, async (server) => {
      for (const config of configs) {
        await openTenantDatabase(config, settings, server, async (tenant) => {
          const executed = await tenant.orm.em.getConnection().execute<{ name: string }[]>('select name from teeka_migrations order by id');
          out(
            `${config.code}: database ${tenant.database}${tenant.created ? ' (created)' : ''}: ${executed.length} migrations applied, up to date`,
          );
        });
      }
    });
    return EXIT.ok;
  },
};

const ROTATE_USAGE = 'teeka keys rotate <code> [--format eu-dcc|shc|w3c-vc]';

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'retire the tenant’s certificate signing keys and create new ones',
  usage: ROTATE_USAGE,
  help: `Retires the active signing key of each certificate format the tenant issues (or only --format) and
creates a new one. A retired key stays published until its end date, so every certificate it signed
still verifies. Running platform processes pick the new key up on their next signature.

Options:
  --format <id>          only this format (eu-dcc, shc or w3c-vc)`,
  options: { format: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ settings, values, positionals, out, err }) {
    const code = tenantCode(positionals[0], ROTATE_USAGE);
    const config = readTenant(settings.paths, code);
    const { SigningKeyStore } = await import('../../certificates/keys/key-store.js');
    const { openTenantDatabase, withDatabaseServer } = await import('../database.js');
    const only = stringOption(values, 'format');
    const formats = (only ? [only] : config.certificates.formats) as FormatId[];
    if (only && !config.certificates.formats.includes(only as FormatId)) {
      throw new UsageError(`--format: tenant ${code} issues ${config.certificates.formats.join(', ')}, not "${only}"`, ROTATE_USAGE);
    }
    await withDatabaseServer(settings, err, (server) =>
      openTenantDatabase(config, settings, server, async (tenant) => {
        const store = new SigningKeyStore(tenant.orm.em.fork(), tenant.crypto, config);
        await store.provision(); // the authority the keys are certified by
        for (const format of formats) out(`${code}: ${format}: new active key ${await store.rotate(format)}`);
      }),
    );
    return EXIT.ok;
  },
};

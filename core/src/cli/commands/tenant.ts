import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Settings } from '../../kernel/config/settings.js';
import { ConfigError } from '../../kernel/errors.js';
import type { PluginRegistry } from '../../kernel/plugins/plugin-registry.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import { type Command, EXIT, stringOption, tenantCode, UsageError } from '../args.js';
import { COUNTRY_DEFAULTS, callingCode, countryName, isCurrency, isTimeZone } from '../country-defaults.js';
import { readTenant, tenantFile } from '../tenant-files.js';

const NEW_USAGE = 'teeka tenant new <code> [--time-zone <zone>] [--currency <code>] [--languages <lng,...>] [--theme <name>] [--force]';

export const tenantNew: Command = {
  name: 'tenant new',
  summary: 'scaffold tenants/<code>.yaml, a theme stub and a translation override folder',
  usage: NEW_USAGE,
  help: `Writes, for the country whose ISO 3166-1 alpha-2 code is <code>:
  tenants/<code>.yaml              the tenant file, with the country's defaults where known
  tenants/<code>/locales/<lng>/    folders for country-specific wording (one per enabled language)
  themes/<name>/theme.json         a theme extending "default" (kept when it exists)

Languages, time zone, currency and area levels come from a table of known countries; the phone
calling code comes from libphonenumber-js. Other countries need --time-zone, --currency and
--languages. Only languages with a pack in locales/ are enabled; the others are listed in a comment.

Options:
  --time-zone <zone>     IANA time zone, e.g. Africa/Nairobi
  --currency <code>      ISO 4217 currency, e.g. KES
  --languages <list>     language codes, the default first, e.g. en,sw
  --theme <name>         theme name (default: the country's English name, e.g. kenya)
  --force                overwrite an existing tenant file

Then: teeka tenant check <code>`,
  options: {
    'time-zone': { type: 'string' },
    currency: { type: 'string' },
    languages: { type: 'string' },
    theme: { type: 'string' },
    force: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run({ settings, values, positionals, out }) {
    const { paths } = settings;
    const code = tenantCode(positionals[0], NEW_USAGE);
    const country = code.toUpperCase();
    const name = countryName(country);
    const calling = callingCode(country);
    if (!name || !calling) throw new UsageError(`"${code}" is not a country code known to CLDR and libphonenumber-js`, NEW_USAGE);
    const existing = tenantFile(paths, code);
    if (existing && values.force !== true) {
      throw new UsageError(`${relative(paths.root, existing)} already exists (use --force to overwrite it)`, NEW_USAGE);
    }
    const known = COUNTRY_DEFAULTS[country];
    const timeZone = stringOption(values, 'time-zone') ?? known?.timeZone;
    const currency = (stringOption(values, 'currency') ?? known?.currency)?.toUpperCase();
    const languageList = stringOption(values, 'languages')
      ?.split(',')
      .map((lng) => lng.trim())
      .filter(Boolean);
    const languages = languageList?.length ? languageList : known?.languages;
    const lacking = [!timeZone && '--time-zone', !currency && '--currency', !languages && '--languages'].filter(Boolean);
    if (lacking.length > 0) {
      throw new UsageError(`no defaults are known for ${name} (${country}): give ${lacking.join(', ')}`, NEW_USAGE);
    }
    if (!isTimeZone(timeZone!))
      throw new UsageError(`--time-zone: "${timeZone}" is not an IANA time zone (e.g. Africa/Nairobi)`, NEW_USAGE);
    if (!isCurrency(currency!)) throw new UsageError(`--currency: "${currency}" is not an ISO 4217 currency code (e.g. KES)`, NEW_USAGE);
    const installed = new Set(readdirSync(paths.locales).filter((lng) => existsSync(join(paths.locales, lng, 'manifest.json'))));
    let enabled = languages!.filter((lng) => installed.has(lng));
    const notInstalled = languages!.filter((lng) => !installed.has(lng));
    if (enabled.length === 0) enabled = ['en'];
    const theme = stringOption(values, 'theme') ?? themeName(name);
    if (!/^[a-z][a-z0-9-]*$/.test(theme))
      throw new UsageError(`--theme: "${theme}" must be lower-case letters, digits and dashes`, NEW_USAGE);

    const written: string[] = [];
    const file = join(paths.tenants, `${code}.yaml`);
    writeFileSync(
      file,
      tenantYaml({
        code,
        country,
        name,
        calling,
        timeZone: timeZone!,
        currency: currency!,
        enabled,
        notInstalled,
        theme,
        known: known !== undefined,
      }),
    );
    written.push(relative(paths.root, file));
    for (const lng of enabled) {
      const folder = join(paths.tenants, code, 'locales', lng);
      mkdirSync(folder, { recursive: true });
      if (readdirSync(folder).length === 0) writeFileSync(join(folder, '.gitkeep'), '');
    }
    const readme = join(paths.tenants, code, 'locales', 'README.md');
    if (!existsSync(readme)) {
      writeFileSync(
        readme,
        `# ${name}: translation overrides\n\nCountry-specific wording goes in \`<lng>/<namespace>.json\` (for example \`en/common.json\`),\nwith only the keys that differ from the language pack in \`locales/<lng>/\`. Check with\n\`npx teeka tenant check ${code}\` and list gaps with \`npx teeka translations missing <lng>\`.\n`,
      );
    }
    written.push(`${relative(paths.root, join(paths.tenants, code, 'locales'))}/`);
    const themeDir = join(paths.themes, theme);
    if (!existsSync(join(themeDir, 'theme.json'))) {
      mkdirSync(themeDir, { recursive: true });
      const manifest = {
        id: theme,
        kind: 'theme',
        version: '1.0.0',
        apiVersion: 1,
        countries: [country],
        extends: 'default',
        description: `${name}: brand tokens only; every template comes from default.`,
        tokens: { primaryColor: '#1d4f91', accentColor: '#0b7a75' },
      };
      writeFileSync(join(themeDir, 'theme.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      written.push(relative(paths.root, join(themeDir, 'theme.json')));
    } else {
      out(`theme "${theme}" exists: kept`);
    }
    for (const line of written) out(`wrote ${line}`);
    if (notInstalled.length > 0) out(`no language pack yet for: ${notInstalled.join(', ')} (add locales/<lng>/ to enable them)`);
    if (!known) out(`${name} is not in the defaults table: review area levels and the postal code in ${relative(paths.root, file)}`);
    out(`next: review ${relative(paths.root, file)}, then run: teeka tenant check ${code}`);
    return EXIT.ok;
  },
};

function themeName(country: string): string {
  const ascii = country
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(ascii) ? ascii : `theme-${ascii}`;
}

function tenantYaml(t: {
  code: string;
  country: string;
  name: string;
  calling: string;
  timeZone: string;
  currency: string;
  enabled: string[];
  notInstalled: string[];
  theme: string;
  known: boolean;
}): string {
  const defaults = COUNTRY_DEFAULTS[t.country];
  const levels = defaults?.areaLevels ?? ['region', 'district'];
  const upper = t.code.toUpperCase();
  return `# ${t.name}: scaffolded by \`teeka tenant new ${t.code}\`. Review every value, then run \`teeka tenant check ${t.code}\`.
# The schema is in core/src/kernel/tenancy/tenant-schema.ts; README.md "Adding a country" explains each part.
code: ${t.code}
country: ${t.country}
hostnames: [${t.code}.teeka.example]
languages:
  default: ${t.enabled[0]}
  enabled: [${t.enabled.join(', ')}]${t.notInstalled.length > 0 ? `\n  # Not enabled yet (no pack in locales/): ${t.notInstalled.join(', ')}` : ''}
timeZone: ${t.timeZone}
currency: ${t.currency}
phone:
  countryCode: "${t.calling}"
  region: ${t.country}
areas:
${t.known ? '' : "  # Not in the CLI defaults table: name the levels of the country's administrative areas, top first.\n"}  levels: [${levels.join(', ')}]${defaults?.postalCode ? `\n  postalCode:\n    pattern: "${defaults.postalCode}"` : ''}
plugins:
  idVerifiers:
    # Replace or add the country's ID plugin when one exists (README.md "Plugins shipped").
    - id: passport
      config: { issuingCountry: ${t.country} }
  sms:
    # Development only: refused in production. Use smpp or http-sms there.
    id: dev-outbox
theme:
  name: ${t.theme}
vaccines:
  - code: comirnaty
    name: Pfizer-BioNTech (Comirnaty)
    manufacturer: BioNTech
    doses: 2
    intervals:
      - { dose: 2, minDays: 21, maxDays: 28 }
    booster: { minDaysAfterLastDose: 180 }
eligibility:
  minAgeYears: 18
certificates:
  issuer:
    name: Ministry of Health (${t.name})
    country: ${t.country}
# Secrets are named, never written here. In development missing ones are generated into .data/.
secrets:
  tokenKey: { env: TEEKA_${upper}_TOKEN_KEY }
  encryptionKey: { env: TEEKA_${upper}_ENCRYPTION_KEY }
  hashKey: { env: TEEKA_${upper}_HASH_KEY }
`;
}

const CHECK_USAGE = 'teeka tenant check [<code>] [--no-translations]';

export const tenantCheck: Command = {
  name: 'tenant check',
  summary: 'validate tenant files, plugins and their config, translations, theme templates and seed data',
  usage: CHECK_USAGE,
  help: `Checks one tenant (or every tenants/*.yaml) the way start-up does, and more, without starting anything:
  - the file against the tenant schema and its cross-field rules
  - plugins, language packs and themes it names; each plugin's config against the plugin's schema
  - theme templates (syntax, partials, helpers) of the tenant's theme chain
  - seed data: tenants/<code>/areas.json, facilities.json, demo-sessions.json
  - every translation key core, the theme and the ID plugins use, in every enabled language
  - with NODE_ENV=production: production's plugin rules, and every secret the tenant and its
    plugins need is set in the environment (names only; values are never printed)
Prints a report and exits 1 when anything is wrong.

Options:
  --no-translations      skip the translation check`,
  options: { 'no-translations': { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run({ settings, values, positionals, out }) {
    const { paths } = settings;
    const codes = positionals[0]
      ? [tenantCode(positionals[0], CHECK_USAGE)]
      : readdirSync(paths.tenants)
          .filter((name) => /\.ya?ml$/.test(name))
          .map((name) => name.replace(/\.ya?ml$/, ''))
          .sort();
    if (codes.length === 0) {
      out(`no tenant files in ${relative(paths.root, paths.tenants)}/`);
      return EXIT.problems;
    }
    const { PluginRegistry } = await import('../../kernel/plugins/plugin-registry.js');
    const { coreKeys } = await import('../../kernel/i18n/missing-keys.js');
    let registry: PluginRegistry;
    try {
      registry = await PluginRegistry.discover(paths);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      out(`plugins, language packs or themes: ${error.message}`);
      return EXIT.problems;
    }
    const shared = values['no-translations'] === true ? [] : coreKeys();
    let failed = 0;
    for (const code of codes) {
      const problems = await checkTenant(settings, registry, code, { translations: values['no-translations'] !== true, shared });
      const where = relative(paths.root, tenantFile(paths, code) ?? join(paths.tenants, `${code}.yaml`));
      if (problems.length === 0) {
        out(`${where}: ok`);
      } else {
        failed++;
        out(`${where}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
        for (const problem of problems) out(`  ${problem.replace(/\n/g, '\n  ')}`);
      }
    }
    out(failed === 0 ? `${codes.length} tenant(s) ok` : `${failed} of ${codes.length} tenant(s) with problems`);
    return failed === 0 ? EXIT.ok : EXIT.problems;
  },
};

/** Every problem of one tenant, as readable lines; empty when the tenant would start. */
export async function checkTenant(
  settings: Settings,
  registry: PluginRegistry,
  code: string,
  options: { translations: boolean; shared?: string[] },
): Promise<string[]> {
  const { paths } = settings;
  const { checkTenantPlugins } = await import('../../kernel/tenancy/check-tenant.js');
  const { themeChain } = await import('../../kernel/tenancy/tenant.js');
  const { ThemeRenderer } = await import('../../kernel/views/theme-renderer.js');
  const { readAreaSeeds } = await import('../../scheduling/area-seeds.js');
  const { readFacilitySeeds } = await import('../../scheduling/facility-seeds.js');
  const { readDemoSessionPlans } = await import('../../scheduling/demo-sessions.js');
  const { missingTenantKeys } = await import('../../kernel/i18n/missing-keys.js');
  const attempt = <T>(problems: string[], work: () => T): T | undefined => {
    try {
      return work();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  const problems: string[] = [];
  let config: TenantConfig | undefined;
  try {
    config = readTenant(paths, code);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The message starts with the file's path, already in the report's heading.
    return [error.message.replace(/^[^\n]*:\n/, '').replace(/^ {2}/gm, '')];
  }
  const fit = checkTenantPlugins(config, registry, settings.mode);
  problems.push(...fit);
  if (settings.mode === 'production') problems.push(...(await missingProductionSecrets(config, registry, settings)));
  if (fit.some((line) => line.startsWith('/languages/enabled') || line.startsWith('/theme/'))) return problems; // the rest needs them
  attempt(problems, () => new ThemeRenderer(themeChain(config.theme.name, registry), config.theme.tokens, paths.root));
  const areas = attempt(problems, () => readAreaSeeds(paths.tenants, paths.root, code, config.areas.levels));
  if (areas) {
    const facilities = attempt(problems, () => readFacilitySeeds(paths.tenants, paths.root, config, areas));
    if (facilities)
      attempt(problems, () =>
        readDemoSessionPlans({ ...settings, mode: 'development', demoSessions: true }, [config], new Map([[code, facilities]])),
      );
  }
  if (options.translations && fit.length === 0) {
    const missing = await missingTenantKeys(config, registry, paths.tenants, { shared: options.shared });
    for (const { lng, key } of missing) problems.push(`translations/${lng}: missing ${key}`);
  }
  return problems;
}

/** Production only: every secret the tenant and its plugins need that the environment does not set (start-up's own check). */
async function missingProductionSecrets(config: TenantConfig, registry: PluginRegistry, settings: Settings): Promise<string[]> {
  const { SecretStore } = await import('../../kernel/secrets/secret-store.js');
  const { preflightSecrets } = await import('../../kernel/tenancy/tenant-secrets.js');
  const secrets = new SecretStore('production', settings.paths.data);
  preflightSecrets([config], registry, secrets);
  return secrets.missingNames().map((name) => `secrets: ${name} is not set in the environment (production needs every secret)`);
}

const PROVISION_USAGE = 'teeka tenant provision <code>';

export const tenantProvision: Command = {
  name: 'tenant provision',
  summary: 'create the tenant database, run migrations, create signing keys, load seed areas and facilities',
  usage: PROVISION_USAGE,
  help: `Prepares a tenant's database without starting the platform, as start-up would:
  1. creates the database when missing (teeka_<code> on the server, or the tenant's own)
  2. runs the migrations
  3. loads tenants/<code>/areas.json then facilities.json (upserts: an unchanged row is untouched)
  4. creates the certificate signing authority and keys where missing
Idempotent: running it again changes nothing. The server is DATABASE_URL, else the embedded one.`,
  positionals: { min: 1, max: 1 },
  async run({ settings, positionals, out, err }) {
    const code = tenantCode(positionals[0], PROVISION_USAGE);
    const { readAreaSeeds, upsertAreas } = await import('../../scheduling/area-seeds.js');
    const { readFacilitySeeds, upsertFacilities } = await import('../../scheduling/facility-seeds.js');
    const { SigningKeyStore } = await import('../../certificates/keys/key-store.js');
    const { openTenantDatabase, withDatabaseServer } = await import('../database.js');
    const config = readTenant(settings.paths, code);
    const { paths } = settings;
    const areas = readAreaSeeds(paths.tenants, paths.root, code, config.areas.levels);
    const facilities = readFacilitySeeds(paths.tenants, paths.root, config, areas);
    await withDatabaseServer(settings, err, (server) =>
      openTenantDatabase(config, settings, server, async (tenant) => {
        out(`${code}: database ${tenant.database} ${tenant.created ? 'created' : 'exists'}; migrations up to date`);
        const changedAreas = await upsertAreas(tenant.orm, areas, config.areas.levels);
        out(`${code}: areas: ${areas.length} in seed file, ${changedAreas} inserted or changed`);
        const changedFacilities = await upsertFacilities(tenant.orm, facilities);
        out(`${code}: facilities: ${facilities.length} in seed file, ${changedFacilities} inserted or changed`);
        const keys = await new SigningKeyStore(tenant.orm.em.fork(), tenant.crypto, config).provision();
        out(`${code}: signing keys: ${keys} created`);
      }),
    );
    return EXIT.ok;
  },
};

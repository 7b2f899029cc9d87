import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fetchHttpClient, type IdVerifier, type PluginContext, type SmsGateway } from '@teeka/plugin-sdk';
import type { i18n } from 'i18next';
import type { DependencyContainer } from 'tsyringe';
import { jobDefinitions } from '../../jobs.js';
import { startHousekeeping } from '../../maintenance/housekeeping.js';
import { type NamedGateway, recordDelivery } from '../../messaging/delivery.js';
import { NoticeOutbox } from '../../messaging/notice-outbox.js';
import type { Settings } from '../config/settings.js';
import { TenantCrypto } from '../crypto/tenant-crypto.js';
import { type DatabaseServer, databaseOf, ensureDatabase, withDatabase } from '../db/database-server.js';
import { openTenantOrm, type TenantOrm } from '../db/orm.js';
import { TOKENS } from '../di/tokens.js';
import { ConfigError } from '../errors.js';
import { mergeResources, type Resources, readLocaleTree } from '../i18n/resources.js';
import { createTenantI18n } from '../i18n/tenant-i18n.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { Logger } from '../log/logger.js';
import type { LoadedCodePlugin } from '../plugins/discovery.js';
import { databaseStorage, pluginLogger } from '../plugins/plugin-context.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { Site } from '../site.js';
import type { RenderData } from '../views/render-data.js';
import { type ThemeLayer, ThemeRenderer } from '../views/theme-renderer.js';
import { type PluginUse, pluginUses, type TenantConfig } from './tenant-config.js';
import { pluginSecretRef, TENANT_SECRETS, type TenantSecretName, tenantSecretRef } from './tenant-secrets.js';

export interface LanguageInfo {
  code: string;
  nativeName: string;
  dir: 'ltr' | 'rtl';
}

export interface TenantDeps {
  settings: Settings;
  registry: PluginRegistry;
  server: DatabaseServer;
  secrets: SecretStore;
  logger: Logger;
  root: DependencyContainer;
}

/**
 * One country, running: its database and ORM, its i18next instance, its compiled theme and its
 * plugin instances, all held in its own DI container (a child of the platform's).
 */
export class Tenant implements Site {
  #jobs?: JobQueue;

  private constructor(
    readonly config: TenantConfig,
    readonly container: DependencyContainer,
    readonly orm: TenantOrm,
    readonly database: string,
    readonly i18n: i18n,
    readonly theme: ThemeRenderer,
    readonly languages: Map<string, LanguageInfo>,
    readonly sms: SmsGateway,
    /** Primary gateway first, then the fallback: the order core tries them in. */
    readonly smsGateways: NamedGateway[],
    readonly idVerifiers: Map<string, IdVerifier>,
    readonly secrets: Record<TenantSecretName, string>,
    readonly log: Logger,
  ) {}

  get code(): string {
    return this.config.code;
  }

  get defaultLanguage(): string {
    return this.config.languages.default;
  }

  /** The tenant's job queue: pg-boss on its own database, workers running. */
  get jobs(): JobQueue {
    if (!this.#jobs) throw new Error(`tenant ${this.code}: the job queue is not started`);
    return this.#jobs;
  }

  /** Builds everything the tenant needs; the database is created and migrated on the way. */
  static async activate(config: TenantConfig, deps: TenantDeps): Promise<Tenant> {
    const { settings, registry } = deps;
    const log = deps.logger.child({ tenant: config.code });
    const secrets = Object.fromEntries(
      TENANT_SECRETS.map((name) => [name, deps.secrets.resolve(tenantSecretRef(config, name)) ?? '']),
    ) as Record<TenantSecretName, string>;

    const url = tenantDatabaseUrl(config, deps);
    const database = databaseOf(url);
    if (await ensureDatabase(withDatabase(url, 'postgres'), database).catch(() => false)) {
      log.info({ database }, 'created tenant database');
    }
    const orm = await openTenantOrm(url);

    const languages = new Map<string, LanguageInfo>();
    for (const code of config.languages.enabled) {
      const manifest = registry.language(code)!.manifest;
      languages.set(code, { code, nativeName: String(manifest.nativeName ?? code), dir: manifest.direction === 'rtl' ? 'rtl' : 'ltr' });
    }
    const chain = themeChain(config.theme.name, registry);
    const resources = tenantResources(config, registry, chain, settings.paths.tenants);
    const i18n = createTenantI18n({
      defaultLanguage: config.languages.default,
      enabled: config.languages.enabled,
      fallback: config.languages.fallback,
      resources,
    });
    const theme = new ThemeRenderer(chain, config.theme.tokens, settings.paths.root);

    const create = async <P>(use: PluginUse): Promise<P> => {
      const found = registry.code(use.id)!;
      const pluginSecrets: Record<string, string> = {};
      for (const name of found.manifest.secrets ?? []) {
        pluginSecrets[name] = deps.secrets.resolve(pluginSecretRef(config, use.id, name, use.secrets?.[name])) ?? '';
      }
      const context: PluginContext = {
        tenant: {
          code: config.code,
          country: config.country,
          timeZone: config.timeZone,
          defaultLanguage: config.languages.default,
          languages: config.languages.enabled,
        },
        mode: settings.mode,
        config: use.config ?? {},
        secrets: pluginSecrets,
        logger: pluginLogger(log.child({ plugin: use.id })),
        http: fetchHttpClient(),
        storage: databaseStorage(orm, use.id),
        reportDelivery: (report) => {
          recordDelivery(orm, use.id, report).catch((error) => log.warn({ err: error, plugin: use.id }, 'delivery report not recorded'));
        },
      };
      return (await (found as LoadedCodePlugin).plugin.create(context as never)) as P;
    };
    const sms = await create<SmsGateway>(config.plugins.sms);
    const smsGateways: NamedGateway[] = [{ id: config.plugins.sms.id, gateway: sms }];
    if (config.plugins.smsFallback) {
      smsGateways.push({ id: config.plugins.smsFallback.id, gateway: await create<SmsGateway>(config.plugins.smsFallback) });
    }
    const idVerifiers = new Map<string, IdVerifier>();
    for (const use of config.plugins.idVerifiers) idVerifiers.set(use.id, await create<IdVerifier>(use));

    const container = deps.root.createChildContainer();
    const tenant = new Tenant(config, container, orm, database, i18n, theme, languages, sms, smsGateways, idVerifiers, secrets, log);
    container.registerInstance(TOKENS.Tenant, tenant);
    // Resolved in the scope (request, job) asking, so it returns that scope's own EntityManager.
    container.register(TOKENS.LazyEntityManager, { useFactory: (scope) => () => scope.resolve(TOKENS.EntityManager) });
    container.registerInstance(TOKENS.TenantConfig, config);
    container.registerInstance(TOKENS.Orm, orm);
    container.registerInstance(TOKENS.I18n, i18n);
    container.registerInstance(TOKENS.Theme, theme);
    container.registerInstance(TOKENS.SmsGateway, sms);
    container.registerInstance(TOKENS.SmsGateways, smsGateways);
    container.registerInstance(TOKENS.IdVerifiers, idVerifiers);
    container.registerInstance(TOKENS.Secrets, secrets);
    container.registerInstance(TOKENS.Crypto, new TenantCrypto(secrets));
    container.registerInstance(TOKENS.RateLimiter, new RateLimiter(orm));
    tenant.#jobs = await JobQueue.start({
      url,
      tenant,
      definitions: jobDefinitions,
      log: log.child({ component: 'jobs' }),
      pollSeconds: settings.jobPollSeconds,
    }).catch(async (error) => {
      await orm.close();
      throw error;
    });
    container.registerInstance(TOKENS.JobQueue, tenant.#jobs);
    // Expired challenges, sessions and limit windows: deleted hourly, once across all processes.
    await startHousekeeping(tenant.#jobs).catch((error) => log.warn({ err: error }, 'housekeeping not scheduled'));
    NoticeOutbox.of(tenant).start();
    return tenant;
  }

  /** Intl locale for a language: the language with the tenant's country (`en-IN`, `ar-AE`). */
  locale(lng: string): string {
    return `${lng}-${this.config.country}`;
  }

  renderData(lng: string): RenderData {
    const t = this.i18n.getFixedT(lng);
    return {
      lng,
      locale: this.locale(lng),
      dir: this.languages.get(lng)?.dir ?? 'ltr',
      timeZone: this.config.timeZone,
      currency: this.config.currency,
      siteName: String(t('common:site.name', { country: this.countryName(lng) })),
      languages: [...this.languages.values()].map((language) => ({ ...language, current: language.code === lng })),
      t: (key, options) => String(t(key, options as never)),
      assetUrl: (name) => this.theme.assetUrl(name),
    };
  }

  /** Country name in a language, from CLDR through Intl (no translation file needed). */
  countryName(lng: string): string {
    return new Intl.DisplayNames([lng], { type: 'region' }).of(this.config.country) ?? this.config.country;
  }

  async isDatabaseReachable(): Promise<boolean> {
    try {
      await this.orm.em.getConnection().execute('select 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    NoticeOutbox.of(this).stop();
    // First, while the ORM and gateways are still open: running jobs get a few seconds to finish.
    await this.#jobs?.stop().catch((error) => this.log.warn({ err: error }, 'job queue did not stop cleanly'));
    for (const { gateway } of this.smsGateways) await gateway.close?.().catch(() => undefined);
    for (const verifier of this.idVerifiers.values()) await verifier.close?.().catch(() => undefined);
    await this.orm.close();
    this.container.dispose();
  }
}

/** The tenant's database: its own server when it names one, else `<prefix><code>` on the platform's. */
export function tenantDatabaseUrl(config: TenantConfig, deps: Pick<TenantDeps, 'settings' | 'secrets' | 'logger' | 'server'>): string {
  const own = config.database?.url && deps.secrets.resolve(config.database.url, { generate: false });
  if (own) return own;
  if (config.database?.url && deps.settings.mode === 'development') {
    deps.logger.warn(`tenant ${config.code}: ${config.database.url.env} is not set; using the platform's database server`);
  }
  return deps.server.urlFor(`${deps.settings.databasePrefix}${config.code}`);
}

/** The tenant's theme and its ancestors, base first: [default, india]. */
export function themeChain(name: string, registry: PluginRegistry): ThemeLayer[] {
  const chain: ThemeLayer[] = [];
  const seen = new Set<string>();
  let current: string | undefined = name;
  while (current) {
    if (seen.has(current)) throw new ConfigError(`Theme "${name}": "extends" goes round in a circle through "${current}"`);
    seen.add(current);
    const theme = registry.theme(current);
    if (!theme) throw new ConfigError(`Theme "${[...seen].at(-2) ?? name}" extends "${current}", which is not installed`);
    chain.unshift({ id: current, directory: theme.directory, tokens: (theme.manifest.tokens as Record<string, string>) ?? {} });
    current = theme.manifest.extends as string | undefined;
  }
  return chain;
}

/** Plugins ship flat keys (`aadhaar.label`); i18next reads dots as nesting. */
function nestKeys(flat: Record<string, string>): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let node = nested;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  return nested;
}

/** Language pack -> plugin strings -> theme strings (base first) -> tenant overrides. */
export function tenantResources(config: TenantConfig, registry: PluginRegistry, chain: ThemeLayer[], tenantsDir: string): Resources {
  const languages = config.languages.enabled;
  const packs = languages.map((lng) => {
    const pack = registry.language(lng)!;
    return readLocaleTree(join(pack.directory, '..'), [lng], 'locales');
  });
  const pluginStrings: Resources = {};
  for (const use of pluginUses(config)) {
    const resources = registry.code(use.id)?.plugin.resources ?? {};
    for (const [lng, keys] of Object.entries(resources)) {
      if (!languages.includes(lng)) continue;
      pluginStrings[lng] ??= {};
      pluginStrings[lng][use.id] = nestKeys(keys);
    }
  }
  const themeStrings = chain.map((layer) => readLocaleTree(join(layer.directory, 'locales'), languages, `themes/${layer.id}/locales`));
  const overridesDir = join(tenantsDir, config.code, 'locales');
  const overrides = existsSync(overridesDir) ? readLocaleTree(overridesDir, languages, `tenants/${config.code}/locales`) : {};
  return mergeResources(...packs, pluginStrings, ...themeStrings, overrides);
}

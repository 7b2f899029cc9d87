import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import { container as globalContainer } from 'tsyringe';
import { registerIssuerUrl } from '../certificates/issuer.js';
import { provisionSigningKeys } from '../certificates/keys/provision.js';
import { prepareDevelopmentTenant } from '../development.js';
import { SCOPE_DIRECTORY } from '../registration/staff/scope-directory.js';
import { tenantRoutes } from '../routes.js';
import { readAreaSeeds, upsertAreas } from '../scheduling/area-seeds.js';
import { prepareDemoSessions, readDemoSessionPlans } from '../scheduling/demo-sessions.js';
import { readFacilitySeeds, upsertFacilities } from '../scheduling/facility-seeds.js';
import { AreaScopeDirectory } from '../scheduling/scope-directory.js';
import type { Settings } from './config/settings.js';
import { type DatabaseServer, ExternalPostgres } from './db/database-server.js';
import { EmbeddedPostgres } from './db/embedded-postgres.js';
import { TOKENS } from './di/tokens.js';
import { ConfigError } from './errors.js';
import { createApp } from './http/app.js';
import { clientErrorHandler } from './http/client-error.js';
import { createLogger, type Logger } from './log/logger.js';
import { PlatformSite } from './platform-site.js';
import { PluginRegistry } from './plugins/plugin-registry.js';
import { SecretStore } from './secrets/secret-store.js';
import { checkTenantPlugins } from './tenancy/check-tenant.js';
import { loadTenantFiles } from './tenancy/load-tenants.js';
import { Tenant } from './tenancy/tenant.js';
import { TenantRegistry } from './tenancy/tenant-registry.js';
import { preflightSecrets } from './tenancy/tenant-secrets.js';

export interface StartOptions {
  logger?: Logger;
  /** Notes for the person starting the platform (which database, where its data is). */
  notice?: (line: string) => void;
}

/**
 * The whole platform: configuration checked, database server up, every tenant active, HTTP
 * server listening. `stop()` drains requests and shuts everything down in reverse.
 */
export class Platform {
  private constructor(
    readonly settings: Settings,
    readonly logger: Logger,
    readonly tenants: TenantRegistry,
    readonly database: DatabaseServer,
    readonly server: Server,
  ) {}

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  tenantUrl(code: string): string {
    return `http://${code}.localhost:${this.port}/`;
  }

  static async start(settings: Settings, options: StartOptions = {}): Promise<Platform> {
    const logger = options.logger ?? createLogger(settings.logLevel);
    const notice = options.notice ?? (() => undefined);
    const { paths } = settings;

    // 1. Configuration: plugins, tenant files and their fit, secrets. Nothing is started yet.
    const registry = await PluginRegistry.discover(paths);
    const configs = loadTenantFiles(paths.tenants, paths.root).filter(
      (config) => settings.tenantCodes.length === 0 || settings.tenantCodes.includes(config.code),
    );
    const unknown = settings.tenantCodes.filter((code) => !configs.some((config) => config.code === code));
    if (unknown.length > 0) throw new ConfigError(`TEEKA_TENANTS names tenants with no file in tenants/: ${unknown.join(', ')}`);
    const problems = configs.flatMap((config) => {
      const found = checkTenantPlugins(config, registry, settings.mode);
      return found.length ? [`${relative(paths.root, paths.tenants)}/${config.code}.yaml:\n${found.map((p) => `  ${p}`).join('\n')}`] : [];
    });
    if (problems.length > 0) throw new ConfigError(`Tenant configuration does not fit the installed plugins:\n${problems.join('\n')}`);
    const secrets = new SecretStore(settings.mode, paths.data);
    preflightSecrets(configs, registry, secrets);
    secrets.assertComplete();
    // Seed data (tenants/<code>/areas.json, facilities.json) is checked here too, so a broken file stops start-up early.
    const areaSeeds = new Map(
      configs.map((config) => [config.code, readAreaSeeds(paths.tenants, paths.root, config.code, config.areas.levels)]),
    );
    const facilitySeeds = new Map(
      configs.map((config) => [config.code, readFacilitySeeds(paths.tenants, paths.root, config, areaSeeds.get(config.code) ?? [])]),
    );
    // Development only: the demo sessions tenants plan (tenants/<code>/demo-sessions.json).
    const demoPlans = readDemoSessionPlans(settings, configs, facilitySeeds);
    const platformSite = new PlatformSite(registry, paths.root);

    // 2. The database server.
    const database: DatabaseServer = settings.databaseUrl
      ? new ExternalPostgres(settings.databaseUrl)
      : await EmbeddedPostgres.start({
          projectDataDir: paths.data,
          projectRoot: paths.root,
          port: settings.embeddedPort,
          log: notice,
        });
    notice(`database: ${database.description}`);

    // 3. Tenants, each in its own container under the platform's root container.
    const root = globalContainer.createChildContainer();
    root.registerInstance(TOKENS.Settings, settings);
    root.registerInstance(TOKENS.Logger, logger);
    root.registerInstance(TOKENS.PluginRegistry, registry);
    const tenants = new TenantRegistry(settings.mode, settings.platformHosts);
    try {
      const active = await Promise.all(
        configs.map((config) => Tenant.activate(config, { settings, registry, server: database, secrets, logger, root })),
      );
      for (const tenant of active) tenants.add(tenant);
      await Promise.all(
        active.map(async (tenant) => {
          await upsertAreas(tenant.orm, areaSeeds.get(tenant.code) ?? [], tenant.config.areas.levels);
          await upsertFacilities(tenant.orm, facilitySeeds.get(tenant.code) ?? []); // after the areas they refer to
          await prepareDemoSessions(tenant, demoPlans.get(tenant.code), logger); // after the facilities
          await provisionSigningKeys(tenant);
          // Staff scopes (a district officer's area) are answered from the areas and facilities.
          tenant.container.registerInstance(SCOPE_DIRECTORY, new AreaScopeDirectory(tenant.orm));
        }),
      );
      if (settings.mode === 'development') {
        for (const tenant of active) await prepareDevelopmentTenant(tenant, secrets, notice);
      }
    } catch (error) {
      await Promise.all(tenants.all.map((tenant) => tenant.close()));
      await database.stop();
      throw error;
    }

    // 4. HTTP.
    let platform: Platform | undefined;
    const app = createApp({
      settings,
      logger,
      tenants,
      platform: platformSite,
      tenantRouter: tenantRoutes(settings.mode),
      port: () => platform?.port ?? settings.port,
    });
    const server = createServer(app.callback());
    server.keepAliveTimeout = 65_000;
    const english = platformSite.i18n.getFixedT(platformSite.defaultLanguage);
    server.on(
      'clientError',
      clientErrorHandler((key, options) => String(english(key, options as never))),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.listenHost, () => resolve());
    });
    platform = new Platform(settings, logger, tenants, database, server);
    // Certificates name the tenant's public URL, known once the port is.
    for (const tenant of tenants.all) registerIssuerUrl(tenant, settings.mode, platform.port);
    return platform;
  }

  /** Stops taking requests, lets those in flight finish (up to `graceMs`), then shuts down. */
  async stop(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
    await Promise.all(this.tenants.all.map((tenant) => tenant.close()));
    await this.database.stop();
  }
}

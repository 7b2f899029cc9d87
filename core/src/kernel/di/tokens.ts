/**
 * Injection tokens for what is not a class. Three container levels:
 * root (platform singletons) -> tenant (built once per tenant) -> request (one per request).
 */
export const TOKENS = {
  // root
  Settings: Symbol('Settings'),
  Logger: Symbol('Logger'),
  PluginRegistry: Symbol('PluginRegistry'),
  // tenant
  Tenant: Symbol('Tenant'),
  TenantConfig: Symbol('TenantConfig'),
  Orm: Symbol('Orm'),
  I18n: Symbol('I18n'),
  Theme: Symbol('Theme'),
  SmsGateway: Symbol('SmsGateway'),
  SmsGateways: Symbol('SmsGateways'),
  IdVerifiers: Symbol('IdVerifiers'),
  Secrets: Symbol('TenantSecrets'),
  Crypto: Symbol('TenantCrypto'),
  RateLimiter: Symbol('RateLimiter'),
  /** The tenant's job queue (pg-boss on its database), see kernel/jobs. */
  JobQueue: Symbol('JobQueue'),
  // request
  EntityManager: Symbol('EntityManager'),
  /** `() => EntityManager`: the scope's EntityManager, resolved on the first call (for services that often need none). */
  LazyEntityManager: Symbol('LazyEntityManager'),
  Language: Symbol('Language'),
  Translate: Symbol('Translate'),
  RequestOrigin: Symbol('RequestOrigin'),
} as const;

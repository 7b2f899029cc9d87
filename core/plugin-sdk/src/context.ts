/**
 * What the host hands a plugin when it creates an instance for one tenant.
 * Plugins receive capabilities, never core internals: a plugin that only uses this context can be
 * developed, tested and published without the Teeka core.
 */

export type Mode = 'development' | 'production';

export interface TenantInfo {
  /** Tenant code (ISO 3166-1 alpha-2, lower case), e.g. `in`. */
  code: string;
  /** ISO 3166-1 alpha-2 country code, upper case, e.g. `IN`. */
  country: string;
  /** IANA time zone, e.g. `Asia/Kolkata`. */
  timeZone: string;
  defaultLanguage: string;
  languages: string[];
}

/** A structured logger. The host redacts phone and document numbers from everything logged. */
export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Milliseconds before the request is aborted; the host applies a default when omitted. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
}

/** Outbound HTTP with a timeout always set, for plugins that call registries or gateways. */
export interface HttpClient {
  request(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
}

export interface StoredRecord<T> {
  id: string;
  data: T;
  createdAt: Date;
}

/**
 * A small record store in the tenant's own database, private to one plugin: enough to keep an
 * outbox, delivery receipts or a cache without the plugin owning tables or migrations.
 */
export interface PluginStorage {
  append<T extends object>(collection: string, data: T): Promise<StoredRecord<T>>;
  /** Newest first. */
  list<T extends object>(collection: string, options?: { limit?: number }): Promise<StoredRecord<T>[]>;
}

/** What a gateway learned about a message after sending it (an SMPP receipt, a webhook). */
export interface DeliveryReport {
  /** The id the gateway gave when it accepted the message. */
  gatewayMessageId: string;
  status: 'delivered' | 'failed';
  /** The gateway's own status word, e.g. `UNDELIV`. */
  detail?: string;
}

export interface PluginContext<Config = Record<string, unknown>> {
  tenant: TenantInfo;
  mode: Mode;
  /** The tenant's config for this plugin, already validated against the manifest's configSchema. */
  config: Config;
  /** Secret values by the names the manifest declares. */
  secrets: Record<string, string>;
  logger: PluginLogger;
  http: HttpClient;
  storage: PluginStorage;
  /** SMS gateways call this when they learn a message's fate; core updates the message's state. */
  reportDelivery(report: DeliveryReport): void;
}

/** Translations a plugin ships, by language then key. The host loads them under the plugin's id. */
export type PluginResources = Record<string, Record<string, string>>;

export interface PluginHealth {
  ok: boolean;
  detail?: string;
}

/** Members every plugin instance may implement. */
export interface PluginLifecycle {
  health?(): Promise<PluginHealth>;
  close?(): Promise<void>;
}

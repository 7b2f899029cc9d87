/**
 * What the host hands a plugin when it creates an instance for one tenant.
 * Plugins receive capabilities, never core internals: a plugin that only uses this context can be
 * developed, tested and published without the Teeka core.
 */

/** `development` on a developer's machine and in tests; `production` in a live deployment (development-only plugins are refused there). */
export type Mode = 'development' | 'production';

/** The tenant (one country's deployment) a plugin instance serves. */
export interface TenantInfo {
  /** Tenant code (ISO 3166-1 alpha-2, lower case), e.g. `in`. */
  code: string;
  /** ISO 3166-1 alpha-2 country code, upper case, e.g. `IN`. */
  country: string;
  /** IANA time zone, e.g. `Asia/Kolkata`. */
  timeZone: string;
  /** Language people see first, e.g. `hi`. */
  defaultLanguage: string;
  /** Every language the tenant offers, the default included. */
  languages: string[];
}

/** A structured logger. The host redacts phone and document numbers from everything logged. */
export interface PluginLogger {
  /** Detail for developers; usually not kept in production. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Something normal worth knowing. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong but the plugin coped (a retry, a fallback). */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong and the plugin could not cope. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of one {@link HttpClient.request}. */
export interface HttpRequestOptions {
  /** HTTP method (default `GET`). */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body. */
  body?: string | Uint8Array;
  /** Milliseconds before the request is aborted; the host applies a default when omitted. */
  timeoutMs?: number;
}

/** The answer to one {@link HttpClient.request}. */
export interface HttpResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  /** Reads the body as text (once). */
  text(): Promise<string>;
  /** Reads the body as JSON (once); rejects when it is not JSON. */
  json<T = unknown>(): Promise<T>;
}

/** Outbound HTTP with a timeout always set, for plugins that call registries or gateways. */
export interface HttpClient {
  /** Sends one request; rejects on a network error or when the timeout passes (error name `TimeoutError` or `AbortError`). */
  request(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
}

/** One record kept by {@link PluginStorage}. */
export interface StoredRecord<T> {
  /** Id given by the store (a UUID). */
  id: string;
  /** What the plugin stored. */
  data: T;
  /** When it was stored. */
  createdAt: Date;
}

/**
 * A small record store in the tenant's own database, private to one plugin: enough to keep an
 * outbox, delivery receipts or a cache without the plugin owning tables or migrations.
 */
export interface PluginStorage {
  /** Stores a JSON-serialisable object in a named collection and returns it with its id and time. */
  append<T extends object>(collection: string, data: T): Promise<StoredRecord<T>>;
  /** Newest first. */
  list<T extends object>(collection: string, options?: { limit?: number }): Promise<StoredRecord<T>[]>;
}

/** What a gateway learned about a message after sending it (an SMPP receipt, a webhook). */
export interface DeliveryReport {
  /** The id the gateway gave when it accepted the message. */
  gatewayMessageId: string;
  /** `delivered` once the phone got it; `failed` when the network gave up. */
  status: 'delivered' | 'failed';
  /** The gateway's own status word, e.g. `UNDELIV`. */
  detail?: string;
}

/** What the host hands a plugin's `create` for one tenant. Plugins receive capabilities, never core internals. */
export interface PluginContext<Config = Record<string, unknown>> {
  /** The tenant this instance serves. */
  tenant: TenantInfo;
  /** Whether the host runs in development or production mode. */
  mode: Mode;
  /** The tenant's config for this plugin, already validated against the manifest's configSchema. */
  config: Config;
  /** Secret values by the names the manifest declares. */
  secrets: Record<string, string>;
  /** Structured logger; never give it phone or document numbers, message texts or health data. */
  logger: PluginLogger;
  /** Outbound HTTP with a timeout on every request. */
  http: HttpClient;
  /** A small record store private to this plugin in the tenant's database. */
  storage: PluginStorage;
  /** SMS gateways call this when they learn a message's fate; core updates the message's state. */
  reportDelivery(report: DeliveryReport): void;
}

/** Translations a plugin ships, by language then key. The host loads them under the plugin's id. */
export type PluginResources = Record<string, Record<string, string>>;

/** What a plugin's `health()` reports, shown on `/readyz`. */
export interface PluginHealth {
  /** True when the plugin can do its work now. */
  ok: boolean;
  /** A short human-readable state, e.g. `bound to smsc.example:2775`; never a secret. */
  detail?: string;
}

/** Members every plugin instance may implement. */
export interface PluginLifecycle {
  /** Reports whether the plugin can work now (its peer is reachable, its circuit closed). Must not throw. */
  health?(): Promise<PluginHealth>;
  /** Releases sockets and timers when the host shuts down or reloads the tenant. */
  close?(): Promise<void>;
}

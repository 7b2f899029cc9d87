/**
 * The plugin manifest: what a plugin says about itself before any of its code runs.
 * It lives in the plugin package's package.json under the `teeka` key (language packs and themes
 * keep the same fields in their own manifest file). The host validates it at boot against
 * `manifestSchema` and refuses the plugin, with a message naming the field, when it does not match.
 */

/** Major version of the plugin API. A plugin built for another major version is refused. */
export const PLUGIN_API_VERSION = 1;

/** The kinds of plugin: code plugins (`id-verifier`, `sms-gateway`) and data plugins (`language`, `theme`). */
export const PLUGIN_KINDS = ['id-verifier', 'sms-gateway', 'language', 'theme'] as const;
/** One of {@link PLUGIN_KINDS}. */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** A JSON Schema (draft 2020-12 subset understood by ajv) describing a plugin's per-tenant config. */
export type JsonSchema = Record<string, unknown>;

/** The manifest fields every plugin has (see docs/integrators/plugin-sdk.md for each field's rules). */
export interface PluginManifest {
  /** Unique, lower-case, dash-separated id, e.g. `aadhaar` or `smpp`. Tenants name plugins by it. */
  id: string;
  /** What the plugin is; must match the module's `define…` call. */
  kind: PluginKind;
  /** The plugin's own semver version. */
  version: string;
  /** The major plugin API version the plugin was written for (see PLUGIN_API_VERSION). */
  apiVersion: number;
  /** ISO 3166-1 alpha-2 codes of the countries it serves, or `["*"]` for any country. */
  countries: string[];
  /** JSON Schema for the config a tenant gives the plugin; `{}` config must validate if optional. */
  configSchema?: JsonSchema;
  /** Names of the secrets the plugin needs; each tenant maps them to where the value comes from. */
  secrets?: string[];
  /** True for plugins that must never run in production mode (console or outbox gateways). */
  developmentOnly?: boolean;
  /** Human-readable one-line description. */
  description?: string;
}

/** JSON Schema of the manifest itself, used by the host to validate every plugin it discovers. */
export const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'version', 'apiVersion', 'countries'],
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$', maxLength: 64 },
    kind: { enum: [...PLUGIN_KINDS] },
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$' },
    apiVersion: { type: 'integer', minimum: 1 },
    countries: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^([A-Z]{2}|\\*)$' },
    },
    configSchema: { type: 'object' },
    secrets: { type: 'array', items: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9]*$' } },
    developmentOnly: { type: 'boolean' },
    description: { type: 'string' },
    // Language packs and themes carry a few fields of their own.
    name: { type: 'string' },
    nativeName: { type: 'string' },
    direction: { enum: ['ltr', 'rtl'] },
    namespaces: { type: 'array', items: { type: 'string' } },
    extends: { type: 'string' },
    tokens: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

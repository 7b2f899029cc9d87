import type { PluginContext, PluginHealth } from '../context.js';
import { createRegistryClient, registryRequest } from '../registry.js';
import type { DocumentType, IdVerifier, OnlineVerificationResult, PersonClaims, ValidationResult } from './id-verifier.js';

/** One document type a verifier understands: its description and its rules. */
export interface DocumentRule {
  /** What people see: code, label key, input mask, example. */
  type: DocumentType;
  /** Checks a number as typed; may throw on a bug, the verifier turns that into a refusal. */
  validate(input: unknown): ValidationResult;
  /** Masks a normalised number; at most the last four characters visible. */
  mask(normalized: string): string;
}

/** Options of {@link documentVerifier}. */
export interface DocumentVerifierOptions {
  /** The document types a tenant enabled (the plugin config's `documentTypes`), in its order; all when empty. */
  enabled?: readonly string[];
  /** Asks a registry about a document type that supports it (see createRegistryClient). */
  verifyOnline?: (documentType: string, normalized: string, person: PersonClaims) => Promise<OnlineVerificationResult>;
  /** Which document types the registry can check (default: those whose type says onlineVerification). */
  online?: readonly string[];
}

/**
 * Builds an IdVerifier from per-document rules, with the behaviour every verifier must have:
 * a tenant can narrow the document types, an unknown or disabled type is refused as
 * `unknown-type`, validation never throws whatever it is given, and masking an unknown type
 * shows nothing.
 */
export function documentVerifier(rules: readonly DocumentRule[], options: DocumentVerifierOptions = {}): IdVerifier {
  // In the tenant's order when it names the types (that is the order people see them in).
  const byCode = new Map(rules.map((rule) => [rule.type.code, rule]));
  const chosen = options.enabled?.length ? options.enabled.flatMap((code) => (byCode.has(code) ? [byCode.get(code)!] : [])) : rules;
  const active = new Map(chosen.map((rule) => [rule.type.code, rule]));
  const online = new Set(options.online ?? rules.filter((rule) => rule.type.onlineVerification).map((rule) => rule.type.code));
  const verifier: IdVerifier = {
    documentTypes: () =>
      [...active.values()].map((rule) => ({
        ...rule.type,
        onlineVerification: Boolean(options.verifyOnline && online.has(rule.type.code)),
      })),
    validate(documentType, input) {
      const rule = active.get(documentType);
      if (!rule) return { valid: false, reason: 'unknown-type' };
      try {
        return rule.validate(input);
      } catch {
        return { valid: false, reason: 'format' };
      }
    },
    mask(documentType, normalized) {
      const rule = active.get(documentType);
      if (!rule) return 'XXXX';
      try {
        return rule.mask(normalized);
      } catch {
        return 'XXXX';
      }
    },
  };
  if (options.verifyOnline) {
    const ask = options.verifyOnline;
    verifier.verifyOnline = async (documentType, normalized, person) =>
      active.has(documentType) && online.has(documentType) ? ask(documentType, normalized, person) : { status: 'unavailable' };
  }
  return verifier;
}

/** The `registry` block of a plugin config that supports online checks. */
export interface RegistryConfig {
  /** The registry's endpoint (Teeka's registry protocol). */
  url: string;
  /** Milliseconds per attempt (default 3000). */
  timeoutMs?: number;
  /** Further attempts after a timeout, 5xx or network error (default 2). */
  retries?: number;
}

/**
 * documentVerifier plus online checks through a national registry when the tenant configured one
 * (`config.registry`), with the plugin's `registryApiKey` secret as a bearer token. A number that
 * does not validate is `not-found` without asking; any failure is `unavailable`. health() reports
 * the registry's circuit; offline validation never depends on it.
 */
export function registryDocumentVerifier(
  rules: readonly DocumentRule[],
  context: PluginContext<{ documentTypes?: string[]; registry?: RegistryConfig }>,
  options: { online: readonly string[] },
): IdVerifier {
  const config = context.config;
  const apiKey = context.secrets?.registryApiKey;
  const registry = config?.registry?.url
    ? createRegistryClient(context.http, {
        url: config.registry.url,
        timeoutMs: config.registry.timeoutMs,
        retries: config.registry.retries,
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : undefined,
        logger: context.logger,
      })
    : undefined;
  const ruleOf = new Map(rules.map((rule) => [rule.type.code, rule]));
  const ask = async (documentType: string, normalized: string, person: PersonClaims): Promise<OnlineVerificationResult> => {
    try {
      const checked = ruleOf.get(documentType)?.validate(normalized);
      if (!registry || !checked) return { status: 'unavailable' };
      // A number that does not validate cannot be in the registry: no need to ask.
      if (!checked.valid) return { status: 'not-found' };
      return await registry.verify(registryRequest(documentType, checked.normalized, person));
    } catch {
      return { status: 'unavailable', retryAfterSeconds: 1 };
    }
  };
  const verifier = documentVerifier(rules, {
    enabled: config?.documentTypes,
    verifyOnline: registry ? ask : undefined,
    online: options.online,
  });
  return Object.assign(verifier, {
    async health(): Promise<PluginHealth> {
      return { ok: true, detail: registry ? `registry circuit ${registry.state()}` : 'offline validation only' };
    },
    async close(): Promise<void> {
      registry?.close();
    },
  });
}

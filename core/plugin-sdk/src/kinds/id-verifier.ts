import type { PluginContext, PluginLifecycle, PluginResources } from '../context.js';

/** A kind of identity document a verifier understands, e.g. Aadhaar or a passport. */
export interface DocumentType {
  /** Stable code used in APIs and storage, e.g. `aadhaar`. */
  code: string;
  /** i18n key (in the plugin's namespace) of the document's name, e.g. `aadhaar.label`. */
  labelKey: string;
  /** Input mask shown to people: `9` digit, `A` letter, `X` letter or digit; others literal. */
  inputMask: string;
  /** A valid example number, formatted as people write it. */
  example: string;
  /** True when the document can (optionally) be checked against a registry online. */
  onlineVerification?: boolean;
}

/** Stable reason codes; core turns them into localised messages. */
export const INVALID_REASONS = ['empty', 'format', 'length', 'checksum', 'unknown-type', 'inconsistent'] as const;
/** Why a number was refused: one of {@link INVALID_REASONS}. */
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** The result of {@link IdVerifier.validate}: the canonical number, or why it was refused (never the number itself). */
export type ValidationResult = { valid: true; normalized: string } | { valid: false; reason: InvalidReason };

/** What a person said about themselves, sent to a registry to compare. Every field is optional and may be missing or malformed. */
export interface PersonClaims {
  /** Name as the person gave it. */
  name?: string;
  /** Year of birth. */
  birthYear?: number;
  /** Date of birth, ISO 8601 `YYYY-MM-DD`. */
  birthDate?: string;
  /** Gender as the person gave it. */
  gender?: string;
}

/** The result of {@link IdVerifier.verifyOnline}: `verified`, `mismatch`, `not-found`, or `unavailable` (try later). */
export type OnlineVerificationResult =
  | { status: 'verified' }
  | { status: 'mismatch' }
  | { status: 'not-found' }
  /** The registry could not be asked (down, timing out, circuit open): try later. */
  | { status: 'unavailable'; retryAfterSeconds?: number };

/** An ID-verifier instance for one tenant: the document types it knows, offline validation, masking and an optional online check. */
export interface IdVerifier extends PluginLifecycle {
  /** The document types this instance offers, in the order people see them. */
  documentTypes(): DocumentType[];
  /**
   * Checks a number as typed by a person (spaces, dashes and case are forgiven) and returns its
   * canonical form. Must never throw, whatever it is given (input arrives from people and
   * clients, so it may not even be a string). Digits in other scripts (Devanagari, Arabic-Indic)
   * may be accepted only if they normalise to one canonical spelling.
   */
  validate(documentType: string, input: unknown): ValidationResult;
  /** Masks a normalised number for display: at most the last four characters stay visible. */
  mask(documentType: string, normalized: string): string;
  /** Optional online check against a national registry. */
  verifyOnline?(documentType: string, normalized: string, person: PersonClaims): Promise<OnlineVerificationResult>;
}

/** What an ID-verifier plugin module default-exports; build it with {@link defineIdVerifier}. */
export interface IdVerifierPlugin<Config = Record<string, unknown>> {
  /** Always `id-verifier`. */
  kind: 'id-verifier';
  /** Translations of the labels the document types name (`labelKey`), by language; English is required. */
  resources?: PluginResources;
  /** Creates the instance for one tenant; may be async. Throwing here refuses the tenant's start with the message. */
  create(context: PluginContext<Config>): IdVerifier | Promise<IdVerifier>;
}

/**
 * Declares an ID-verifier plugin: `export default defineIdVerifier({ resources, create })`.
 *
 * @example
 * ```ts
 * export default defineIdVerifier<{ documentTypes?: string[] }>({
 *   resources: { en: { 'ke-nid.label': 'National ID number' } },
 *   create: (context) => documentVerifier(rules, { enabled: context.config.documentTypes }),
 * });
 * ```
 */
export function defineIdVerifier<Config = Record<string, unknown>>(
  plugin: Omit<IdVerifierPlugin<Config>, 'kind'>,
): IdVerifierPlugin<Config> {
  return { kind: 'id-verifier', ...plugin };
}

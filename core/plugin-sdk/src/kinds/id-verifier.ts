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
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type ValidationResult = { valid: true; normalized: string } | { valid: false; reason: InvalidReason };

export interface PersonClaims {
  name?: string;
  birthYear?: number;
  birthDate?: string;
  gender?: string;
}

export type OnlineVerificationResult =
  | { status: 'verified' }
  | { status: 'mismatch' }
  | { status: 'not-found' }
  /** The registry could not be asked (down, timing out, circuit open): try later. */
  | { status: 'unavailable'; retryAfterSeconds?: number };

export interface IdVerifier extends PluginLifecycle {
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

export interface IdVerifierPlugin<Config = Record<string, unknown>> {
  kind: 'id-verifier';
  resources?: PluginResources;
  create(context: PluginContext<Config>): IdVerifier | Promise<IdVerifier>;
}

export function defineIdVerifier<Config = Record<string, unknown>>(
  plugin: Omit<IdVerifierPlugin<Config>, 'kind'>,
): IdVerifierPlugin<Config> {
  return { kind: 'id-verifier', ...plugin };
}

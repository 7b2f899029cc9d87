/**
 * NIN ID-verifier plugin: Nigeria's National Identification Number, issued by the National Identity
 * Management Commission (NIMC).
 *
 * A NIN is 11 digits assigned at random. NIMC publishes no check digit, so offline validation can
 * only check the shape: 11 ASCII digits, not starting with 0, not one digit repeated. It cannot catch
 * a typo. That is what the optional online verification is for: when the tenant configures a
 * `registry`, `verifyOnline` asks it (through the SDK's registry client: timeouts, retries, circuit
 * breaker) whether the number exists and matches the person. Offline validation never depends on it.
 */
import {
  type DocumentRule,
  type DocumentType,
  defineIdVerifier,
  type PluginResources,
  registryDocumentVerifier,
  type ValidationResult,
} from '@teeka/plugin-sdk';

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['nin'] as const;
export type NinDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

/** Where and how to reach the registry (any endpoint speaking Teeka's registry protocol). */
export interface RegistryConfig {
  url: string;
  timeoutMs?: number;
  retries?: number;
}

export interface NinConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: NinDocumentType[];
  /** Online verification; offline validation only when omitted. */
  registry?: RegistryConfig;
}

/** A NIN has exactly this many digits. */
export const NIN_LENGTH = 11;

const DOCUMENT_TYPES: Record<NinDocumentType, DocumentType> = {
  nin: {
    code: 'nin',
    labelKey: 'nin.label',
    inputMask: '99999999999',
    example: '12345678901',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: { 'nin.label': 'National Identification Number (NIN)' },
  hi: { 'nin.label': 'राष्ट्रीय पहचान संख्या (NIN)' },
  es: { 'nin.label': 'Número de Identificación Nacional (NIN)' },
  ar: { 'nin.label': 'رقم الهوية الوطنية (NIN)' },
  uk: { 'nin.label': 'Національний ідентифікаційний номер (NIN)' },
};

/** Longer inputs are refused before any other work: a NIN typed with separators is ~13. */
const MAX_INPUT_LENGTH = 64;
/** What people put between digit groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
const ASCII_DIGITS = /^[0-9]+$/;
/** One digit repeated: placeholders people type (00000000000, 11111111111), never issued numbers. */
const ONE_DIGIT_REPEATED = /^(\d)\1*$/;

/** Validates a NIN as typed. Never throws. */
export function validateNin(input: unknown): ValidationResult {
  try {
    if (input === undefined || input === null) return { valid: false, reason: 'empty' };
    if (typeof input !== 'string') return { valid: false, reason: 'format' };
    if (input.trim() === '') return { valid: false, reason: 'empty' };
    if (input.length > MAX_INPUT_LENGTH) return { valid: false, reason: 'length' };

    const compact = input.replace(SEPARATORS, '');
    // Only ASCII digits: the normalised form is stored and compared, so it has one spelling.
    if (!ASCII_DIGITS.test(compact)) return { valid: false, reason: 'format' };
    if (compact.length !== NIN_LENGTH) return { valid: false, reason: 'length' };
    if (compact.startsWith('0') || ONE_DIGIT_REPEATED.test(compact)) return { valid: false, reason: 'format' };
    return { valid: true, normalized: compact };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/** Masks a NIN for display: `XXXXXXX8901`. Shows at most the last four digits. */
export function maskNin(normalized: unknown): string {
  const digits = typeof normalized === 'string' ? normalized.replace(/[^0-9]/g, '') : '';
  const lastFour = digits.length > 4 ? digits.slice(-4) : 'XXXX';
  return `XXXXXXX${lastFour}`;
}

const RULES: DocumentRule[] = [{ type: DOCUMENT_TYPES.nin, validate: validateNin, mask: maskNin }];

export default defineIdVerifier<NinConfig>({
  resources,
  create: (context) => registryDocumentVerifier(RULES, context, { online: SUPPORTED_DOCUMENT_TYPES }),
});

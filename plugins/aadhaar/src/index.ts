/**
 * Aadhaar ID-verifier plugin: offline checks of India's 12-digit Aadhaar number.
 *
 * The structural rules and the Verhoeff check digit come from the `stdnum` library (a port of
 * python-stdnum); this module only adds what the Teeka contract asks for on top: forgiving input
 * (spaces and dashes as people type them), stable reason codes, masking and translations.
 */
import {
  type DocumentRule,
  type DocumentType,
  defineIdVerifier,
  documentVerifier,
  type InvalidReason,
  type PluginResources,
  type ValidationResult,
} from '@teeka/plugin-sdk';
import { stdnum } from 'stdnum';

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['aadhaar'] as const;
export type AadhaarDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface AadhaarConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: AadhaarDocumentType[];
}

// Resolve the validator once, at load: if a future `stdnum` dropped it we want to fail at boot,
// not on the first person who registers.
const aadhaarValidator = stdnum.IN?.aadhaar;
if (typeof aadhaarValidator?.validate !== 'function') {
  throw new Error('@teeka/plugin-aadhaar: the installed stdnum has no IN.aadhaar validator');
}

const DOCUMENT_TYPES: Record<AadhaarDocumentType, DocumentType> = {
  aadhaar: {
    code: 'aadhaar',
    labelKey: 'aadhaar.label',
    inputMask: '9999 9999 9999',
    example: '2345 6789 0124',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: { 'aadhaar.label': 'Aadhaar number' },
  hi: { 'aadhaar.label': 'आधार संख्या' },
  es: { 'aadhaar.label': 'Número Aadhaar' },
  ar: { 'aadhaar.label': 'رقم آدهار' },
};

/** Longer inputs are refused before any other work: an Aadhaar number typed with separators is ~14. */
const MAX_INPUT_LENGTH = 64;
/** What people put between digit groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
const ASCII_DIGITS = /^[0-9]+$/;

/** stdnum's error classes, by name, to the contract's reason codes. */
const REASON_BY_STDNUM_ERROR: Record<string, InvalidReason> = {
  InvalidLength: 'length',
  InvalidFormat: 'format',
  InvalidChecksum: 'checksum',
  InvalidComponent: 'format',
};

/** Validates an Aadhaar number as typed. Never throws. */
export function validateAadhaar(input: unknown): ValidationResult {
  if (input === undefined || input === null) return { valid: false, reason: 'empty' };
  if (typeof input !== 'string') return { valid: false, reason: 'format' };
  if (input.trim() === '') return { valid: false, reason: 'empty' };
  if (input.length > MAX_INPUT_LENGTH) return { valid: false, reason: 'length' };

  const compact = input.replace(SEPARATORS, '');
  // Only ASCII digits: stdnum would also fold Arabic-Indic and full-width digits, but the
  // normalised form is stored and compared, so it must have exactly one spelling.
  if (!ASCII_DIGITS.test(compact)) return { valid: false, reason: 'format' };
  if (compact.length !== 12) return { valid: false, reason: 'length' };

  try {
    const result = aadhaarValidator.validate(compact);
    if (result.isValid) return { valid: true, normalized: result.compact };
    return { valid: false, reason: REASON_BY_STDNUM_ERROR[result.error?.name ?? ''] ?? 'format' };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/** Masks an Aadhaar number for display: `XXXX XXXX 1234`. Shows at most the last four digits. */
export function maskAadhaar(normalized: unknown): string {
  const digits = typeof normalized === 'string' ? normalized.replace(/[^0-9]/g, '') : '';
  const lastFour = digits.length >= 4 ? digits.slice(-4) : 'XXXX';
  return `XXXX XXXX ${lastFour}`;
}

const RULES: DocumentRule[] = [{ type: DOCUMENT_TYPES.aadhaar, validate: validateAadhaar, mask: maskAadhaar }];

export default defineIdVerifier<AadhaarConfig>({
  resources,
  create: (context) => documentVerifier(RULES, { enabled: context.config?.documentTypes }),
});

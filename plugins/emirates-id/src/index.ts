/**
 * Emirates ID ID-verifier plugin: offline checks of the United Arab Emirates' identity number,
 * `784-YYYY-NNNNNNN-C`: 784 (the UAE's ISO 3166 numeric code), the year of birth, a serial and a
 * Luhn check digit over the whole number.
 *
 * `stdnum` has no Emirates ID, and exports no Luhn helper from its entry point, so the check digit is
 * checked with `fast-luhn`; the prefix and the year are this module's own rules.
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
import luhn from 'fast-luhn';

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['emirates-id'] as const;
export type EmiratesIdDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface EmiratesIdConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: EmiratesIdDocumentType[];
}

if (typeof luhn !== 'function') {
  throw new Error('@teeka/plugin-emirates-id: the installed fast-luhn exports no function');
}

const DOCUMENT_TYPES: Record<EmiratesIdDocumentType, DocumentType> = {
  'emirates-id': {
    code: 'emirates-id',
    labelKey: 'emiratesId.label',
    inputMask: '999-9999-9999999-9',
    // Check digit computed with fast-luhn (see the tests).
    example: '784-1990-1234567-6',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: { 'emiratesId.label': 'Emirates ID number' },
  hi: { 'emiratesId.label': 'एमिरेट्स आईडी संख्या' },
  es: { 'emiratesId.label': 'Número de Emirates ID (documento de identidad de los Emiratos Árabes Unidos)' },
  ar: { 'emiratesId.label': 'رقم الهوية الإماراتية' },
  uk: { 'emiratesId.label': 'Номер Emirates ID (посвідчення особи ОАЕ)' },
};

/** Every Emirates ID number starts with the UAE's ISO 3166-1 numeric code. */
export const EMIRATES_ID_PREFIX = '784';
/** The earliest year of birth accepted in the number. */
export const FIRST_BIRTH_YEAR = 1900;

/** Longer inputs are refused before any other work: a number typed with separators is ~18. */
const MAX_INPUT_LENGTH = 64;
/** What people put between digit groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/** ASCII digits only: the normalised form is stored and compared, so it has one spelling. */
const ASCII_DIGITS = /^[0-9]+$/;

/**
 * The current year in the time zone that reaches it first (UTC+14): a year is refused as in the
 * future only once it is in the future everywhere.
 */
export function latestCurrentYear(now: Date = new Date()): number {
  return new Date(now.getTime() + 14 * 3_600_000).getUTCFullYear();
}

/** Validates an Emirates ID number as typed. Never throws. */
export function validateEmiratesId(input: unknown, now: Date = new Date()): ValidationResult {
  const refuse = (reason: InvalidReason): ValidationResult => ({ valid: false, reason });
  try {
    if (input === undefined || input === null) return refuse('empty');
    if (typeof input !== 'string') return refuse('format');
    if (input.trim() === '') return refuse('empty');
    if (input.length > MAX_INPUT_LENGTH) return refuse('length');

    const digits = input.replace(SEPARATORS, '');
    // Only ASCII digits: Arabic-Indic (٧٨٤) or full-width digits are refused rather than folded.
    if (!ASCII_DIGITS.test(digits)) return refuse('format');
    if (digits.length !== 15) return refuse('length');
    if (!digits.startsWith(EMIRATES_ID_PREFIX)) return refuse('format');
    const birthYear = Number(digits.slice(3, 7));
    if (birthYear < FIRST_BIRTH_YEAR || birthYear > latestCurrentYear(now)) return refuse('inconsistent');
    if (!luhn(digits)) return refuse('checksum');
    return { valid: true, normalized: digits };
  } catch {
    return refuse('format');
  }
}

/**
 * Masks an Emirates ID number for display: `XXX-XXXX-XXX` then the last four digits, e.g.
 * `XXX-XXXX-XXX5676`. (The last four digits straddle the serial and the check digit, so the usual
 * grouping would split them.) Anything that is not a 15-digit number is hidden entirely.
 */
export function maskEmiratesId(normalized: unknown): string {
  const digits = typeof normalized === 'string' ? normalized.replace(/[^0-9]/g, '') : '';
  const lastFour = digits.length === 15 ? digits.slice(-4) : 'XXXX';
  return `XXX-XXXX-XXX${lastFour}`;
}

const RULES: DocumentRule[] = [
  { type: DOCUMENT_TYPES['emirates-id'], validate: (input) => validateEmiratesId(input), mask: maskEmiratesId },
];

export default defineIdVerifier<EmiratesIdConfig>({
  resources,
  create: (context) => documentVerifier(RULES, { enabled: context.config?.documentTypes }),
});

/**
 * Peruvian ID-verifier plugin: the DNI (Documento Nacional de Identidad, issued by RENIEC) and the
 * carné de extranjería (CE, issued by Migraciones to foreign residents).
 *
 * - DNI: the number (the CUI) is 8 digits; the card prints a check character after it, which people
 *   may or may not type (`10117410-2`). When it is given it is checked, and the number is normalised
 *   to the 8 digits without it. The check character is a digit or, in its alternative form, a letter.
 * - CE: 9 digits, no check digit.
 *
 * The rules come from the `stdnum` library (`stdnum.PE.cui`, `stdnum.PE.ce`). stdnum's JavaScript
 * port only accepts the digit form of the DNI check character; the letter form is checked here with
 * python-stdnum's table (see `dniCheckCharacters`). Optional online verification of DNIs goes to a
 * RENIEC-style registry through the SDK's registry client; offline validation never depends on it.
 */
import {
  type DocumentRule,
  type DocumentType,
  defineIdVerifier,
  type InvalidReason,
  type PluginResources,
  registryDocumentVerifier,
  type ValidationResult,
} from '@teeka/plugin-sdk';
import { stdnum } from 'stdnum';

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['dni', 'ce'] as const;
export type PeDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

/** Document types the registry is asked about (RENIEC knows DNIs; CEs are Migraciones'). */
export const ONLINE_DOCUMENT_TYPES: readonly PeDocumentType[] = ['dni'];

/** Where and how to reach the registry (any endpoint speaking Teeka's registry protocol). */
export interface RegistryConfig {
  url: string;
  timeoutMs?: number;
  retries?: number;
}

export interface DniPeConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: PeDocumentType[];
  /** Online verification of DNIs; offline validation only when omitted. */
  registry?: RegistryConfig;
}

// Resolve the validators once, at load: if a future `stdnum` dropped them we want to fail at boot,
// not on the first person who registers.
const cuiValidator = stdnum.PE?.cui;
const ceValidator = stdnum.PE?.ce;
if (typeof cuiValidator?.validate !== 'function' || typeof ceValidator?.validate !== 'function') {
  throw new Error('@teeka/plugin-dni-pe: the installed stdnum has no PE.cui or PE.ce validator');
}

const DOCUMENT_TYPES: Record<PeDocumentType, DocumentType> = {
  dni: {
    code: 'dni',
    labelKey: 'dni.label',
    inputMask: '99999999',
    example: '10117410',
    onlineVerification: false,
  },
  ce: {
    code: 'ce',
    labelKey: 'ce.label',
    inputMask: '999999999',
    example: '001766062',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: {
    'dni.label': 'DNI number (Peru)',
    'ce.label': 'Foreigner’s card number (carné de extranjería)',
  },
  hi: {
    'dni.label': 'DNI संख्या (पेरू)',
    'ce.label': 'विदेशी निवासी कार्ड संख्या (carné de extranjería)',
  },
  es: {
    'dni.label': 'Número de DNI',
    'ce.label': 'Número de carné de extranjería',
  },
  ar: {
    'dni.label': 'رقم بطاقة الهوية الوطنية البيروفية (DNI)',
    'ce.label': 'رقم بطاقة إقامة الأجانب (carné de extranjería)',
  },
  uk: {
    'dni.label': 'Номер DNI (Перу)',
    'ce.label': 'Номер посвідки іноземця (carné de extranjería)',
  },
};

/** Longer inputs are refused before any other work: a DNI typed with its check character is ~10. */
const MAX_INPUT_LENGTH = 64;
/** What people put between characters: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/** Tested before upper-casing, so `ß` or a dotless `ı` cannot turn into ASCII letters. */
const ASCII_ALPHANUMERIC = /^[A-Za-z0-9]+$/;
const ASCII_DIGITS = /^[0-9]+$/;

/** stdnum's error classes, by name, to the contract's reason codes. */
const REASON_BY_STDNUM_ERROR: Record<string, InvalidReason> = {
  InvalidLength: 'length',
  InvalidFormat: 'format',
  InvalidChecksum: 'checksum',
  InvalidComponent: 'format',
};

/** Weights and check tables of the DNI check character (python-stdnum `pe.cui.calc_check_digits`). */
const DNI_WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2];
const DNI_CHECK_DIGITS = '65432110987';
const DNI_CHECK_LETTERS = 'KJIHGFEDCBA';

/**
 * The two spellings of a DNI's check character, digit and letter, for its 8 digits. The letter form
 * is what stdnum's JavaScript port cannot check; the tests show the digit agrees with stdnum's.
 */
export function dniCheckCharacters(digits: string): { digit: string; letter: string } {
  if (typeof digits !== 'string' || !/^[0-9]{8}$/.test(digits)) throw new TypeError('dniCheckCharacters needs 8 ASCII digits');
  const sum = DNI_WEIGHTS.reduce((total, weight, i) => total + weight * Number(digits[i]), 0) % 11;
  return { digit: DNI_CHECK_DIGITS[sum]!, letter: DNI_CHECK_LETTERS[sum]! };
}

/** Refuses what is empty, too long or not ASCII letters and digits; else the upper-case compact form. */
function prepare(input: unknown): { compact: string } | { refused: ValidationResult } {
  if (input === undefined || input === null) return { refused: { valid: false, reason: 'empty' } };
  if (typeof input !== 'string') return { refused: { valid: false, reason: 'format' } };
  if (input.trim() === '') return { refused: { valid: false, reason: 'empty' } };
  if (input.length > MAX_INPUT_LENGTH) return { refused: { valid: false, reason: 'length' } };
  const compact = input.replace(SEPARATORS, '');
  // Only ASCII: stdnum would fold full-width digits, but the normalised form must have one spelling.
  if (!ASCII_ALPHANUMERIC.test(compact)) return { refused: { valid: false, reason: 'format' } };
  return { compact: compact.toUpperCase() };
}

const fromStdnum = (result: { isValid: boolean; error?: { name?: string } }): InvalidReason =>
  REASON_BY_STDNUM_ERROR[result.error?.name ?? ''] ?? 'format';

/**
 * Validates a DNI as typed: 8 digits, optionally followed by the card's check character (a digit or
 * a letter, in either case), which is checked. Normalises to the 8 digits. Never throws.
 */
export function validateDni(input: unknown): ValidationResult {
  try {
    const prepared = prepare(input);
    if ('refused' in prepared) return prepared.refused;
    const { compact } = prepared;
    if (compact.length !== 8 && compact.length !== 9) return { valid: false, reason: 'length' };
    const digits = compact.slice(0, 8);
    if (!ASCII_DIGITS.test(digits)) return { valid: false, reason: 'format' };
    const check = compact.slice(8);
    if (check === '' || ASCII_DIGITS.test(check)) {
      // The number alone, or with the digit form of the check character: stdnum decides.
      const result = cuiValidator.validate(compact);
      if (!result.isValid) return { valid: false, reason: fromStdnum(result) };
    } else if (check !== dniCheckCharacters(digits).letter) {
      // The letter form, which stdnum's JavaScript port does not know.
      return { valid: false, reason: 'checksum' };
    }
    return { valid: true, normalized: digits };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/** Validates a carné de extranjería number as typed: 9 digits. Never throws. */
export function validateCe(input: unknown): ValidationResult {
  try {
    const prepared = prepare(input);
    if ('refused' in prepared) return prepared.refused;
    const { compact } = prepared;
    if (!ASCII_DIGITS.test(compact)) return { valid: false, reason: 'format' };
    const result = ceValidator.validate(compact);
    if (!result.isValid) return { valid: false, reason: fromStdnum(result) };
    return { valid: true, normalized: result.compact };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

const VALIDATORS: Record<PeDocumentType, (input: unknown) => ValidationResult> = { dni: validateDni, ce: validateCe };

/**
 * Masks a number for display: `X`s then the last four digits, `XXXX7410` for a DNI and `XXXXX6062`
 * for a CE. Shows at most the last four digits; a value of four digits or fewer is hidden entirely.
 */
export function maskPeruvian(documentType: PeDocumentType, normalized: unknown): string {
  const width = documentType === 'ce' ? 9 : 8;
  const digits = typeof normalized === 'string' ? normalized.replace(/[^0-9]/g, '') : '';
  const lastFour = digits.length > 4 ? digits.slice(-4) : 'XXXX';
  return `${'X'.repeat(width - 4)}${lastFour}`;
}

const RULES: DocumentRule[] = SUPPORTED_DOCUMENT_TYPES.map((code) => ({
  type: DOCUMENT_TYPES[code],
  validate: VALIDATORS[code],
  mask: (normalized: string) => maskPeruvian(code, normalized),
}));

export default defineIdVerifier<DniPeConfig>({
  resources,
  create: (context) => registryDocumentVerifier(RULES, context, { online: ONLINE_DOCUMENT_TYPES }),
});

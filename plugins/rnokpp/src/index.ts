/**
 * Ukraine ID-verifier plugin: offline checks of the individual taxpayer number (РНОКПП, RNOKPP,
 * 10 digits, the first five encoding the date of birth, the last a check digit) and of the number
 * of a Ukrainian passport (ID card or the older booklet).
 *
 * The RNOKPP check digit comes from the `stdnum` library (`stdnum.UA.rntrc`, a port of python-stdnum);
 * the date of birth it encodes is read here, because the library does not read it. A passport number
 * has no check digit and no library covers it: only its shape can be checked.
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
export const SUPPORTED_DOCUMENT_TYPES = ['rnokpp', 'ua-passport'] as const;
export type UkraineDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface RnokppConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: UkraineDocumentType[];
}

// Resolve the validator once, at load: if a future `stdnum` dropped it we want to fail at boot,
// not on the first person who registers.
const rnokppValidator = stdnum.UA?.rntrc;
if (typeof rnokppValidator?.validate !== 'function') {
  throw new Error('@teeka/plugin-rnokpp: the installed stdnum has no UA.rntrc validator');
}

const DOCUMENT_TYPES: Record<UkraineDocumentType, DocumentType> = {
  rnokpp: {
    code: 'rnokpp',
    labelKey: 'rnokpp.label',
    inputMask: '9999999999',
    // Born 1 January 1990 (day 32873); check digit computed with the library (see the tests).
    example: '3287312349',
    onlineVerification: false,
  },
  'ua-passport': {
    code: 'ua-passport',
    labelKey: 'uaPassport.label',
    // The ID card's 9 digits; the older booklet's 2 Cyrillic letters and 6 digits (МЕ123456) are accepted too.
    inputMask: '999999999',
    example: '123456789',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: {
    'rnokpp.label': 'Taxpayer registration number (RNOKPP)',
    'uaPassport.label': 'Ukrainian passport number (ID card or booklet)',
  },
  hi: {
    'rnokpp.label': 'करदाता पंजीकरण संख्या (RNOKPP)',
    'uaPassport.label': 'यूक्रेनी पासपोर्ट संख्या (आईडी कार्ड या पुस्तिका)',
  },
  es: {
    'rnokpp.label': 'Número de registro del contribuyente de Ucrania (RNOKPP)',
    'uaPassport.label': 'Número de pasaporte ucraniano (tarjeta de identidad o libreta)',
  },
  ar: {
    'rnokpp.label': 'رقم تسجيل دافع الضرائب الأوكراني (RNOKPP)',
    'uaPassport.label': 'رقم جواز السفر الأوكراني (بطاقة هوية أو دفتر)',
  },
  uk: {
    'rnokpp.label': 'РНОКПП (реєстраційний номер облікової картки платника податків)',
    'uaPassport.label': 'Номер паспорта громадянина України (ID-картка або книжечка)',
  },
};

/** Longer inputs are refused before any other work: these numbers typed with separators are ~12. */
const MAX_INPUT_LENGTH = 64;
/** What people put between character groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/** ASCII digits only: the normalised form is stored and compared, so it has one spelling. */
const ASCII_DIGITS = /^[0-9]+$/;

/** stdnum's error classes, by name, to the contract's reason codes. */
const REASON_BY_STDNUM_ERROR: Record<string, InvalidReason> = {
  InvalidLength: 'length',
  InvalidFormat: 'format',
  InvalidChecksum: 'checksum',
  InvalidComponent: 'format',
};

const DAY_MS = 86_400_000;
/** Day 0 of the RNOKPP date: the first five digits count days since 31 December 1899. */
const RNOKPP_EPOCH_MS = Date.UTC(1899, 11, 31);

/**
 * The date of birth an RNOKPP encodes, as `YYYY-MM-DD`: 31 December 1899 plus the number of days
 * its first five digits give (so `00001` is 1 January 1900). Undefined for anything but 10 digits.
 */
export function birthDateOf(normalized: string): string | undefined {
  if (typeof normalized !== 'string' || !/^[0-9]{10}$/.test(normalized)) return undefined;
  return new Date(RNOKPP_EPOCH_MS + Number(normalized.slice(0, 5)) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Today's date in the time zone that reaches it first (UTC+14), as `YYYY-MM-DD`: a date is refused
 * as in the future only once it is in the future everywhere.
 */
export function latestToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}

type Prepared = { ok: true; compact: string } | { ok: false; result: ValidationResult };
const refuse = (reason: InvalidReason): { ok: false; result: ValidationResult } => ({ ok: false, result: { valid: false, reason } });

/** The common front end: empty, type, overall length, separators removed (and Unicode composed). */
function prepare(input: unknown): Prepared {
  if (input === undefined || input === null) return refuse('empty');
  if (typeof input !== 'string') return refuse('format');
  if (input.trim() === '') return refuse('empty');
  if (input.length > MAX_INPUT_LENGTH) return refuse('length');
  // NFC: a Й or Ї typed as a base letter and a combining mark becomes the one letter.
  return { ok: true, compact: input.normalize('NFC').replace(SEPARATORS, '') };
}

/**
 * Validates an RNOKPP as typed. Never throws. Ten ASCII digits, a date of birth that is not in the
 * future (`inconsistent`), and the check digit (stdnum, `checksum`).
 */
export function validateRnokpp(input: unknown, now: Date = new Date()): ValidationResult {
  try {
    const prepared = prepare(input);
    if (!prepared.ok) return prepared.result;
    const digits = prepared.compact;
    // Only ASCII digits: stdnum would also fold full-width digits.
    if (!ASCII_DIGITS.test(digits)) return { valid: false, reason: 'format' };
    if (digits.length !== 10) return { valid: false, reason: 'length' };
    const birthDate = birthDateOf(digits);
    if (birthDate === undefined || birthDate > latestToday(now)) return { valid: false, reason: 'inconsistent' };
    const result = rnokppValidator.validate(digits);
    if (result.isValid) return { valid: true, normalized: result.compact };
    return { valid: false, reason: REASON_BY_STDNUM_ERROR[result.error?.name ?? ''] ?? 'format' };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/** The 33 capital letters of the Ukrainian alphabet (no Ё, Ъ, Ы, Э; no Latin look-alikes). */
export const UKRAINIAN_CAPITALS = 'АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ';
const UKRAINIAN_LETTER = `[${UKRAINIAN_CAPITALS}${UKRAINIAN_CAPITALS.toLowerCase()}]`;
/** The booklet passport: a series of two Cyrillic letters and a six-digit number, e.g. МЕ123456. */
const BOOKLET = new RegExp(`^${UKRAINIAN_LETTER}{2}[0-9]{6}$`, 'u');
const BOOKLET_ANY_DIGITS = new RegExp(`^${UKRAINIAN_LETTER}{2}[0-9]+$`, 'u');

/**
 * Validates a Ukrainian passport number as typed: the ID card's 9 digits or the booklet's 2 Cyrillic
 * capital letters and 6 digits. Never throws. Latin letters, even look-alikes of Cyrillic ones (the
 * Latin `ME123456`), are refused as `format`. There is no check digit, so never `checksum`.
 */
export function validateUaPassport(input: unknown): ValidationResult {
  try {
    const prepared = prepare(input);
    if (!prepared.ok) return prepared.result;
    const compact = prepared.compact;
    if (ASCII_DIGITS.test(compact)) {
      return compact.length === 9 ? { valid: true, normalized: compact } : { valid: false, reason: 'length' };
    }
    if (BOOKLET.test(compact)) return { valid: true, normalized: compact.toUpperCase() };
    if (BOOKLET_ANY_DIGITS.test(compact)) return { valid: false, reason: 'length' };
    return { valid: false, reason: 'format' };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/** Validates a number of one of the supported types. Never throws. */
export function validateUkraineDocument(documentType: UkraineDocumentType, input: unknown, now: Date = new Date()): ValidationResult {
  if (documentType === 'rnokpp') return validateRnokpp(input, now);
  if (documentType === 'ua-passport') return validateUaPassport(input);
  return { valid: false, reason: 'unknown-type' };
}

/**
 * Masks a normalised number for display: `X` for every character but the last four, e.g.
 * `XXXXXX2349` (RNOKPP), `XXXXX6789` (ID card), `XXXX3456` (booklet, whose letters are hidden too).
 * Anything that is not a number of the type's shape is hidden entirely.
 */
export function maskUkraineDocument(documentType: UkraineDocumentType, normalized: unknown): string {
  const value = typeof normalized === 'string' ? normalized : '';
  if (documentType === 'rnokpp') return /^[0-9]{10}$/.test(value) ? `XXXXXX${value.slice(-4)}` : 'XXXXXXXXXX';
  if (documentType !== 'ua-passport') return 'XXXX';
  if (/^[0-9]{9}$/.test(value)) return `XXXXX${value.slice(-4)}`;
  if (BOOKLET.test(value)) return `XXXX${value.slice(-4)}`;
  return 'XXXXXXXXX';
}

const RULES: DocumentRule[] = [
  {
    type: DOCUMENT_TYPES.rnokpp,
    validate: (input) => validateRnokpp(input),
    mask: (normalized) => maskUkraineDocument('rnokpp', normalized),
  },
  {
    type: DOCUMENT_TYPES['ua-passport'],
    validate: validateUaPassport,
    mask: (normalized) => maskUkraineDocument('ua-passport', normalized),
  },
];

export default defineIdVerifier<RnokppConfig>({
  resources,
  create: (context) => documentVerifier(RULES, { enabled: context.config?.documentTypes }),
});

/**
 * Passport ID-verifier plugin: offline checks of a passport number, the document number of an
 * ICAO Doc 9303 machine readable passport, for any country until a country-specific plugin exists.
 *
 * The MRZ gives the document number 9 characters, letters A-Z and digits, padded with `<`. The
 * number alone carries no check digit (that is printed only in the MRZ line, after the number),
 * so all this plugin can check is the shape: generic (6 to 9 letters and digits), a known
 * national format chosen by `issuingCountry`, or a tenant's own `pattern`.
 */
import {
  type DocumentRule,
  type DocumentType,
  defineIdVerifier,
  documentVerifier,
  type PluginResources,
  type ValidationResult,
} from '@teeka/plugin-sdk';

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['passport'] as const;
export type PassportDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface PassportConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: PassportDocumentType[];
  /** ISO 3166-1 alpha-2 code of the issuing country, selecting its national format when known. */
  issuingCountry?: string;
  /** Regular expression the whole normalised number must match; overrides `issuingCountry`. */
  pattern?: string;
  /** Example shown to people; must be valid under the format in force. */
  example?: string;
}

/** The shape a normalised passport number must have, and what people are shown about it. */
export interface PassportFormat {
  /** Tested against the whole normalised number (upper case, no separators). */
  regex: RegExp;
  /** Numbers shorter or longer than these are refused as `length` before `regex` is tried. */
  minLength: number;
  maxLength: number;
  inputMask: string;
  example: string;
}

/** ICAO Doc 9303: the document number field of the MRZ is 9 characters (A-Z, 0-9). */
export const MRZ_DOCUMENT_NUMBER_LENGTH = 9;

/**
 * Any country: 6 to 9 letters and digits (no real passport number is shorter than 6). The example is
 * the document number of ICAO Doc 9303's specimen passport (the fictitious state of Utopia).
 */
export const GENERIC_FORMAT: PassportFormat = Object.freeze({
  regex: /^[A-Z0-9]{6,9}$/,
  minLength: 6,
  maxLength: MRZ_DOCUMENT_NUMBER_LENGTH,
  inputMask: 'XXXXXXXXX',
  example: 'L898902C3',
});

/**
 * Stricter formats of the issuing countries whose numbering is well established. A country is added
 * only when its format is: a wrong national rule would refuse real passports, the generic one never does.
 */
export const NATIONAL_FORMATS: Readonly<Record<string, PassportFormat>> = Object.freeze({
  // India: one letter then seven digits, e.g. A1234567.
  IN: Object.freeze({ regex: /^[A-Z][0-9]{7}$/, minLength: 8, maxLength: 8, inputMask: 'A9999999', example: 'A1234567' }),
});

/**
 * The format a tenant's config selects: its `pattern` (anchored to the whole number), else the
 * national format of `issuingCountry`, else the generic one. Throws, at start-up, on a pattern that
 * is not a regular expression or an example that is not valid under the result.
 */
export function passportFormat(config: PassportConfig | undefined = {}): PassportFormat {
  let format: PassportFormat = GENERIC_FORMAT;
  if (typeof config?.pattern === 'string' && config.pattern !== '') {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${config.pattern})$`);
    } catch (error) {
      throw new Error(`@teeka/plugin-passport: config.pattern is not a regular expression: ${(error as Error).message}`);
    }
    format = { ...GENERIC_FORMAT, regex, minLength: 1 };
  } else if (typeof config?.issuingCountry === 'string') {
    format = NATIONAL_FORMATS[config.issuingCountry.toUpperCase()] ?? GENERIC_FORMAT;
  }
  if (typeof config?.example === 'string') format = { ...format, example: config.example };
  if (!validatePassport(format.example, format).valid) {
    throw new Error(
      `@teeka/plugin-passport: the example "${format.example}" is not valid under the configured format; set config.example to a number that is`,
    );
  }
  return format;
}

const DOCUMENT_TYPE: Omit<DocumentType, 'inputMask' | 'example'> = {
  code: 'passport',
  labelKey: 'passport.label',
  onlineVerification: false,
};

export const resources: PluginResources = {
  en: { 'passport.label': 'Passport number' },
  hi: { 'passport.label': 'पासपोर्ट संख्या' },
  es: { 'passport.label': 'Número de pasaporte' },
  ar: { 'passport.label': 'رقم جواز السفر' },
  uk: { 'passport.label': 'Номер паспорта' },
};

/** Longer inputs are refused before any other work: a passport number typed with separators is ~12. */
const MAX_INPUT_LENGTH = 64;
/** What people put between character groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/**
 * ASCII letters and digits only, tested before upper-casing: `toUpperCase` turns some other letters
 * into ASCII ones (`ß` into `SS`, dotless `ı` into `I`), and the MRZ `<` filler is not part of the number.
 */
const ASCII_ALPHANUMERIC = /^[A-Za-z0-9]+$/;

/** Validates a passport number as typed, against the generic format unless told another. Never throws. */
export function validatePassport(input: unknown, format: PassportFormat = GENERIC_FORMAT): ValidationResult {
  try {
    if (input === undefined || input === null) return { valid: false, reason: 'empty' };
    if (typeof input !== 'string') return { valid: false, reason: 'format' };
    if (input.trim() === '') return { valid: false, reason: 'empty' };
    if (input.length > MAX_INPUT_LENGTH) return { valid: false, reason: 'length' };

    const compact = input.replace(SEPARATORS, '');
    if (!ASCII_ALPHANUMERIC.test(compact)) return { valid: false, reason: 'format' };
    const normalized = compact.toUpperCase();
    if (normalized.length > MRZ_DOCUMENT_NUMBER_LENGTH || normalized.length < format.minLength || normalized.length > format.maxLength) {
      return { valid: false, reason: 'length' };
    }
    if (!format.regex.test(normalized)) return { valid: false, reason: 'format' };
    return { valid: true, normalized };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/**
 * Masks a passport number for display: `XXXXX` then the last four characters, e.g. `XXXXX02C3`.
 * The width is fixed, so the mask does not tell the number's length either; a number of four
 * characters or fewer (possible only with a tenant `pattern`) is hidden entirely.
 */
export function maskPassport(normalized: unknown): string {
  const characters = typeof normalized === 'string' ? normalized.replace(/[^0-9A-Za-z]/g, '').toUpperCase() : '';
  const lastFour = characters.length > 4 ? characters.slice(-4) : 'XXXX';
  return `XXXXX${lastFour}`;
}

/** The passport rule under a tenant's format (see passportFormat, which throws on a config that cannot work). */
function passportRule(format: PassportFormat): DocumentRule {
  return {
    type: { ...DOCUMENT_TYPE, inputMask: format.inputMask, example: format.example },
    validate: (input) => validatePassport(input, format),
    mask: maskPassport,
  };
}

export default defineIdVerifier<PassportConfig>({
  resources,
  create: (context) => documentVerifier([passportRule(passportFormat(context.config))], { enabled: context.config?.documentTypes }),
});

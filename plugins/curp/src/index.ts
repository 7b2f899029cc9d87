/**
 * CURP ID-verifier plugin: offline checks of Mexico's CURP (Clave Única de Registro de Población),
 * the 18-character population registry code.
 *
 * The structure, the forbidden first words, the sex letter, the state code and the check digit come
 * from the `stdnum` library (`stdnum.MX.curp`, a port of python-stdnum). Its `validate` checks the birth
 * date without the century the 17th character encodes, so it accepts dates that do not exist or are
 * in the future; this module also asks the library's own `getBirthDate`, which reads the century,
 * and checks the parts itself first so that each failure gets its own reason.
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
import { stdnum, type Validator } from 'stdnum';

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['curp'] as const;
export type CurpDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface CurpConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: CurpDocumentType[];
}

// Resolve the validator once, at load: if a future `stdnum` dropped it we want to fail at boot,
// not on the first person who registers.
// The entry point types every validator as a plain `Validator`; MX.curp also exports `getBirthDate`.
const curpLibrary = stdnum.MX?.curp as (Validator & { getBirthDate?: (input: string) => Date | null }) | undefined;
if (typeof curpLibrary?.validate !== 'function' || typeof curpLibrary?.getBirthDate !== 'function') {
  throw new Error('@teeka/plugin-curp: the installed stdnum has no MX.curp validator with getBirthDate');
}
const validateWithLibrary = curpLibrary.validate;
const getBirthDate: (input: string) => Date | null = curpLibrary.getBirthDate;

const DOCUMENT_TYPES: Record<CurpDocumentType, DocumentType> = {
  curp: {
    code: 'curp',
    labelKey: 'curp.label',
    inputMask: 'AAAA999999AAAAAAX9',
    // Juan Pérez García, born 15 May 1990 in Jalisco; check digit computed with the library (see the tests).
    example: 'PEGJ900515HJCRRN05',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: { 'curp.label': 'CURP (Unique Population Registry Code)' },
  hi: { 'curp.label': 'CURP (मेक्सिको का विशिष्ट जनसंख्या रजिस्ट्री कोड)' },
  es: { 'curp.label': 'CURP (Clave Única de Registro de Población)' },
  ar: { 'curp.label': 'رمز التسجيل السكاني الموحد في المكسيك (CURP)' },
  uk: { 'curp.label': 'CURP (унікальний код реєстру населення Мексики)' },
};

/**
 * The state codes of the 12th and 13th characters (RENAPO): where the person was born, or `NE`
 * (nacido en el extranjero) for people born abroad. The same 33 codes as stdnum's own list (a test
 * checks they agree), kept here so that an unknown state gets its own reason.
 */
export const CURP_STATE_CODES: Readonly<Record<string, string>> = Object.freeze({
  AS: 'Aguascalientes',
  BC: 'Baja California',
  BS: 'Baja California Sur',
  CC: 'Campeche',
  CH: 'Chihuahua',
  CL: 'Coahuila',
  CM: 'Colima',
  CS: 'Chiapas',
  DF: 'Ciudad de México (Distrito Federal)',
  DG: 'Durango',
  GR: 'Guerrero',
  GT: 'Guanajuato',
  HG: 'Hidalgo',
  JC: 'Jalisco',
  MC: 'Estado de México',
  MN: 'Michoacán',
  MS: 'Morelos',
  NE: 'Nacido en el extranjero (born abroad)',
  NL: 'Nuevo León',
  NT: 'Nayarit',
  OC: 'Oaxaca',
  PL: 'Puebla',
  QR: 'Quintana Roo',
  QT: 'Querétaro',
  SL: 'Sinaloa',
  SP: 'San Luis Potosí',
  SR: 'Sonora',
  TC: 'Tabasco',
  TL: 'Tlaxcala',
  TS: 'Tamaulipas',
  VZ: 'Veracruz',
  YN: 'Yucatán',
  ZS: 'Zacatecas',
});

/** The 11th character: H (hombre), M (mujer) or X (non-binary, issued since 2023). */
export const CURP_SEX_LETTERS = ['H', 'M', 'X'] as const;

/** Longer inputs are refused before any other work: a CURP typed with separators is ~21. */
const MAX_INPUT_LENGTH = 64;
/** What people put between character groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/** ASCII letters and digits only, tested before upper-casing (`ß` would become `SS`). */
const ASCII_ALPHANUMERIC = /^[A-Za-z0-9]+$/;
/**
 * Four letters (from the names), birth date YYMMDD, sex, state, three consonants (from the names),
 * the century differentiator (a digit for births up to 1999, a letter from 2000) and the check digit.
 */
const CURP_SHAPE = /^[A-Z]{4}[0-9]{6}[A-Z]{6}[0-9A-Z][0-9]$/;

/**
 * The birth date a CURP encodes, with the century its 17th character gives, as `YYYY-MM-DD`, when it
 * is a real date that is not in the future (the library's `getBirthDate`); otherwise undefined.
 */
export function curpBirthDate(normalized: string): string | undefined {
  try {
    if (typeof normalized !== 'string' || !CURP_SHAPE.test(normalized)) return undefined;
    const date = getBirthDate(normalized);
    if (!date) return undefined;
    // The library builds the date at local midnight: read it back with local getters.
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  } catch {
    return undefined;
  }
}

/** Validates a CURP as typed. Never throws. */
export function validateCurp(input: unknown): ValidationResult {
  const refuse = (reason: InvalidReason): ValidationResult => ({ valid: false, reason });
  try {
    if (input === undefined || input === null) return refuse('empty');
    if (typeof input !== 'string') return refuse('format');
    if (input.trim() === '') return refuse('empty');
    if (input.length > MAX_INPUT_LENGTH) return refuse('length');

    const compact = input.replace(SEPARATORS, '');
    if (!ASCII_ALPHANUMERIC.test(compact)) return refuse('format');
    if (compact.length !== 18) return refuse('length');
    const curp = compact.toUpperCase();
    if (!CURP_SHAPE.test(curp)) return refuse('format');

    // stdnum checks these too but answers InvalidComponent for all of them: check them here first.
    if (!(CURP_SEX_LETTERS as readonly string[]).includes(curp[10] ?? '')) return refuse('format');
    if (!Object.hasOwn(CURP_STATE_CODES, curp.slice(11, 13))) return refuse('inconsistent');
    if (curpBirthDate(curp) === undefined) return refuse('inconsistent');

    const result = validateWithLibrary(curp);
    if (result.isValid) return { valid: true, normalized: result.compact };
    // What is left: InvalidChecksum, or InvalidComponent for a forbidden first word (RENAPO replaces
    // the 2nd letter of an offensive word with X, so such a CURP is never issued).
    return refuse(result.error?.name === 'InvalidChecksum' ? 'checksum' : 'format');
  } catch {
    return refuse('format');
  }
}

/** Masks a CURP for display: fourteen `X` then the last four characters, e.g. `XXXXXXXXXXXXXXRN05`. */
export function maskCurp(normalized: unknown): string {
  const characters = typeof normalized === 'string' ? normalized.replace(/[^0-9A-Za-z]/g, '').toUpperCase() : '';
  const lastFour = characters.length === 18 ? characters.slice(-4) : 'XXXX';
  return `${'X'.repeat(14)}${lastFour}`;
}

const RULES: DocumentRule[] = [{ type: DOCUMENT_TYPES.curp, validate: validateCurp, mask: maskCurp }];

export default defineIdVerifier<CurpConfig>({
  resources,
  create: (context) => documentVerifier(RULES, { enabled: context.config?.documentTypes }),
});

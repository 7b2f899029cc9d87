/**
 * India documents ID-verifier plugin: offline checks of three Indian identity documents besides
 * Aadhaar: the PAN (Permanent Account Number), the voter ID (EPIC) and the driving licence.
 *
 * PAN and EPIC rules come from the `stdnum` library (a port of python-stdnum); this module only adds
 * what the Teeka contract asks for on top: forgiving input, stable reason codes, masking and
 * translations. No library covers the driving licence, and it has no check digit: its rules (state
 * code, RTO, year of issue) are this module's own.
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
export const SUPPORTED_DOCUMENT_TYPES = ['pan', 'epic', 'driving-licence'] as const;
export type IndiaDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface IndiaDocumentsConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: IndiaDocumentType[];
}

// Resolve the validators once, at load: if a future `stdnum` dropped one we want to fail at boot,
// not on the first person who registers.
const panValidator = stdnum.IN?.pan;
const epicValidator = stdnum.IN?.epic;
if (typeof panValidator?.validate !== 'function' || typeof epicValidator?.validate !== 'function') {
  throw new Error('@teeka/plugin-india-documents: the installed stdnum has no IN.pan or IN.epic validator');
}

const DOCUMENT_TYPES: Record<IndiaDocumentType, DocumentType> = {
  pan: {
    code: 'pan',
    labelKey: 'pan.label',
    inputMask: 'AAAAA9999A',
    example: 'ABCPE1234F',
    onlineVerification: false,
  },
  epic: {
    code: 'epic',
    labelKey: 'epic.label',
    inputMask: 'AAA9999999',
    // Check digit computed with the library (see the tests).
    example: 'ABC1234566',
    onlineVerification: false,
  },
  'driving-licence': {
    code: 'driving-licence',
    labelKey: 'drivingLicence.label',
    inputMask: 'AA-9999999999999',
    example: 'KA-0120190001234',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: {
    'pan.label': 'PAN (Permanent Account Number)',
    'epic.label': 'Voter ID (EPIC number)',
    'drivingLicence.label': 'Driving licence number',
  },
  hi: {
    'pan.label': 'पैन (स्थायी खाता संख्या)',
    'epic.label': 'मतदाता पहचान पत्र (EPIC संख्या)',
    'drivingLicence.label': 'ड्राइविंग लाइसेंस संख्या',
  },
  es: {
    'pan.label': 'PAN (número de cuenta permanente de la India)',
    'epic.label': 'Credencial de elector de la India (número EPIC)',
    'drivingLicence.label': 'Número de permiso de conducir de la India',
  },
  ar: {
    'pan.label': 'رقم الحساب الدائم (PAN)',
    'epic.label': 'بطاقة الناخب (رقم EPIC)',
    'drivingLicence.label': 'رقم رخصة القيادة الهندية',
  },
  uk: {
    'pan.label': 'PAN (постійний номер рахунку платника податків Індії)',
    'epic.label': 'Посвідчення виборця Індії (номер EPIC)',
    'drivingLicence.label': 'Номер індійського посвідчення водія',
  },
};

/** Longer inputs are refused before any other work: these numbers typed with separators are ~20. */
const MAX_INPUT_LENGTH = 64;
/** What people put between character groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/**
 * ASCII letters and digits only, tested before upper-casing: `toUpperCase` turns some other letters
 * into ASCII ones (`ß` into `SS`, dotless `ı` into `I`), and stdnum would fold other scripts' digits.
 */
const ASCII_ALPHANUMERIC = /^[A-Za-z0-9]+$/;

/** stdnum's error classes, by name, to the contract's reason codes. */
const REASON_BY_STDNUM_ERROR: Record<string, InvalidReason> = {
  InvalidLength: 'length',
  InvalidFormat: 'format',
  InvalidChecksum: 'checksum',
  InvalidComponent: 'format',
};

type Prepared = { ok: true; compact: string } | { ok: false; result: ValidationResult };
const refuse = (reason: InvalidReason): { ok: false; result: ValidationResult } => ({ ok: false, result: { valid: false, reason } });

/** The common front end: empty, type, overall length, separators, ASCII only, upper case. */
function prepare(input: unknown, expectedLength: number): Prepared {
  if (input === undefined || input === null) return refuse('empty');
  if (typeof input !== 'string') return refuse('format');
  if (input.trim() === '') return refuse('empty');
  if (input.length > MAX_INPUT_LENGTH) return refuse('length');
  const compact = input.replace(SEPARATORS, '');
  if (!ASCII_ALPHANUMERIC.test(compact)) return refuse('format');
  if (compact.length !== expectedLength) return refuse('length');
  return { ok: true, compact: compact.toUpperCase() };
}

/** Runs a stdnum validator on an already prepared number and maps its answer. */
function byStdnum(validator: typeof panValidator, compact: string): ValidationResult {
  const result = validator.validate(compact);
  if (result.isValid) return { valid: true, normalized: result.compact };
  return { valid: false, reason: REASON_BY_STDNUM_ERROR[result.error?.name ?? ''] ?? 'format' };
}

/**
 * The 4th character of a PAN says who holds it (Income Tax Department): `P` is an individual; the
 * others (company, firm, trust, HUF, government…) are not a person, so they cannot identify one.
 */
export const PAN_INDIVIDUAL_HOLDER = 'P';

/**
 * Validates a PAN as typed. Never throws. Shape (5 letters, 4 digits, a letter), a known holder type
 * and a serial other than 0000 are checked by stdnum; a PAN of anyone but an individual is refused
 * as `inconsistent`. The 10th character is a check letter whose algorithm is not published: no
 * library checks it, so a PAN is never refused as `checksum`.
 */
export function validatePan(input: unknown): ValidationResult {
  try {
    const prepared = prepare(input, 10);
    if (!prepared.ok) return prepared.result;
    const result = byStdnum(panValidator, prepared.compact);
    if (result.valid && result.normalized[3] !== PAN_INDIVIDUAL_HOLDER) return { valid: false, reason: 'inconsistent' };
    return result;
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/**
 * Validates an EPIC (voter ID) number as typed: 3 letters then 7 digits whose last is a Luhn check
 * digit over the other six (stdnum IN.epic). Never throws.
 */
export function validateEpic(input: unknown): ValidationResult {
  try {
    const prepared = prepare(input, 10);
    if (!prepared.ok) return prepared.result;
    return byStdnum(epicValidator, prepared.compact);
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/**
 * The state/UT codes a driving licence number starts with (the RTO codes of the Ministry of Road
 * Transport and Highways' Sarathi system), including older codes still printed on valid licences.
 */
export const DRIVING_LICENCE_STATE_CODES: Readonly<Record<string, string>> = Object.freeze({
  AN: 'Andaman and Nicobar Islands',
  AP: 'Andhra Pradesh',
  AR: 'Arunachal Pradesh',
  AS: 'Assam',
  BR: 'Bihar',
  CG: 'Chhattisgarh',
  CH: 'Chandigarh',
  DD: 'Dadra and Nagar Haveli and Daman and Diu (Daman and Diu before 2020)',
  DL: 'Delhi',
  DN: 'Dadra and Nagar Haveli (before 2020)',
  GA: 'Goa',
  GJ: 'Gujarat',
  HP: 'Himachal Pradesh',
  HR: 'Haryana',
  JH: 'Jharkhand',
  JK: 'Jammu and Kashmir',
  KA: 'Karnataka',
  KL: 'Kerala',
  LA: 'Ladakh',
  LD: 'Lakshadweep',
  MH: 'Maharashtra',
  ML: 'Meghalaya',
  MN: 'Manipur',
  MP: 'Madhya Pradesh',
  MZ: 'Mizoram',
  NL: 'Nagaland',
  OD: 'Odisha',
  OR: 'Orissa (Odisha before 2012)',
  PB: 'Punjab',
  PY: 'Puducherry',
  RJ: 'Rajasthan',
  SK: 'Sikkim',
  TG: 'Telangana (since 2024)',
  TN: 'Tamil Nadu',
  TR: 'Tripura',
  TS: 'Telangana (2014 to 2024)',
  UA: 'Uttaranchal (Uttarakhand before 2007)',
  UK: 'Uttarakhand',
  UP: 'Uttar Pradesh',
  WB: 'West Bengal',
});

/** Driving licences issued before this year do not exist in the national format. */
export const FIRST_LICENCE_YEAR = 1950;

/**
 * The current year in the time zone that reaches it first (UTC+14): a year is refused as in the
 * future only once it is in the future everywhere.
 */
export function latestCurrentYear(now: Date = new Date()): number {
  return new Date(now.getTime() + 14 * 3_600_000).getUTCFullYear();
}

const DRIVING_LICENCE = /^([A-Z]{2})([0-9]{2})([0-9]{4})([0-9]{7})$/;

/**
 * Validates an Indian driving licence number (the 15-character national format: state code, 2-digit
 * RTO, 4-digit year of issue, 7-digit serial) as typed. Never throws. The number has no check digit,
 * so it is never refused as `checksum`; an unknown state code, or a year of issue before 1950 or in
 * the future, is `inconsistent`.
 */
export function validateDrivingLicence(input: unknown, now: Date = new Date()): ValidationResult {
  try {
    const prepared = prepare(input, 15);
    if (!prepared.ok) return prepared.result;
    const match = DRIVING_LICENCE.exec(prepared.compact);
    if (!match) return { valid: false, reason: 'format' };
    const [, state = '', , year = ''] = match;
    if (!Object.hasOwn(DRIVING_LICENCE_STATE_CODES, state)) return { valid: false, reason: 'inconsistent' };
    const issued = Number(year);
    if (issued < FIRST_LICENCE_YEAR || issued > latestCurrentYear(now)) return { valid: false, reason: 'inconsistent' };
    return { valid: true, normalized: prepared.compact };
  } catch {
    return { valid: false, reason: 'format' };
  }
}

/** Validates a number of one of the supported types. Never throws. */
export function validateIndiaDocument(documentType: IndiaDocumentType, input: unknown, now: Date = new Date()): ValidationResult {
  switch (documentType) {
    case 'pan':
      return validatePan(input);
    case 'epic':
      return validateEpic(input);
    case 'driving-licence':
      return validateDrivingLicence(input, now);
    default:
      return { valid: false, reason: 'unknown-type' };
  }
}

const NORMALISED_LENGTH: Record<IndiaDocumentType, number> = { pan: 10, epic: 10, 'driving-licence': 15 };

/**
 * Masks a normalised number for display: `X` for every character but the last four, e.g.
 * `XXXXXX234F` (PAN), `XXXXXX4566` (EPIC), `XX-XXXXXXXXX1234` (driving licence). Anything that is not
 * a number of the type's length is hidden entirely, so at most the last four characters ever show.
 */
export function maskIndiaDocument(documentType: IndiaDocumentType, normalized: unknown): string {
  if (!Object.hasOwn(NORMALISED_LENGTH, documentType)) return 'XXXX';
  const width = NORMALISED_LENGTH[documentType];
  const characters = typeof normalized === 'string' ? normalized.replace(/[^0-9A-Za-z]/g, '').toUpperCase() : '';
  const lastFour = characters.length === width ? characters.slice(-4) : 'XXXX';
  const masked = `${'X'.repeat(width - 4)}${lastFour}`;
  return documentType === 'driving-licence' ? `${masked.slice(0, 2)}-${masked.slice(2)}` : masked;
}

const RULES: DocumentRule[] = SUPPORTED_DOCUMENT_TYPES.map((code) => ({
  type: DOCUMENT_TYPES[code],
  validate: (input) => validateIndiaDocument(code, input),
  mask: (normalized) => maskIndiaDocument(code, normalized),
}));

export default defineIdVerifier<IndiaDocumentsConfig>({
  resources,
  create: (context) => documentVerifier(RULES, { enabled: context.config?.documentTypes }),
});

/**
 * CCCD ID-verifier plugin: offline checks of Vietnam's 12-digit personal identification number, the
 * number of the Citizen Identity Card (Căn cước công dân, CCCD) and of the Căn cước card since 2024.
 *
 * Circular 07/2016/TT-BCA (Ministry of Public Security) gives its structure: a 3-digit code of the
 * province where the birth was registered, a digit for century and sex, the last two digits of the
 * year of birth, then 6 random digits. There is no check digit, and no library covers the number
 * (`stdnum` has only Vietnam's tax code), so these rules are this module's own.
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

/** Codes of the document types this plugin understands. */
export const SUPPORTED_DOCUMENT_TYPES = ['cccd'] as const;
export type CccdDocumentType = (typeof SUPPORTED_DOCUMENT_TYPES)[number];

export interface CccdConfig {
  /** Document types the tenant accepts; all supported types when omitted. */
  documentTypes?: CccdDocumentType[];
}

const DOCUMENT_TYPES: Record<CccdDocumentType, DocumentType> = {
  cccd: {
    code: 'cccd',
    labelKey: 'cccd.label',
    inputMask: '999999999999',
    // Birth registered in Hà Nội (001), a man born in the 20th century (0), in 1990, serial 012345.
    example: '001090012345',
    onlineVerification: false,
  },
};

export const resources: PluginResources = {
  en: { 'cccd.label': 'Citizen identity card number (CCCD)' },
  hi: { 'cccd.label': 'नागरिक पहचान पत्र संख्या (CCCD, वियतनाम)' },
  es: { 'cccd.label': 'Número de la tarjeta de identidad ciudadana de Vietnam (CCCD)' },
  ar: { 'cccd.label': 'رقم بطاقة هوية المواطن الفيتنامية (CCCD)' },
  uk: { 'cccd.label': "Номер картки ідентифікації громадянина В'єтнаму (CCCD)" },
};

/**
 * The codes of the 63 provinces and centrally-run cities where a birth is registered, as published in
 * Appendix 1 of Circular 07/2016/TT-BCA (the codes of the national list of administrative units).
 * Numbers keep their code when provinces merge (as in 2025), so the list is not shortened.
 */
export const CCCD_PROVINCES: Readonly<Record<string, string>> = Object.freeze({
  '001': 'Hà Nội',
  '002': 'Hà Giang',
  '004': 'Cao Bằng',
  '006': 'Bắc Kạn',
  '008': 'Tuyên Quang',
  '010': 'Lào Cai',
  '011': 'Điện Biên',
  '012': 'Lai Châu',
  '014': 'Sơn La',
  '015': 'Yên Bái',
  '017': 'Hòa Bình',
  '019': 'Thái Nguyên',
  '020': 'Lạng Sơn',
  '022': 'Quảng Ninh',
  '024': 'Bắc Giang',
  '025': 'Phú Thọ',
  '026': 'Vĩnh Phúc',
  '027': 'Bắc Ninh',
  '030': 'Hải Dương',
  '031': 'Hải Phòng',
  '033': 'Hưng Yên',
  '034': 'Thái Bình',
  '035': 'Hà Nam',
  '036': 'Nam Định',
  '037': 'Ninh Bình',
  '038': 'Thanh Hóa',
  '040': 'Nghệ An',
  '042': 'Hà Tĩnh',
  '044': 'Quảng Bình',
  '045': 'Quảng Trị',
  '046': 'Thừa Thiên Huế',
  '048': 'Đà Nẵng',
  '049': 'Quảng Nam',
  '051': 'Quảng Ngãi',
  '052': 'Bình Định',
  '054': 'Phú Yên',
  '056': 'Khánh Hòa',
  '058': 'Ninh Thuận',
  '060': 'Bình Thuận',
  '062': 'Kon Tum',
  '064': 'Gia Lai',
  '066': 'Đắk Lắk',
  '067': 'Đắk Nông',
  '068': 'Lâm Đồng',
  '070': 'Bình Phước',
  '072': 'Tây Ninh',
  '074': 'Bình Dương',
  '075': 'Đồng Nai',
  '077': 'Bà Rịa - Vũng Tàu',
  '079': 'Hồ Chí Minh',
  '080': 'Long An',
  '082': 'Tiền Giang',
  '083': 'Bến Tre',
  '084': 'Trà Vinh',
  '086': 'Vĩnh Long',
  '087': 'Đồng Tháp',
  '089': 'An Giang',
  '091': 'Kiên Giang',
  '092': 'Cần Thơ',
  '093': 'Hậu Giang',
  '094': 'Sóc Trăng',
  '095': 'Bạc Liêu',
  '096': 'Cà Mau',
});

/** What the 12 digits say about the person. */
export interface CccdDetails {
  /** The 3-digit code of the province where the birth was registered, e.g. `001`. */
  provinceCode: string;
  /** Its name, or undefined for a code that is not in the list. */
  provinceName: string | undefined;
  /** From the 4th digit: even is male, odd is female. */
  sex: 'male' | 'female';
  /** The century from the 4th digit (0-1: 1900s, 2-3: 2000s, 4-5: 2100s…) plus the 5th and 6th digits. */
  birthYear: number;
}

/** Reads a normalised CCCD number (12 ASCII digits); undefined for anything else. */
export function decodeCccd(normalized: string): CccdDetails | undefined {
  if (typeof normalized !== 'string' || !/^[0-9]{12}$/.test(normalized)) return undefined;
  const provinceCode = normalized.slice(0, 3);
  const centuryAndSex = Number(normalized[3]);
  return {
    provinceCode,
    provinceName: Object.hasOwn(CCCD_PROVINCES, provinceCode) ? CCCD_PROVINCES[provinceCode] : undefined,
    sex: centuryAndSex % 2 === 0 ? 'male' : 'female',
    birthYear: 1900 + 100 * Math.floor(centuryAndSex / 2) + Number(normalized.slice(4, 6)),
  };
}

/**
 * The current year in the time zone that reaches it first (UTC+14): a year is refused as in the
 * future only once it is in the future everywhere.
 */
export function latestCurrentYear(now: Date = new Date()): number {
  return new Date(now.getTime() + 14 * 3_600_000).getUTCFullYear();
}

/** Longer inputs are refused before any other work: a number typed with separators is ~15. */
const MAX_INPUT_LENGTH = 64;
/** What people put between digit groups: any white space, and hyphens/dashes/minus signs. */
const SEPARATORS = /[\s\p{Pd}\u2212]/gu;
/** ASCII digits only: the normalised form is stored and compared, so it has one spelling. */
const ASCII_DIGITS = /^[0-9]+$/;

/**
 * Validates a CCCD number as typed. Never throws. An unknown province code or a year of birth in the
 * future is `inconsistent`. There is no check digit, so a number is never refused as `checksum`.
 */
export function validateCccd(input: unknown, now: Date = new Date()): ValidationResult {
  const refuse = (reason: InvalidReason): ValidationResult => ({ valid: false, reason });
  try {
    if (input === undefined || input === null) return refuse('empty');
    if (typeof input !== 'string') return refuse('format');
    if (input.trim() === '') return refuse('empty');
    if (input.length > MAX_INPUT_LENGTH) return refuse('length');

    const digits = input.replace(SEPARATORS, '');
    if (!ASCII_DIGITS.test(digits)) return refuse('format');
    if (digits.length !== 12) return refuse('length');
    const details = decodeCccd(digits);
    if (details?.provinceName === undefined) return refuse('inconsistent');
    if (details.birthYear > latestCurrentYear(now)) return refuse('inconsistent');
    return { valid: true, normalized: digits };
  } catch {
    return refuse('format');
  }
}

/** Masks a CCCD number for display: `XXXXXXXX` then the last four digits, e.g. `XXXXXXXX2345`. */
export function maskCccd(normalized: unknown): string {
  const digits = typeof normalized === 'string' ? normalized.replace(/[^0-9]/g, '') : '';
  const lastFour = digits.length === 12 ? digits.slice(-4) : 'XXXX';
  return `XXXXXXXX${lastFour}`;
}

const RULES: DocumentRule[] = [{ type: DOCUMENT_TYPES.cccd, validate: (input) => validateCccd(input), mask: maskCccd }];

export default defineIdVerifier<CccdConfig>({
  resources,
  create: (context) => documentVerifier(RULES, { enabled: context.config?.documentTypes }),
});

import { type CountryCode, getCountryCallingCode } from 'libphonenumber-js/max';

/** What `teeka tenant new` fills in for a country; flags override every value. */
export interface CountryDefaults {
  timeZone: string;
  currency: string;
  /** The country's languages, the usual default first. Only installed language packs are enabled. */
  languages: string[];
  areaLevels: string[];
  postalCode?: string;
}

/**
 * The demo countries and a few more. There is no Intl API from a country to its time zone (many
 * countries have several) or official languages, so other countries need --time-zone, --currency
 * and --languages.
 */
export const COUNTRY_DEFAULTS: Readonly<Record<string, CountryDefaults>> = {
  IN: {
    timeZone: 'Asia/Kolkata',
    currency: 'INR',
    languages: ['en', 'hi'],
    areaLevels: ['state', 'district', 'block'],
    postalCode: '^[1-9][0-9]{5}$',
  },
  MX: {
    timeZone: 'America/Mexico_City',
    currency: 'MXN',
    languages: ['es'],
    areaLevels: ['estado', 'municipio'],
    postalCode: '^[0-9]{5}$',
  },
  AE: { timeZone: 'Asia/Dubai', currency: 'AED', languages: ['ar', 'en'], areaLevels: ['emirate', 'area'] },
  NG: { timeZone: 'Africa/Lagos', currency: 'NGN', languages: ['en'], areaLevels: ['state', 'lga', 'ward'], postalCode: '^[0-9]{6}$' },
  PE: {
    timeZone: 'America/Lima',
    currency: 'PEN',
    languages: ['es'],
    areaLevels: ['departamento', 'provincia', 'distrito'],
    postalCode: '^[0-9]{5}$',
  },
  UA: { timeZone: 'Europe/Kyiv', currency: 'UAH', languages: ['uk'], areaLevels: ['oblast', 'raion', 'hromada'], postalCode: '^[0-9]{5}$' },
  VN: {
    timeZone: 'Asia/Ho_Chi_Minh',
    currency: 'VND',
    languages: ['vi', 'en'],
    areaLevels: ['province', 'commune'],
    postalCode: '^[0-9]{6}$',
  },
  KE: {
    timeZone: 'Africa/Nairobi',
    currency: 'KES',
    languages: ['en', 'sw'],
    areaLevels: ['county', 'sub-county', 'ward'],
    postalCode: '^[0-9]{5}$',
  },
  GH: { timeZone: 'Africa/Accra', currency: 'GHS', languages: ['en'], areaLevels: ['region', 'district'] },
  EG: {
    timeZone: 'Africa/Cairo',
    currency: 'EGP',
    languages: ['ar', 'en'],
    areaLevels: ['governorate', 'markaz'],
    postalCode: '^[0-9]{5}$',
  },
  PK: {
    timeZone: 'Asia/Karachi',
    currency: 'PKR',
    languages: ['ur', 'en'],
    areaLevels: ['province', 'district', 'tehsil'],
    postalCode: '^[0-9]{5}$',
  },
  BD: {
    timeZone: 'Asia/Dhaka',
    currency: 'BDT',
    languages: ['bn', 'en'],
    areaLevels: ['division', 'district', 'upazila'],
    postalCode: '^[0-9]{4}$',
  },
  PH: {
    timeZone: 'Asia/Manila',
    currency: 'PHP',
    languages: ['en'],
    areaLevels: ['region', 'province', 'municipality'],
    postalCode: '^[0-9]{4}$',
  },
  CO: {
    timeZone: 'America/Bogota',
    currency: 'COP',
    languages: ['es'],
    areaLevels: ['departamento', 'municipio'],
    postalCode: '^[0-9]{6}$',
  },
};

/** The calling code of a country (`254` for KE), from libphonenumber-js; undefined when it has none. */
export function callingCode(country: string): string | undefined {
  try {
    return getCountryCallingCode(country as CountryCode);
  } catch {
    return undefined;
  }
}

/** The country's English name from CLDR, or undefined for a code that names no region. */
export function countryName(country: string): string | undefined {
  const name = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(country);
  return name && name !== country ? name : undefined;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function isCurrency(code: string): boolean {
  return Intl.supportedValuesOf('currency').includes(code);
}

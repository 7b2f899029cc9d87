import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { stdnum } from 'stdnum';
import plugin, {
  DRIVING_LICENCE_STATE_CODES,
  type IndiaDocumentsConfig,
  type IndiaDocumentType,
  latestCurrentYear,
  maskIndiaDocument,
  resources,
  SUPPORTED_DOCUMENT_TYPES,
  validateDrivingLicence,
  validateEpic,
  validateIndiaDocument,
  validatePan,
} from '../src/index.js';

/**
 * Completes a 9-character EPIC body by asking the library which of the ten possible last digits it
 * accepts: the samples are computed, not copied from somewhere.
 */
function epicWithCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${body}${digit}`;
    if (stdnum.IN.epic.validate(candidate).isValid) return candidate;
  }
  throw new Error(`no check digit makes ${body} valid`);
}

/** The same number with its last digit changed to a wrong one. */
const withWrongLastDigit = (valid: string) => `${valid.slice(0, -1)}${(Number(valid.at(-1)) + 1) % 10}`;

/** python-stdnum's documented example of a valid EPIC number. */
const EPIC_LIBRARY_EXAMPLE = 'WKH1186253';
const EPIC_A = epicWithCheckDigit('ABC123456'); // the example in the input hint
const EPIC_B = epicWithCheckDigit('XYZ765432');
const EPIC_C = epicWithCheckDigit('MHQ000001');

// A PAN has no published check algorithm: valid samples are built from its rules, with `P`
// (individual) as the 4th character and a serial other than 0000.
const PAN_A = 'ABCPE1234F';
const PAN_B = 'ZZZPZ9999Z';
const PAN_C = 'AAAPA0001A';

/** A driving licence number built from its parts: state code, RTO, year of issue, serial. */
const licence = (state: string, rto: string, year: number | string, serial: string) => `${state}${rto}${year}${serial}`;
const DL_A = licence('KA', '01', 2019, '0001234'); // the example in the input hint
const DL_B = licence('MH', '14', 2011, '0062821');
const DL_C = licence('DL', '04', 1985, '0149646');
const DL_D = licence('TG', '09', 2024, '7654321');

const verifier = (config: IndiaDocumentsConfig = {}) => plugin.create(testContext<IndiaDocumentsConfig>(config));

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    pan: {
      valid: [PAN_A, PAN_B, PAN_C, 'abcpe1234f', 'ABCPE 1234 F', 'abcpe-1234-f'],
      invalid: [
        'ABCDE1234F', // the usual placeholder: D is no holder type
        'ABCCE1234F', // a company's PAN identifies no person
        'ABCPE0000F', // serial 0000 is never issued
        'ABCPE12345',
        '1BCPE1234F',
        'ABCPE1234',
        'ABCPE1234FF',
        'ABCPE.1234.F',
        'ÀBCPE1234F',
      ],
    },
    epic: {
      valid: [EPIC_LIBRARY_EXAMPLE, EPIC_A, EPIC_B, EPIC_C, EPIC_A.toLowerCase(), `${EPIC_B.slice(0, 3)} ${EPIC_B.slice(3)}`],
      invalid: [
        withWrongLastDigit(EPIC_LIBRARY_EXAMPLE),
        withWrongLastDigit(EPIC_A),
        EPIC_A.slice(0, 9),
        `${EPIC_A}0`,
        `1${EPIC_A.slice(1)}`,
        `${EPIC_A.slice(0, 5)}O${EPIC_A.slice(6)}`, // letter O typed for a zero
        'AP/12/123/123456', // an old-format card
      ],
    },
    'driving-licence': {
      valid: [DL_A, DL_B, DL_C, DL_D, 'KA-0120190001234', 'ka01 20190001234', 'MH-14-2011-0062821', licence('OD', '02', 1950, '0000001')],
      invalid: [
        licence('XX', '01', 2019, '0001234'), // no such state
        licence('KA', '01', 1949, '0001234'), // before 1950
        licence('KA', '01', latestCurrentYear() + 1, '0001234'), // in the future
        licence('KA', '01', 9999, '0001234'),
        'KA012019000123',
        'KA01201900012345',
        '120120190001234',
        'KAO120190001234',
        'KA01/2019/0001234',
        'MH02/123456/2005', // an old state format, not the national one
      ],
    },
  },
});

test('the examples in the hints are valid and computed with the library where there is a check digit', async (t) => {
  const types = Object.fromEntries((await verifier()).documentTypes().map((type) => [type.code, type]));
  t.is(EPIC_A, 'ABC1234566');
  t.is(types.epic?.example, EPIC_A);
  t.is(types.pan?.example, PAN_A);
  t.is(types['driving-licence']?.example, `${DL_A.slice(0, 2)}-${DL_A.slice(2)}`);
  t.deepEqual(Object.keys(types), [...SUPPORTED_DOCUMENT_TYPES]);
});

test('normalises case, spaces, dashes and other separators people type', async (t) => {
  const v = await verifier();
  for (const input of [PAN_A, 'abcpe1234f', 'ABCPE 1234 F', 'ABCPE-1234-F', 'ABCPE\u00a01234\u2013F', `\t${PAN_A}\n`]) {
    t.deepEqual(v.validate('pan', input), { valid: true, normalized: PAN_A }, JSON.stringify(input));
  }
  for (const input of [
    EPIC_B,
    EPIC_B.toLowerCase(),
    `${EPIC_B.slice(0, 3)}-${EPIC_B.slice(3)}`,
    ` ${EPIC_B.slice(0, 3)} ${EPIC_B.slice(3)} `,
  ]) {
    t.deepEqual(v.validate('epic', input), { valid: true, normalized: EPIC_B }, JSON.stringify(input));
  }
  for (const input of [DL_B, 'MH-1420110062821', 'mh14 20110062821', 'MH-14-2011-0062821', 'MH 14 2011 0062821', 'MH\u22121420110062821']) {
    t.deepEqual(v.validate('driving-licence', input), { valid: true, normalized: DL_B }, JSON.stringify(input));
  }
});

test('PAN: stdnum checks the shape, the holder type and the serial; only an individual PAN identifies a person', (t) => {
  t.deepEqual(validatePan(PAN_A), { valid: true, normalized: PAN_A });
  // Every holder type stdnum knows is accepted by stdnum, but only P (individual) by this plugin.
  const known = [...'ABCFGHJKLPT'];
  for (const holder of known) {
    const pan = `ABC${holder}E1234F`;
    t.true(stdnum.IN.pan.validate(pan).isValid, `stdnum knows holder type ${holder}`);
    t.deepEqual(validatePan(pan), holder === 'P' ? { valid: true, normalized: pan } : { valid: false, reason: 'inconsistent' }, holder);
  }
  for (const holder of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((letter) => !known.includes(letter))) {
    t.deepEqual(validatePan(`ABC${holder}E1234F`), { valid: false, reason: 'format' }, `unknown holder type ${holder}`);
  }
  t.deepEqual(validatePan('ABCPE0000F'), { valid: false, reason: 'format' });
  t.deepEqual(validatePan('ABCP51234F'), { valid: false, reason: 'format' });
  t.deepEqual(validatePan('ABCPE1234'), { valid: false, reason: 'length' });
  t.deepEqual(validatePan('ABCPE1234FG'), { valid: false, reason: 'length' });
  // The 10th character is a check letter with no published algorithm: any letter passes.
  for (const last of 'AFKZ') t.true(validatePan(`ABCPE1234${last}`).valid, last);
});

test('EPIC: the library example is valid and every single-digit typo is caught by the Luhn check digit', (t) => {
  t.deepEqual(validateEpic(EPIC_LIBRARY_EXAMPLE), { valid: true, normalized: EPIC_LIBRARY_EXAMPLE });
  t.deepEqual(validateEpic(withWrongLastDigit(EPIC_LIBRARY_EXAMPLE)), { valid: false, reason: 'checksum' });
  for (const valid of [EPIC_A, EPIC_B, EPIC_C]) {
    for (let position = 3; position < 10; position++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === valid[position]) continue;
        const typo = `${valid.slice(0, position)}${digit}${valid.slice(position + 1)}`;
        t.deepEqual(validateEpic(typo), { valid: false, reason: 'checksum' }, typo);
      }
    }
  }
  t.deepEqual(validateEpic('AB12345678'), { valid: false, reason: 'format' });
  t.deepEqual(validateEpic('ABCD123456'), { valid: false, reason: 'format' });
  t.deepEqual(validateEpic('ABC12345'), { valid: false, reason: 'length' });
});

test('driving licence: state code, RTO, year of issue and serial; no check digit', (t) => {
  for (const state of Object.keys(DRIVING_LICENCE_STATE_CODES)) {
    const number = licence(state, '01', 2010, '0000001');
    t.deepEqual(validateDrivingLicence(number), { valid: true, normalized: number }, state);
  }
  t.is(Object.keys(DRIVING_LICENCE_STATE_CODES).length, 40);
  for (const state of ['XX', 'IN', 'ZZ', 'BH', 'CT', 'TT']) {
    t.deepEqual(validateDrivingLicence(licence(state, '01', 2010, '0000001')), { valid: false, reason: 'inconsistent' }, state);
  }
  // No check digit: a changed serial digit is still a valid-looking number.
  t.true(validateDrivingLicence(withWrongLastDigit(DL_B)).valid);
  t.deepEqual(validateDrivingLicence(licence('KA', '01', 1950, '0001234')).valid, true);
  t.deepEqual(validateDrivingLicence(licence('KA', '01', 1949, '0001234')), { valid: false, reason: 'inconsistent' });
  t.deepEqual(validateDrivingLicence(licence('KA', '01', '0000', '0001234')), { valid: false, reason: 'inconsistent' });
  t.deepEqual(validateDrivingLicence('KA0120190001234X'), { valid: false, reason: 'length' });
  t.deepEqual(validateDrivingLicence('K10120190001234'), { valid: false, reason: 'format' });
  t.deepEqual(validateDrivingLicence('KAA120190001234'), { valid: false, reason: 'format' });
});

test('driving licence: the year of issue may be this year but not a later one, wherever the year has begun', (t) => {
  const now = new Date('2026-06-15T12:00:00Z');
  t.true(validateDrivingLicence(licence('KA', '01', 2026, '0001234'), now).valid);
  t.deepEqual(validateDrivingLicence(licence('KA', '01', 2027, '0001234'), now), { valid: false, reason: 'inconsistent' });
  // On 31 December at 10:00 UTC it is already 1 January in Kiribati (UTC+14).
  const newYearSomewhere = new Date('2026-12-31T10:00:00Z');
  t.is(latestCurrentYear(newYearSomewhere), 2027);
  t.true(validateDrivingLicence(licence('KA', '01', 2027, '0001234'), newYearSomewhere).valid);
  t.is(latestCurrentYear(new Date('2026-12-31T09:59:59Z')), 2026);
});

test('gives the reason a person can act on, and never throws', async (t) => {
  const v = await verifier();
  for (const type of SUPPORTED_DOCUMENT_TYPES) {
    t.deepEqual(v.validate(type, ''), { valid: false, reason: 'empty' }, type);
    t.deepEqual(v.validate(type, '  \t '), { valid: false, reason: 'empty' }, type);
    t.deepEqual(v.validate(type, undefined), { valid: false, reason: 'empty' }, type);
    t.deepEqual(v.validate(type, null), { valid: false, reason: 'empty' }, type);
    for (const notAString of [1234567890, {}, [PAN_A], true, Symbol('s'), 1n, () => PAN_A, Number.NaN]) {
      t.deepEqual(v.validate(type, notAString), { valid: false, reason: 'format' }, `${type} ${String(notAString)}`);
    }
    t.deepEqual(v.validate(type, 'A'.repeat(65)), { valid: false, reason: 'length' }, type);
    t.deepEqual(v.validate(type, '9'.repeat(10_000)), { valid: false, reason: 'length' }, type);
    t.deepEqual(v.validate(type, '१२३४५६७८९०'), { valid: false, reason: 'format' }, type); // Devanagari digits
    t.deepEqual(v.validate(type, 'ＡＢＣＰＥ１２３４Ｆ'), { valid: false, reason: 'format' }, type); // full-width
    t.deepEqual(v.validate(type, 'ßBCPE1234F'), { valid: false, reason: 'format' }, type);
  }
  // Over 64 characters is refused before anything else, even if it would compact to a valid number.
  t.deepEqual(v.validate('pan', `ABCPE${' '.repeat(60)}1234F`), { valid: false, reason: 'length' });
  t.deepEqual(v.validate('pan', `ABCPE${' '.repeat(50)}1234F`), { valid: true, normalized: PAN_A });
});

test('masks to X and the last four characters', async (t) => {
  const v = await verifier();
  t.is(v.mask('pan', PAN_A), 'XXXXXX234F');
  t.is(v.mask('epic', EPIC_A), 'XXXXXX4566');
  t.is(v.mask('driving-licence', DL_A), 'XX-XXXXXXXXX1234');
  // Defensive: something that is not a normalised number never leaks more than four characters.
  t.is(maskIndiaDocument('pan', 'abcpe 1234 f'), 'XXXXXX234F');
  t.is(maskIndiaDocument('pan', 'ABC'), 'XXXXXXXXXX');
  t.is(maskIndiaDocument('epic', 'A'.repeat(100)), 'XXXXXXXXXX');
  t.is(maskIndiaDocument('driving-licence', undefined), 'XX-XXXXXXXXXXXXX');
  t.is(maskIndiaDocument('driving-licence', 42), 'XX-XXXXXXXXXXXXX');
  t.is(v.mask('no-such-type', PAN_A), 'XXXX');
  t.is(maskIndiaDocument('toString' as IndiaDocumentType, PAN_A), 'XXXX');
  t.deepEqual(validateIndiaDocument('toString' as IndiaDocumentType, PAN_A), { valid: false, reason: 'unknown-type' });
});

test('every language has a label for every document type, Ukrainian included', async (t) => {
  const types = (await verifier()).documentTypes();
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [language, labels] of Object.entries(resources)) {
    for (const type of types) t.truthy(labels[type.labelKey]?.trim(), `${language} ${type.labelKey}`);
  }
  t.regex(resources.uk?.['drivingLicence.label'] ?? '', /[А-ЩЬЮЯҐЄІЇа-щьюяґєії]/);
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const some = await verifier({ documentTypes: ['epic', 'pan'] });
  t.deepEqual(
    some.documentTypes().map((d) => d.code),
    ['epic', 'pan'],
  );
  t.deepEqual(some.validate('driving-licence', DL_A), { valid: false, reason: 'unknown-type' });
  t.is(some.mask('driving-licence', DL_A), 'XXXX');
  // The host validates config against the schema first; even so, unknown codes are ignored.
  const odd = await verifier({ documentTypes: ['aadhaar', 'toString'] } as unknown as IndiaDocumentsConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', PAN_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [{ documentTypes: ['pan'] }, { documentTypes: [...SUPPORTED_DOCUMENT_TYPES] }],
  invalidConfigs: [{ documentTypes: ['aadhaar'] }, { documentTypes: ['pan', 'pan'] }, { documentTypes: [] }, { somethingElse: true }],
});

test('the manifest names the plugin and its country', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'india-documents');
  t.deepEqual(pkg.teeka.countries, ['IN']);
});

import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { stdnum } from 'stdnum';
import plugin, {
  birthDateOf,
  latestToday,
  maskUkraineDocument,
  type RnokppConfig,
  resources,
  SUPPORTED_DOCUMENT_TYPES,
  UKRAINIAN_CAPITALS,
  type UkraineDocumentType,
  validateRnokpp,
  validateUaPassport,
  validateUkraineDocument,
} from '../src/index.js';

/**
 * Completes a 9-digit RNOKPP body by asking the library which of the ten possible check digits it
 * accepts: the samples are computed, not copied from somewhere.
 */
function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${body}${digit}`;
    if (stdnum.UA.rntrc.validate(candidate).isValid) return candidate;
  }
  throw new Error(`no check digit makes ${body} valid`);
}

/** An RNOKPP for someone born on `date` (YYYY-MM-DD) with a 4-digit serial, check digit by the library. */
function bornOn(date: string, serial = '1234'): string {
  const days = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.UTC(1899, 11, 31)) / 86_400_000);
  return withCheckDigit(`${String(days).padStart(5, '0')}${serial}`);
}

/** The same number with its check digit changed to a wrong one. */
const withWrongCheckDigit = (valid: string) => `${valid.slice(0, -1)}${(Number(valid.at(-1)) + 1) % 10}`;

/** python-stdnum's documented example of a valid RNOKPP. */
const LIBRARY_EXAMPLE = '1759013776';
const VALID_A = bornOn('1990-01-01'); // the example in the input hint
const VALID_B = bornOn('1965-07-31', '0457');
const VALID_C = bornOn('2001-02-28', '9998');
const BORN_TODAY = bornOn(latestToday());
const BORN_IN_A_YEAR = bornOn(`${Number(latestToday().slice(0, 4)) + 1}-06-01`);

const ID_CARD = '123456789';
const BOOKLET = 'МЕ123456'; // Cyrillic М and Е

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    rnokpp: {
      valid: [LIBRARY_EXAMPLE, VALID_A, VALID_B, VALID_C, BORN_TODAY, `${VALID_B.slice(0, 5)} ${VALID_B.slice(5)}`, ` ${VALID_C} `],
      invalid: [
        withWrongCheckDigit(LIBRARY_EXAMPLE),
        withWrongCheckDigit(VALID_A),
        BORN_IN_A_YEAR,
        bornOn('2173-10-14'), // 99999, the last date five digits can say
        VALID_A.slice(0, 9),
        `${VALID_A}0`,
        `${VALID_A.slice(0, 4)}O${VALID_A.slice(5)}`, // letter O typed for a zero
        '１７５９０１３７７６', // full-width digits, which stdnum alone would fold and accept
        `${VALID_A.slice(0, 5)}.${VALID_A.slice(5)}`,
      ],
    },
    'ua-passport': {
      valid: [ID_CARD, '000000001', '123 456 789', BOOKLET, 'ме123456', 'МЕ 123456', 'МЕ-123-456', 'ЇҐ654321', 'АА000001'],
      invalid: [
        'ME123456', // Latin look-alikes
        'МE123456', // Cyrillic М, Latin E
        'ЭЫ123456', // Russian letters that Ukrainian does not have
        'МЕ12345',
        'МЕ1234567',
        'МЕМ123456',
        '12345678',
        '1234567890',
        'М123456',
        'МЕ№123456',
        'FA123456', // a passport for travel abroad, Latin series: another document
      ],
    },
  },
});

const verifier = (config: RnokppConfig = {}) => plugin.create(testContext<RnokppConfig>(config));

test('the examples in the hints are valid; the RNOKPP one is computed with the library', async (t) => {
  const types = Object.fromEntries((await verifier()).documentTypes().map((type) => [type.code, type]));
  t.is(VALID_A, '3287312349');
  t.is(types.rnokpp?.example, VALID_A);
  t.is(types['ua-passport']?.example, ID_CARD);
  t.deepEqual(Object.keys(types), [...SUPPORTED_DOCUMENT_TYPES]);
});

test('birthDateOf reads the first five digits as days since 31 December 1899', (t) => {
  t.is(birthDateOf(LIBRARY_EXAMPLE), '1948-02-28'); // 17590 days
  t.is(birthDateOf(VALID_A), '1990-01-01');
  t.is(birthDateOf(VALID_B), '1965-07-31');
  t.is(birthDateOf(VALID_C), '2001-02-28');
  t.is(birthDateOf('0000100000'), '1900-01-01');
  t.is(birthDateOf('0000000000'), '1899-12-31');
  t.is(birthDateOf('0006000000'), '1900-03-01'); // 1900 was not a leap year
  t.is(birthDateOf('0036600000'), '1901-01-01');
  t.is(birthDateOf('9999900000'), '2173-10-14');
  t.is(birthDateOf('123456789'), undefined);
  t.is(birthDateOf('12345 67890'), undefined);
  t.is(birthDateOf(undefined as unknown as string), undefined);
});

test('an RNOKPP whose date of birth is in the future is inconsistent, wherever today has begun', (t) => {
  const now = new Date('2026-06-15T12:00:00Z');
  t.is(latestToday(now), '2026-06-16'); // already tomorrow in Kiribati (UTC+14)
  t.true(validateRnokpp(bornOn('2026-06-15'), now).valid);
  t.true(validateRnokpp(bornOn('2026-06-16'), now).valid);
  t.deepEqual(validateRnokpp(bornOn('2026-06-17'), now), { valid: false, reason: 'inconsistent' });
  t.deepEqual(validateRnokpp(bornOn('2100-01-01'), now), { valid: false, reason: 'inconsistent' });
  t.is(latestToday(new Date('2026-06-15T09:59:59Z')), '2026-06-15');
  t.deepEqual(validateRnokpp(bornOn('2026-06-16'), new Date('2026-06-15T09:59:59Z')), { valid: false, reason: 'inconsistent' });
});

test('the check digit is stdnum UA.rntrc: a wrong one is a checksum error', (t) => {
  for (const valid of [LIBRARY_EXAMPLE, VALID_A, VALID_B, VALID_C]) {
    t.deepEqual(validateRnokpp(valid), { valid: true, normalized: valid });
    t.deepEqual(validateRnokpp(withWrongCheckDigit(valid)), { valid: false, reason: 'checksum' }, valid);
    // Every other last digit is wrong: there is exactly one check digit.
    const accepted = [...'0123456789'].filter((digit) => validateRnokpp(`${valid.slice(0, 9)}${digit}`).valid);
    t.deepEqual(accepted, [valid.at(-1)]);
  }
});

test('normalises spaces, dashes and other separators people type', async (t) => {
  const v = await verifier();
  for (const input of [
    VALID_B,
    `${VALID_B.slice(0, 5)} ${VALID_B.slice(5)}`,
    `${VALID_B.slice(0, 5)}-${VALID_B.slice(5)}`,
    `\t${VALID_B}\u00a0`,
  ]) {
    t.deepEqual(v.validate('rnokpp', input), { valid: true, normalized: VALID_B }, JSON.stringify(input));
  }
  for (const input of [BOOKLET, 'ме123456', 'Ме 123 456', 'МЕ\u2013123456', ` ${BOOKLET}\n`]) {
    t.deepEqual(v.validate('ua-passport', input), { valid: true, normalized: BOOKLET }, JSON.stringify(input));
  }
  for (const input of [ID_CARD, '123-456-789', '123 456 789']) {
    t.deepEqual(v.validate('ua-passport', input), { valid: true, normalized: ID_CARD }, JSON.stringify(input));
  }
  // A letter typed as a base letter and a combining mark is composed: І + ◌̈ is Ї.
  t.deepEqual(v.validate('ua-passport', '\u0406\u0308Ґ654321'), { valid: true, normalized: 'ЇҐ654321' });
  t.deepEqual(v.validate('ua-passport', 'її654321'), { valid: true, normalized: 'ЇЇ654321' });
});

test('a passport series is two Cyrillic letters of the Ukrainian alphabet, nothing else', (t) => {
  t.is([...UKRAINIAN_CAPITALS].length, 33);
  for (const letter of UKRAINIAN_CAPITALS) {
    t.deepEqual(validateUaPassport(`${letter}${letter}123456`), { valid: true, normalized: `${letter}${letter}123456` }, letter);
    t.deepEqual(validateUaPassport(`${letter.toLowerCase()}А123456`), { valid: true, normalized: `${letter}А123456` }, letter);
  }
  // Latin look-alikes of Cyrillic letters, alone or mixed with Cyrillic ones.
  for (const series of ['ME', 'AA', 'KE', 'CH', 'TT', 'me', 'МE', 'Mе', 'ΜΕ']) {
    t.deepEqual(validateUaPassport(`${series}123456`), { valid: false, reason: 'format' }, series);
  }
  for (const russian of ['Ё', 'Ъ', 'Ы', 'Э']) {
    t.deepEqual(validateUaPassport(`${russian}А123456`), { valid: false, reason: 'format' }, russian);
  }
  t.deepEqual(validateUaPassport('МЕ12345'), { valid: false, reason: 'length' });
  t.deepEqual(validateUaPassport('МЕ1234567'), { valid: false, reason: 'length' });
  t.deepEqual(validateUaPassport('12345678'), { valid: false, reason: 'length' });
  t.deepEqual(validateUaPassport('1234567890'), { valid: false, reason: 'length' });
  t.deepEqual(validateUaPassport('М1234567'), { valid: false, reason: 'format' });
  t.deepEqual(validateUaPassport('123456МЕ'), { valid: false, reason: 'format' });
  t.deepEqual(validateUaPassport('١٢٣٤٥٦٧٨٩'), { valid: false, reason: 'format' }); // Arabic-Indic digits
  t.deepEqual(validateUaPassport('МЕ１２３４５６'), { valid: false, reason: 'format' }); // full-width digits
});

test('gives the reason a person can act on, and never throws', async (t) => {
  const v = await verifier();
  for (const type of SUPPORTED_DOCUMENT_TYPES) {
    t.deepEqual(v.validate(type, ''), { valid: false, reason: 'empty' }, type);
    t.deepEqual(v.validate(type, '  \t '), { valid: false, reason: 'empty' }, type);
    t.deepEqual(v.validate(type, undefined), { valid: false, reason: 'empty' }, type);
    t.deepEqual(v.validate(type, null), { valid: false, reason: 'empty' }, type);
    for (const notAString of [1759013776, {}, [VALID_A], true, Symbol('s'), 1n, () => VALID_A, Number.NaN]) {
      t.deepEqual(v.validate(type, notAString), { valid: false, reason: 'format' }, `${type} ${String(notAString)}`);
    }
    t.deepEqual(v.validate(type, '9'.repeat(65)), { valid: false, reason: 'length' }, type);
    t.deepEqual(v.validate(type, '9'.repeat(10_000)), { valid: false, reason: 'length' }, type);
    t.deepEqual(v.validate(type, 'abc'), { valid: false, reason: 'format' }, type);
  }
  t.deepEqual(validateRnokpp('175901377'), { valid: false, reason: 'length' });
  t.deepEqual(validateRnokpp('17590137760'), { valid: false, reason: 'length' });
  t.deepEqual(validateRnokpp(`1759${' '.repeat(60)}013776`), { valid: false, reason: 'length' });
  t.deepEqual(validateRnokpp(`1759${' '.repeat(50)}013776`), { valid: true, normalized: LIBRARY_EXAMPLE });
});

test('masks to X and the last four characters, Cyrillic letters hidden too', async (t) => {
  const v = await verifier();
  t.is(v.mask('rnokpp', VALID_A), 'XXXXXX2349');
  t.is(v.mask('ua-passport', ID_CARD), 'XXXXX6789');
  t.is(v.mask('ua-passport', BOOKLET), 'XXXX3456');
  // Defensive: something that is not a normalised number never leaks more than four characters.
  t.is(maskUkraineDocument('rnokpp', '17590 13776'), 'XXXXXXXXXX');
  t.is(maskUkraineDocument('rnokpp', undefined), 'XXXXXXXXXX');
  t.is(maskUkraineDocument('ua-passport', 'МЕ123'), 'XXXXXXXXX');
  t.is(maskUkraineDocument('ua-passport', 42), 'XXXXXXXXX');
  t.is(v.mask('no-such-type', VALID_A), 'XXXX');
  t.is(maskUkraineDocument('toString' as UkraineDocumentType, VALID_A), 'XXXX');
  t.deepEqual(validateUkraineDocument('toString' as UkraineDocumentType, VALID_A), { valid: false, reason: 'unknown-type' });
});

test('every language has a label for every document type, Ukrainian included', async (t) => {
  const types = (await verifier()).documentTypes();
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [language, labels] of Object.entries(resources)) {
    for (const type of types) t.truthy(labels[type.labelKey]?.trim(), `${language} ${type.labelKey}`);
  }
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const some = await verifier({ documentTypes: ['ua-passport'] });
  t.deepEqual(
    some.documentTypes().map((d) => d.code),
    ['ua-passport'],
  );
  t.deepEqual(some.validate('rnokpp', VALID_A), { valid: false, reason: 'unknown-type' });
  const odd = await verifier({ documentTypes: ['passport', 'toString'] } as unknown as RnokppConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', VALID_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [{ documentTypes: ['rnokpp'] }, { documentTypes: ['rnokpp', 'ua-passport'] }],
  invalidConfigs: [{ documentTypes: ['passport'] }, { documentTypes: [] }, { somethingElse: true }],
});

test('the manifest names the plugin and its country', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'rnokpp');
  t.deepEqual(pkg.teeka.countries, ['UA']);
});

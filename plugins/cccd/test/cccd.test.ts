import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import plugin, { CCCD_PROVINCES, type CccdConfig, decodeCccd, latestCurrentYear, maskCccd, resources, validateCccd } from '../src/index.js';

/**
 * A CCCD number built from its parts (Circular 07/2016/TT-BCA): province code, century/sex digit,
 * last two digits of the year of birth, 6 random digits. There is no check digit to compute.
 */
const cccd = (province: string, centuryAndSex: number, yy: string, serial = '012345') => `${province}${centuryAndSex}${yy}${serial}`;
const grouped = (digits: string, separator = ' ') => [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)].join(separator);

const VALID_A = cccd('001', 0, '90'); // Hà Nội, a man born in 1990: the example in the hint
const VALID_B = cccd('079', 3, '01', '987654'); // Hồ Chí Minh, a woman born in 2001
const VALID_C = cccd('096', 1, '45', '000001'); // Cà Mau, a woman born in 1945
const VALID_D = cccd('048', 2, '15', '555555'); // Đà Nẵng, a man born in 2015
const NEXT_YEAR = latestCurrentYear() + 1;
const BORN_NEXT_YEAR = cccd('001', 2, String(NEXT_YEAR % 100).padStart(2, '0'));

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    cccd: {
      valid: [VALID_A, VALID_B, VALID_C, VALID_D, grouped(VALID_A), grouped(VALID_B, '-'), ` ${grouped(VALID_C, ' - ')} `],
      invalid: [
        cccd('000', 0, '90'),
        cccd('003', 0, '90'), // a gap in the list
        cccd('097', 0, '90'),
        cccd('999', 0, '90'),
        BORN_NEXT_YEAR,
        cccd('001', 4, '01'), // the 2100s
        cccd('001', 9, '99'),
        VALID_A.slice(0, 11),
        `${VALID_A}0`,
        `${VALID_A.slice(0, 6)}O${VALID_A.slice(7)}`, // letter O typed for a zero
        grouped(VALID_A, '.'),
        '０１０９００１２３４５', // full-width digits
      ],
    },
  },
});

const verifier = (config: CccdConfig = {}) => plugin.create(testContext<CccdConfig>(config));

test('the example in the hint is built from its parts', async (t) => {
  const [type] = (await verifier()).documentTypes();
  t.is(VALID_A, '001090012345');
  t.is(type?.example, VALID_A);
  t.is(type?.inputMask, '999999999999');
  t.is(type?.labelKey, 'cccd.label');
});

test('normalises spaces, dashes and other separators people type to twelve digits', async (t) => {
  const v = await verifier();
  for (const input of [
    VALID_B,
    grouped(VALID_B),
    grouped(VALID_B, '-'),
    grouped(VALID_B, '\u00a0'),
    grouped(VALID_B, '\u2013'),
    `\t${VALID_B}\n`,
  ]) {
    t.deepEqual(v.validate('cccd', input), { valid: true, normalized: VALID_B }, JSON.stringify(input));
  }
});

test('the province is one of the 63 codes of Circular 07/2016/TT-BCA; any other code is inconsistent', (t) => {
  const codes = Object.keys(CCCD_PROVINCES);
  t.is(codes.length, 63);
  t.is(codes[0], '001');
  t.is(codes.at(-1), '096');
  t.is(CCCD_PROVINCES['079'], 'Hồ Chí Minh');
  for (let code = 0; code < 1000; code++) {
    const province = String(code).padStart(3, '0');
    const number = cccd(province, 0, '90');
    const expected = codes.includes(province) ? { valid: true, normalized: number } : { valid: false, reason: 'inconsistent' };
    t.deepEqual(validateCccd(number), expected, province);
  }
});

test('the 4th digit gives sex and century; a year of birth in the future is inconsistent', (t) => {
  t.deepEqual(decodeCccd(VALID_A), { provinceCode: '001', provinceName: 'Hà Nội', sex: 'male', birthYear: 1990 });
  t.deepEqual(decodeCccd(VALID_B), { provinceCode: '079', provinceName: 'Hồ Chí Minh', sex: 'female', birthYear: 2001 });
  t.deepEqual(decodeCccd(VALID_C), { provinceCode: '096', provinceName: 'Cà Mau', sex: 'female', birthYear: 1945 });
  t.deepEqual(decodeCccd(VALID_D), { provinceCode: '048', provinceName: 'Đà Nẵng', sex: 'male', birthYear: 2015 });
  t.deepEqual(decodeCccd(cccd('123', 5, '07')), { provinceCode: '123', provinceName: undefined, sex: 'female', birthYear: 2107 });
  t.is(decodeCccd(grouped(VALID_A)), undefined);
  t.is(decodeCccd(42 as unknown as string), undefined);

  const now = new Date('2026-06-15T12:00:00Z');
  for (const [centuryAndSex, yy, valid] of [
    [0, '00', true],
    [1, '99', true],
    [2, '26', true],
    [3, '26', true],
    [2, '27', false],
    [3, '99', false],
    [4, '00', false],
    [5, '00', false],
    [8, '50', false],
    [9, '99', false],
  ] as const) {
    const number = cccd('001', centuryAndSex, yy);
    t.deepEqual(validateCccd(number, now), valid ? { valid: true, normalized: number } : { valid: false, reason: 'inconsistent' }, number);
  }
  // On 31 December at 10:00 UTC it is already 1 January in Kiribati (UTC+14).
  t.true(validateCccd(cccd('001', 2, '27'), new Date('2026-12-31T10:00:00Z')).valid);
  t.false(validateCccd(cccd('001', 2, '27'), new Date('2026-12-31T09:59:59Z')).valid);
});

test('there is no check digit: any six last digits are accepted', (t) => {
  for (const serial of ['000000', '123456', '999999', '012345', '543210']) t.true(validateCccd(cccd('001', 0, '90', serial)).valid, serial);
});

test('gives the reason a person can act on, and never throws', (t) => {
  t.deepEqual(validateCccd(''), { valid: false, reason: 'empty' });
  t.deepEqual(validateCccd('  \t '), { valid: false, reason: 'empty' });
  t.deepEqual(validateCccd(undefined), { valid: false, reason: 'empty' });
  t.deepEqual(validateCccd(null), { valid: false, reason: 'empty' });
  for (const notAString of [1090012345, {}, [VALID_A], true, Symbol('s'), 1n, () => VALID_A, Number.NaN]) {
    t.deepEqual(validateCccd(notAString), { valid: false, reason: 'format' }, String(notAString));
  }
  t.deepEqual(validateCccd('00109001234A'), { valid: false, reason: 'format' });
  t.deepEqual(validateCccd('٠٠١٠٩٠٠١٢٣٤٥'), { valid: false, reason: 'format' }); // Arabic-Indic digits
  t.deepEqual(validateCccd(VALID_A.slice(0, 11)), { valid: false, reason: 'length' });
  t.deepEqual(validateCccd(`${VALID_A}1`), { valid: false, reason: 'length' });
  t.deepEqual(validateCccd('9'.repeat(65)), { valid: false, reason: 'length' });
  t.deepEqual(validateCccd('9'.repeat(10_000)), { valid: false, reason: 'length' });
  t.deepEqual(validateCccd(`001${' '.repeat(60)}090012345`), { valid: false, reason: 'length' });
  t.deepEqual(validateCccd(`001${' '.repeat(50)}090012345`), { valid: true, normalized: VALID_A });
});

test('masks to eight X and the last four digits', async (t) => {
  const v = await verifier();
  t.is(v.mask('cccd', VALID_A), 'XXXXXXXX2345');
  t.is(maskCccd(grouped(VALID_B)), 'XXXXXXXX7654');
  t.is(maskCccd('2345'), 'XXXXXXXXXXXX');
  t.is(maskCccd(`${VALID_A}${VALID_A}`), 'XXXXXXXXXXXX');
  t.is(maskCccd(undefined), 'XXXXXXXXXXXX');
  t.is(v.mask('no-such-type', VALID_A), 'XXXX');
});

test('every language has the label, Ukrainian included', (t) => {
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [language, labels] of Object.entries(resources)) t.truthy(labels['cccd.label']?.trim(), language);
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const all = await verifier({ documentTypes: ['cccd'] });
  t.deepEqual(
    all.documentTypes().map((d) => d.code),
    ['cccd'],
  );
  const odd = await verifier({ documentTypes: ['cmnd', 'toString'] } as unknown as CccdConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', VALID_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [{ documentTypes: ['cccd'] }],
  invalidConfigs: [{ documentTypes: ['cmnd'] }, { documentTypes: [] }, { somethingElse: true }],
});

test('the manifest names the plugin and its country', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'cccd');
  t.deepEqual(pkg.teeka.countries, ['VN']);
});

import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import luhn from 'fast-luhn';
import plugin, { type EmiratesIdConfig, latestCurrentYear, maskEmiratesId, resources, validateEmiratesId } from '../src/index.js';

/**
 * Completes a 14-digit body by asking the Luhn library which of the ten possible last digits it
 * accepts: the samples are computed, not copied from somewhere.
 */
function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${body}${digit}`;
    if (luhn(candidate)) return candidate;
  }
  throw new Error(`no check digit makes ${body} valid`);
}

/** The same number with its check digit changed to a wrong one. */
const withWrongCheckDigit = (valid: string) => `${valid.slice(0, -1)}${(Number(valid.at(-1)) + 1) % 10}`;
/** Grouped as printed on the card: 784-YYYY-NNNNNNN-C. */
const grouped = (digits: string, separator = '-') =>
  [digits.slice(0, 3), digits.slice(3, 7), digits.slice(7, 14), digits.slice(14)].join(separator);

const VALID_A = withCheckDigit('78419901234567'); // the example in the input hint
const VALID_B = withCheckDigit('78419650000001');
const VALID_C = withCheckDigit('78420127654321');
const VALID_D = withCheckDigit('78419009999999'); // born 1900, the first year accepted
const THIS_YEAR = withCheckDigit(`784${latestCurrentYear()}0000042`);
const NEXT_YEAR = withCheckDigit(`784${latestCurrentYear() + 1}0000042`);
const BORN_1899 = withCheckDigit('78418991234567');
const NOT_784 = withCheckDigit('78519901234567'); // Luhn-valid, but not the UAE's prefix

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    'emirates-id': {
      valid: [VALID_A, VALID_B, VALID_C, VALID_D, THIS_YEAR, grouped(VALID_A), grouped(VALID_B, ' '), ` ${grouped(VALID_C, ' - ')} `],
      invalid: [
        withWrongCheckDigit(VALID_A),
        withWrongCheckDigit(VALID_C),
        NEXT_YEAR,
        BORN_1899,
        NOT_784,
        VALID_A.slice(0, 14),
        `${VALID_A}0`,
        `${VALID_A.slice(0, 8)}O${VALID_A.slice(9)}`, // letter O typed for a zero
        grouped(VALID_A, '.'),
        grouped(VALID_A, '/'),
        '٧٨٤١٩٩٠١٢٣٤٥٦٧٦', // Arabic-Indic digits of the example
      ],
    },
  },
});

const verifier = (config: EmiratesIdConfig = {}) => plugin.create(testContext<EmiratesIdConfig>(config));

test('the example in the hint is the library-computed number, grouped as on the card', async (t) => {
  const [type] = (await verifier()).documentTypes();
  t.is(VALID_A, '784199012345676');
  t.is(type?.example, grouped(VALID_A));
  t.is(type?.inputMask, '999-9999-9999999-9');
  t.is(type?.labelKey, 'emiratesId.label');
});

test('normalises spaces, dashes and other separators people type to fifteen digits', async (t) => {
  const v = await verifier();
  for (const input of [
    VALID_B,
    grouped(VALID_B),
    grouped(VALID_B, ' '),
    grouped(VALID_B, ' - '),
    grouped(VALID_B, '\u00a0'),
    grouped(VALID_B, '\u2013'),
    grouped(VALID_B, '\u2212'),
    `\t${VALID_B}\n`,
  ]) {
    t.deepEqual(v.validate('emirates-id', input), { valid: true, normalized: VALID_B }, JSON.stringify(input));
  }
});

test('must start with 784, the UAE', (t) => {
  t.true(luhn(NOT_784), 'the check digit alone is right');
  t.deepEqual(validateEmiratesId(NOT_784), { valid: false, reason: 'format' });
  for (const prefix of ['000', '478', '874', '999']) {
    t.deepEqual(validateEmiratesId(withCheckDigit(`${prefix}19901234567`)), { valid: false, reason: 'format' }, prefix);
  }
});

test('the year of birth is from 1900 to this year, wherever this year has begun', (t) => {
  const now = new Date('2026-06-15T12:00:00Z');
  const bornIn = (year: number) => withCheckDigit(`784${year}1234567`);
  t.true(validateEmiratesId(bornIn(1900), now).valid);
  t.true(validateEmiratesId(bornIn(2026), now).valid);
  for (const year of [1899, 1000, 0, 2027, 2100, 9999]) {
    const number = withCheckDigit(`784${String(year).padStart(4, '0')}1234567`);
    t.deepEqual(validateEmiratesId(number, now), { valid: false, reason: 'inconsistent' }, String(year));
  }
  // On 31 December at 10:00 UTC it is already 1 January in Kiribati (UTC+14).
  t.true(validateEmiratesId(bornIn(2027), new Date('2026-12-31T10:00:00Z')).valid);
  t.deepEqual(validateEmiratesId(bornIn(2027), new Date('2026-12-31T09:59:59Z')), { valid: false, reason: 'inconsistent' });
});

test('every single-digit typo of a valid number is caught', (t) => {
  for (const valid of [VALID_A, VALID_B, VALID_C]) {
    for (let position = 0; position < 15; position++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === valid[position]) continue;
        const typo = `${valid.slice(0, position)}${digit}${valid.slice(position + 1)}`;
        t.false(validateEmiratesId(typo).valid, typo);
      }
    }
  }
  // A typo in the serial or the check digit itself is a checksum error.
  t.deepEqual(validateEmiratesId(withWrongCheckDigit(VALID_A)), { valid: false, reason: 'checksum' });
  t.deepEqual(validateEmiratesId(`${VALID_A.slice(0, 10)}9${VALID_A.slice(11)}`), { valid: false, reason: 'checksum' });
});

test('gives the reason a person can act on, and never throws', (t) => {
  t.deepEqual(validateEmiratesId(''), { valid: false, reason: 'empty' });
  t.deepEqual(validateEmiratesId('  \t '), { valid: false, reason: 'empty' });
  t.deepEqual(validateEmiratesId(undefined), { valid: false, reason: 'empty' });
  t.deepEqual(validateEmiratesId(null), { valid: false, reason: 'empty' });
  for (const notAString of [784199012345676, {}, [VALID_A], true, Symbol('s'), 1n, () => VALID_A, Number.NaN]) {
    t.deepEqual(validateEmiratesId(notAString), { valid: false, reason: 'format' }, String(notAString));
  }
  t.deepEqual(validateEmiratesId('784-ABCD-1234567-6'), { valid: false, reason: 'format' });
  t.deepEqual(validateEmiratesId('７８４１９９０１２３４５６７６'), { valid: false, reason: 'format' }); // full-width digits
  t.deepEqual(validateEmiratesId(VALID_A.slice(0, 14)), { valid: false, reason: 'length' });
  t.deepEqual(validateEmiratesId(`${VALID_A}1`), { valid: false, reason: 'length' });
  t.deepEqual(validateEmiratesId('9'.repeat(65)), { valid: false, reason: 'length' });
  t.deepEqual(validateEmiratesId('9'.repeat(10_000)), { valid: false, reason: 'length' });
  t.deepEqual(validateEmiratesId(`784${' '.repeat(60)}199012345676`), { valid: false, reason: 'length' });
  t.deepEqual(validateEmiratesId(`784${' '.repeat(40)}199012345676`), { valid: true, normalized: VALID_A });
});

test('masks to XXX-XXXX-XXX and the last four digits', async (t) => {
  const v = await verifier();
  t.is(v.mask('emirates-id', VALID_A), 'XXX-XXXX-XXX5676');
  t.is(maskEmiratesId(grouped(VALID_A)), 'XXX-XXXX-XXX5676');
  t.is(maskEmiratesId('5676'), 'XXX-XXXX-XXXXXXX');
  t.is(maskEmiratesId(`${VALID_A}${VALID_A}`), 'XXX-XXXX-XXXXXXX');
  t.is(maskEmiratesId(undefined), 'XXX-XXXX-XXXXXXX');
  t.is(v.mask('no-such-type', VALID_A), 'XXXX');
});

test('every language has the label, Ukrainian included', (t) => {
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [language, labels] of Object.entries(resources)) t.truthy(labels['emiratesId.label']?.trim(), language);
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const all = await verifier({ documentTypes: ['emirates-id'] });
  t.deepEqual(
    all.documentTypes().map((d) => d.code),
    ['emirates-id'],
  );
  const odd = await verifier({ documentTypes: ['passport', 'toString'] } as unknown as EmiratesIdConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', VALID_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [{ documentTypes: ['emirates-id'] }],
  invalidConfigs: [{ documentTypes: ['passport'] }, { documentTypes: [] }, { somethingElse: true }],
});

test('the manifest names the plugin and its country', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'emirates-id');
  t.deepEqual(pkg.teeka.countries, ['AE']);
});

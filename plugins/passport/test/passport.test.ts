import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import plugin, {
  GENERIC_FORMAT,
  maskPassport,
  NATIONAL_FORMATS,
  type PassportConfig,
  passportFormat,
  validatePassport,
} from '../src/index.js';

/** ICAO Doc 9303's specimen passport (Utopia): the document number of its MRZ. */
const SPECIMEN = 'L898902C3';

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    passport: {
      valid: [
        SPECIMEN,
        'l898902c3',
        'L898 902 C3',
        'L898-902-C3',
        ' 123456789 ',
        'A1234567',
        'ab1234',
        'X12XX9', // X is a real character of some numbers; the mask still shows only the last four
      ],
      invalid: [
        '12345', // shorter than any real passport number
        '1234567890', // longer than the 9-character MRZ field
        'L898902C<', // MRZ filler typed in
        'L898902C3<',
        '<<<<<<<<<',
        'L898.902.C3',
        'L898/902/C3',
        'L898902Ç3',
        'ＬＡ１２３４５６', // full-width letters and digits
        'ß1234567', // would upper-case to SS1234567
        'ı1234567', // dotless i would upper-case to I
        `${SPECIMEN} ${SPECIMEN}`,
      ],
    },
  },
});

const verifier = (config: PassportConfig = {}) => plugin.create(testContext<PassportConfig>(config));

test('the generic type shows the ICAO specimen number as its example', async (t) => {
  const [type] = (await verifier()).documentTypes();
  t.deepEqual(type, {
    code: 'passport',
    labelKey: 'passport.label',
    inputMask: 'XXXXXXXXX',
    example: SPECIMEN,
    onlineVerification: false,
  });
});

test('normalises case, spaces, dashes and other separators people type', async (t) => {
  const v = await verifier();
  for (const input of [
    SPECIMEN,
    'l898902c3',
    'L898902c3',
    'L898 902 C3',
    'l898-902-c3',
    'L898 - 902 - C3',
    'L898\u00a0902\u00a0C3', // no-break space, pasted from a document
    'L898\u2013902\u2013C3', // en dash
    'L898\u2212902C3', // minus sign
    `\t${SPECIMEN}\n`,
  ]) {
    t.deepEqual(v.validate('passport', input), { valid: true, normalized: SPECIMEN }, JSON.stringify(input));
  }
});

test('gives the reason a person can act on', (t) => {
  t.deepEqual(validatePassport(''), { valid: false, reason: 'empty' });
  t.deepEqual(validatePassport('  \t '), { valid: false, reason: 'empty' });
  t.deepEqual(validatePassport(undefined), { valid: false, reason: 'empty' });
  t.deepEqual(validatePassport(null), { valid: false, reason: 'empty' });
  t.deepEqual(validatePassport(123456789), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport({}), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport(['L898902C3']), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport('L898902C<'), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport('L898902.C3'), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport('ß1234567'), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport('---'), { valid: false, reason: 'format' });
  t.deepEqual(validatePassport('१२३४५६७८'), { valid: false, reason: 'format' }); // Devanagari digits
  t.deepEqual(validatePassport('A1234'), { valid: false, reason: 'length' });
  t.deepEqual(validatePassport('A123456789'), { valid: false, reason: 'length' });
  t.deepEqual(validatePassport('A'.repeat(65)), { valid: false, reason: 'length' });
  // Over 64 characters is refused before anything else, even if it would compact to a valid number.
  t.deepEqual(validatePassport(`L898${' '.repeat(60)}902C3`), { valid: false, reason: 'length' });
  t.deepEqual(validatePassport(`L898${' '.repeat(50)}902C3`), { valid: true, normalized: SPECIMEN });
  t.deepEqual(validatePassport('9'.repeat(10_000)), { valid: false, reason: 'length' });
  t.deepEqual(validatePassport('123456'), { valid: true, normalized: '123456' });
});

test('issuingCountry IN applies the Indian format: one letter then seven digits', async (t) => {
  const v = await verifier({ issuingCountry: 'IN' });
  const [type] = v.documentTypes();
  t.is(type?.inputMask, 'A9999999');
  t.is(type?.example, 'A1234567');
  t.deepEqual(v.validate('passport', 'A1234567'), { valid: true, normalized: 'A1234567' });
  t.deepEqual(v.validate('passport', 'z 987-6543'), { valid: true, normalized: 'Z9876543' });
  t.deepEqual(v.validate('passport', '12345678'), { valid: false, reason: 'format' });
  t.deepEqual(v.validate('passport', 'AB123456'), { valid: false, reason: 'format' });
  t.deepEqual(v.validate('passport', 'A123456B'), { valid: false, reason: 'format' });
  t.deepEqual(v.validate('passport', 'A123456'), { valid: false, reason: 'length' });
  t.deepEqual(v.validate('passport', 'A12345678'), { valid: false, reason: 'length' });
  t.deepEqual(v.validate('passport', SPECIMEN), { valid: false, reason: 'length' });
  t.is(v.mask('passport', 'A1234567'), 'XXXXX4567');
});

test('a country without a known format gets the generic one', async (t) => {
  for (const issuingCountry of ['FR', 'MX', 'AE', 'XX']) {
    const v = await verifier({ issuingCountry });
    t.is(v.documentTypes()[0]?.example, SPECIMEN);
    t.deepEqual(v.validate('passport', SPECIMEN), { valid: true, normalized: SPECIMEN }, issuingCountry);
    t.deepEqual(v.validate('passport', '12345'), { valid: false, reason: 'length' }, issuingCountry);
  }
  t.is(passportFormat({ issuingCountry: 'FR' }), GENERIC_FORMAT);
});

test('every national format validates its own example and is at most the MRZ field', (t) => {
  for (const [country, format] of Object.entries(NATIONAL_FORMATS)) {
    t.regex(country, /^[A-Z]{2}$/);
    t.true(validatePassport(format.example, format).valid, country);
    t.true(format.maxLength <= 9, country);
    t.is(format.inputMask.length, format.maxLength, country);
  }
});

test('a pattern overrides the format, is anchored, and can only narrow', async (t) => {
  // German passports: a letter of a restricted alphabet, then eight characters of it (specimen C01X00T47).
  const german = '[CFGHJK][0-9CFGHJKLMNPRTVWXYZ]{8}';
  const v = await verifier({ pattern: german, example: 'C01X00T47', issuingCountry: 'IN' });
  t.is(v.documentTypes()[0]?.example, 'C01X00T47');
  t.deepEqual(v.validate('passport', 'c01x00t47'), { valid: true, normalized: 'C01X00T47' });
  t.deepEqual(v.validate('passport', 'C01-X00-T47'), { valid: true, normalized: 'C01X00T47' });
  t.deepEqual(v.validate('passport', 'A01X00T47'), { valid: false, reason: 'format' }); // A is not in the alphabet
  t.deepEqual(v.validate('passport', 'C01E00T47'), { valid: false, reason: 'format' });
  t.deepEqual(v.validate('passport', 'A1234567'), { valid: false, reason: 'format' }); // pattern wins over IN
  t.is(v.mask('passport', 'C01X00T47'), 'XXXXX0T47');

  // Anchored: a pattern that matches part of the number does not accept the whole.
  const digits = await verifier({ pattern: '[0-9]{3}', example: '123' });
  t.deepEqual(digits.validate('passport', '123'), { valid: true, normalized: '123' });
  t.deepEqual(digits.validate('passport', '1234'), { valid: false, reason: 'format' });
  t.deepEqual(digits.validate('passport', 'A123'), { valid: false, reason: 'format' });
  t.is(digits.mask('passport', '123'), 'XXXXXXXXX', 'a number of four characters or fewer is hidden entirely');

  // A pattern that says "anything" still gets only 1 to 9 letters and digits.
  const anything = await verifier({ pattern: '.*' });
  t.deepEqual(anything.validate('passport', 'A'), { valid: true, normalized: 'A' });
  t.deepEqual(anything.validate('passport', 'L898902C<'), { valid: false, reason: 'format' });
  t.deepEqual(anything.validate('passport', '1234567890'), { valid: false, reason: 'length' });

  // A pattern already anchored works the same.
  const anchored = await verifier({ pattern: '^[0-9]{9}$', example: '123456789' });
  t.true(anchored.validate('passport', '987654321').valid);
  t.false(anchored.validate('passport', 'A87654321').valid);
});

test('a config that cannot work is refused when the plugin starts, not when a person types', (t) => {
  t.throws(() => passportFormat({ pattern: '[A-Z' }), { message: /config\.pattern is not a regular expression/ });
  t.throws(() => passportFormat({ pattern: '[0-9]{9}' }), { message: /example "L898902C3" is not valid/ });
  t.throws(() => passportFormat({ issuingCountry: 'IN', example: SPECIMEN }), { message: /not valid/ });
  t.notThrows(() => passportFormat({ issuingCountry: 'IN', example: 'b 765 4321' }));
  t.throws(() => plugin.create(testContext<PassportConfig>({ pattern: '(' })));
});

test('masks to exactly XXXXX and the last four characters', async (t) => {
  const v = await verifier();
  t.is(v.mask('passport', SPECIMEN), 'XXXXX02C3');
  t.is(v.mask('passport', 'A1234567'), 'XXXXX4567');
  t.is(v.mask('passport', '123456'), 'XXXXX3456', 'the width does not tell the length');
  // Defensive: something that is not a normalised number never leaks more than four characters.
  t.is(maskPassport('l898 902 c3'), 'XXXXX02C3');
  t.is(maskPassport('A'.repeat(100)), 'XXXXXAAAA');
  t.is(maskPassport('AB12'), 'XXXXXXXXX');
  t.is(maskPassport(undefined), 'XXXXXXXXX');
  t.is(maskPassport(42), 'XXXXXXXXX');
  t.is(v.mask('no-such-type', SPECIMEN), 'XXXX');
});

test('never throws, whatever config and input', async (t) => {
  const inputs: unknown[] = ['', SPECIMEN, 'x'.repeat(100_000), '\u{1F489}', Symbol('s'), 1n, () => 1, NaN];
  for (const config of [{}, { issuingCountry: 'IN' }, { pattern: '(A+)+B', example: 'AAAB' }]) {
    const v = await verifier(config);
    for (const input of inputs) t.notThrows(() => v.validate('passport', input as string));
    for (const input of inputs) t.notThrows(() => v.mask('passport', input as string));
  }
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const all = await verifier({ documentTypes: ['passport'] });
  t.deepEqual(
    all.documentTypes().map((d) => d.code),
    ['passport'],
  );
  // The host validates config against the schema first; even so, unknown codes are ignored.
  const odd = await verifier({ documentTypes: ['aadhaar', 'toString'] } as unknown as PassportConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', SPECIMEN), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [
    { documentTypes: ['passport'] },
    { issuingCountry: 'IN' },
    { issuingCountry: 'FR' },
    { pattern: '[A-Z][0-9]{8}', example: 'A12345678' },
  ],
  invalidConfigs: [
    { issuingCountry: 'in' },
    { issuingCountry: 'IND' },
    { pattern: '[A-Z' }, // not a regular expression
    { pattern: '' },
    { documentTypes: ['aadhaar'] },
    { documentTypes: [] },
    { somethingElse: true },
  ],
});

test('the manifest names the plugin for every country, and a pattern its schema accepts compiles', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'passport');
  t.deepEqual(pkg.teeka.countries, ['*']);
  // Whatever the schema accepts as a pattern, the plugin can compile.
  t.notThrows(() => passportFormat({ pattern: '[A-Z][0-9]{8}', example: 'A12345678' }));
});

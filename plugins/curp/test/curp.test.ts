import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { stdnum } from 'stdnum';
// Test-only deep import, typed: the entry point types MX.curp as a plain Validator.
import { getBirthDate } from 'stdnum/lib/cjs/mx/curp.js';
import plugin, { CURP_STATE_CODES, type CurpConfig, curpBirthDate, maskCurp, resources, validateCurp } from '../src/index.js';

/**
 * Completes a 17-character CURP body by asking the library which of the ten possible check digits it
 * accepts: the samples are computed, not copied from somewhere. Undefined when the library refuses
 * the body whatever the check digit.
 */
function libraryCompletion(body: string): string | undefined {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${body}${digit}`;
    if (stdnum.MX.curp.validate(candidate).isValid) return candidate;
  }
  return undefined;
}
function withCheckDigit(body: string): string {
  const curp = libraryCompletion(body);
  if (!curp) throw new Error(`no check digit makes ${body} valid`);
  return curp;
}

/** The same CURP with its check digit changed to a wrong one. */
const withWrongCheckDigit = (valid: string) => `${valid.slice(0, -1)}${(Number(valid.at(-1)) + 1) % 10}`;

/** Valid CURPs from the library's own test suite (python-stdnum's). */
const LIBRARY_EXAMPLES = [
  'BOXW310820HNERXN09',
  'HELO990501HVZRPN09',
  'MASI050805MVZRLRA8',
  'COME721110MVZNRR03',
  'TEAM470622HVZZPR07',
  'GARS700923HSPLXL06',
];

const VALID_A = withCheckDigit('PEGJ900515HJCRRN0'); // born 1990-05-15 in Jalisco: the example in the hint
const VALID_B = withCheckDigit('LOMA050101MDFPRRA'); // born 2005-01-01 in Mexico City (letter: 2000s)
const VALID_C = withCheckDigit('SAHX101010XNELNNA'); // non-binary, born abroad in 2010
const LEAP_2000 = withCheckDigit('GOMA000229HDFRRLA'); // 29 February 2000 exists

// Numbers stdnum accepts although their birth date, read with the century of the 17th character, is impossible.
const NO_SUCH_DAY_1900 = withCheckDigit('GOMA000229HDFRRL0'); // 29 February 1900: 1900 was no leap year
const BORN_2030 = withCheckDigit('GOMA300101HDFRRLA'); // the letter says 2000s: 1 January 2030
const BORN_2099 = withCheckDigit('GOMA990101HDFRRLA'); // a letter with year 99: 2099

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    curp: {
      valid: [
        ...LIBRARY_EXAMPLES,
        VALID_A,
        VALID_B,
        VALID_C,
        LEAP_2000,
        VALID_A.toLowerCase(),
        ` ${VALID_B.slice(0, 10)} ${VALID_B.slice(10)} `,
      ],
      invalid: [
        withWrongCheckDigit(VALID_A),
        withWrongCheckDigit(LIBRARY_EXAMPLES[0] ?? ''),
        NO_SUCH_DAY_1900,
        BORN_2030,
        BORN_2099,
        `${VALID_A.slice(0, 10)}Z${VALID_A.slice(11)}`, // sex letter
        `${VALID_A.slice(0, 11)}XX${VALID_A.slice(13)}`, // state
        `${VALID_A.slice(0, 6)}13${VALID_A.slice(8)}`, // month 13
        VALID_A.slice(0, 17),
        `${VALID_A}0`,
        `${VALID_A.slice(0, 4)}9O${VALID_A.slice(6)}`, // letter O typed for a zero
        'PÉGJ900515HJCRRN05',
        'PEGJ900515HJCRRN0A', // the check character is always a digit
      ],
    },
  },
});

const verifier = (config: CurpConfig = {}) => plugin.create(testContext<CurpConfig>(config));

test('the example in the hint is the library-computed CURP', async (t) => {
  const [type] = (await verifier()).documentTypes();
  t.is(VALID_A, 'PEGJ900515HJCRRN05');
  t.is(type?.example, VALID_A);
  t.is(type?.inputMask, 'AAAA999999AAAAAAX9');
  t.is(type?.labelKey, 'curp.label');
});

test('normalises case, spaces, dashes and other separators people type', async (t) => {
  const v = await verifier();
  for (const input of [
    VALID_A,
    VALID_A.toLowerCase(),
    `${VALID_A.slice(0, 4)} ${VALID_A.slice(4, 10)} ${VALID_A.slice(10)}`,
    `${VALID_A.slice(0, 4)}-${VALID_A.slice(4, 10)}-${VALID_A.slice(10)}`,
    `${VALID_A.slice(0, 10)}\u00a0${VALID_A.slice(10)}`,
    `\t${VALID_A}\n`,
  ]) {
    t.deepEqual(v.validate('curp', input), { valid: true, normalized: VALID_A }, JSON.stringify(input));
  }
});

test('stdnum checks the sex letter, the state code and the date itself, but not the century', (t) => {
  // What the library refuses on its own, whatever the check digit:
  t.is(libraryCompletion(`${VALID_A.slice(0, 10)}Z${VALID_A.slice(11, 17)}`), undefined, 'sex Z');
  t.is(libraryCompletion(`${VALID_A.slice(0, 11)}XX${VALID_A.slice(13, 17)}`), undefined, 'state XX');
  t.is(libraryCompletion('GOMA900230HDFRRL0'), undefined, '30 February');
  // ...and what it accepts although the date is impossible once the 17th character's century is read.
  for (const curp of [NO_SUCH_DAY_1900, BORN_2030, BORN_2099]) {
    t.true(stdnum.MX.curp.validate(curp).isValid, `stdnum accepts ${curp}`);
    t.is(getBirthDate(curp), null, `getBirthDate refuses ${curp}`);
    t.deepEqual(validateCurp(curp), { valid: false, reason: 'inconsistent' }, curp);
  }
});

test('reads the birth date with the century of the 17th character', (t) => {
  t.is(curpBirthDate(VALID_A), '1990-05-15');
  t.is(curpBirthDate(VALID_B), '2005-01-01');
  t.is(curpBirthDate(LEAP_2000), '2000-02-29');
  t.is(curpBirthDate('BOXW310820HNERXN09'), '1931-08-20');
  t.is(curpBirthDate(NO_SUCH_DAY_1900), undefined);
  t.is(curpBirthDate(BORN_2030), undefined);
  t.is(curpBirthDate('not a curp'), undefined);
  t.is(curpBirthDate(42 as unknown as string), undefined);
});

test('a bad date or an unknown state is inconsistent, a sex letter other than H, M or X is a format error', (t) => {
  const body = 'GOMA900101HDFRRL0';
  t.true(validateCurp(withCheckDigit(body)).valid);
  for (const date of ['900230', '901301', '900001', '900100', '900431', '010229']) {
    const curp = `GOMA${date}HDFRRL08`;
    t.deepEqual(validateCurp(curp), { valid: false, reason: 'inconsistent' }, date);
  }
  for (const state of ['XX', 'DX', 'MX', 'AA', 'ZZ']) {
    t.deepEqual(validateCurp(`GOMA900101H${state}RRL08`), { valid: false, reason: 'inconsistent' }, state);
  }
  for (const sex of [...'ABCDEFGIJKLNOPQRSTUVWYZ']) {
    t.deepEqual(validateCurp(`GOMA900101${sex}DFRRL08`), { valid: false, reason: 'format' }, sex);
  }
  for (const sex of ['H', 'M', 'X']) t.true(validateCurp(withCheckDigit(`GOMA900101${sex}DFRRL0`)).valid, sex);
  // Every state code is accepted, with a computed check digit.
  for (const state of Object.keys(CURP_STATE_CODES)) t.true(validateCurp(withCheckDigit(`GOMA900101H${state}RRL0`)).valid, state);
});

test('its state codes are exactly the ones stdnum accepts', (t) => {
  const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  const libraryStates = letters
    .flatMap((a) => letters.map((b) => `${a}${b}`))
    .filter((state) => libraryCompletion(`GOMA900101H${state}RRL0`));
  t.deepEqual(libraryStates, Object.keys(CURP_STATE_CODES).sort());
  t.is(libraryStates.length, 33);
});

test('a forbidden first word is refused as format, a wrong check digit as checksum', (t) => {
  // RENAPO never issues a CURP starting with an offensive word (it replaces the 2nd letter with X).
  for (const word of ['BUEY', 'CACA', 'PENE']) {
    for (let digit = 0; digit <= 9; digit++) {
      t.deepEqual(validateCurp(`${word}900101HDFRRL0${digit}`), { valid: false, reason: 'format' }, word);
    }
  }
  t.true(validateCurp(withCheckDigit('BXEY900101HDFRRL0')).valid);
  for (const valid of [...LIBRARY_EXAMPLES, VALID_A, VALID_B, VALID_C]) {
    t.deepEqual(validateCurp(withWrongCheckDigit(valid)), { valid: false, reason: 'checksum' }, valid);
  }
});

test('the CURP check digit is weak: it is a weighted sum modulo 10, so some typos get through', (t) => {
  // The 9th character (the tens of the birth day) has weight 10, invisible modulo 10.
  const typo = `${VALID_A.slice(0, 8)}2${VALID_A.slice(9)}`; // born the 25th instead of the 15th
  t.is(typo, 'PEGJ900525HJCRRN05');
  t.deepEqual(validateCurp(typo), { valid: true, normalized: typo });
  // The 4th character has weight 15: any change by an even number of places in the alphabet is missed...
  t.true(validateCurp(`PEGL${VALID_A.slice(4)}`).valid);
  // ...while an odd one is caught.
  t.deepEqual(validateCurp(`PEGK${VALID_A.slice(4)}`), { valid: false, reason: 'checksum' });
});

test('gives the reason a person can act on, and never throws', (t) => {
  t.deepEqual(validateCurp(''), { valid: false, reason: 'empty' });
  t.deepEqual(validateCurp('  \t '), { valid: false, reason: 'empty' });
  t.deepEqual(validateCurp(undefined), { valid: false, reason: 'empty' });
  t.deepEqual(validateCurp(null), { valid: false, reason: 'empty' });
  for (const notAString of [900515, {}, [VALID_A], true, Symbol('s'), 1n, () => VALID_A, Number.NaN]) {
    t.deepEqual(validateCurp(notAString), { valid: false, reason: 'format' }, String(notAString));
  }
  t.deepEqual(validateCurp('ＰＥＧＪ９００５１５ＨＪＣＲＲＮ０５'), { valid: false, reason: 'format' }); // full-width
  t.deepEqual(validateCurp('PEGJ900515HJCRRÑ05'), { valid: false, reason: 'format' });
  t.deepEqual(validateCurp('PEGJ.900515.HJCRRN05'), { valid: false, reason: 'format' });
  t.deepEqual(validateCurp('1EGJ900515HJCRRN05'), { valid: false, reason: 'format' });
  t.deepEqual(validateCurp(VALID_A.slice(0, 17)), { valid: false, reason: 'length' });
  t.deepEqual(validateCurp('A'.repeat(65)), { valid: false, reason: 'length' });
  t.deepEqual(validateCurp('9'.repeat(10_000)), { valid: false, reason: 'length' });
  t.deepEqual(validateCurp(`${VALID_A.slice(0, 9)}${' '.repeat(50)}${VALID_A.slice(9)}`), { valid: false, reason: 'length' });
  t.deepEqual(validateCurp(`${VALID_A.slice(0, 9)}${' '.repeat(40)}${VALID_A.slice(9)}`), { valid: true, normalized: VALID_A });
});

test('masks to fourteen X and the last four characters', async (t) => {
  const v = await verifier();
  t.is(v.mask('curp', VALID_A), 'XXXXXXXXXXXXXXRN05');
  t.is(maskCurp(VALID_A.toLowerCase()), 'XXXXXXXXXXXXXXRN05');
  t.is(maskCurp('PEGJ'), 'XXXXXXXXXXXXXXXXXX');
  t.is(maskCurp(`${VALID_A}${VALID_A}`), 'XXXXXXXXXXXXXXXXXX');
  t.is(maskCurp(undefined), 'XXXXXXXXXXXXXXXXXX');
  t.is(v.mask('no-such-type', VALID_A), 'XXXX');
});

test('every language has the label, Ukrainian included', (t) => {
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [language, labels] of Object.entries(resources)) t.truthy(labels['curp.label']?.trim(), language);
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const all = await verifier({ documentTypes: ['curp'] });
  t.deepEqual(
    all.documentTypes().map((d) => d.code),
    ['curp'],
  );
  const odd = await verifier({ documentTypes: ['rfc', 'toString'] } as unknown as CurpConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', VALID_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [{ documentTypes: ['curp'] }],
  invalidConfigs: [{ documentTypes: ['rfc'] }, { documentTypes: [] }, { somethingElse: true }],
});

test('the manifest names the plugin and its country', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'curp');
  t.deepEqual(pkg.teeka.countries, ['MX']);
});

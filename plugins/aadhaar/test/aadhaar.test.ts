import { readFileSync } from 'node:fs';
import type { PluginManifest } from '@teeka/plugin-sdk';
import { idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { stdnum } from 'stdnum';
// Test-only deep import: the library's own Verhoeff generator, to build numbers whose check digit is
// right but that break another rule (stdnum does not export it from its entry point).
import { verhoeffGenerate } from 'stdnum/lib/cjs/util/checksum.js';
import plugin, { type AadhaarConfig, maskAadhaar, validateAadhaar } from '../src/index.js';

/**
 * Completes an 11-digit body into a valid Aadhaar number by asking the library which of the ten
 * possible last digits it accepts: the samples are computed, not copied from somewhere.
 */
function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${body}${digit}`;
    if (stdnum.IN.aadhaar.validate(candidate).isValid) return candidate;
  }
  throw new Error(`no check digit makes ${body} valid`);
}

/** The same number with its check digit changed to a wrong one. */
function withWrongCheckDigit(valid: string): string {
  const last = Number(valid.at(-1));
  return `${valid.slice(0, -1)}${(last + 1) % 10}`;
}

const grouped = (digits: string, separator: string) => [digits.slice(0, 4), digits.slice(4, 8), digits.slice(8)].join(separator);

const VALID_A = withCheckDigit('23456789012'); // 234567890124, the example in the input hint
const VALID_B = withCheckDigit('49918273645');
const VALID_C = withCheckDigit('98765432109');
const VALID_D = withCheckDigit('55501234567');

/** A number with a correct Verhoeff check digit that Aadhaar still refuses (it starts with 0 or 1). */
const verhoeffOnly = (body: string) => `${body}${verhoeffGenerate(body)}`;
const STARTS_WITH_0 = verhoeffOnly('03456789012');
const STARTS_WITH_1 = verhoeffOnly('13456789012');

idVerifierContract(test, {
  plugin,
  config: {},
  samples: {
    aadhaar: {
      valid: [VALID_A, VALID_B, grouped(VALID_C, ' '), grouped(VALID_D, '-'), ` ${grouped(VALID_B, ' - ')} `],
      invalid: [
        withWrongCheckDigit(VALID_A),
        withWrongCheckDigit(VALID_C),
        VALID_A.slice(0, 11),
        `${VALID_A}0`,
        STARTS_WITH_0,
        STARTS_WITH_1,
        'ABCD EFGH IJKL',
        `${VALID_A.slice(0, 6)}O${VALID_A.slice(7)}`, // letter O typed for a zero
        '2345.6789.0124',
      ],
    },
  },
});

const verifier = () => plugin.create(testContext<AadhaarConfig>({}));

test('the example in the hint is the library-computed number, grouped as people write it', async (t) => {
  const [type] = (await verifier()).documentTypes();
  t.is(VALID_A, '234567890124');
  t.is(type?.example, grouped(VALID_A, ' '));
  t.is(type?.inputMask, '9999 9999 9999');
  t.is(type?.labelKey, 'aadhaar.label');
});

test('normalises spaces, dashes and other separators people type to twelve digits', async (t) => {
  const v = await verifier();
  for (const input of [
    VALID_C,
    grouped(VALID_C, ' '),
    grouped(VALID_C, '-'),
    grouped(VALID_C, ' - '),
    grouped(VALID_C, '\u00a0'), // no-break space, pasted from a document
    grouped(VALID_C, '\u2013'), // en dash
    `\t${grouped(VALID_C, '  ')}\n`,
  ]) {
    t.deepEqual(v.validate('aadhaar', input), { valid: true, normalized: VALID_C }, JSON.stringify(input));
  }
});

test('masks to exactly XXXX XXXX and the last four digits', async (t) => {
  const v = await verifier();
  t.is(v.mask('aadhaar', '234567890124'), 'XXXX XXXX 0124');
  t.is(v.mask('aadhaar', VALID_B), `XXXX XXXX ${VALID_B.slice(-4)}`);
  // Defensive: something that is not a normalised number never leaks more than four digits.
  t.is(maskAadhaar('2345 6789 0124'), 'XXXX XXXX 0124');
  t.is(maskAadhaar('12'), 'XXXX XXXX XXXX');
  t.is(maskAadhaar(undefined), 'XXXX XXXX XXXX');
  t.is(v.mask('no-such-type', VALID_B), 'XXXX');
});

test('gives the reason a person can act on', (t) => {
  // The leading-digit samples really have a right check digit, so the refusal is about the prefix.
  // (the generator agrees with the validator on every valid sample).
  for (const valid of [VALID_A, VALID_B, VALID_C, VALID_D]) t.is(verhoeffOnly(valid.slice(0, 11)), valid);
  t.deepEqual(validateAadhaar(''), { valid: false, reason: 'empty' });
  t.deepEqual(validateAadhaar('  \t '), { valid: false, reason: 'empty' });
  t.deepEqual(validateAadhaar(undefined), { valid: false, reason: 'empty' });
  t.deepEqual(validateAadhaar(null), { valid: false, reason: 'empty' });
  t.deepEqual(validateAadhaar(234567890124), { valid: false, reason: 'format' });
  t.deepEqual(validateAadhaar({}), { valid: false, reason: 'format' });
  t.deepEqual(validateAadhaar('2345 6789 O124'), { valid: false, reason: 'format' });
  t.deepEqual(validateAadhaar('२३४५६७८९०१२४'), { valid: false, reason: 'format' }); // Devanagari digits
  t.deepEqual(validateAadhaar(VALID_A.slice(0, 11)), { valid: false, reason: 'length' });
  t.deepEqual(validateAadhaar(`${VALID_A}1`), { valid: false, reason: 'length' });
  t.deepEqual(validateAadhaar('9'.repeat(10_000)), { valid: false, reason: 'length' });
  t.deepEqual(validateAadhaar(STARTS_WITH_0), { valid: false, reason: 'format' });
  t.deepEqual(validateAadhaar(STARTS_WITH_1), { valid: false, reason: 'format' });
  t.deepEqual(validateAadhaar(withWrongCheckDigit(VALID_A)), { valid: false, reason: 'checksum' });
  t.deepEqual(validateAadhaar(withWrongCheckDigit(VALID_D)), { valid: false, reason: 'checksum' });
});

test('every single-digit typo of a valid number is caught by the check digit', (t) => {
  for (let position = 0; position < 12; position++) {
    for (let digit = 0; digit <= 9; digit++) {
      if (String(digit) === VALID_B[position]) continue;
      const typo = `${VALID_B.slice(0, position)}${digit}${VALID_B.slice(position + 1)}`;
      t.false(validateAadhaar(typo).valid, typo);
    }
  }
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const all = await plugin.create(testContext<AadhaarConfig>({ documentTypes: ['aadhaar'] }));
  t.deepEqual(
    all.documentTypes().map((d) => d.code),
    ['aadhaar'],
  );
  // The host validates config against the schema first; even so, unknown codes are ignored.
  const odd = await plugin.create(testContext({ documentTypes: ['passport', 'toString'] } as unknown as AadhaarConfig));
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', VALID_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [{ documentTypes: ['aadhaar'] }],
  invalidConfigs: [{ documentTypes: ['passport'] }, { documentTypes: [] }, { somethingElse: true }],
});

test('the manifest names the plugin', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'aadhaar');
});

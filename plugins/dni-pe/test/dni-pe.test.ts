import { readFileSync } from 'node:fs';
import type { IdVerifier, PluginManifest } from '@teeka/plugin-sdk';
import { FakeRegistry, idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { stdnum } from 'stdnum';
import plugin, { type DniPeConfig, dniCheckCharacters, maskPeruvian, resources, validateCe, validateDni } from '../src/index.js';

/**
 * The digit form of a DNI's check character, found by asking the library which of the ten digits it
 * accepts after the 8 digits: the samples are computed, not copied from somewhere.
 */
function checkDigit(digits: string): string {
  const accepted = [...'0123456789'].filter((digit) => stdnum.PE.cui.validate(`${digits}${digit}`).isValid);
  if (accepted.length !== 1) throw new Error(`stdnum accepts ${accepted.length} check digits for ${digits}`);
  return accepted[0]!;
}

// python-stdnum's documented examples (stdnum.pe.cui): 10117410, 10117410-2 valid, 10117410-3 not.
const DNI = '10117410';
const DNI_B = '45678912';
const DNI_C = '07654321'; // DNIs can start with 0
// stdnum's own test numbers for the carné de extranjería (stdnum/src/pe/ce.spec.ts).
const CE_SAMPLES = ['001766062', '001043328', '001112311', '000056828', '000494998'];

/** A check character that is wrong for these digits (another digit). */
const wrongDigit = (digits: string) => String((Number(checkDigit(digits)) + 1) % 10);
/** A letter that is not the check letter for these digits. */
const wrongLetter = (digits: string) => [...'ABCDEFGHIJK'].find((letter) => letter !== dniCheckCharacters(digits).letter)!;

idVerifierContract(test, {
  plugin,
  config: {},
  // A registry that never answers: two attempts of 200 ms and a back-off, then `unavailable`.
  registry: { config: (url) => ({ registry: { url, timeoutMs: 200, retries: 1 } }), deadlineMs: 1500 },
  samples: {
    dni: {
      valid: [
        DNI,
        '10117410-2',
        '10117410-G', // the letter form of the same check character
        '10117410 g',
        `${DNI_B}-${checkDigit(DNI_B)}`,
        `${DNI_B}${dniCheckCharacters(DNI_B).letter}`,
        ` ${DNI_C} `,
        `${DNI_C}-${checkDigit(DNI_C)}`,
      ],
      invalid: [
        '10117410-3',
        '10117410-K',
        `${DNI_B}-${wrongDigit(DNI_B)}`,
        `${DNI_B}-${wrongLetter(DNI_B)}`,
        '1011741',
        '1011741022',
        '1011741O', // letter O typed for a zero
        'A0117410',
        '10117410-Ñ',
        '10117410-<',
        '10.117.410',
      ],
    },
    ce: {
      valid: [...CE_SAMPLES, '001 766 062', '001-766-062'],
      invalid: ['12345678', '0017660621', '00176606A', 'E00176606', '001.766.062'],
    },
  },
});

const created: IdVerifier[] = [];
const registries: FakeRegistry[] = [];
test.after.always(async () => {
  for (const verifier of created) await verifier.close?.();
  for (const registry of registries) await registry.stop();
});
const verifier = async (config: DniPeConfig = {}, secrets: Record<string, string> = {}) => {
  const made = await plugin.create(testContext<DniPeConfig>(config, { secrets }));
  created.push(made);
  return made;
};
const startRegistry = async () => {
  const registry = await FakeRegistry.start();
  registries.push(registry);
  return registry;
};

test('declares the DNI and the CE with examples that validate and labels in every shipped language', async (t) => {
  const types = (await verifier()).documentTypes();
  t.deepEqual(types, [
    { code: 'dni', labelKey: 'dni.label', inputMask: '99999999', example: DNI, onlineVerification: false },
    { code: 'ce', labelKey: 'ce.label', inputMask: '999999999', example: CE_SAMPLES[0], onlineVerification: false },
  ]);
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [lng, keys] of Object.entries(resources)) {
    t.truthy(keys['dni.label'], lng);
    t.truthy(keys['ce.label'], lng);
  }
});

test('the check character: our digit table agrees with stdnum, and the letter is its twin in python-stdnum', (t) => {
  // The documented example: 10117410 has check digit 2; its letter twin is G.
  t.deepEqual(dniCheckCharacters(DNI), { digit: '2', letter: 'G' });
  // 12345678's check character is 1 (or E): "12345678-K" is not a valid DNI.
  t.deepEqual(dniCheckCharacters('12345678'), { digit: '1', letter: 'E' });
  t.deepEqual(validateDni('12345678-K'), { valid: false, reason: 'checksum' });
  // Every possible weighted sum (mod 11) is reached by some number, and for each stdnum agrees.
  const seen = new Set<string>();
  for (let n = 0; n < 3000; n++) {
    const digits = String((n * 7_919_993 + 12_345) % 100_000_000).padStart(8, '0');
    const { digit, letter } = dniCheckCharacters(digits);
    t.is(digit, checkDigit(digits), digits);
    seen.add(letter);
  }
  t.is(seen.size, 11, 'all eleven letters occur');
  // stdnum's JavaScript port refuses the letter form altogether (python-stdnum accepts it).
  t.false(stdnum.PE.cui.validate('10117410G').isValid);
  t.throws(() => dniCheckCharacters('1011741'));
});

test('normalises a DNI to its 8 digits, with or without the check character', async (t) => {
  const v = await verifier();
  for (const input of [
    DNI,
    '10117410-2',
    '101174102',
    '10117410 2',
    '10117410-G',
    '10117410g',
    '10117410\u20132', // en dash
    '\t1011 7410\n',
    '10117410\u00a0-\u00a02',
  ]) {
    t.deepEqual(v.validate('dni', input), { valid: true, normalized: DNI }, JSON.stringify(input));
  }
  t.deepEqual(v.validate('dni', DNI_C), { valid: true, normalized: DNI_C }, 'a leading 0 is kept');
});

test('E and F both pair with check digit 1, but only the right letter is accepted', (t) => {
  // Sums 5 and 6 (mod 11) both give the digit 1: the letter tells them apart (F for 5, E for 6).
  const find = (letter: string) => {
    for (let n = 10_000_000; ; n++) if (dniCheckCharacters(String(n)).letter === letter) return String(n);
  };
  const withF = find('F');
  const withE = find('E');
  t.is(dniCheckCharacters(withF).digit, '1');
  t.is(dniCheckCharacters(withE).digit, '1');
  t.true(validateDni(`${withF}-F`).valid);
  t.deepEqual(validateDni(`${withF}-E`), { valid: false, reason: 'checksum' });
  t.true(validateDni(`${withE}-E`).valid);
  t.deepEqual(validateDni(`${withE}-F`), { valid: false, reason: 'checksum' });
});

test('a single-digit typo is caught by the check letter always, by the check digit unless it lands on the other 1', (t) => {
  // Weights 3,2,7,6,5,4,3,2 are all non-zero mod 11, so any one wrong digit changes the sum; the digit
  // form maps sums 5 and 6 both to 1, so only there a typo slips through (the letter form, F or E, tells).
  let slipped = 0;
  for (const digits of [DNI, DNI_B, DNI_C]) {
    const { digit, letter } = dniCheckCharacters(digits);
    for (let position = 0; position < 8; position++) {
      for (let replacement = 0; replacement <= 9; replacement++) {
        if (String(replacement) === digits[position]) continue;
        const typo = `${digits.slice(0, position)}${replacement}${digits.slice(position + 1)}`;
        t.deepEqual(validateDni(`${typo}-${letter}`), { valid: false, reason: 'checksum' }, `${typo}-${letter}`);
        const bothOne = digit === '1' && dniCheckCharacters(typo).digit === '1';
        if (bothOne) slipped += 1;
        t.is(validateDni(`${typo}-${digit}`).valid, bothOne, `${typo}-${digit}`);
      }
    }
  }
  t.true(slipped > 0, 'DNI_C (sum 5) shows the weakness of the digit form');
});

test('gives the reason a person can act on', (t) => {
  for (const validate of [validateDni, validateCe]) {
    t.deepEqual(validate(''), { valid: false, reason: 'empty' });
    t.deepEqual(validate(' \t '), { valid: false, reason: 'empty' });
    t.deepEqual(validate(undefined), { valid: false, reason: 'empty' });
    t.deepEqual(validate(null), { valid: false, reason: 'empty' });
    t.deepEqual(validate(10117410), { valid: false, reason: 'format' });
    t.deepEqual(validate({}), { valid: false, reason: 'format' });
    t.deepEqual(validate('١٠١١٧٤١٠'), { valid: false, reason: 'format' }); // Arabic-Indic digits
    t.deepEqual(validate('１０１１７４１０'), { valid: false, reason: 'format' }); // full-width digits
    t.deepEqual(validate('9'.repeat(10_000)), { valid: false, reason: 'length' });
  }
  t.deepEqual(validateDni('1011741'), { valid: false, reason: 'length' });
  t.deepEqual(validateDni('1011741022'), { valid: false, reason: 'length' });
  t.deepEqual(validateDni('1011741A'), { valid: false, reason: 'format' });
  t.deepEqual(validateDni('10117410-ß'), { valid: false, reason: 'format' });
  t.deepEqual(validateDni('10117410-3'), { valid: false, reason: 'checksum' });
  t.deepEqual(validateDni('10117410-K'), { valid: false, reason: 'checksum' });
  // Over 64 characters is refused before anything else, even if it would compact to a valid number.
  t.deepEqual(validateDni(`1011${' '.repeat(60)}7410`), { valid: false, reason: 'length' });
  t.deepEqual(validateDni(`1011${' '.repeat(50)}7410`), { valid: true, normalized: DNI });

  t.deepEqual(validateCe('12345678'), { valid: false, reason: 'length' });
  t.deepEqual(validateCe('0017660621'), { valid: false, reason: 'length' });
  t.deepEqual(validateCe('00176606A'), { valid: false, reason: 'format' });
  t.deepEqual(validateCe('001 766 062'), { valid: true, normalized: '001766062' });
});

test('masks to X and the last four digits, at the document’s width', async (t) => {
  const v = await verifier();
  t.is(v.mask('dni', DNI), 'XXXX7410');
  t.is(v.mask('ce', '001766062'), 'XXXXX6062');
  t.is(maskPeruvian('dni', '10117410-2'), 'XXXX4102', 'defensive: never more than the last four digits');
  t.is(maskPeruvian('dni', '1234'), 'XXXXXXXX');
  t.is(maskPeruvian('ce', undefined), 'XXXXXXXXX');
  t.is(v.mask('no-such-type', DNI), 'XXXX');
});

test('never throws, whatever input', async (t) => {
  const v = await verifier({ registry: { url: 'http://127.0.0.1:9/verify' } });
  for (const type of ['dni', 'ce']) {
    for (const input of ['', DNI, 'x'.repeat(100_000), '\u{1F489}', Symbol('s'), 1n, () => 1, Number.NaN, new Proxy({}, {})]) {
      t.notThrows(() => v.validate(type, input as string));
      t.notThrows(() => v.mask(type, input as string));
    }
  }
});

test('without a registry it validates offline only and offers no online check', async (t) => {
  const v = await verifier();
  t.is(v.verifyOnline, undefined);
  t.deepEqual(await v.health?.(), { ok: true, detail: 'offline validation only' });
});

test('verifies DNIs online: verified, mismatch and not-found, as the registry answers', async (t) => {
  const registry = await startRegistry();
  const answers: Record<string, string> = { [DNI]: 'verified', [DNI_B]: 'mismatch' };
  registry.reply = (body) => ({ body: { result: answers[body.number as string] ?? 'not-found' } });
  const v = await verifier({ registry: { url: registry.url } });
  t.deepEqual(
    v.documentTypes().map((type) => [type.code, type.onlineVerification]),
    [
      ['dni', true],
      ['ce', false],
    ],
  );

  const person = { name: 'Rosa Quispe Mamani', birthDate: '1979-11-03', birthYear: 1979 };
  t.deepEqual(await v.verifyOnline?.('dni', DNI, person), { status: 'verified' });
  t.deepEqual(await v.verifyOnline?.('dni', DNI_B, { gender: 'F' }), { status: 'mismatch' });
  t.deepEqual(await v.verifyOnline?.('dni', DNI_C, {}), { status: 'not-found' });
  t.is(registry.count, 3);
  t.deepEqual(registry.requests[0]?.body, { documentType: 'dni', number: DNI, ...person });
  t.deepEqual(registry.requests[1]?.body, { documentType: 'dni', number: DNI_B, gender: 'F' });
});

test('sends the 8 digits, never the check character, and asks nothing about CEs or non-DNIs', async (t) => {
  const registry = await startRegistry();
  const v = await verifier({ registry: { url: registry.url } }, { registryApiKey: 'reniec-key' });
  t.deepEqual(await v.verifyOnline?.('dni', '10117410-2', {}), { status: 'verified' });
  t.deepEqual(await v.verifyOnline?.('dni', '10117410-3', {}), { status: 'not-found' });
  t.deepEqual(await v.verifyOnline?.('ce', '001766062', {}), { status: 'unavailable' });
  t.deepEqual(await v.verifyOnline?.('passport', DNI, {}), { status: 'unavailable' });
  t.is(registry.count, 1);
  t.deepEqual(registry.requests[0]?.body, { documentType: 'dni', number: DNI });
  t.is(registry.requests[0]?.headers.authorization, 'Bearer reniec-key');
});

test('a registry that is down answers unavailable quickly, with a retry hint, and validation still works', async (t) => {
  const registry = await startRegistry();
  const v = await verifier({ registry: { url: registry.url, timeoutMs: 1000 } });
  await registry.stop();

  const started = Date.now();
  const result = await v.verifyOnline?.('dni', DNI, { birthYear: 1979 });
  t.is(result?.status, 'unavailable');
  t.true(result?.status === 'unavailable' && (result.retryAfterSeconds ?? 0) >= 1, JSON.stringify(result));
  t.true(Date.now() - started < 15_000, `answered in ${Date.now() - started} ms`);

  t.deepEqual(v.validate('dni', '10117410-2'), { valid: true, normalized: DNI });
  t.deepEqual(v.validate('dni', '10117410-3'), { valid: false, reason: 'checksum' });
  t.deepEqual(v.validate('ce', '001766062'), { valid: true, normalized: '001766062' });
});

test('a hung registry times out, and validation answers at once meanwhile', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ delayMs: 60_000, body: { result: 'verified' } });
  const v = await verifier({ registry: { url: registry.url, timeoutMs: 300, retries: 1 } });
  const started = Date.now();
  const pending = v.verifyOnline?.('dni', DNI, {});
  t.deepEqual(v.validate('dni', DNI_B), { valid: true, normalized: DNI_B }, 'validation does not wait for the registry');
  const result = await pending;
  t.is(result?.status, 'unavailable');
  t.true(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms, not 60 s`);
  // On a loaded machine an attempt may be aborted before the registry sees it.
  t.true(registry.count >= 1 && registry.count <= 2, 'the timed-out attempt was retried at most once');
});

test('repeated registry failures open the circuit: later checks answer unavailable without asking', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 502 });
  const v = await verifier({ registry: { url: registry.url, retries: 4 } });
  t.is((await v.verifyOnline?.('dni', DNI, {}))?.status, 'unavailable');
  t.is(registry.count, 5, 'retries stop when the fifth failure in a row opens the circuit');
  t.deepEqual(await v.health?.(), { ok: true, detail: 'registry circuit open' });

  registry.reply = () => ({ body: { result: 'verified' } });
  const result = await v.verifyOnline?.('dni', DNI, {});
  t.true(result?.status === 'unavailable' && (result.retryAfterSeconds ?? 0) >= 20, JSON.stringify(result));
  t.is(registry.count, 5, 'no request reached the registry');
  t.true(v.validate('dni', DNI).valid, 'validation does not care');
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const dniOnly = await verifier({ documentTypes: ['dni'] });
  t.deepEqual(
    dniOnly.documentTypes().map((d) => d.code),
    ['dni'],
  );
  t.deepEqual(dniOnly.validate('ce', '001766062'), { valid: false, reason: 'unknown-type' });
  const odd = await verifier({ documentTypes: ['nin', 'toString'] } as unknown as DniPeConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', DNI), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [
    { documentTypes: ['dni'] },
    { documentTypes: ['dni', 'ce'] },
    { registry: { url: 'https://reniec-adapter.example.pe/verify', timeoutMs: 2000, retries: 1 } },
  ],
  invalidConfigs: [
    { registry: { url: 'not a url' } },
    { registry: { url: 'mailto:reniec@example.pe' } },
    { registry: { timeoutMs: 2000 } },
    { documentTypes: ['dni', 'dni'] },
    { documentTypes: ['passport'] },
    { documentTypes: [] },
    { somethingElse: true },
  ],
});

test('the manifest names the plugin and its country', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'dni-pe');
  t.deepEqual(pkg.teeka.countries, ['PE']);
});

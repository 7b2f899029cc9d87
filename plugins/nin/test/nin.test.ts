import { readFileSync } from 'node:fs';
import type { IdVerifier, PluginManifest } from '@teeka/plugin-sdk';
import { FakeRegistry, idVerifierContract, manifestContract, testContext } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import plugin, { maskNin, type NinConfig, resources, validateNin } from '../src/index.js';

// NIMC publishes no check digit, so any 11 digits not starting with 0 and not one digit repeated
// have the shape of a NIN: these samples are built from the rules, not copied from anybody's slip.
const NIN_A = '12345678901';
const NIN_B = '70123456789';
const NIN_C = '98765432109';
const grouped = (nin: string, separator: string) => [nin.slice(0, 4), nin.slice(4, 7), nin.slice(7)].join(separator);

idVerifierContract(test, {
  plugin,
  config: {},
  // A registry that never answers: two attempts of 200 ms and a back-off, then `unavailable`.
  registry: { config: (url) => ({ registry: { url, timeoutMs: 200, retries: 1 } }), deadlineMs: 1500 },
  samples: {
    nin: {
      valid: [NIN_A, NIN_B, grouped(NIN_C, ' '), grouped(NIN_A, '-'), ` ${grouped(NIN_B, ' - ')} `, '10000000000', '99999999998'],
      invalid: [
        NIN_A.slice(0, 10),
        `${NIN_A}2`,
        `0${NIN_A.slice(1)}`, // starts with 0
        '00000000000',
        '11111111111',
        '99999999999',
        'ABCDEFGHIJK',
        '1234567890O', // letter O typed for a zero
        '1234.567.8901',
        '+2341234567890', // a phone number
      ],
    },
  },
});

const created: IdVerifier[] = [];
const registries: FakeRegistry[] = [];
test.after.always(async () => {
  for (const verifier of created) await verifier.close?.();
  for (const registry of registries) await registry.stop();
});
const verifier = async (config: NinConfig = {}, secrets: Record<string, string> = {}) => {
  const made = await plugin.create(testContext<NinConfig>(config, { secrets }));
  created.push(made);
  return made;
};
const startRegistry = async () => {
  const registry = await FakeRegistry.start();
  registries.push(registry);
  return registry;
};

test('declares the NIN with an example that validates and a label in every shipped language', async (t) => {
  const [type] = (await verifier()).documentTypes();
  t.deepEqual(type, { code: 'nin', labelKey: 'nin.label', inputMask: '99999999999', example: NIN_A, onlineVerification: false });
  t.deepEqual(Object.keys(resources).sort(), ['ar', 'en', 'es', 'hi', 'uk']);
  for (const [lng, keys] of Object.entries(resources)) t.truthy(keys['nin.label'], lng);
});

test('normalises spaces, dashes and other separators people type to eleven digits', async (t) => {
  const v = await verifier();
  for (const input of [
    NIN_C,
    grouped(NIN_C, ' '),
    grouped(NIN_C, '-'),
    grouped(NIN_C, '\u00a0'), // no-break space
    grouped(NIN_C, '\u2013'), // en dash
    `\t${NIN_C.slice(0, 5)}  ${NIN_C.slice(5)}\n`,
  ]) {
    t.deepEqual(v.validate('nin', input), { valid: true, normalized: NIN_C }, JSON.stringify(input));
  }
});

test('gives the reason a person can act on', (t) => {
  t.deepEqual(validateNin(''), { valid: false, reason: 'empty' });
  t.deepEqual(validateNin(' \t '), { valid: false, reason: 'empty' });
  t.deepEqual(validateNin(undefined), { valid: false, reason: 'empty' });
  t.deepEqual(validateNin(null), { valid: false, reason: 'empty' });
  t.deepEqual(validateNin(12345678901), { valid: false, reason: 'format' });
  t.deepEqual(validateNin({}), { valid: false, reason: 'format' });
  t.deepEqual(validateNin('1234 567 89O1'), { valid: false, reason: 'format' });
  t.deepEqual(validateNin('١٢٣٤٥٦٧٨٩٠١'), { valid: false, reason: 'format' }); // Arabic-Indic digits
  t.deepEqual(validateNin('１２３４５６７８９０１'), { valid: false, reason: 'format' }); // full-width digits
  t.deepEqual(validateNin('1234567890'), { valid: false, reason: 'length' });
  t.deepEqual(validateNin('123456789012'), { valid: false, reason: 'length' });
  t.deepEqual(validateNin('9'.repeat(10_000)), { valid: false, reason: 'length' });
  // Over 64 characters is refused before anything else, even if it would compact to a valid number.
  t.deepEqual(validateNin(`12345${' '.repeat(60)}678901`), { valid: false, reason: 'length' });
  t.deepEqual(validateNin(`12345${' '.repeat(50)}678901`), { valid: true, normalized: NIN_A });
  t.deepEqual(validateNin('01234567890'), { valid: false, reason: 'format' });
  for (let digit = 0; digit <= 9; digit++) {
    t.deepEqual(validateNin(String(digit).repeat(11)), { valid: false, reason: 'format' }, `${digit} repeated`);
  }
  // There is no check digit: a typo in a well-shaped NIN cannot be caught offline.
  t.deepEqual(validateNin('12345678902'), { valid: true, normalized: '12345678902' });
});

test('masks to XXXXXXX and the last four digits', async (t) => {
  const v = await verifier();
  t.is(v.mask('nin', NIN_A), 'XXXXXXX8901');
  t.is(v.mask('nin', NIN_B), 'XXXXXXX6789');
  t.is(maskNin('1234 567 8901'), 'XXXXXXX8901');
  t.is(maskNin('1234'), 'XXXXXXXXXXX');
  t.is(maskNin(undefined), 'XXXXXXXXXXX');
  t.is(maskNin(42), 'XXXXXXXXXXX');
  t.is(v.mask('no-such-type', NIN_A), 'XXXX');
});

test('never throws, whatever input', async (t) => {
  const v = await verifier({ registry: { url: 'http://127.0.0.1:9/verify' } });
  for (const input of ['', NIN_A, 'x'.repeat(100_000), '\u{1F489}', Symbol('s'), 1n, () => 1, Number.NaN, new Proxy({}, {})]) {
    t.notThrows(() => v.validate('nin', input as string));
    t.notThrows(() => v.mask('nin', input as string));
  }
});

test('without a registry it validates offline only and offers no online check', async (t) => {
  const v = await verifier();
  t.is(v.verifyOnline, undefined);
  t.false(v.documentTypes()[0]?.onlineVerification);
  t.deepEqual(await v.health?.(), { ok: true, detail: 'offline validation only' });
});

test('verifies online: verified, mismatch and not-found, as the registry answers', async (t) => {
  const registry = await startRegistry();
  const answers: Record<string, string> = { [NIN_A]: 'verified', [NIN_B]: 'mismatch' };
  registry.reply = (body) => ({ body: { result: answers[body.number as string] ?? 'not-found' } });
  const v = await verifier({ registry: { url: registry.url } });
  t.true(v.documentTypes()[0]?.onlineVerification);

  const person = { name: 'Ngozi Okafor', birthYear: 1988, birthDate: '1988-04-12', gender: 'female' };
  t.deepEqual(await v.verifyOnline?.('nin', NIN_A, person), { status: 'verified' });
  t.deepEqual(await v.verifyOnline?.('nin', NIN_B, { birthYear: 1970 }), { status: 'mismatch' });
  t.deepEqual(await v.verifyOnline?.('nin', NIN_C, {}), { status: 'not-found' });
  t.is(registry.count, 3);
  t.deepEqual(registry.requests[0]?.body, { documentType: 'nin', number: NIN_A, ...person });
  t.deepEqual(registry.requests[1]?.body, { documentType: 'nin', number: NIN_B, birthYear: 1970 });
  t.is(registry.requests[0]?.headers['content-type'], 'application/json');
  t.is(registry.requests[0]?.headers.authorization, undefined, 'no API key configured, none sent');
});

test('sends the registry API key from the tenant secret as a bearer token', async (t) => {
  const registry = await startRegistry();
  const v = await verifier({ registry: { url: registry.url } }, { registryApiKey: 'key-123' });
  t.deepEqual(await v.verifyOnline?.('nin', NIN_A, {}), { status: 'verified' });
  t.is(registry.requests[0]?.headers.authorization, 'Bearer key-123');
});

test('does not ask the registry about a number that is not a NIN or a type it does not serve', async (t) => {
  const registry = await startRegistry();
  const v = await verifier({ registry: { url: registry.url } });
  t.deepEqual(await v.verifyOnline?.('nin', '01234567890', {}), { status: 'not-found' });
  t.deepEqual(await v.verifyOnline?.('nin', 42 as unknown as string, {}), { status: 'not-found' });
  t.deepEqual(await v.verifyOnline?.('passport', NIN_A, {}), { status: 'unavailable' });
  // A number as typed is normalised before it is sent.
  t.deepEqual(await v.verifyOnline?.('nin', grouped(NIN_A, ' '), null as never), { status: 'verified' });
  t.is(registry.count, 1);
  t.deepEqual(registry.requests[0]?.body, { documentType: 'nin', number: NIN_A });
});

test('retries a registry error and gets the answer', async (t) => {
  const registry = await startRegistry();
  let calls = 0;
  registry.reply = () => (++calls < 3 ? { status: 503 } : { body: { result: 'verified' } });
  const v = await verifier({ registry: { url: registry.url, retries: 2 } });
  t.deepEqual(await v.verifyOnline?.('nin', NIN_A, {}), { status: 'verified' });
  t.is(registry.count, 3);
});

test('a registry that is down answers unavailable quickly, with a retry hint, and validation still works', async (t) => {
  const registry = await startRegistry();
  const v = await verifier({ registry: { url: registry.url, timeoutMs: 1000 } });
  await registry.stop();

  const started = Date.now();
  const result = await v.verifyOnline?.('nin', NIN_A, { birthYear: 1990 });
  t.is(result?.status, 'unavailable');
  t.true(result?.status === 'unavailable' && (result.retryAfterSeconds ?? 0) >= 1, JSON.stringify(result));
  t.true(Date.now() - started < 15_000, `answered in ${Date.now() - started} ms`);

  t.deepEqual(v.validate('nin', grouped(NIN_B, ' ')), { valid: true, normalized: NIN_B });
  t.deepEqual(v.validate('nin', '01234567890'), { valid: false, reason: 'format' });
  t.is(v.mask('nin', NIN_B), 'XXXXXXX6789');
  t.deepEqual(await v.health?.(), { ok: true, detail: 'registry circuit closed' });
});

test('a hung registry times out, and validation answers at once meanwhile', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ delayMs: 60_000, body: { result: 'verified' } });
  const v = await verifier({ registry: { url: registry.url, timeoutMs: 300, retries: 0 } });
  const started = Date.now();
  const pending = v.verifyOnline?.('nin', NIN_A, {});
  t.deepEqual(v.validate('nin', NIN_C), { valid: true, normalized: NIN_C }, 'validation does not wait for the registry');
  const result = await pending;
  t.is(result?.status, 'unavailable');
  t.true(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms, not 60 s`);
  t.true(registry.count <= 1, 'no retry with retries: 0');
});

test('repeated registry failures open the circuit: later checks answer unavailable without asking', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 500 });
  const v = await verifier({ registry: { url: registry.url, retries: 2 } });
  t.is((await v.verifyOnline?.('nin', NIN_A, {}))?.status, 'unavailable'); // 3 attempts
  t.is((await v.verifyOnline?.('nin', NIN_A, {}))?.status, 'unavailable'); // 2 more: 5 in a row opens it
  t.is(registry.count, 5);
  t.deepEqual(await v.health?.(), { ok: true, detail: 'registry circuit open' });

  registry.reply = () => ({ body: { result: 'verified' } });
  const result = await v.verifyOnline?.('nin', NIN_A, {});
  t.is(registry.count, 5, 'the open circuit answered without contacting the registry');
  t.true(result?.status === 'unavailable' && (result.retryAfterSeconds ?? 0) >= 20, JSON.stringify(result));
  t.is(registry.count, 5, 'no request reached the registry');
  t.deepEqual(v.validate('nin', NIN_A), { valid: true, normalized: NIN_A }, 'validation does not care');
});

test('a tenant config can only narrow the document types to ones it supports', async (t) => {
  const all = await verifier({ documentTypes: ['nin'] });
  t.deepEqual(
    all.documentTypes().map((d) => d.code),
    ['nin'],
  );
  const odd = await verifier({ documentTypes: ['aadhaar', 'toString'] } as unknown as NinConfig);
  t.deepEqual(odd.documentTypes(), []);
  t.deepEqual(odd.validate('toString', NIN_A), { valid: false, reason: 'unknown-type' });
});

manifestContract(test, {
  packageJson: new URL('../../package.json', import.meta.url),
  plugin,
  validConfigs: [
    { documentTypes: ['nin'] },
    { registry: { url: 'https://registry.example.ng/v1/verify' } },
    { registry: { url: 'http://127.0.0.1:8080/verify', timeoutMs: 1500, retries: 0 } },
  ],
  invalidConfigs: [
    { registry: {} }, // url is required
    { registry: { url: 'registry.example.ng' } }, // not a URI
    { registry: { url: 'ftp://registry.example.ng/' } }, // not http(s)
    { registry: { url: 'https://registry.example.ng/', timeoutMs: 10 } },
    { registry: { url: 'https://registry.example.ng/', retries: 9 } },
    { registry: { url: 'https://registry.example.ng/', failureThreshold: 3 } },
    { documentTypes: ['aadhaar'] },
    { documentTypes: [] },
    { somethingElse: true },
  ],
});

test('the manifest names the plugin, its country and the registry secret', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { teeka: PluginManifest };
  t.is(pkg.teeka.id, 'nin');
  t.deepEqual(pkg.teeka.countries, ['NG']);
  t.deepEqual(pkg.teeka.secrets, ['registryApiKey']);
});

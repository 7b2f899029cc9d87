import { readFileSync } from 'node:fs';
import { manifestSchema, PLUGIN_API_VERSION, type PluginManifest, type SmsGateway } from '@teeka/plugin-sdk';
import { memoryStorage, SAMPLE_TEXTS, smsGatewayContract, testContext } from '@teeka/plugin-sdk/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import test from 'ava';
import plugin, { type DevOutboxConfig, OUTBOX_COLLECTION, type OutboxRecord, smsParts } from '../src/index.js';

smsGatewayContract(test, {
  plugin,
  config: {},
  received: async (gateway) => (await gateway.outbox?.()) ?? [],
});

const PHONE = '+919876543210';

const make = async (overrides: Parameters<typeof testContext<DevOutboxConfig>>[1] = {}) => {
  const context = testContext<DevOutboxConfig>({}, overrides);
  const gateway: SmsGateway = await plugin.create(context);
  return { context, gateway };
};

test('counts GSM-7 parts: 160 characters fit one SMS, 161 take two', (t) => {
  t.deepEqual(smsParts('a'.repeat(160)), { encoding: 'GSM-7', parts: 1 });
  t.deepEqual(smsParts('a'.repeat(161)), { encoding: 'GSM-7', parts: 2 });
  t.deepEqual(smsParts('a'.repeat(306)), { encoding: 'GSM-7', parts: 2 }); // 2 × 153
  t.deepEqual(smsParts('a'.repeat(307)), { encoding: 'GSM-7', parts: 3 });
  t.deepEqual(smsParts(SAMPLE_TEXTS.ascii), { encoding: 'GSM-7', parts: 1 });
});

test('counts UCS-2 parts: 70 Hindi characters fit one SMS, 71 take two', (t) => {
  t.deepEqual(smsParts('क'.repeat(70)), { encoding: 'UCS-2', parts: 1 });
  t.deepEqual(smsParts('क'.repeat(71)), { encoding: 'UCS-2', parts: 2 });
  t.deepEqual(smsParts('क'.repeat(134)), { encoding: 'UCS-2', parts: 2 }); // 2 × 67
  t.deepEqual(smsParts('क'.repeat(135)), { encoding: 'UCS-2', parts: 3 });
  t.deepEqual(smsParts(SAMPLE_TEXTS.hindi), { encoding: 'UCS-2', parts: 1 });
  t.deepEqual(smsParts(SAMPLE_TEXTS.arabic), { encoding: 'UCS-2', parts: 1 });
});

test('decides GSM-7 from the 03.38 basic set and extension table', (t) => {
  // £ ¥ è é ù ì ò Ç Ø Å Δ Φ Γ ä ö ñ ü à are in the basic set: still GSM-7.
  t.is(smsParts('£¥èéùìòÇØÅΔΦΓäöñüà').encoding, 'GSM-7');
  // The extension table (€ [ ] { } ~ \ | ^) stays GSM-7 but each character takes two septets.
  t.deepEqual(smsParts('€'.repeat(80)), { encoding: 'GSM-7', parts: 1 });
  t.deepEqual(smsParts('€'.repeat(81)), { encoding: 'GSM-7', parts: 2 });
  // One character outside both forces UCS-2 for the whole message.
  t.deepEqual(smsParts(`${'a'.repeat(100)}ç`), { encoding: 'UCS-2', parts: 2 }); // ç (lower case) is not GSM
  t.is(smsParts('💉').encoding, 'UCS-2');
  t.is(smsParts('').parts, 1);
});

test('counts a text the same whether its count was remembered or not (texts differing only in digits share one count)', (t) => {
  // 155 letters + a 6-digit code = 161 septets: two parts, whatever the digits.
  const otp = (code: string) => `${'a'.repeat(155)}${code}`;
  t.deepEqual(smsParts(otp('000000')), { encoding: 'GSM-7', parts: 2 });
  t.deepEqual(smsParts(otp('987654')), { encoding: 'GSM-7', parts: 2 });
  // Same digits, different letters: counted on their own, not taken from the remembered count.
  t.deepEqual(smsParts(`${'a'.repeat(150)}000000`), { encoding: 'GSM-7', parts: 1 });
  t.deepEqual(smsParts(`${'क'.repeat(64)}123456`), { encoding: 'UCS-2', parts: 1 });
  t.deepEqual(smsParts(`${'क'.repeat(65)}123456`), { encoding: 'UCS-2', parts: 2 });
  // A caller changing its answer does not change the next one.
  const first = smsParts('code 111111');
  (first as { parts: number }).parts = 99;
  t.is(smsParts('code 222222').parts, 1);
});

test('send returns the stored record id and the parts, and keeps the message in storage', async (t) => {
  const storage = memoryStorage();
  const { gateway } = await make({ storage });
  const result = await gateway.send({ to: PHONE, text: 'a'.repeat(161), reference: 'ref-1' });
  t.is(result.status, 'accepted');
  const [record] = await storage.list<OutboxRecord>(OUTBOX_COLLECTION);
  t.truthy(record);
  if (result.status !== 'accepted' || !record) return;
  t.is(result.gatewayMessageId, record.id);
  t.is(result.parts, 2);
  t.deepEqual(record.data, { to: PHONE, text: 'a'.repeat(161), reference: 'ref-1', encoding: 'GSM-7', parts: 2 });
});

test('outbox lists newest first and honours the limit', async (t) => {
  const { gateway } = await make();
  for (const n of [1, 2, 3]) await gateway.send({ to: PHONE, text: `message ${n}` });
  const all = (await gateway.outbox?.()) ?? [];
  t.deepEqual(
    all.map((entry) => entry.text),
    ['message 3', 'message 2', 'message 1'],
  );
  for (const entry of all) {
    t.is(entry.to, PHONE);
    t.true(entry.createdAt instanceof Date);
    t.deepEqual(Object.keys(entry).sort(), ['createdAt', 'text', 'to']);
  }
  t.deepEqual(
    ((await gateway.outbox?.(2)) ?? []).map((entry) => entry.text),
    ['message 3', 'message 2'],
  );
  t.deepEqual(await gateway.outbox?.(0), []);
});

test('an outbox is per storage: two tenants do not see each other', async (t) => {
  const a = await make();
  const b = await make();
  await a.gateway.send({ to: PHONE, text: 'for tenant a' });
  t.is(((await a.gateway.outbox?.()) ?? []).length, 1);
  t.deepEqual(await b.gateway.outbox?.(), []);
});

test('refuses to send in production mode, and stores nothing', async (t) => {
  const storage = memoryStorage();
  const { gateway } = await make({ mode: 'production', storage });
  const error = await t.throwsAsync(gateway.send({ to: PHONE, text: 'hello' }));
  t.regex(error?.message ?? '', /development-only.*production/s);
  t.deepEqual(await storage.list(OUTBOX_COLLECTION), []);
  t.deepEqual(await gateway.health?.(), { ok: false, detail: 'dev-outbox must not run in production mode' });
});

test('never logs the phone number or the text', async (t) => {
  const { context, gateway } = await make();
  const text = 'Your Teeka code is 482913.';
  await gateway.send({ to: PHONE, text, reference: 'otp-7' });
  t.true(context.logger.lines.length > 0, 'it does log that a message was kept');
  const logged = JSON.stringify(context.logger.lines);
  t.false(logged.includes(PHONE));
  t.false(logged.includes('9876543210'));
  t.false(logged.includes(text));
  t.false(logged.includes('482913'));
});

test('rejects a malformed message instead of throwing', async (t) => {
  const { gateway } = await make();
  const result = await gateway.send({ to: PHONE, text: undefined } as unknown as { to: string; text: string });
  t.like(result, { status: 'rejected', retryable: false });
  t.deepEqual(await gateway.outbox?.(), []);
});

test('the manifest in package.json passes the SDK manifest schema', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    teeka: PluginManifest;
  };
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  t.true(ajv.validate(manifestSchema, pkg.teeka), ajv.errorsText());
  t.is(pkg.teeka.id, 'dev-outbox');
  t.is(pkg.teeka.kind, plugin.kind);
  t.is(pkg.teeka.apiVersion, PLUGIN_API_VERSION);
  t.true(pkg.teeka.developmentOnly);
  t.deepEqual(pkg.teeka.countries, ['*']);
  const config = ajv.compile(pkg.teeka.configSchema ?? {});
  t.true(config({}));
  t.false(config({ url: 'https://example.invalid' }));
});

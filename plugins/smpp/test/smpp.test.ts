import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { manifestSchema, PLUGIN_API_VERSION, type PluginContext, type PluginManifest, type SendResult } from '@teeka/plugin-sdk';
import { memoryStorage, SAMPLE_TEXTS, smsGatewayContract, testContext } from '@teeka/plugin-sdk/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import test, { type ExecutionContext } from 'ava';
import smpp from 'smpp';
import plugin, {
  type DeliveryReceipt,
  isRetryableStatus,
  parseReceipt,
  planMessage,
  RECEIPTS_COLLECTION,
  resolveConfig,
  type SmppConfig,
  type SmppGateway,
  statusName,
} from '../src/index.js';
import { FakeSmsc, type FakeSmscOptions } from './fake-smsc.js';

const PASSWORD = 'secret';
const PHONE = '+919876543210';

const configFor = (port: number, overrides: Partial<SmppConfig> = {}): SmppConfig => ({
  host: '127.0.0.1',
  port,
  systemId: 'teeka',
  sourceAddress: 'TEEKA',
  reconnect: { initialMs: 50, maxMs: 200 },
  submitTimeoutMs: 3000,
  ...overrides,
});

// One SMSC for the contract kit: every gateway it makes binds to it, and what the SMSC decoded
// (with the library's own decoders, parts joined by their UDH) is what the kit compares.
const shared = await FakeSmsc.start({ password: PASSWORD });
test.after.always(() => shared.close());

smsGatewayContract(test, {
  plugin,
  config: configFor(shared.port),
  context: { secrets: { password: PASSWORD } },
  received: async () => shared.messages(),
  // An SMSC that never answers the bind, or refuses the connection: the send gives up after submitTimeoutMs.
  unreachable: { config: (peer) => configFor(peer.port, { submitTimeoutMs: 500 }), deadlineMs: 2000 },
});

interface Setup {
  config?: Partial<SmppConfig>;
  smsc?: FakeSmscOptions;
  context?: Partial<Omit<PluginContext<SmppConfig>, 'config' | 'logger'>>;
}

/** A fresh SMSC and a gateway bound to it (lazily), both closed when the test ends. */
async function setup(t: ExecutionContext, options: Setup = {}) {
  const smsc = await FakeSmsc.start({ password: PASSWORD, ...options.smsc });
  const context = testContext<SmppConfig>(configFor(smsc.port, options.config), {
    secrets: { password: PASSWORD },
    ...options.context,
  });
  const gateway = (await plugin.create(context)) as SmppGateway;
  t.teardown(async () => {
    await gateway.close();
    await smsc.close();
  });
  return { smsc, context, gateway };
}

/** Polls until `condition` holds; fails after `timeoutMs` so that no test can hang. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const accepted = (t: ExecutionContext, result: SendResult) => {
  t.is(result.status, 'accepted', JSON.stringify(result));
  return result.status === 'accepted' ? result : undefined;
};

test('chooses GSM-7 when every character allows it, else UCS-2, and counts parts like a phone', (t) => {
  const parts = (text: string) => planMessage(text).segments.length;
  t.is(planMessage(SAMPLE_TEXTS.ascii).dataCoding, 0);
  t.is(planMessage('@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\r\n').encoding, 'GSM-7');
  t.is(planMessage(SAMPLE_TEXTS.gsmExtension).encoding, 'GSM-7');
  for (const text of [SAMPLE_TEXTS.hindi, SAMPLE_TEXTS.arabic, SAMPLE_TEXTS.emoji, 'façade', 'escape \u001b']) {
    t.deepEqual([planMessage(text).encoding, planMessage(text).dataCoding], ['UCS-2', 8], text);
  }
  t.deepEqual([parts('a'.repeat(160)), parts('a'.repeat(161)), parts('a'.repeat(306)), parts('a'.repeat(307))], [1, 2, 2, 3]);
  t.deepEqual([parts('€'.repeat(80)), parts('€'.repeat(81))], [1, 2], 'extension characters take two septets');
  t.deepEqual([parts('क'.repeat(70)), parts('क'.repeat(71)), parts('क'.repeat(134)), parts('क'.repeat(135))], [1, 2, 2, 3]);
  t.is(parts(''), 1);
});

test('GSM-7 septets match the library encoder, and an escape is never split from its character', (t) => {
  for (const text of [SAMPLE_TEXTS.ascii, SAMPLE_TEXTS.gsmExtension, '@£$¥èéùìòÇØÅΔΦΓäöñüà§¿¡_']) {
    t.deepEqual(planMessage(text).segments[0], smpp.gsmCoder.encode(text, 0), text);
  }
  // 152 + 2 septets would overflow a 153-septet part: the € moves whole to the second part.
  const [first, second] = planMessage(`${'a'.repeat(152)}€${'b'.repeat(10)}`).segments;
  t.is(first?.length, 152);
  t.deepEqual([...(second ?? []).subarray(0, 2)], [0x1b, 0x65]);
});

test('UCS-2 parts never split a surrogate pair, so an emoji arrives whole', (t) => {
  const text = `${'a'.repeat(66)}💉${'b'.repeat(10)}🙂`;
  const { encoding, segments } = planMessage(text);
  t.is(encoding, 'UCS-2');
  t.is(segments.length, 2);
  t.is(segments[0]?.length, 66 * 2, 'the part ends before the emoji rather than in its middle');
  const decoded = segments.map((segment) => smpp.encodings.UCS2.decode(segment));
  t.is(decoded.join(''), text);
  for (const part of decoded) t.true(part.isWellFormed(), 'no lone surrogate in a part');
});

test('a Hindi or Arabic six-digit OTP arrives intact as one UCS-2 part (data_coding 8)', async (t) => {
  const { smsc, gateway } = await setup(t);
  const texts = ['आपका टीका सत्यापन कोड 482913 है। इसे किसी के साथ साझा न करें।', 'رمز التحقق الخاص بك في تيكا هو 482913. لا تشاركه مع أحد.'];
  for (const [index, text] of texts.entries()) {
    const result = accepted(t, await gateway.send({ to: PHONE, text }));
    t.is(result?.parts, 1);
    const part = smsc.parts[index];
    t.like(part, { dataCoding: 8, esmClass: 0, concat: undefined, text, destination: '919876543210' });
    t.true(part?.text.includes('482913'));
    t.is(result?.gatewayMessageId, part?.messageId);
  }
  t.deepEqual(
    smsc.messages(),
    texts.map((text) => ({ to: PHONE, text })),
  );
});

test('a 300-character ASCII text goes as two GSM-7 parts with the same concatenation reference', async (t) => {
  const { smsc, gateway } = await setup(t);
  const text = 'Reminder: your second dose is due on 14 March at the Teeka centre, Block B. '.repeat(4).slice(0, 300);
  t.is(text.length, 300);
  const result = accepted(t, await gateway.send({ to: PHONE, text }));
  t.is(result?.parts, 2);
  const [first, second] = smsc.parts;
  if (!first?.concat || !second?.concat) return t.fail('both parts carry a concatenation UDH');
  for (const [index, part] of [first, second].entries()) {
    t.is(part.dataCoding, 0);
    t.is(part.esmClass & 0x40, 0x40, 'UDH indicator set');
    t.deepEqual([...part.udh[0]!], [0x00, 0x03, first.concat.reference, 2, index + 1]);
  }
  t.is(second.concat.reference, first.concat.reference);
  t.deepEqual([first.text.length, second.text.length], [153, 147]);
  t.deepEqual([first.registeredDelivery, second.registeredDelivery], [0, 1], 'a receipt is asked for the last part only');
  t.is(result?.gatewayMessageId, second.messageId);
  t.deepEqual(smsc.messages(), [{ to: PHONE, text }]);
  // The next long message gets another reference.
  await gateway.send({ to: PHONE, text });
  t.not(smsc.parts[2]?.concat?.reference, first.concat.reference);
});

test('binds lazily as an SMPP 3.4 transceiver, keeps the session, and addresses the number internationally', async (t) => {
  const { smsc, gateway } = await setup(t);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(smsc.binds.length, 0, 'nothing happens before the first send');
  t.like(await gateway.health(), { ok: false });
  accepted(t, await gateway.send({ to: PHONE, text: 'one' }));
  accepted(t, await gateway.send({ to: PHONE, text: 'two' }));
  t.deepEqual(smsc.binds, [{ command: 'bind_transceiver', systemId: 'teeka', password: PASSWORD, systemType: '', interfaceVersion: 0x34 }]);
  t.like(smsc.parts[0], { source: 'TEEKA', sourceTon: 5, sourceNpi: 0, destination: '919876543210', destTon: 1, destNpi: 1 });
  t.like(smsc.parts[0], { registeredDelivery: 1 });
  t.deepEqual(await gateway.health(), { ok: true, detail: `bound as transceiver to 127.0.0.1:${smsc.port}` });
});

test('the bind mode, system type, sender and receipts follow the config', async (t) => {
  const { smsc, gateway } = await setup(t, {
    config: {
      bindMode: 'transmitter',
      systemType: 'OTP',
      sourceAddress: '919000000001',
      sourceTon: 1,
      sourceNpi: 1,
      requestDeliveryReceipts: false,
    },
  });
  accepted(t, await gateway.send({ to: PHONE, text: 'hello' }));
  t.like(smsc.binds[0], { command: 'bind_transmitter', systemType: 'OTP' });
  t.like(smsc.parts[0], { source: '919000000001', sourceTon: 1, sourceNpi: 1, registeredDelivery: 0 });
});

test('a wrong password is rejected at once with a clear reason, not a hang', async (t) => {
  const { smsc, gateway } = await setup(t, { config: { submitTimeoutMs: 60_000 }, context: { secrets: { password: 'wrong' } } });
  const started = Date.now();
  const result = await gateway.send({ to: PHONE, text: 'hello' });
  t.true(Date.now() - started < 30_000, 'does not wait for submitTimeoutMs');
  t.like(result, { status: 'rejected', retryable: false }, JSON.stringify(result));
  if (result.status === 'rejected') {
    t.regex(result.reason, /bind refused.*ESME_RINVPASWD/);
    t.regex(result.reason, /password/);
  }
  t.regex((await gateway.health()).detail ?? '', /ESME_RINVPASWD/);
  // Sending again at once does not hammer the SMSC with binds it will refuse.
  t.like(await gateway.send({ to: PHONE, text: 'again' }), { status: 'rejected', retryable: false });
  t.is(smsc.binds.length, 1);
  t.is(smsc.parts.length, 0);
});

test('after the SMSC drops the connection, the next send reconnects, binds again and succeeds', async (t) => {
  const { smsc, gateway } = await setup(t);
  accepted(t, await gateway.send({ to: PHONE, text: 'before' }));
  smsc.dropConnections();
  await until(async () => !(await gateway.health()).ok);
  accepted(t, await gateway.send({ to: PHONE, text: 'after' }));
  t.is(smsc.binds.length, 2);
  t.deepEqual(
    smsc.messages().map((m) => m.text),
    ['before', 'after'],
  );
});

test('an unbind from the SMSC is answered and the gateway binds again by itself', async (t) => {
  const { smsc, gateway } = await setup(t);
  accepted(t, await gateway.send({ to: PHONE, text: 'before' }));
  t.is(await smsc.request('unbind'), 0);
  await until(() => smsc.binds.length === 2 && smsc.sessions.length === 1);
  accepted(t, await gateway.send({ to: PHONE, text: 'after' }));
});

test('while the SMSC is unreachable a send waits up to submitTimeoutMs, then the gateway reconnects when it is back', async (t) => {
  const gone = await FakeSmsc.start({ password: PASSWORD });
  const port = gone.port;
  await gone.close();
  const context = testContext<SmppConfig>(configFor(port, { submitTimeoutMs: 400 }), { secrets: { password: PASSWORD } });
  const gateway = (await plugin.create(context)) as SmppGateway;
  t.teardown(() => gateway.close());

  const started = Date.now();
  const result = await gateway.send({ to: PHONE, text: 'hello' });
  const waited = Date.now() - started;
  t.like(result, { status: 'rejected', retryable: true });
  if (result.status === 'rejected') t.regex(result.reason, /not bound to the SMSC within 400 ms.*ECONNREFUSED/);
  t.true(waited >= 350 && waited < 15_000, `waited ${waited} ms`);
  // Meanwhile it kept trying, with exponential back-off (±20% jitter) capped at maxMs.
  const delays = context.logger.lines.flatMap((line) => (typeof line.fields?.retryInMs === 'number' ? [line.fields.retryInMs] : []));
  t.true(delays.length >= 3, `retries: ${delays}`);
  t.true(delays[0]! >= 40 && delays[0]! <= 50, `first retry after ${delays[0]} ms`);
  t.true(delays[1]! >= 80 && delays[1]! <= 100, `second retry after ${delays[1]} ms`);
  t.true(Math.max(...delays) <= 200, `capped: ${delays}`);

  const back = await FakeSmsc.start({ password: PASSWORD, port });
  t.teardown(() => back.close());
  accepted(t, await gateway.send({ to: PHONE, text: 'hello again' }));
  t.deepEqual(back.messages(), [{ to: PHONE, text: 'hello again' }]);
});

test('an error status is rejected with its name; throttling and full queues are retryable, a bad number is not', async (t) => {
  const { smsc, gateway } = await setup(t);
  smsc.submitStatuses.push(
    smpp.errors.ESME_RTHROTTLED!,
    smpp.errors.ESME_RMSGQFUL!,
    smpp.errors.ESME_RSYSERR!,
    smpp.errors.ESME_RINVDSTADR!,
  );
  t.deepEqual(await gateway.send({ to: PHONE, text: 'a' }), { status: 'rejected', reason: 'ESME_RTHROTTLED', retryable: true });
  t.deepEqual(await gateway.send({ to: PHONE, text: 'b' }), { status: 'rejected', reason: 'ESME_RMSGQFUL', retryable: true });
  t.deepEqual(await gateway.send({ to: PHONE, text: 'c' }), { status: 'rejected', reason: 'ESME_RSYSERR', retryable: true });
  t.deepEqual(await gateway.send({ to: PHONE, text: 'd' }), { status: 'rejected', reason: 'ESME_RINVDSTADR', retryable: false });
  accepted(t, await gateway.send({ to: PHONE, text: 'e' }));
  t.is(smsc.binds.length, 1, 'a rejected submit does not cost the session');
  t.is(statusName(0x58), 'ESME_RTHROTTLED');
  t.is(statusName(0x400), 'ESME_0x00000400');
  t.false(isRetryableStatus(0x400), 'an unknown vendor status is taken as permanent');
});

test('an SMSC that says we are not bound (ESME_RINVBNDSTS) gets a new bind before the next send', async (t) => {
  const { smsc, gateway } = await setup(t);
  smsc.submitStatuses.push(smpp.errors.ESME_RINVBNDSTS!);
  t.deepEqual(await gateway.send({ to: PHONE, text: 'a' }), { status: 'rejected', reason: 'ESME_RINVBNDSTS', retryable: true });
  accepted(t, await gateway.send({ to: PHONE, text: 'b' }));
  t.is(smsc.binds.length, 2);
});

test('a multipart message rejected midway is rejected as a whole', async (t) => {
  const { smsc, gateway } = await setup(t);
  smsc.submitStatuses.push(0, smpp.errors.ESME_RTHROTTLED!);
  const result = await gateway.send({ to: PHONE, text: 'x'.repeat(400) });
  t.deepEqual(result, { status: 'rejected', reason: 'ESME_RTHROTTLED', retryable: true });
  t.is(smsc.parts.length, 2, 'the third part is not sent after the second was refused');
});

test('no submit_sm_resp within submitTimeoutMs is a retryable rejection', async (t) => {
  const { smsc, gateway } = await setup(t, { config: { submitTimeoutMs: 400 } });
  smsc.silent = true;
  const started = Date.now();
  const result = await gateway.send({ to: PHONE, text: 'hello' });
  t.true(Date.now() - started < 15_000, 'gave up instead of waiting');
  t.like(result, { status: 'rejected', retryable: true });
  if (result.status === 'rejected') t.regex(result.reason, /^timeout/);
});

test('a delivery receipt is stored, reported to core and acknowledged', async (t) => {
  const { smsc, gateway, context } = await setup(t);
  const sent = accepted(t, await gateway.send({ to: PHONE, text: SAMPLE_TEXTS.ascii }));
  const id = sent?.gatewayMessageId ?? '';

  t.is(await smsc.sendReceipt(id, 'DELIVRD'), 0, 'deliver_sm_resp ESME_ROK');
  const [receipt] = await gateway.receipts();
  t.like(receipt, { gatewayMessageId: id, status: 'DELIVRD', error: '000' });
  t.false(Number.isNaN(Date.parse(receipt?.at ?? '')));
  const stored = await context.storage.list<DeliveryReceipt>(RECEIPTS_COLLECTION);
  t.deepEqual(
    stored.map((record) => record.data),
    [receipt],
  );
  t.deepEqual(context.deliveryReports, [{ gatewayMessageId: id, status: 'delivered', detail: 'DELIVRD' }]);

  // TLVs (receipted_message_id, message_state 5 = UNDELIVERABLE) without any text.
  const other = accepted(t, await gateway.send({ to: PHONE, text: 'second' }));
  t.is(await smsc.deliver({ esm_class: 0x04, receipted_message_id: other?.gatewayMessageId, message_state: 5 }), 0);
  // A state that is not final is kept but not reported.
  t.is(await smsc.sendReceipt(id, 'ENROUTE'), 0);
  // A message from a phone is acknowledged and ignored.
  t.is(await smsc.deliver({ source_addr: '919876543210', destination_addr: 'TEEKA', esm_class: 0, short_message: 'STOP' }), 0);

  t.deepEqual(
    (await gateway.receipts()).map((r) => [r.gatewayMessageId, r.status]),
    [
      [id, 'ENROUTE'],
      [other?.gatewayMessageId, 'UNDELIV'],
      [id, 'DELIVRD'],
    ],
  );
  t.is((await gateway.receipts(1)).length, 1);
  t.deepEqual(await gateway.receipts(0), []);
  t.deepEqual(context.deliveryReports.at(-1), { gatewayMessageId: other?.gatewayMessageId, status: 'failed', detail: 'UNDELIV' });
  t.is(context.deliveryReports.length, 2);
});

test('a receipt that cannot be stored is answered with a temporary error, so the SMSC sends it again', async (t) => {
  const storage = memoryStorage();
  storage.append = async () => {
    throw new Error('database unavailable');
  };
  const { smsc, gateway } = await setup(t, { context: { storage } });
  accepted(t, await gateway.send({ to: PHONE, text: 'hello' }));
  t.is(await smsc.sendReceipt(smsc.parts[0]!.messageId, 'DELIVRD'), smpp.errors.ESME_RX_T_APPN);
});

test('parseReceipt reads the TLVs or the receipt text, and gives up on anything else', (t) => {
  const text = (message: string) => ({ short_message: { message } });
  t.deepEqual(
    parseReceipt(text('id:0123456789 sub:001 dlvrd:001 submit date:2411231200 done date:2411231201 stat:UNDELIV err:034 text:hi')),
    {
      gatewayMessageId: '0123456789',
      status: 'UNDELIV',
      error: '034',
    },
  );
  t.deepEqual(parseReceipt(text('ID:abc STAT:delivered')), { gatewayMessageId: 'abc', status: 'DELIVRD' });
  t.deepEqual(parseReceipt({ receipted_message_id: 'f00', message_state: 2, short_message: { message: '' } }), {
    gatewayMessageId: 'f00',
    status: 'DELIVRD',
  });
  for (const garbage of [{}, text('hello'), text('id:123'), text('stat:DELIVRD'), { short_message: 42 }, { message_state: 'x' }]) {
    t.is(parseReceipt(garbage), undefined);
  }
});

test('sends enquire_link while bound and answers the SMSC’s own', async (t) => {
  const { smsc, gateway } = await setup(t, { config: { enquireLinkSeconds: 1 } });
  accepted(t, await gateway.send({ to: PHONE, text: 'hello' }));
  await until(() => smsc.enquireLinks >= 1, 2500);
  t.is(await smsc.request('enquire_link'), 0);
  t.is(smsc.binds.length, 1);
});

test('a link that stops answering enquire_link is replaced by a new session', async (t) => {
  const { smsc, gateway } = await setup(t, { config: { enquireLinkSeconds: 1, submitTimeoutMs: 500 } });
  accepted(t, await gateway.send({ to: PHONE, text: 'hello' }));
  smsc.answerEnquireLinks = false;
  await until(() => smsc.binds.length === 2, 4000);
  smsc.answerEnquireLinks = true;
  accepted(t, await gateway.send({ to: PHONE, text: 'still here' }));
});

test('close unbinds and closes; later sends are rejected and close can be called again', async (t) => {
  const { smsc, gateway } = await setup(t);
  accepted(t, await gateway.send({ to: PHONE, text: 'hello' }));
  await gateway.close();
  t.is(smsc.unbinds, 1);
  await until(() => smsc.sessions.length === 0);
  t.deepEqual(await gateway.health(), { ok: false, detail: 'closed' });
  t.like(await gateway.send({ to: PHONE, text: 'late' }), { status: 'rejected', retryable: true });
  await t.notThrowsAsync(() => gateway.close());
});

test('close leaves nothing behind: a process that used the gateway exits by itself', async (t) => {
  const script = fileURLToPath(new URL('./fixtures/exit-after-close.js', import.meta.url));
  const started = Date.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [script], { timeout: 8000 }, (_error, stdout, stderr) => {
      resolve({ code: child.exitCode, stdout, stderr });
    });
  });
  t.is(code, 0, `the process exits on its own (stderr: ${stderr})`);
  t.true(Date.now() - started < 8000);
  t.deepEqual(JSON.parse(stdout.trim()), { first: 'accepted', afterDrop: 'accepted', receipts: 1, unreachable: 'rejected' });
});

test('rejects malformed messages and over-long texts without contacting the SMSC', async (t) => {
  const { smsc, gateway } = await setup(t);
  const bad = [
    { to: undefined, text: 'x' },
    { to: PHONE, text: undefined },
    { to: 'not a number', text: 'x' },
    { to: '+91 98765', text: 'x' },
  ] as unknown as { to: string; text: string }[];
  for (const message of bad) t.like(await gateway.send(message), { status: 'rejected', retryable: false });
  const tooLong = await gateway.send({ to: PHONE, text: 'a'.repeat(256 * 153) });
  t.like(tooLong, { status: 'rejected', retryable: false });
  if (tooLong.status === 'rejected') t.regex(tooLong.reason, /too long: 256 parts/);
  t.is(smsc.binds.length, 0);
});

test('never logs the phone number, the text or the password', async (t) => {
  const { smsc, gateway, context } = await setup(t);
  const otp = 'Your Teeka code is 482913. Do not share it.';
  const sent = accepted(t, await gateway.send({ to: PHONE, text: otp, reference: 'otp-7' }));
  await gateway.send({ to: PHONE, text: SAMPLE_TEXTS.longHindi });
  smsc.submitStatuses.push(smpp.errors.ESME_RINVDSTADR!);
  await gateway.send({ to: PHONE, text: otp });
  await smsc.sendReceipt(sent?.gatewayMessageId ?? '', 'DELIVRD');
  smsc.dropConnections();
  await until(async () => !(await gateway.health()).ok);
  accepted(t, await gateway.send({ to: PHONE, text: otp }));
  await gateway.close();

  t.true(context.logger.lines.length >= 5, 'it logs what happens');
  const logged = JSON.stringify(context.logger.lines);
  t.true(logged.includes(sent?.gatewayMessageId ?? '-'), 'message ids are logged');
  for (const secret of [PHONE, '9876543210', otp, '482913', SAMPLE_TEXTS.longHindi.slice(0, 12), PASSWORD, 'Your Teeka code']) {
    t.false(logged.includes(secret), `log contains ${secret}`);
  }
});

test('the manifest passes the SDK manifest schema, and its config schema fills the same defaults as the code', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    teeka: PluginManifest;
    dependencies: Record<string, string>;
  };
  const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
  t.true(ajv.validate(manifestSchema, pkg.teeka), ajv.errorsText());
  t.is(pkg.teeka.id, 'smpp');
  t.is(pkg.teeka.kind, plugin.kind);
  t.is(pkg.teeka.apiVersion, PLUGIN_API_VERSION);
  t.deepEqual(pkg.teeka.countries, ['*']);
  t.deepEqual(pkg.teeka.secrets, ['password']);
  t.falsy(pkg.teeka.developmentOnly);
  t.is(pkg.dependencies.smpp, '0.5.1');

  const validate = ajv.compile(pkg.teeka.configSchema ?? {});
  const minimal: Record<string, unknown> = { host: 'smsc.example.net', port: 2775, systemId: 'teeka', sourceAddress: 'TEEKA' };
  t.true(validate(minimal), ajv.errorsText(validate.errors));
  t.deepEqual(
    minimal,
    resolveConfig(minimal as unknown as SmppConfig) as unknown as Record<string, unknown>,
    'schema defaults = code defaults',
  );

  const ok = { host: 'h', port: 1, systemId: 's', sourceAddress: 'X' };
  t.false(validate({}), 'host, port, systemId and sourceAddress are required');
  for (const wrong of [
    { ...ok, password: 'in config' },
    { ...ok, port: 0 },
    { ...ok, port: 70000 },
    { ...ok, bindMode: 'receiver' },
    { ...ok, systemId: 'x'.repeat(16) },
    { ...ok, reconnect: { initialMs: 500, factor: 2 } },
    { ...ok, submitTimeoutMs: 10 },
    { ...ok, sourceTon: 7 },
  ]) {
    t.false(validate(wrong), JSON.stringify(wrong));
  }
});

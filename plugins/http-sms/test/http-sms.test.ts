import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { manifestSchema, PLUGIN_API_VERSION, type PluginManifest, type SendResult } from '@teeka/plugin-sdk';
import { memoryStorage, SAMPLE_TEXTS, smsGatewayContract, testContext } from '@teeka/plugin-sdk/testing';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import test, { type ExecutionContext, type TestFn } from 'ava';
import plugin, {
  compileConfig,
  compileTemplate,
  type HttpSmsConfig,
  type HttpSmsGateway,
  PLACEHOLDERS,
  RECEIPTS_COLLECTION,
  type ReceiptRecord,
  SECRET_NAMES,
  smsParts,
  valueAt,
} from '../src/index.js';

// ajv-formats is CommonJS with a default export; under nodenext it arrives one level deep (as in core).
type AddFormats = <T>(ajv: T) => T;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

// ---------------------------------------------------------------------------------------------
// A real HTTP server on 127.0.0.1 playing four kinds of gateway. It decodes every request the way
// the real API would (JSON, form fields, query string) and keeps what it decoded.

const PHONE = '+919876543210';
const INVALID_PHONE = '+254700000000'; // the Africa's Talking-like route answers InvalidPhoneNumber
const TWILIO_ACCOUNT = 'AC0123456789';
const SECRETS = {
  apiKey: 'sk_live_Z9x8C7v6B5n4',
  basicAuth: Buffer.from(`${TWILIO_ACCOUNT}:tw-auth-token-5f4e3d2c`).toString('base64'),
  accountId: 'teeka-sandbox-account',
};

interface Seen {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  query: Record<string, string>;
  fields: Record<string, unknown>;
  rawBody: string;
  /** The number in the id the server answered with. */
  n: number;
  to?: string;
  text?: string;
}

const seen: Seen[] = [];
const slowTimers = new Set<NodeJS.Timeout>();
let counter = 0;

const server: Server = createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const type = request.headers['content-type'] ?? '';
  let fields: Record<string, unknown> = {};
  if (type.startsWith('application/json')) fields = JSON.parse(rawBody) as Record<string, unknown>;
  else if (type.startsWith('application/x-www-form-urlencoded')) fields = Object.fromEntries(new URLSearchParams(rawBody));
  const record: Seen = {
    path: url.pathname,
    method: request.method ?? '',
    headers: request.headers,
    query: Object.fromEntries(url.searchParams),
    fields,
    rawBody,
    n: ++counter,
  };
  seen.push(record);
  const { n } = record;
  const json = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  if (url.pathname === `/twilio/2010-04-01/Accounts/${TWILIO_ACCOUNT}/Messages.json`) {
    if (request.headers.authorization !== `Basic ${SECRETS.basicAuth}`) return json(401, { code: 20003, message: 'Authenticate' });
    record.to = String(fields.To);
    record.text = String(fields.Body);
    return json(201, { sid: `SM${n}`, status: 'queued', to: fields.To });
  }
  if (url.pathname === '/at/version1/messaging') {
    if (request.headers.apikey !== SECRETS.apiKey || fields.username !== SECRETS.accountId)
      return json(401, 'The supplied authentication is invalid');
    record.to = String(fields.to);
    record.text = String(fields.message);
    const recipient =
      fields.to === INVALID_PHONE
        ? { statusCode: 403, number: fields.to, status: 'InvalidPhoneNumber', cost: '0', messageId: 'None' }
        : { statusCode: 101, number: fields.to, status: 'Success', cost: 'KES 0.8000', messageId: `ATXid_${n}` };
    return json(201, { SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [recipient] } });
  }
  if (url.pathname === '/json/send') {
    if (request.headers.authorization !== `Bearer ${SECRETS.apiKey}`) return json(401, { error: 'unauthorised' });
    record.to = String(fields.to);
    record.text = String(fields.message);
    return json(200, { messages: [{ id: `json-${n}`, status: 'queued' }] });
  }
  if (url.pathname === '/kannel/cgi-bin/sendsms') {
    if (record.query.password !== SECRETS.apiKey) return response.writeHead(403).end('Authorization failed for sendsms');
    record.to = `+${record.query.to}`;
    record.text = record.query.text;
    return response.writeHead(202, { 'content-type': 'text/plain' }).end('0: Accepted for delivery');
  }
  // /answer?status=503&json={...}: answers whatever the test asks for.
  if (url.pathname === '/answer') {
    const status = Number(url.searchParams.get('status') ?? 200);
    const body = url.searchParams.get('json') ?? url.searchParams.get('text') ?? '';
    return response.writeHead(status, { 'content-type': url.searchParams.has('json') ? 'application/json' : 'text/plain' }).end(body);
  }
  if (url.pathname === '/slow') {
    const timer = setTimeout(() => {
      slowTimers.delete(timer);
      json(200, { sid: 'too-late' });
    }, 60_000);
    slowTimers.add(timer);
    return;
  }
  response.writeHead(404).end();
});

// Started before any test is declared: AVA starts running on the tick after the first declaration.
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const BASE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

test.after.always(() => {
  for (const timer of slowTimers) clearTimeout(timer);
  server.closeAllConnections();
  server.close();
});

const seenOn = (prefix: string) => seen.filter((s) => s.path.startsWith(prefix));
const seenWith = (text: string) => seen.filter((s) => s.text === text);

// ---------------------------------------------------------------------------------------------
// Configs in the styles of real gateways.

/** Twilio-like: form body To/From/Body, Basic auth, the message SID in `sid`. */
const TWILIO: HttpSmsConfig = {
  url: `${BASE}/twilio/2010-04-01/Accounts/${TWILIO_ACCOUNT}/Messages.json`,
  method: 'POST',
  headers: { Authorization: 'Basic {{secret.basicAuth}}' },
  bodyFormat: 'form',
  body: { To: '{{to}}', From: 'TEEKA', Body: '{{text}}' },
  success: { statuses: [201], messageIdPath: 'sid' },
  deliveryReport: {
    idPath: 'MessageSid',
    statusPath: 'MessageStatus',
    deliveredValues: ['delivered'],
    failedValues: ['failed', 'undelivered'],
  },
};

/** Africa's Talking-like: form body username/to/message, apiKey header, a failure reported with 201. */
const AFRICAS_TALKING: HttpSmsConfig = {
  url: `${BASE}/at/version1/messaging`,
  headers: { apiKey: '{{secret.apiKey}}', Accept: 'application/json' },
  bodyFormat: 'form',
  body: { username: '{{secret.accountId}}', to: '{{to}}', message: '{{text}}' },
  success: {
    statuses: [201],
    messageIdPath: 'SMSMessageData.Recipients.0.messageId',
    rejectWhen: { path: 'SMSMessageData.Recipients.0.status', notEquals: 'Success' },
  },
  deliveryReport: { idPath: 'id', statusPath: 'status', deliveredValues: ['Success'], failedValues: ['Failed', 'Rejected'] },
};

/** A JSON API with a bearer token and the message id in an array. */
const JSON_API: HttpSmsConfig = {
  url: `${BASE}/json/send`,
  headers: { Authorization: 'Bearer {{secret.apiKey}}', 'X-Teeka-Reference': '{{reference}}' },
  bodyFormat: 'json',
  body: { to: '{{to}}', message: '{{text}}', ref: '{{reference}}' },
  success: { messageIdPath: 'messages.0.id' },
};

/** Kannel-like: GET with everything in the query string, plain-text answer, no message id. */
const KANNEL: HttpSmsConfig = {
  url: `${BASE}/kannel/cgi-bin/sendsms?smsc=teeka`,
  method: 'GET',
  query: { username: 'teeka', password: '{{secret.apiKey}}', to: '{{toNoPlus}}', text: '{{text}}', charset: 'UTF-8', coding: '2' },
  success: { statuses: [202] },
};

/** `test` with a prefix on every title, so the contract can run once per config in one file. */
const titled = (prefix: string): TestFn =>
  new Proxy(test, {
    apply: (target, self, [title, ...rest]: unknown[]) => Reflect.apply(target, self, [`${prefix}: ${String(title)}`, ...rest]),
  });

for (const [name, config, prefix] of [
  ['Twilio-like form', TWILIO, '/twilio/'],
  ["Africa's Talking-like form", AFRICAS_TALKING, '/at/'],
  ['JSON API', JSON_API, '/json/'],
  ['Kannel-like GET', KANNEL, '/kannel/'],
] as const) {
  smsGatewayContract(titled(name), {
    plugin,
    config,
    context: { secrets: SECRETS },
    received: async () => seenOn(prefix).map(({ to = '', text = '' }) => ({ to, text })),
    unreachable: { config: (peer) => ({ ...config, url: peer.url, timeoutMs: 300 }), deadlineMs: 2000 },
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

const make = (config: HttpSmsConfig, overrides: Parameters<typeof testContext<HttpSmsConfig>>[1] = {}) => {
  const context = testContext<HttpSmsConfig>(config, { secrets: SECRETS, ...overrides });
  const gateway = plugin.create(context) as HttpSmsGateway;
  return { context, gateway };
};

/** A config answering from /answer with the given status and JSON. */
const answering = (
  status: number,
  json: unknown,
  success: HttpSmsConfig['success'] = {},
  more: Partial<HttpSmsConfig> = {},
): HttpSmsConfig => ({
  url: `${BASE}/answer?status=${status}&json=${encodeURIComponent(JSON.stringify(json))}`,
  bodyFormat: 'json',
  body: { to: '{{to}}', message: '{{text}}' },
  success,
  ...more,
});

let unique = 0;
const uniqueText = (label: string) => `${label} ${++unique} आपका कोड 482913 है`;

/** Nothing sensitive in the logs or the results: no number, no text, no secret. */
function assertNothingSensitive(t: ExecutionContext, lines: unknown, texts: string[], results: unknown[] = []) {
  const logged = JSON.stringify(lines);
  const returned = JSON.stringify(results);
  for (const secret of Object.values(SECRETS)) {
    t.false(logged.includes(secret), 'a secret was logged');
    t.false(returned.includes(secret), 'a secret is in a result');
  }
  for (const haystack of [logged, returned]) {
    t.false(haystack.includes('9876543210'), 'the phone number leaked');
    t.false(haystack.includes('482913'), 'the text leaked');
    for (const text of texts) t.false(haystack.includes(text), 'the text leaked');
  }
}

// ---------------------------------------------------------------------------------------------
// Sending

test('applies header and auth templates and secrets; logs hold no number, text or secret', async (t) => {
  const results: SendResult[] = [];
  const texts: string[] = [];
  for (const config of [TWILIO, AFRICAS_TALKING, JSON_API, KANNEL]) {
    const { context, gateway } = make(config);
    const text = uniqueText('auth');
    texts.push(text);
    const result = await gateway.send({ to: PHONE, text, reference: `ref-${unique}` });
    results.push(result);
    t.is(result.status, 'accepted', config.url);
    const [request] = seenWith(text);
    t.truthy(request, config.url);
    if (!request) continue;
    t.is(request.to, PHONE);
    if (config === TWILIO) {
      t.is(request.headers.authorization, `Basic ${SECRETS.basicAuth}`);
      t.is(request.headers['content-type'], 'application/x-www-form-urlencoded');
      t.deepEqual(request.fields, { To: PHONE, From: 'TEEKA', Body: text });
    } else if (config === AFRICAS_TALKING) {
      t.is(request.headers.apikey, SECRETS.apiKey);
      t.is(request.headers.accept, 'application/json');
      t.is(request.fields.username, SECRETS.accountId);
    } else if (config === JSON_API) {
      t.is(request.headers.authorization, `Bearer ${SECRETS.apiKey}`);
      t.is(request.headers['x-teeka-reference'], `ref-${unique}`);
      t.is(request.headers['content-type'], 'application/json');
      t.deepEqual(request.fields, { to: PHONE, message: text, ref: `ref-${unique}` });
    } else {
      t.is(request.method, 'GET');
      t.is(request.rawBody, '');
      t.deepEqual(request.query, {
        smsc: 'teeka',
        username: 'teeka',
        password: SECRETS.apiKey,
        to: '919876543210',
        text,
        charset: 'UTF-8',
        coding: '2',
      });
    }
    t.true(context.logger.lines.some((line) => line.message === 'SMS accepted by the HTTP gateway'));
    assertNothingSensitive(t, context.logger.lines, texts, results);
  }
});

test('rejections log no number, text or secret either', async (t) => {
  const text = uniqueText('rejected');
  for (const config of [
    answering(400, { error: text, to: PHONE }),
    answering(503, {}),
    { ...TWILIO, url: `${BASE}/slow`, timeoutMs: 150 },
  ]) {
    const { context, gateway } = make(config);
    const result = await gateway.send({ to: PHONE, text, reference: 'ref-r' });
    t.is(result.status, 'rejected');
    t.true(context.logger.lines.some((line) => line.level === 'warn' && line.message === 'SMS rejected by the HTTP gateway'));
    assertNothingSensitive(t, context.logger.lines, [text], [result]);
  }
});

test('a missing secret is sent as empty and named (never valued) in a warning', async (t) => {
  const { context, gateway } = make(TWILIO, { secrets: { apiKey: SECRETS.apiKey } });
  t.like(context.logger.lines[0], { level: 'warn', fields: { secrets: ['basicAuth'] } });
  const result = await gateway.send({ to: PHONE, text: uniqueText('no secret') });
  // The Twilio-like server checks the credentials, so an empty one is a final 401.
  t.like(result, { status: 'rejected', reason: 'the gateway answered HTTP 401', retryable: false });
  assertNothingSensitive(t, context.logger.lines, []);
});

test('json bodies carry values as JSON strings: quotes, backslashes and braces stay text', async (t) => {
  const text = `"}, "admin": true, "x": "{{secret.apiKey}} \\" \u0000 ${uniqueText('json')}`;
  const { gateway } = make(JSON_API);
  t.is((await gateway.send({ to: PHONE, text, reference: 'r"1' })).status, 'accepted');
  const [request] = seenWith(text);
  t.deepEqual(request?.fields, { to: PHONE, message: text, ref: 'r"1' }, 'no field added, no placeholder expanded in the text');
});

test('form bodies and query strings URL-encode values: & = + # % stay text', async (t) => {
  const text = `a&To=+15550000000&Body=x=y%20+ #1 100% ${uniqueText('form')}`;
  for (const config of [TWILIO, KANNEL]) {
    const { gateway } = make(config);
    t.is((await gateway.send({ to: PHONE, text })).status, 'accepted');
  }
  const requests = seenWith(text);
  t.is(requests.length, 2);
  t.deepEqual(requests[0]?.fields, { To: PHONE, From: 'TEEKA', Body: text });
  t.is(requests[1]?.query.to, '919876543210');
  t.is(requests[1]?.query.smsc, 'teeka', "the URL's own query is kept");
});

test('a Content-Type in the config wins over the default', async (t) => {
  const { gateway } = make({ ...JSON_API, headers: { ...JSON_API.headers, 'content-type': 'application/json; charset=utf-8' } });
  const text = uniqueText('content type');
  t.is((await gateway.send({ to: PHONE, text })).status, 'accepted');
  t.is(seenWith(text)[0]?.headers['content-type'], 'application/json; charset=utf-8');
});

test('a 503 is rejected as retryable, a 400 as final, and retryableStatuses decides', async (t) => {
  const cases: [HttpSmsConfig, boolean][] = [
    [answering(503, { message: 'busy' }), true],
    [answering(429, {}), true],
    [answering(500, {}), true],
    [answering(400, { code: 21211 }), false],
    [answering(401, {}), false],
    [answering(404, {}), false],
    [answering(400, {}, {}, { retryableStatuses: [400] }), true],
    [answering(503, {}, {}, { retryableStatuses: [] }), false],
    // A 200 that the config does not list as success is not accepted.
    [answering(200, { sid: 'SM1' }, { statuses: [201] }), false],
  ];
  for (const [config, retryable] of cases) {
    const { gateway } = make(config);
    const result = await gateway.send({ to: PHONE, text: 'hello' });
    const status = new URL(config.url).searchParams.get('status');
    t.deepEqual(result, { status: 'rejected', reason: `the gateway answered HTTP ${status}`, retryable }, config.url);
  }
});

test('a gateway slower than timeoutMs is rejected as retryable, quickly', async (t) => {
  const { gateway } = make({ ...TWILIO, url: `${BASE}/slow`, timeoutMs: 300 });
  const started = Date.now();
  const result = await gateway.send({ to: PHONE, text: 'hello' });
  const elapsed = Date.now() - started;
  t.deepEqual(result, { status: 'rejected', reason: 'the gateway did not answer within 300 ms', retryable: true });
  t.true(elapsed >= 250 && elapsed < 30_000, `took ${elapsed} ms`);
});

test('an unreachable gateway is rejected as retryable', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const { gateway } = make({ ...TWILIO, url: `http://127.0.0.1:${port}/send` });
  t.deepEqual(await gateway.send({ to: PHONE, text: 'hello' }), {
    status: 'rejected',
    reason: 'could not reach the gateway (ECONNREFUSED)',
    retryable: true,
  });
});

test('a failure reported with a success status is rejected by rejectWhen', async (t) => {
  const rule = { path: 'status', equals: 'failed' };
  const failed = await make(answering(200, { status: 'failed', sid: 'x1' }, { rejectWhen: rule })).gateway.send({ to: PHONE, text: 'hi' });
  t.deepEqual(failed, {
    status: 'rejected',
    reason: 'the gateway answered HTTP 200 but reported a failure (status is "failed")',
    retryable: false,
  });
  const queued = await make(answering(200, { status: 'queued' }, { rejectWhen: rule })).gateway.send({
    to: PHONE,
    text: 'hi',
    reference: 'r1',
  });
  t.deepEqual(queued, { status: 'accepted', gatewayMessageId: 'r1', parts: 1 });

  // A list of values, compared as text (the number 1 matches "1"), and retryable when told.
  const list = { path: 'result.code', equals: ['1', 'throttled'], retryable: true };
  t.like(await make(answering(200, { result: { code: 1 } }, { rejectWhen: list })).gateway.send({ to: PHONE, text: 'hi' }), {
    status: 'rejected',
    retryable: true,
  });
  t.like(await make(answering(200, { result: { code: 0 } }, { rejectWhen: list })).gateway.send({ to: PHONE, text: 'hi' }), {
    status: 'accepted',
  });

  // notEquals: anything but the success value (a missing value or a non-JSON answer included) is a failure.
  const { gateway } = make(AFRICAS_TALKING);
  t.deepEqual(await gateway.send({ to: INVALID_PHONE, text: 'hi' }), {
    status: 'rejected',
    reason: 'the gateway answered HTTP 201 but reported a failure (SMSMessageData.Recipients.0.status is not "Success")',
    retryable: false,
  });
  const notSuccess = { path: 'status', notEquals: 'Success' };
  for (const answer of [{}, { status: 'Queued' }, 'not json', []]) {
    t.like(await make(answering(200, answer, { rejectWhen: notSuccess })).gateway.send({ to: PHONE, text: 'hi' }), { status: 'rejected' });
  }
});

test('extracts the message id by dotted path, else uses the reference', async (t) => {
  for (const [config, prefix] of [
    [TWILIO, 'SM'],
    [AFRICAS_TALKING, 'ATXid_'],
    [JSON_API, 'json-'],
  ] as const) {
    const text = uniqueText('id');
    const result = await make(config).gateway.send({ to: PHONE, text });
    t.like(result, { status: 'accepted', gatewayMessageId: `${prefix}${seenWith(text)[0]?.n}` }, config.url);
  }

  const id = async (answer: unknown, path: string) =>
    make(answering(200, answer, { messageIdPath: path })).gateway.send({ to: PHONE, text: 'hi' });
  t.like(await id({ data: { messages: [{}, { id: 'second' }] } }, 'data.messages.1.id'), { gatewayMessageId: 'second' });
  t.like(await id({ id: 12345 }, 'id'), { status: 'accepted', gatewayMessageId: '12345' }, 'a numeric id becomes a string');
  t.like(await id({ 'message-id': '  m-1  ' }, 'message-id'), { gatewayMessageId: 'm-1' });
  // A success answer without an id there: rejected, final, and the reason says where it looked.
  for (const answer of [{ sid: null }, { sid: '' }, { sid: { nested: true } }, {}, [], 'SM1', { sids: ['SM1'] }]) {
    t.deepEqual(await id(answer, 'sid'), {
      status: 'rejected',
      reason: 'the gateway answered HTTP 200 without a message id at "sid"; it may have sent the message, check config.success',
      retryable: false,
    });
  }
  // No messageIdPath: the reference, or a fresh id when there is none.
  const { gateway: kannel } = make(KANNEL);
  t.deepEqual(await kannel.send({ to: PHONE, text: 'hi', reference: 'msg-77' }), {
    status: 'accepted',
    gatewayMessageId: 'msg-77',
    parts: 1,
  });
  const fresh = await kannel.send({ to: PHONE, text: 'hi' });
  t.regex(fresh.status === 'accepted' ? fresh.gatewayMessageId : '', /^[0-9a-f-]{36}$/);
});

test('valueAt reads own properties and array indexes only, and never throws', (t) => {
  const data = { a: { b: [{ c: 'x' }, 7] }, 'dotted.key': 1 };
  t.is(valueAt(data, ['a', 'b', '0', 'c']), 'x');
  t.is(valueAt(data, ['a', 'b', '1']), 7);
  t.is(valueAt(data, ['a', 'b', '01']), undefined);
  t.is(valueAt(data, ['a', 'b', '-1']), undefined);
  t.is(valueAt(data, ['a', 'b', 'length']), undefined);
  t.is(valueAt(data, ['a', 'constructor']), undefined);
  t.is(valueAt(data, ['__proto__']), undefined);
  t.is(valueAt(data, ['a', 'toString']), undefined);
  t.is(valueAt('text', ['length']), undefined);
  t.is(valueAt(null, ['a']), undefined);
  const hostile = new Proxy(
    {},
    {
      getOwnPropertyDescriptor: () => {
        throw new Error('boom');
      },
    },
  );
  t.is(valueAt(hostile, ['a']), undefined);
});

test('counts parts: 160 GSM-7 / 70 UCS-2 in one SMS, else 153 / 67 per part', (t) => {
  t.deepEqual(smsParts(''), { encoding: 'GSM-7', parts: 1 });
  t.deepEqual(smsParts('a'.repeat(160)), { encoding: 'GSM-7', parts: 1 });
  t.deepEqual(smsParts('a'.repeat(161)), { encoding: 'GSM-7', parts: 2 });
  t.deepEqual(smsParts('a'.repeat(306)), { encoding: 'GSM-7', parts: 2 });
  t.deepEqual(smsParts('a'.repeat(307)), { encoding: 'GSM-7', parts: 3 });
  t.deepEqual(smsParts('क'.repeat(70)), { encoding: 'UCS-2', parts: 1 });
  t.deepEqual(smsParts('क'.repeat(71)), { encoding: 'UCS-2', parts: 2 });
  t.deepEqual(smsParts('क'.repeat(134)), { encoding: 'UCS-2', parts: 2 });
  t.deepEqual(smsParts('क'.repeat(135)), { encoding: 'UCS-2', parts: 3 });
  // Extension characters take two septets; emoji outside the BMP take two UTF-16 units.
  t.deepEqual(smsParts('€'.repeat(80)), { encoding: 'GSM-7', parts: 1 });
  t.deepEqual(smsParts('€'.repeat(81)), { encoding: 'GSM-7', parts: 2 });
  t.deepEqual(smsParts('💉'.repeat(35)), { encoding: 'UCS-2', parts: 1 });
  t.deepEqual(smsParts('💉'.repeat(36)), { encoding: 'UCS-2', parts: 2 });
  // The GSM basic set (accented capitals, Greek) stays GSM-7; one other character makes it UCS-2.
  t.is(smsParts('£¥èéùìòÇØÅΔΦΓäöñüà@§¿¡').encoding, 'GSM-7');
  t.deepEqual(smsParts(`${'a'.repeat(100)}ç`), { encoding: 'UCS-2', parts: 2 });
  t.is(smsParts(SAMPLE_TEXTS.gsmExtension).encoding, 'GSM-7');
  t.is(smsParts(SAMPLE_TEXTS.arabic).encoding, 'UCS-2');
  // A part never splits an escape sequence or a surrogate pair, so the count can exceed length / 153.
  t.is(smsParts(`${'a'.repeat(152)}€${'a'.repeat(152)}`).parts, 3);
  t.is(smsParts(`${'क'.repeat(66)}💉${'क'.repeat(66)}`).parts, 3);
  // Nor a grapheme: क्ष (three UTF-16 units) or CR LF stay in one part.
  t.is(smsParts(`${'क'.repeat(66)}क्ष${'क'.repeat(65)}`).parts, 3);
  t.is(smsParts(`${'a'.repeat(152)}\r\n${'a'.repeat(152)}`).parts, 3);
  t.is(smsParts(`${'a'.repeat(152)}\n\n${'a'.repeat(152)}`).parts, 2);
});

test('send reports the parts of long texts', async (t) => {
  const { gateway } = make(KANNEL);
  for (const text of [SAMPLE_TEXTS.ascii, SAMPLE_TEXTS.long, SAMPLE_TEXTS.longHindi, SAMPLE_TEXTS.emoji]) {
    t.like(await gateway.send({ to: PHONE, text }), { status: 'accepted', parts: smsParts(text).parts });
  }
  t.true(smsParts(SAMPLE_TEXTS.long).parts > 1 && smsParts(SAMPLE_TEXTS.longHindi).parts > 1);
});

test('a malformed message, or a text a header cannot carry, is rejected without a request', async (t) => {
  const before = seen.length;
  const { gateway } = make(JSON_API);
  t.deepEqual(await gateway.send({ to: PHONE, text: undefined } as unknown as { to: string; text: string }), {
    status: 'rejected',
    reason: 'message needs a string `to` and `text`',
    retryable: false,
  });
  const inHeader = make({ ...JSON_API, headers: { ...JSON_API.headers, 'X-Text': '{{text}}' } });
  for (const text of ['line one\r\nX-Injected: yes', 'हिन्दी']) {
    const result = await inHeader.gateway.send({ to: PHONE, text });
    t.deepEqual(result, {
      status: 'rejected',
      reason: 'header "X-Text" would hold characters an HTTP header cannot carry',
      retryable: false,
    });
  }
  t.is(seen.length, before, 'nothing reached the server');
});

test('health reports ok without probing; neither it nor the instance reveals secrets', async (t) => {
  const { gateway } = make(TWILIO);
  const health = await gateway.health();
  t.true(health.ok);
  t.is(health.detail, `sends through ${new URL(BASE).host} (POST); the gateway is not probed`);
  // An instance that ends up in a log line or an error report shows no secret.
  for (const shown of [inspect(gateway, { depth: 10, showHidden: true }), JSON.stringify(gateway), JSON.stringify(health)]) {
    for (const secret of Object.values(SECRETS)) t.false(shown.includes(secret));
  }
});

// ---------------------------------------------------------------------------------------------
// Delivery reports

test('parses Twilio-style delivery reports (form fields) and stores them as receipts', async (t) => {
  const storage = memoryStorage();
  const { context, gateway } = make(TWILIO, { storage });
  const form = (status: string) => `MessageSid=SM42&MessageStatus=${status}&To=%2B919876543210&AccountSid=${TWILIO_ACCOUNT}`;
  t.deepEqual(await gateway.handleDeliveryReport(form('delivered')), { gatewayMessageId: 'SM42', status: 'delivered' });
  t.deepEqual(await gateway.handleDeliveryReport(new URLSearchParams(form('undelivered'))), { gatewayMessageId: 'SM42', status: 'failed' });
  t.deepEqual(await gateway.handleDeliveryReport(Buffer.from(form('failed'))), { gatewayMessageId: 'SM42', status: 'failed' });
  t.deepEqual(await gateway.handleDeliveryReport({ MessageSid: 'SM43', MessageStatus: 'sent', To: PHONE }), {
    gatewayMessageId: 'SM43',
    status: 'unknown',
  });
  t.deepEqual(await gateway.handleDeliveryReport({ MessageSid: 'SM44' }), { gatewayMessageId: 'SM44', status: 'unknown' });

  const receipts = await storage.list<ReceiptRecord>(RECEIPTS_COLLECTION);
  t.deepEqual(
    receipts.map((r) => r.data),
    [
      { gatewayMessageId: 'SM44', status: 'unknown' },
      { gatewayMessageId: 'SM43', status: 'unknown', gatewayStatus: 'sent' },
      { gatewayMessageId: 'SM42', status: 'failed', gatewayStatus: 'failed' },
      { gatewayMessageId: 'SM42', status: 'failed', gatewayStatus: 'undelivered' },
      { gatewayMessageId: 'SM42', status: 'delivered', gatewayStatus: 'delivered' },
    ],
    'newest first, and never the phone number',
  );
  assertNothingSensitive(t, context.logger.lines, []);
});

test("parseDeliveryReport (core's webhook hook) gives only a message's fate, with the gateway's word as detail", (t) => {
  const { gateway } = make(TWILIO);
  t.deepEqual(gateway.parseDeliveryReport({ MessageSid: 'SM1', MessageStatus: 'delivered', To: PHONE }), {
    gatewayMessageId: 'SM1',
    status: 'delivered',
    detail: 'delivered',
  });
  t.deepEqual(gateway.parseDeliveryReport('MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30003'), {
    gatewayMessageId: 'SM2',
    status: 'failed',
    detail: 'undelivered',
  });
  // Intermediate statuses are not a fate: core keeps the message as sent.
  for (const status of ['queued', 'sending', 'sent', 'accepted', '']) {
    t.is(gateway.parseDeliveryReport({ MessageSid: 'SM3', MessageStatus: status }), undefined, status);
  }
  t.is(gateway.parseDeliveryReport({ MessageSid: 'SM3' }), undefined);
  const at = make(AFRICAS_TALKING).gateway;
  t.deepEqual(at.parseDeliveryReport({ id: 'ATXid_1', status: 'Rejected', phoneNumber: PHONE, failureReason: 'UserInBlacklist' }), {
    gatewayMessageId: 'ATXid_1',
    status: 'failed',
    detail: 'Rejected',
  });
  t.is(at.parseDeliveryReport({ id: 'ATXid_1', status: 'Buffered' }), undefined);
  // Without deliveryReport in the config, nothing is a report.
  t.is(make(KANNEL).gateway.parseDeliveryReport({ id: 'x', status: 'delivered' }), undefined);
});

test("parses Africa's Talking-style delivery reports, for the id send() returned", async (t) => {
  const storage = memoryStorage();
  const { gateway } = make(AFRICAS_TALKING, { storage });
  const sent = await gateway.send({ to: PHONE, text: 'hello' });
  t.is(sent.status, 'accepted');
  const id = sent.status === 'accepted' ? sent.gatewayMessageId : '';
  const report = (status: string) => ({ id, status, phoneNumber: PHONE, networkCode: '62120', retryCount: '0' });
  t.deepEqual(await gateway.handleDeliveryReport(report('Success')), { gatewayMessageId: id, status: 'delivered' });
  t.deepEqual(
    await gateway.handleDeliveryReport(report(' SUCCESS ')),
    { gatewayMessageId: id, status: 'delivered' },
    'case and spaces ignored',
  );
  t.deepEqual(await gateway.handleDeliveryReport(report('Failed')), { gatewayMessageId: id, status: 'failed' });
  t.deepEqual(await gateway.handleDeliveryReport(report('Rejected')), { gatewayMessageId: id, status: 'failed' });
  t.deepEqual(await gateway.handleDeliveryReport(report('Buffered')), { gatewayMessageId: id, status: 'unknown' });
  t.deepEqual(await gateway.handleDeliveryReport(JSON.stringify(report('Success'))), { gatewayMessageId: id, status: 'delivered' });
  t.deepEqual(await gateway.handleDeliveryReport(`id=${id}&status=Failed&phoneNumber=%2B919876543210&failureReason=AbsentSubscriber`), {
    gatewayMessageId: id,
    status: 'failed',
  });
  const receipts = await storage.list<ReceiptRecord>(RECEIPTS_COLLECTION);
  t.is(receipts.length, 7);
  t.false(JSON.stringify(receipts).includes('9876543210'));
  // Nested paths work too.
  const nested = make({
    ...JSON_API,
    deliveryReport: { idPath: 'data.0.msgId', statusPath: 'data.0.state', deliveredValues: ['DELIVRD'] },
  });
  t.deepEqual(nested.gateway.readDeliveryReport({ data: [{ msgId: 9, state: 'DELIVRD' }] }), {
    gatewayMessageId: '9',
    status: 'delivered',
    gatewayStatus: 'DELIVRD',
  });
});

test('garbage delivery-report payloads never throw and store nothing', async (t) => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  circular.MessageSid = circular;
  const throwing = new Proxy(
    {},
    {
      get: () => {
        throw new Error('get');
      },
      has: () => {
        throw new Error('has');
      },
      getOwnPropertyDescriptor: () => {
        throw new Error('descriptor');
      },
      ownKeys: () => {
        throw new Error('keys');
      },
      getPrototypeOf: () => {
        throw new Error('prototype');
      },
    },
  );
  const getter = Object.defineProperty({}, 'id', {
    enumerable: true,
    get: () => {
      throw new Error('getter');
    },
  });
  const garbage: unknown[] = [
    undefined,
    null,
    0,
    Number.NaN,
    true,
    '',
    '   ',
    '{',
    '[1,2',
    'null',
    '[]',
    '{}',
    '=&=&&',
    'MessageSid=&id=',
    `id=${'x'.repeat(300)}`,
    'x'.repeat(200_000),
    `{"id": "${'x'.repeat(200_000)}"}`,
    Symbol('report'),
    10n,
    () => 'id',
    [],
    [[[]]],
    { id: {}, MessageSid: {} },
    { id: ['a'], MessageSid: ['a'] },
    { id: '', MessageSid: '   ' },
    { id: true, MessageSid: false },
    { id: Number.POSITIVE_INFINITY, MessageSid: Number.NaN },
    { id: null, MessageSid: undefined },
    Object.create({ id: 'inherited', MessageSid: 'inherited' }),
    JSON.parse('{"__proto__": {"id": "x", "MessageSid": "x"}}'),
    Object.create(null),
    circular,
    throwing,
    getter,
    new Uint8Array([0xff, 0xfe, 0x00]),
    new Date(),
    new Map([
      ['id', 'x'],
      ['MessageSid', 'x'],
    ]),
    new Error('id'),
    Promise.resolve({ id: 'x' }),
  ];
  const storage = memoryStorage();
  const gateways = [make(TWILIO, { storage }).gateway, make(AFRICAS_TALKING, { storage }).gateway, make(KANNEL, { storage }).gateway];
  for (const gateway of gateways) {
    for (const payload of garbage) {
      t.notThrows(() => t.is(gateway.readDeliveryReport(payload), undefined));
      t.notThrows(() => t.is(gateway.parseDeliveryReport(payload), undefined));
      t.is(await gateway.handleDeliveryReport(payload), undefined);
    }
  }
  t.deepEqual(await storage.list(RECEIPTS_COLLECTION), []);
});

// ---------------------------------------------------------------------------------------------
// Config

test('create() refuses a config it could not use, naming the field', (t) => {
  const refused = (config: unknown, message: RegExp) =>
    t.throws(() => plugin.create(testContext(config as HttpSmsConfig, { secrets: SECRETS })), { message }, JSON.stringify(config));
  const body = { to: '{{to}}', message: '{{text}}' };
  const url = `${BASE}/json/send`;
  refused(
    { url, body: { ...body, from: '{{phone}}' } },
    /config\.body\.from uses the unknown placeholder "\{\{phone\}\}"; the known placeholders are \{\{to\}\}, /,
  );
  refused(
    { url, body, headers: { Authorization: 'Basic {{secret.password}}' } },
    /config\.headers\.Authorization uses the unknown placeholder "\{\{secret\.password\}\}"/,
  );
  refused({ url, body, query: { ref: '{{reference.id}}' } }, /config\.query\.ref uses the unknown placeholder/);
  refused({ url, body: { to: '{{to}}', message: '{{text}' } }, /config\.body\.message has unbalanced/);
  refused({ url, body: { to: '{{to}}', message: '{{{text}}}' } }, /config\.body\.message has "\{\{\{" or "\}\}\}": there is no raw form/);
  refused({ url, body: { to: '{{to}}', message: 42 } }, /config\.body\.message must be a string template/);
  refused({ url, body: { to: '{{to}}', message: 'hello' } }, /uses \{\{text\}\}: the message would never be sent/);
  refused({ url, body: { message: '{{text}}' } }, /uses \{\{to\}\} or \{\{toNoPlus\}\}/);
  refused({ url: 'not a url', body }, /config\.url must be an absolute http\(s\) URL/);
  refused({ url: 'ftp://gateway.example/send', body }, /config\.url must be an absolute http\(s\) URL/);
  refused({ body }, /config\.url must be an absolute http\(s\) URL/);
  refused({ url: 'https://user:pass@gateway.example/send', body }, /must not hold user:password@/);
  refused({ url: `${BASE}/{{secret.accountId}}/send`, body }, /config\.url takes no placeholders/);
  refused({ url, method: 'DELETE', body }, /config\.method must be one of POST, PUT, GET/);
  refused(
    { url, method: 'GET', body },
    /config\.body is given but would not be sent: set config\.bodyFormat to json or form \(and the method to POST or PUT\)/,
  );
  refused({ url, method: 'GET', bodyFormat: 'form', body }, /config\.bodyFormat must be none with method GET \(use config\.query\)/);
  refused({ url, bodyFormat: 'none', body, query: body }, /config\.body is given but would not be sent/);
  refused({ url, bodyFormat: 'xml', body }, /config\.bodyFormat must be one of json, form, none/);
  refused({ url, body, headers: { 'Bad Header': 'x' } }, /not a valid HTTP header name/);
  refused({ url, body, headers: { apiKey: 'a', APIKEY: 'b' } }, /has "APIKEY" twice/);
  refused({ url, body, timeoutMs: 0 }, /config\.timeoutMs must be a positive whole number/);
  refused({ url, body, success: { statuses: [200, 'ok'] } }, /config\.success\.statuses must be a list of HTTP statuses/);
  refused({ url, body, success: { messageIdPath: 'a..b' } }, /config\.success\.messageIdPath "a\.\.b" has an empty segment/);
  refused({ url, body, success: { rejectWhen: { path: 'status', equals: 'x', notEquals: 'y' } } }, /exactly one of equals and notEquals/);
  refused({ url, body, success: { rejectWhen: { path: 'status' } } }, /exactly one of equals and notEquals/);
  refused({ url, body, success: { rejectWhen: { path: 'status', equals: [] } } }, /rejectWhen\.equals must be a string, number or boolean/);
  refused(
    { url, body, deliveryReport: { idPath: 'id', statusPath: 'status', deliveredValues: ['Success'], failedValues: ['success'] } },
    /lists "success" as both delivered and failed/,
  );
  refused(
    { url, body, deliveryReport: { idPath: 'id', statusPath: '', deliveredValues: ['x'] } },
    /config\.deliveryReport\.statusPath must be a dotted path/,
  );
  refused(undefined, /config must be an object/);
});

test('templates: exactly the known placeholders, spaces inside the braces allowed, nothing else', (t) => {
  t.deepEqual(PLACEHOLDERS, ['to', 'toNoPlus', 'text', 'reference', 'secret.apiKey', 'secret.basicAuth', 'secret.accountId']);
  const template = compileTemplate('Basic {{ secret.basicAuth }}:{{to}}-{{toNoPlus}}', 'x');
  const values = new Map([
    ['secret.basicAuth', 'S'],
    ['to', '+1'],
  ]);
  t.is(template.render(values), 'Basic S:+1-', 'a value not given renders empty');
  t.is(compileTemplate('plain { braces } are fine', 'x').render(values), 'plain { braces } are fine');
  for (const bad of ['{{}}', '{{ }}', '{{TEXT}}', '{{secret}}', '{{secret.}}', '{{#each}}', '{{text|upper}}', '{{constructor}}']) {
    t.throws(() => compileTemplate(bad, 'x'), { message: /unknown placeholder/ }, bad);
  }
  // A whole config: spaces inside braces work end to end.
  t.notThrows(() => compileConfig({ url: BASE, body: { to: '{{ to }}', text: '{{  text  }}' } }));
});

test('the manifest in package.json passes the SDK manifest schema and its config schema works', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    teeka: PluginManifest;
  };
  const manifestAjv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
  t.true(manifestAjv.validate(manifestSchema, pkg.teeka), manifestAjv.errorsText());
  t.is(pkg.teeka.id, 'http-sms');
  t.is(pkg.teeka.kind, plugin.kind);
  t.is(pkg.teeka.apiVersion, PLUGIN_API_VERSION);
  t.deepEqual(pkg.teeka.countries, ['*']);
  t.falsy(pkg.teeka.developmentOnly);
  t.deepEqual(pkg.teeka.secrets, [...SECRET_NAMES]);

  // Core compiles config schemas with draft-07 ajv, formats and defaults; check with 2020-12 too.
  for (const ajv of [
    addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false })),
    addFormats(new Ajv2020({ allErrors: true, strict: false })),
  ]) {
    const validate = ajv.compile(pkg.teeka.configSchema ?? {});
    for (const config of [TWILIO, AFRICAS_TALKING, JSON_API, KANNEL]) {
      const copy = structuredClone(config);
      t.true(validate(copy), `${config.url}: ${ajv.errorsText(validate.errors)}`);
      t.notThrows(() => compileConfig(copy), 'what the schema accepts, the plugin can use');
    }
    const url = 'https://api.gateway.example/v1/sms';
    const body = { to: '{{to}}', text: '{{text}}' };
    for (const bad of [
      {},
      { body },
      { url: 'not a url', body },
      { url: 'ftp://gateway.example/sms', body },
      { url: 'https://api.gateway.example/{{secret.accountId}}/sms', body },
      { url, body, extra: true },
      { url, method: 'DELETE', body },
      { url, method: 'GET', body },
      { url, method: 'GET', bodyFormat: 'json', query: body },
      { url, bodyFormat: 'none', body },
      { url, bodyFormat: 'xml', body },
      { url, body: { to: 42 } },
      { url, headers: { 'Bad Header': 'x' }, body },
      { url, timeoutMs: 0, body },
      { url, timeoutMs: 1.5, body },
      { url, body, success: { statuses: [] } },
      { url, body, success: { statuses: [99] } },
      { url, body, success: { messageIdPath: 'a..b' } },
      { url, body, success: { messageIdPath: '' } },
      { url, body, success: { rejectWhen: { path: 'status' } } },
      { url, body, success: { rejectWhen: { path: 'status', equals: 'x', notEquals: 'y' } } },
      { url, body, success: { rejectWhen: { path: 'status', equals: [] } } },
      { url, body, success: { rejectWhen: { path: 'status', equals: { x: 1 } } } },
      { url, body, success: { other: true } },
      { url, body, retryableStatuses: [1000] },
      { url, body, deliveryReport: { idPath: 'id', statusPath: 'status' } },
      { url, body, deliveryReport: { idPath: 'id', statusPath: 'status', deliveredValues: [] } },
      { url, body, deliveryReport: { idPath: 'id', statusPath: 'status', deliveredValues: ['x'], extra: 1 } },
    ]) {
      t.false(validate(structuredClone(bad)), JSON.stringify(bad));
    }
  }

  // With core's defaults filled in, a minimal config says what the plugin assumes.
  const core = addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false })).compile(pkg.teeka.configSchema ?? {});
  const minimal: Record<string, unknown> = { url: 'https://api.gateway.example/v1/sms', body: { to: '{{to}}', text: '{{text}}' } };
  t.true(core(minimal));
  t.like(minimal, { method: 'POST', timeoutMs: 10_000, retryableStatuses: [408, 429, 500, 502, 503, 504] });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import {
  createRegistryClient,
  fetchHttpClient,
  type HttpClient,
  type PersonClaims,
  parseRetryAfter,
  type RegistryClientOptions,
  registryRequest,
} from '../src/index.js';
import { recordingLogger } from '../src/testing/index.js';

/** What the fake registry does with one request. */
interface Reply {
  status?: number;
  /** A string is sent as is; anything else as JSON. Default `{"result":"verified"}`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (beyond the client's timeout to simulate a hung registry). */
  delayMs?: number;
}

const answer = (result: string): Reply => ({ body: { result } });

/** A real HTTP registry on 127.0.0.1 that counts the requests reaching it. */
class FakeRegistry {
  readonly requests: { method?: string; contentType?: string; body: unknown }[] = [];
  reply: (body: unknown, index: number) => Reply = () => answer('verified');
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/verify`;
    return this;
  }

  /** Stops listening and drops every connection: the registry is down (connection refused). */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  get count(): number {
    return this.requests.length;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    // Counted on arrival, so a request the client gives up on while it is being read still counts.
    const record = { method: request.method, contentType: request.headers['content-type'], body: undefined as unknown };
    const index = this.requests.push(record) - 1;
    let text = '';
    try {
      for await (const chunk of request) text += chunk;
      record.body = JSON.parse(text);
    } catch {
      record.body = text;
    }
    const reply = this.reply(record.body, index);
    const send = () => {
      if (response.destroyed) return;
      const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { result: 'verified' });
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      response.end(payload);
    };
    if (reply.delayMs) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, reply.delayMs);
      this.timers.add(timer);
    } else send();
  }
}

const registries: FakeRegistry[] = [];
const startRegistry = async () => {
  const registry = await new FakeRegistry().start();
  registries.push(registry);
  return registry;
};
test.after.always(async () => {
  for (const registry of registries) await registry.stop();
});

const clients: { close(): void }[] = [];
const client = (registry: FakeRegistry, options: Partial<RegistryClientOptions> = {}, http: HttpClient = fetchHttpClient()) => {
  const made = createRegistryClient(http, { url: registry.url, retryDelayMs: 20, ...options });
  clients.push(made);
  return made;
};
test.after.always(() => {
  for (const made of clients) made.close();
});

const BODY = { documentType: 'nin', number: '12345678901', name: 'Ada Obi', birthYear: 1990 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('posts the request as JSON and passes on each answer of the protocol', async (t) => {
  const registry = await startRegistry();
  registry.reply = (body) => answer((body as { name: string }).name);
  const c = client(registry);
  for (const result of ['verified', 'mismatch', 'not-found'] as const) {
    t.deepEqual(await c.verify({ ...BODY, name: result }), { status: result });
  }
  t.is(registry.count, 3);
  t.deepEqual(registry.requests[0], { method: 'POST', contentType: 'application/json', body: { ...BODY, name: 'verified' } });
});

test('retries a 5xx and succeeds when the registry recovers', async (t) => {
  const registry = await startRegistry();
  registry.reply = (_body, index) => (index < 2 ? { status: 500 } : answer('mismatch'));
  t.deepEqual(await client(registry, { retries: 2 }).verify(BODY), { status: 'mismatch' });
  t.is(registry.count, 3);
});

test('gives up after the configured retries and answers unavailable with a hint', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 502 });
  const result = await client(registry, { retries: 2 }).verify(BODY);
  t.is(result.status, 'unavailable');
  t.true(result.status === 'unavailable' && (result.retryAfterSeconds ?? 0) >= 1);
  t.is(registry.count, 3, 'one attempt and two retries');

  const none = await startRegistry();
  none.reply = () => ({ status: 503 });
  t.is((await client(none, { retries: 0 }).verify(BODY)).status, 'unavailable');
  t.is(none.count, 1, 'retries: 0 makes a single attempt');
});

test('backs off exponentially between attempts', async (t) => {
  const registry = await startRegistry();
  const seen: number[] = [];
  registry.reply = () => {
    seen.push(Date.now());
    return { status: 500 };
  };
  await client(registry, { retries: 2, retryDelayMs: 120 }).verify(BODY);
  t.is(seen.length, 3);
  // Equal jitter: the n-th pause is between half and all of 120 ms × 2^n (a few ms slack for timers).
  t.true(seen[1]! - seen[0]! >= 55, `first pause ${seen[1]! - seen[0]!} ms`);
  t.true(seen[2]! - seen[1]! >= 115, `second pause ${seen[2]! - seen[1]!} ms`);
});

test('never retries a 4xx, and a 4xx gives no retry hint', async (t) => {
  const registry = await startRegistry();
  for (const status of [400, 401, 403, 404, 422]) {
    registry.reply = () => ({ status, body: { error: 'bad request' } });
    const before = registry.count;
    t.deepEqual(await client(registry, { retries: 3 }).verify(BODY), { status: 'unavailable' }, String(status));
    t.is(registry.count, before + 1, `${status} is not retried`);
  }
});

test('passes on a Retry-After the registry sends instead of retrying', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 503, headers: { 'retry-after': '42' } });
  t.deepEqual(await client(registry, { retries: 3 }).verify(BODY), { status: 'unavailable', retryAfterSeconds: 42 });
  t.is(registry.count, 1);

  registry.reply = () => ({ status: 429, headers: { 'retry-after': '7' } });
  t.deepEqual(await client(registry, { retries: 3 }).verify(BODY), { status: 'unavailable', retryAfterSeconds: 7 });
  t.is(registry.count, 2);

  t.is(parseRetryAfter('120'), 120);
  t.is(parseRetryAfter('999999'), 3600, 'capped at an hour');
  t.is(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString()), 30);
  t.is(parseRetryAfter('soon'), undefined);
  t.is(parseRetryAfter(undefined), undefined);
});

test('times out a slow registry, retries, and answers unavailable well before the registry would', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ delayMs: 20_000, ...answer('verified') });
  const started = Date.now();
  const result = await client(registry, { timeoutMs: 300, retries: 1 }).verify(BODY);
  t.is(result.status, 'unavailable');
  // Behaviour, not speed: on a loaded machine a request may be aborted before the server even
  // sees it, so the count is at most two; the answer comes long before the registry's would.
  t.true(registry.count >= 1 && registry.count <= 2, `attempts reaching the registry: ${registry.count}`);
  t.true(Date.now() - started < 15_000, 'gave up instead of waiting for the registry');
});

test('a retry after a timeout gets the answer', async (t) => {
  const registry = await startRegistry();
  registry.reply = (_body, index) => (index === 0 ? { delayMs: 8000 } : answer('not-found'));
  t.deepEqual(await client(registry, { timeoutMs: 1000, retries: 1 }).verify(BODY), { status: 'not-found' });
  t.is(registry.count, 2);
});

test('times out even when the HttpClient ignores the timeout it is given', async (t) => {
  const hanging: HttpClient = { request: () => new Promise(() => {}) };
  const registry = await startRegistry();
  const started = Date.now();
  const result = await client(registry, { timeoutMs: 100, retries: 1 }, hanging).verify(BODY);
  t.is(result.status, 'unavailable');
  t.true(Date.now() - started < 15_000, 'did not hang with the client');
});

test('a registry that is down answers unavailable quickly', async (t) => {
  const registry = await startRegistry();
  const url = registry.url;
  await registry.stop();
  const started = Date.now();
  const result = await createRegistryClient(fetchHttpClient(), { url, retries: 2, retryDelayMs: 20 }).verify(BODY);
  t.is(result.status, 'unavailable');
  t.true(result.status === 'unavailable' && (result.retryAfterSeconds ?? 0) >= 1);
  t.true(Date.now() - started < 15_000, `${Date.now() - started} ms`);
});

test('an answer outside the protocol is unavailable and not retried', async (t) => {
  const registry = await startRegistry();
  const replies: Reply[] = [
    { body: 'not json' },
    { body: { result: 'VERIFIED' } },
    { body: { result: 'maybe' } },
    { body: { status: 'verified' } },
    { body: 'null' },
    { body: '["verified"]' },
    { body: { result: 'x'.repeat(20_000) } },
    { status: 204, body: '' },
    { status: 201, body: { result: 'verified' } },
  ];
  for (const reply of replies) {
    registry.reply = () => reply;
    const before = registry.count;
    const result = await client(registry, { retries: 2 }).verify(BODY);
    t.is(result.status, 'unavailable', JSON.stringify(reply));
    t.is(registry.count, before + 1, JSON.stringify(reply));
  }
});

test('the breaker opens after consecutive failures and then short-circuits without contacting the registry', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 500 });
  const c = client(registry, { retries: 0, failureThreshold: 3, resetAfterMs: 60_000 });
  for (let i = 0; i < 3; i++) t.is((await c.verify(BODY)).status, 'unavailable');
  t.is(registry.count, 3);
  t.is(c.state(), 'open');

  registry.reply = () => answer('verified'); // even a healthy registry is not asked while open
  const results = await Promise.all(Array.from({ length: 10 }, () => c.verify(BODY)));
  t.is(registry.count, 3, 'answered without contacting the registry');
  for (const result of results) {
    t.is(result.status, 'unavailable');
    // The hint is the time left until the breaker lets a trial through: about a minute.
    t.true(result.status === 'unavailable' && result.retryAfterSeconds! > 50 && result.retryAfterSeconds! <= 60, JSON.stringify(result));
  }
  t.is(registry.count, 3, 'no request reached the registry while the circuit was open');
});

test('retries stop as soon as the breaker opens', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 500 });
  const c = client(registry, { retries: 5, failureThreshold: 2, resetAfterMs: 60_000 });
  const result = await c.verify(BODY);
  t.is(result.status, 'unavailable');
  t.true(result.status === 'unavailable' && result.retryAfterSeconds! > 50);
  t.is(registry.count, 2, 'each attempt counts; the third would go to an open circuit');
});

test('the breaker recovers after resetAfterMs: one trial request, then closed', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 500 });
  const c = client(registry, { retries: 0, failureThreshold: 2, resetAfterMs: 200 });
  await c.verify(BODY);
  await c.verify(BODY);
  t.is(c.state(), 'open');
  const short = await c.verify(BODY);
  t.true(short.status === 'unavailable' && short.retryAfterSeconds === 1, 'less than a second left, rounded up');
  t.is(registry.count, 2);

  registry.reply = () => answer('verified');
  await sleep(400); // generous margin over the 200 ms reset
  t.is(c.state(), 'half-open');
  t.deepEqual(await c.verify(BODY), { status: 'verified' });
  t.is(registry.count, 3);
  t.is(c.state(), 'closed');
  t.deepEqual(await c.verify(BODY), { status: 'verified' });
  t.is(registry.count, 4);
});

test('a failed trial request in half-open opens the circuit again', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 500 });
  const c = client(registry, { retries: 3, failureThreshold: 2, resetAfterMs: 200 });
  await c.verify(BODY);
  t.is(registry.count, 2);
  await sleep(400);
  t.is(c.state(), 'half-open');
  t.is((await c.verify(BODY)).status, 'unavailable');
  t.is(registry.count, 3, 'only the trial request, not its retries');
  t.is(c.state(), 'open');
  t.is((await c.verify(BODY)).status, 'unavailable');
  t.is(registry.count, 3);
});

test('only consecutive failures count: an answer in between starts the count again', async (t) => {
  const registry = await startRegistry();
  const c = client(registry, { retries: 0, failureThreshold: 3, resetAfterMs: 60_000 });
  const plan = [500, 500, 200, 500, 500, 200, 500, 500];
  registry.reply = (_body, index) => (plan[index] === 200 ? answer('verified') : { status: 500 });
  for (const _ of plan) await c.verify(BODY);
  t.is(registry.count, plan.length);
  t.is(c.state(), 'closed');
});

test('4xx answers do not open the circuit: the registry is up, the request was wrong', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 400 });
  const c = client(registry, { retries: 0, failureThreshold: 2 });
  for (let i = 0; i < 5; i++) await c.verify(BODY);
  t.is(registry.count, 5);
  t.is(c.state(), 'closed');
});

test('never throws or rejects, whatever happens', async (t) => {
  const registry = await startRegistry();
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const bodies: unknown[] = [circular, { n: 1n }, null, undefined, 'string', 42];
  const c = client(registry);
  for (const body of bodies) {
    t.deepEqual(await c.verify(body as object), { status: 'unavailable' }, String(body));
  }
  t.is(registry.count, 0, 'nothing that is not a JSON object is sent');

  const broken: HttpClient[] = [
    {
      request: () => {
        throw new Error('sync');
      },
    },
    { request: async () => null as never },
    {
      request: async () => ({
        status: 200,
        headers: {},
        text: () => Promise.reject(new Error('body')),
        json: () => Promise.reject(new Error('x')),
      }),
    },
    { request: async () => ({ status: 200, headers: null as never, text: async () => 42 as never, json: async () => ({}) as never }) },
    { request: async () => ({ status: Number.NaN, headers: {}, text: async () => '', json: async () => ({}) as never }) },
  ];
  for (const http of broken) {
    // A rejection would fail the test here.
    t.is((await client(registry, { retries: 1 }, http).verify(BODY)).status, 'unavailable');
  }
});

test('options that cannot work are refused when the client is created', (t) => {
  const http = fetchHttpClient();
  for (const options of [
    { url: 'not a url' },
    { url: 'ftp://registry.example/' },
    { url: 'http://registry.example/', timeoutMs: 0 },
    { url: 'http://registry.example/', retries: -1 },
    { url: 'http://registry.example/', retries: 1.5 },
    { url: 'http://registry.example/', failureThreshold: 0 },
    { url: 'http://registry.example/', resetAfterMs: Number.NaN },
  ]) {
    t.throws(() => createRegistryClient(http, options as RegistryClientOptions), { instanceOf: TypeError }, JSON.stringify(options));
  }
  t.notThrows(() => createRegistryClient(http, { url: 'https://registry.example/verify' }).close());
});

test('after close it answers unavailable without contacting the registry', async (t) => {
  const registry = await startRegistry();
  const c = client(registry);
  c.close();
  t.is(c.state(), 'closed-down');
  t.deepEqual(await c.verify(BODY), { status: 'unavailable' });
  t.is(registry.count, 0);
});

test('logs failures without the number, the name or the body', async (t) => {
  const registry = await startRegistry();
  registry.reply = () => ({ status: 500 });
  const logger = recordingLogger();
  await client(registry, { retries: 1, failureThreshold: 2, logger }).verify(BODY);
  t.true(logger.lines.some((line) => line.message === 'registry circuit opened'));
  t.true(logger.lines.some((line) => line.fields?.httpStatus === 500));
  const logged = JSON.stringify(logger.lines);
  t.false(logged.includes(BODY.number));
  t.false(logged.includes(BODY.name));
});

test('sends the extra headers it is given', async (t) => {
  let apiKey: string | undefined;
  const http: HttpClient = {
    request: async (url, options) => {
      apiKey = options?.headers?.['x-api-key'];
      return fetchHttpClient().request(url, options);
    },
  };
  const registry = await startRegistry();
  t.deepEqual(await client(registry, { headers: { 'x-api-key': 'k1' } }, http).verify(BODY), { status: 'verified' });
  t.is(apiKey, 'k1');
});

test('registryRequest sends only the well-formed claims the person gave', (t) => {
  t.deepEqual(registryRequest('nin', '12345678901'), { documentType: 'nin', number: '12345678901' });
  t.deepEqual(registryRequest('nin', '12345678901', { name: ' Ada Obi ', birthYear: 1990, birthDate: '1990-01-31', gender: 'female' }), {
    documentType: 'nin',
    number: '12345678901',
    name: 'Ada Obi',
    birthYear: 1990,
    birthDate: '1990-01-31',
    gender: 'female',
  });
  const malformed = { name: '  ', birthYear: 1990.5, birthDate: '31/01/1990', gender: 'x'.repeat(300) };
  t.deepEqual(registryRequest('dni', '10117410', malformed), { documentType: 'dni', number: '10117410' });
  t.deepEqual(registryRequest('dni', '10117410', { birthYear: '1990' } as unknown as PersonClaims), {
    documentType: 'dni',
    number: '10117410',
  });
  t.deepEqual(registryRequest('dni', '10117410', null as unknown as PersonClaims), { documentType: 'dni', number: '10117410' });
});

import test from 'ava';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

const PROBLEM_KEYS = ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'];

test('an unknown API path is RFC 9457 problem+json with a stable code', async (t) => {
  const response = await app.request('in.localhost', '/api/v1/no-such-thing');
  t.is(response.status, 404);
  t.is(response.headers['content-type'], 'application/problem+json');
  const problem = response.json();
  t.deepEqual(Object.keys(problem).sort(), PROBLEM_KEYS);
  t.like(problem, {
    type: '/problems/not-found',
    code: 'not-found',
    status: 404,
    title: 'Page not found',
    instance: '/api/v1/no-such-thing',
  });
  t.is(problem.requestId, response.headers['x-request-id']);
});

test('problem titles follow the request language', async (t) => {
  const hindi = (await app.request('in.localhost', '/api/v1/missing', { headers: { 'Accept-Language': 'hi_IN' } })).json();
  t.is(hindi.title, 'पृष्ठ नहीं मिला');
  t.is(hindi.code, 'not-found');
  const arabic = (await app.request('ae.localhost', '/api/v1/missing')).json();
  t.is(arabic.title, 'الصفحة غير موجودة');
});

test('malformed JSON is a 400 problem, never a 500 or a stack trace', async (t) => {
  const response = await app.request('in.localhost', '/dev/sms', {
    method: 'POST',
    body: '{"to": "+9198',
    headers: { 'Content-Type': 'application/json' },
  });
  t.is(response.status, 400);
  t.is(response.json().code, 'bad-request');
  t.notRegex(response.text, /at \w+ \(|node_modules|SyntaxError/);
});

test('a wrong method is 405 with the allowed methods', async (t) => {
  const response = await app.request('in.localhost', '/dev/outbox', { method: 'DELETE' });
  t.is(response.status, 405);
  t.is(response.json().code, 'method-not-allowed');
  t.regex(String(response.headers.allow), /GET/);
});

test('a missing page is a themed, localised HTML page', async (t) => {
  const response = await app.request('ae.localhost', '/no/such/page', { headers: { Accept: 'text/html' } });
  t.is(response.status, 404);
  t.regex(String(response.headers['content-type']), /text\/html/);
  t.regex(response.text, /<html lang="ar" dir="rtl">/);
  t.regex(response.text, /الصفحة غير موجودة/);
  t.regex(response.text, /logo-uae\.[0-9a-f]{10}\.svg/, 'in the UAE theme');
});

test('responses carry a request id and security headers', async (t) => {
  const response = await app.request('in.localhost', '/', { headers: { 'X-Request-Id': 'client-supplied-123' } });
  t.is(response.headers['x-request-id'], 'client-supplied-123');
  t.is(response.headers['x-content-type-options'], 'nosniff');
  t.regex(String(response.headers['content-security-policy']), /default-src 'self'/);
  const odd = await app.request('in.localhost', '/', { headers: { 'X-Request-Id': '<script>' } });
  t.regex(String(odd.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'an unsafe id is replaced');
});

test('a NUL character anywhere in the input is a 422 problem before any route runs, never a database error', async (t) => {
  // Co-WIN's public search with %00 in its query, and a JSON body with U+0000 in a value and in a key.
  const query = await app.request('in.localhost', '/cowin/v2/appointment/sessions/public/findByPin?pincode=4000%0012&date=01-01-2031');
  const value = await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { mobile: '98765\u000043210' } });
  const key = await app.request('in.localhost', '/api/v1/auth/otp', { method: 'POST', body: { 'mo\u0000bile': '9876543210' } });
  for (const response of [query, value, key]) {
    t.is(response.status, 422, response.text);
    t.is(response.headers['content-type'], 'application/problem+json');
    t.is(response.json().code, 'validation-failed');
  }
  t.like(value.json().errors[0], { path: '/mobile', code: 'format' });
});

/** Sends `raw` bytes on a connection of its own and answers everything the server wrote back before closing it. */
async function rawExchange(raw: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(app.platform.port, '127.0.0.1', () => socket.write(raw));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const [head, body] = answer.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

test('requests Node refuses before any route (headers over 16 KiB, a broken request line) are problem+json too', async (t) => {
  const huge = parseRaw(
    await rawExchange(`GET /api/v1/availability?postalCode=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: in.localhost\r\n\r\n`),
  );
  t.is(huge.status, 431);
  t.is(huge.headers['content-type'], 'application/problem+json');
  t.is(huge.headers.connection, 'close');
  t.like(JSON.parse(huge.body), {
    type: '/problems/headers-too-large',
    code: 'headers-too-large',
    status: 431,
    title: 'Request too large',
  });

  const broken = parseRaw(await rawExchange('NOT A REQUEST\r\n\r\n'));
  t.is(broken.status, 400);
  t.is(broken.headers['content-type'], 'application/problem+json');
  t.like(JSON.parse(broken.body), { code: 'bad-request', status: 400, title: 'Bad request' });
  t.false(broken.body.includes('HPE_'), 'nothing of the parser leaks');
});

import test from 'ava';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

test('each <code>.localhost host reaches its own tenant', async (t) => {
  const india = await app.request('in.localhost', '/');
  t.is(india.status, 200);
  t.regex(india.text, /<h1>India vaccination programme<\/h1>/);
  const mexico = await app.request('mx.localhost', '/');
  t.is(mexico.status, 200);
  t.regex(mexico.text, /<html lang="es" dir="ltr">/);
  t.regex(mexico.text, /Programa de vacunación de México/);
});

test('host matching ignores case and port', async (t) => {
  const response = await app.request(`IN.LocalHost:${app.platform.port}`, '/');
  t.is(response.status, 200);
  t.regex(response.text, /India vaccination programme/);
});

test('a configured production hostname also reaches the tenant in development', async (t) => {
  const response = await app.request('ae.teeka.example', '/?lng=en');
  t.is(response.status, 200);
  t.regex(response.text, /United Arab Emirates vaccination programme/);
});

test('an unknown host gets a 404 page and never another tenant', async (t) => {
  for (const host of ['zz.localhost', 'example.com', 'in.localhost.evil.example', 'localhost.in']) {
    const response = await app.request(host, '/');
    t.is(response.status, 404, host);
    t.regex(response.text, /Page not found/);
    t.notRegex(response.text, /vaccination programme/, `${host} must not show a tenant`);
  }
});

test('the tenant cannot be chosen by a header or parameter', async (t) => {
  const response = await app.request('zz.localhost', '/?tenant=in', { headers: { 'X-Forwarded-Host': 'in.localhost', 'X-Tenant': 'in' } });
  t.is(response.status, 404);
});

test('localhost lists every tenant with its URL', async (t) => {
  const response = await app.request(`localhost:${app.platform.port}`, '/');
  t.is(response.status, 200);
  for (const code of ['in', 'mx', 'ae']) t.true(response.text.includes(`http://${code}.localhost:${app.platform.port}/`), code);
  t.regex(response.text, /India/);
  t.regex(response.text, /Mexico/);
});

test('/healthz and /readyz answer on any host', async (t) => {
  for (const host of ['in.localhost', 'localhost', 'whatever.example']) {
    const health = await app.request(host, '/healthz');
    t.is(health.status, 200);
    t.deepEqual(health.json(), { status: 'ok' });
    const ready = await app.request(host, '/readyz');
    t.is(ready.status, 200);
    t.deepEqual(ready.json(), {
      status: 'ready',
      tenants: Object.fromEntries(app.platform.tenants.all.map((tenant) => [tenant.code, { database: 'ok', sms: 'ok' }])),
      databases: Object.fromEntries(app.platform.tenants.all.map((tenant) => [tenant.code, 'ok'])),
    });
    t.true(app.platform.tenants.all.length >= 6);
  }
});

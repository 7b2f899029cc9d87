import { createHash } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import test, { type ExecutionContext } from 'ava';
import { createAjv, describeErrors } from '../../src/kernel/config/json-schema.js';
import type { OpenApiDocument } from '../../src/openapi/document.js';
import { tenantRoutes } from '../../src/routes.js';
import { bearer, latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-openapi';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001; // KEM Hospital, Parel: PIN 400012, Mumbai (district 395) in Maharashtra (state 21)

let app: TestPlatform;
let document: OpenApiDocument;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  const response = await app.request(HOST, '/api/v1/openapi.json');
  if (response.status !== 200) throw new Error(`openapi.json: ${response.status} ${response.text}`);
  document = response.json();
});
test.after.always(async () => {
  await app?.stop();
});

const ajv = createAjv({ useDefaults: false });

/** Checks a real answer against what the document declares for its path, method and status. */
function conforms(t: ExecutionContext, method: string, path: string, response: TestResponse): void {
  const operation = document.paths[path]?.[method];
  t.truthy(operation, `${method} ${path} is documented`);
  const declared = operation?.responses[String(response.status)];
  t.truthy(declared, `${method} ${path} declares ${response.status} (${response.text.slice(0, 200)})`);
  const [type, media] = Object.entries(declared?.content ?? {})[0] ?? [];
  if (!media?.schema) return;
  t.true(String(response.headers['content-type']).startsWith(type), `${method} ${path}: ${response.headers['content-type']} is ${type}`);
  const check = ajv.compile(media.schema);
  t.true(check(response.json()), `${method} ${path} ${response.status}: ${describeErrors(check.errors).join('; ')}`);
}

test('the document is valid OpenAPI 3.1, served per tenant with the tenant as its server', async (t) => {
  const result = await new Validator().validate(document);
  t.true(result.valid, JSON.stringify(result.errors, null, 2)?.slice(0, 2000));
  t.is(document.openapi, '3.1.0');
  t.deepEqual(document.servers, [{ url: 'http://in.localhost' }], 'the tenant host it was asked on');
  t.regex(document.info.title, /India/);
  const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
  t.true(operations.length >= 50);
  t.is(new Set(operations.map((o) => o.operationId)).size, operations.length, 'operation ids are unique');
  t.deepEqual(
    document.paths['/api/v1/appointments'].post.requestBody?.content['application/json'].schema?.required,
    ['sessionId', 'slot', 'beneficiaries'],
    "the route's own request schema",
  );
  const other = (await app.request('IN.localhost:1234', '/api/v1/openapi.json')).json();
  t.deepEqual(other.servers, [{ url: 'http://in.localhost:1234' }], 'with its port');
  t.is((await app.request('localhost', '/api/v1/openapi.json')).status, 404, 'not on the platform host');
});

test('every documented operation is a route the tenant answers', (t) => {
  const routes = new Set(
    tenantRoutes('development').stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path}`)),
  );
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const method of Object.keys(methods)) {
      const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, (_, name: string) => `:${name === 'state_id' ? 'stateId' : name}`)}`;
      t.true(routes.has(route), route);
    }
  }
});

test('real answers of the native API match their declared schemas', async (t) => {
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const admin = bearer(signIn.json().token);
  const date = dayFromToday(app, 'in', 4);
  const created = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: { facilityId: KEM, date, vaccine: 'covishield', minAge: 18, slots: ['09:00AM-11:00AM'], capacities: [{ dose: 1, online: 1 }] },
  });
  conforms(t, 'post', '/api/v1/staff/sessions', created);
  const sessionId = created.json().id;

  conforms(t, 'post', '/api/v1/auth/otp', await app.request(HOST, '/api/v1/auth/otp', { method: 'POST', body: { mobile: '9811100088' } }));
  conforms(t, 'post', '/api/v1/auth/otp', await app.request(HOST, '/api/v1/auth/otp', { method: 'POST', body: { mobile: 12 } }));
  conforms(t, 'get', '/api/v1/document-types', await app.request(HOST, '/api/v1/document-types'));
  conforms(t, 'get', '/api/v1/facilities/{id}', await app.request(HOST, `/api/v1/facilities/${KEM}`));
  conforms(t, 'get', '/api/v1/sessions', await app.request(HOST, `/api/v1/sessions?facility=${KEM}&date=${date}`));
  conforms(t, 'get', '/api/v1/availability', await app.request(HOST, `/api/v1/availability?facility=${KEM}`));
  conforms(t, 'get', '/api/v1/availability', await app.request(HOST, '/api/v1/availability?postalCode=400012&days=3'));

  const [first, second] = await makeCitizens(app, 'in', [[1980], [1990]]);
  conforms(t, 'get', '/api/v1/beneficiaries', await app.request(HOST, '/api/v1/beneficiaries', { headers: bearer(first.token) }));
  const book = (citizen: typeof first) =>
    app.request(HOST, '/api/v1/appointments', {
      method: 'POST',
      headers: bearer(citizen.token),
      body: { sessionId, slot: '09:00AM-11:00AM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
    });
  const booked = await book(first);
  t.is(booked.status, 201);
  conforms(t, 'post', '/api/v1/appointments', booked);
  const full = await book(second);
  t.is(full.status, 409);
  conforms(t, 'post', '/api/v1/appointments', full);
  conforms(t, 'get', '/api/v1/appointments', await app.request(HOST, '/api/v1/appointments', { headers: bearer(first.token) }));
  conforms(t, 'get', '/api/v1/appointments', await app.request(HOST, '/api/v1/appointments'));
  const id = booked.json().appointments[0].id;
  conforms(
    t,
    'delete',
    '/api/v1/appointments/{id}',
    await app.request(HOST, `/api/v1/appointments/${id}`, { method: 'DELETE', headers: bearer(first.token) }),
  );
  conforms(t, 'get', '/api/v1/certificates', await app.request(HOST, '/api/v1/certificates', { headers: bearer(first.token) }));
});

test('real answers of the Co-WIN-compatible API match their declared schemas', async (t) => {
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const date = dayFromToday(app, 'in', 2);
  const created = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: bearer(signIn.json().token),
    body: { facilityId: KEM, date, vaccine: 'covaxin', minAge: 18, slots: ['11:00AM-01:00PM'], capacities: [{ dose: 1, online: 5 }] },
  });
  t.is(created.status, 201, created.text);
  const cowinDay = date.split('-').reverse().join('-');
  const hi = { 'Accept-Language': 'hi' };
  conforms(t, 'get', '/cowin/v2/admin/location/states', await app.request(HOST, '/cowin/v2/admin/location/states', { headers: hi }));
  conforms(t, 'get', '/cowin/v2/admin/location/districts/{state_id}', await app.request(HOST, '/cowin/v2/admin/location/districts/21'));
  for (const [path, query] of [
    ['/cowin/v2/appointment/sessions/public/findByPin', `pincode=400012&date=${cowinDay}`],
    ['/cowin/v2/appointment/sessions/public/findByDistrict', `district_id=395&date=${cowinDay}`],
    ['/cowin/v2/appointment/sessions/public/calendarByPin', `pincode=400012&date=${cowinDay}`],
    ['/cowin/v2/appointment/sessions/public/calendarByCenter', `center_id=${KEM}&date=${cowinDay}`],
    ['/cowin/v2/appointment/sessions/public/calendarByCenter', `center_id=999999&date=${cowinDay}`],
    ['/cowin/v2/appointment/centers/public/findByLatLong', 'lat=19.00&long=72.84'],
    ['/cowin/v2/appointment/sessions/public/findByPin', 'pincode=400012'],
  ]) {
    conforms(t, 'get', path, await app.request(HOST, `${path}?${query}`, { headers: hi }));
  }
  const pinRows = (await app.request(HOST, `/cowin/v2/appointment/sessions/public/findByPin?pincode=400012&date=${cowinDay}`)).json();
  t.true(pinRows.sessions.length >= 1, 'the session is found, so its row was checked');

  const generated = await app.request(HOST, '/cowin/v2/auth/generateOTP', { method: 'POST', body: { mobile: '9811100099' } });
  conforms(t, 'post', '/cowin/v2/auth/generateOTP', generated);
  const otp = await latestOtp(app, HOST, '+919811100099');
  const confirmed = await app.request(HOST, '/cowin/v2/auth/confirmOTP', {
    method: 'POST',
    body: { otp: createHash('sha256').update(otp).digest('hex'), txnId: generated.json().txnId },
  });
  conforms(t, 'post', '/cowin/v2/auth/confirmOTP', confirmed);
  const citizen = bearer(confirmed.json().token);
  conforms(
    t,
    'get',
    '/cowin/v2/registration/beneficiary/idTypes',
    await app.request(HOST, '/cowin/v2/registration/beneficiary/idTypes', { headers: { ...citizen, ...hi } }),
  );
  conforms(
    t,
    'get',
    '/cowin/v2/registration/beneficiary/genders',
    await app.request(HOST, '/cowin/v2/registration/beneficiary/genders', { headers: citizen }),
  );
  conforms(
    t,
    'get',
    '/cowin/v2/appointment/beneficiaries',
    await app.request(HOST, '/cowin/v2/appointment/beneficiaries', { headers: citizen }),
  );
  conforms(t, 'get', '/cowin/v2/appointment/beneficiaries', await app.request(HOST, '/cowin/v2/appointment/beneficiaries'));
  conforms(
    t,
    'get',
    '/cowin/v2/appointment/sessions/calendarByDistrict',
    await app.request(HOST, `/cowin/v2/appointment/sessions/calendarByDistrict?district_id=395&date=${cowinDay}&vaccine=COVAXIN`, {
      headers: citizen,
    }),
  );
});

test('/api/docs is a self-contained page listing every operation with its schemas', async (t) => {
  const response = await app.request(HOST, '/api/docs');
  t.is(response.status, 200);
  t.regex(String(response.headers['content-type']), /^text\/html/);
  t.false(/<script|<link|https?:\/\/(?!in\.localhost)[^"<\s]*\.(js|css)/i.test(response.text), 'no script, nothing from elsewhere');
  t.true(response.text.includes('<code>/api/v1/appointments/{id}</code>'));
  t.true(response.text.includes('<code>/cowin/v2/appointment/sessions/public/findByPin</code>'));
  t.true(response.text.includes('&quot;sessionId&quot;'), 'request schemas shown');
  const operations = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
  t.is(response.text.match(/<details /g)?.length, operations);
});

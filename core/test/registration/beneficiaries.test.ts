import test from 'ava';
import pg from 'pg';
import { stdnum } from 'stdnum';
import { bearer, signIn } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

/** A valid Aadhaar number built with the library the plugin uses, from an 11-digit body. */
function aadhaar(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (stdnum.IN.aadhaar.validate(`${body}${digit}`).isValid) return `${body}${digit}`;
  throw new Error('no check digit');
}

const person = (overrides: Record<string, unknown> = {}) => ({
  name: 'Asha Devi',
  gender: 'F',
  birthYear: 1961,
  document: { type: 'aadhaar', number: aadhaar('23456789012') },
  comorbidities: ['diabetes'],
  consentVersion: '2021-01',
  ...overrides,
});

async function citizen(host: string, mobile: string, e164: string) {
  const token = await signIn(app, host, mobile, e164);
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(host, `/api/v1${path}`, { method, body, headers: { ...bearer(token), ...headers } });
  return { token, call };
}

test.serial('India: register, read, edit and delete a beneficiary with a masked Aadhaar', async (t) => {
  const { call } = await citizen('in.localhost', '9700000001', '+919700000001');
  const number = aadhaar('23456789012');
  const created = await call(
    'POST',
    '/beneficiaries',
    person({ document: { type: 'aadhaar', number: `${number.slice(0, 4)} ${number.slice(4, 8)} ${number.slice(8)}` } }),
  );
  t.is(created.status, 201, created.text);
  const beneficiary = created.json();
  t.regex(beneficiary.referenceId, /^[1-9]\d{13}$/);
  t.is(beneficiary.document.masked, `XXXX XXXX ${number.slice(-4)}`);
  t.false(created.text.includes(number.slice(0, 8)), 'the full number never comes back');
  t.deepEqual(beneficiary.comorbidities, ['diabetes']);
  t.is(beneficiary.consentVersion, '2021-01');
  t.truthy(Date.parse(beneficiary.consentAt));

  const edited = await call('PATCH', `/beneficiaries/${beneficiary.referenceId}`, { name: 'Asha Kumari', birthDate: '1961-07-15' });
  t.is(edited.status, 200, edited.text);
  t.is(edited.json().name, 'Asha Kumari');
  t.is(edited.json().birthDate, '1961-07-15');
  t.is(edited.json().referenceId, beneficiary.referenceId, 'the reference id is stable');

  const list = await call('GET', '/beneficiaries');
  t.deepEqual(
    list.json().beneficiaries.map((b: { referenceId: string }) => b.referenceId),
    [beneficiary.referenceId],
  );
  t.is(list.json().limit, 4);

  t.is((await call('DELETE', `/beneficiaries/${beneficiary.referenceId}`)).status, 204);
  t.is((await call('GET', `/beneficiaries/${beneficiary.referenceId}`)).status, 404);
});

test.serial('a document can be registered once per tenant, whoever tries, however it is typed', async (t) => {
  const first = await citizen('in.localhost', '9700000002', '+919700000002');
  const second = await citizen('in.localhost', '9700000003', '+919700000003');
  const number = aadhaar('34567890123');
  t.is((await first.call('POST', '/beneficiaries', person({ document: { type: 'aadhaar', number } }))).status, 201);
  const again = await second.call(
    'POST',
    '/beneficiaries',
    person({ document: { type: 'aadhaar', number: `${number.slice(0, 4)}-${number.slice(4, 8)}-${number.slice(8)}` } }),
    {
      'Accept-Language': 'hi',
    },
  );
  t.is(again.status, 409);
  t.is(again.json().code, 'document-registered');
  t.is(again.json().title, 'पहले से पंजीकृत');
  t.deepEqual((await second.call('GET', '/beneficiaries')).json().beneficiaries, [], 'nothing was created');
});

test.serial('the same document in another tenant is a different registration', async (t) => {
  const india = await citizen('in.localhost', '9700000004', '+919700000004');
  const uae = await citizen('ae.localhost', '0501111111', '+971501111111');
  const passport = { type: 'passport', number: 'L898902C3' };
  t.is(
    (await india.call('POST', '/beneficiaries', person({ document: passport }))).status,
    422,
    'India passports follow the Indian format',
  );
  t.is((await uae.call('POST', '/beneficiaries', person({ document: passport }))).status, 201);
  const mexico = await citizen('mx.localhost', '5500000001', '+525500000001');
  t.is((await mexico.call('POST', '/beneficiaries', person({ document: passport }))).status, 201);
});

test.serial('the account limit holds (default 4)', async (t) => {
  const { call } = await citizen('in.localhost', '9700000005', '+919700000005');
  for (let i = 0; i < 4; i++) {
    const response = await call(
      'POST',
      '/beneficiaries',
      person({ name: `Person ${i}`, document: { type: 'aadhaar', number: aadhaar(`4567890123${i}`) } }),
    );
    t.is(response.status, 201, response.text);
  }
  const fifth = await call('POST', '/beneficiaries', person({ document: { type: 'aadhaar', number: aadhaar('56789012345') } }));
  t.is(fifth.status, 409);
  t.is(fifth.json().code, 'beneficiary-limit');
  t.regex(fifth.json().detail, /4/);
});

test.serial('invalid documents and unknown types are refused with field errors, in the citizen’s language', async (t) => {
  const { call } = await citizen('mx.localhost', '5500000002', '+525500000002');
  const cases: [Record<string, unknown>, string, string][] = [
    [{ type: 'passport', number: 'AB<123' }, '/document/number', 'document-format'],
    [{ type: 'passport', number: '12345' }, '/document/number', 'document-length'],
    [{ type: 'aadhaar', number: aadhaar('23456789012') }, '/document/type', 'document-type-unknown'],
    [{ type: 'ration-card', number: '123' }, '/document/type', 'document-type-unknown'],
  ];
  for (const [document, path, code] of cases) {
    const response = await call('POST', '/beneficiaries', person({ document }));
    t.is(response.status, 422);
    t.deepEqual(
      response.json().errors.map((e: { path: string; code: string }) => [e.path, e.code]),
      [[path, code]],
    );
    t.is(response.headers['content-language'], 'es');
    t.truthy(response.json().errors[0].message);
    t.notRegex(response.json().errors[0].message, /^errors:/, 'a translated message, not a key');
  }
  const india = await citizen('in.localhost', '9700000006', '+919700000006');
  const checksum = await india.call('POST', '/beneficiaries', person({ document: { type: 'aadhaar', number: '234567890120' } }), {
    'Accept-Language': 'hi',
  });
  t.is(checksum.json().errors[0].code, 'document-checksum');
  t.is(checksum.json().errors[0].message, 'दस्तावेज़ संख्या मान्य नहीं है: टाइपिंग की गलती जाँचें।');
  t.deepEqual((await call('GET', '/beneficiaries')).json().beneficiaries, []);
});

test.serial('bad bodies of every kind change nothing', async (t) => {
  const { call } = await citizen('ae.localhost', '0502222222', '+971502222222');
  const bodies: [unknown, number][] = [
    ['{"name":', 400],
    [{ ...person(), gender: 'X' }, 422],
    [{ ...person(), birthYear: '1961' }, 422],
    [{ ...person(), birthYear: 2999 }, 422],
    [{ ...person(), birthDate: '1962-01-01' }, 422],
    [{ ...person(), name: '' }, 422],
    [{ ...person(), name: '<script>alert(1)</script>' }, 422],
    [{ ...person(), admin: true }, 422],
    [{ ...person(), comorbidities: 'diabetes' }, 422],
    [{ ...person(), comorbidities: ['diabetes', 'not-a-condition'] }, 422],
    [{ ...person(), document: undefined }, 422],
    [[], 422],
  ];
  for (const [body, status] of bodies) {
    const response = await call('POST', '/beneficiaries', body);
    t.is(response.status, status, JSON.stringify(body)?.slice(0, 60));
    t.is(response.headers['content-type'], 'application/problem+json');
  }
  t.deepEqual((await call('GET', '/beneficiaries')).json().beneficiaries, []);
});

test.serial('one citizen cannot see or touch another’s beneficiaries', async (t) => {
  const owner = await citizen('in.localhost', '9700000007', '+919700000007');
  const other = await citizen('in.localhost', '9700000008', '+919700000008');
  const created = (
    await owner.call('POST', '/beneficiaries', person({ document: { type: 'aadhaar', number: aadhaar('67890123456') } }))
  ).json();
  for (const [method, body] of [['GET'], ['PATCH', { name: 'Mine now' }], ['DELETE']] as const) {
    t.is((await other.call(method, `/beneficiaries/${created.referenceId}`, body)).status, 404, method);
  }
  t.is((await owner.call('GET', `/beneficiaries/${created.referenceId}`)).json().name, 'Asha Devi');
});

test.serial('at rest: document numbers and comorbidities are ciphertext; the number is only hashed and masked', async (t) => {
  const { call } = await citizen('in.localhost', '9700000009', '+919700000009');
  const number = aadhaar('78901234567');
  await call('POST', '/beneficiaries', person({ document: { type: 'aadhaar', number }, comorbidities: ['hypertension'] }));
  const client = new pg.Client({ connectionString: app.platform.database.urlFor(app.platform.tenants.byCode('in')!.database) });
  await client.connect();
  try {
    const rows = (await client.query('select * from beneficiary')).rows;
    const dump = JSON.stringify(rows, (_key, value) => (value?.type === 'Buffer' ? Buffer.from(value.data).toString('latin1') : value));
    t.false(dump.includes(number));
    t.false(dump.includes(number.slice(0, 8)));
    t.false(dump.includes('hypertension'));
  } finally {
    await client.end();
  }
});

test.serial('reference ids are random, not sequential', async (t) => {
  const { call } = await citizen('mx.localhost', '5500000003', '+525500000003');
  const ids: string[] = [];
  for (const number of ['G12345678', 'G12345679', 'G12345680']) {
    ids.push((await call('POST', '/beneficiaries', person({ document: { type: 'passport', number } }))).json().referenceId);
  }
  const deltas = ids.slice(1).map((id, i) => BigInt(id) - BigInt(ids[i]));
  t.false(
    deltas.every((delta) => delta > 0n && delta < 1000n),
    `ids ${ids.join(', ')} look sequential`,
  );
});

test.serial('the document types of each tenant come with labels in the request language', async (t) => {
  const india = (await app.request('in.localhost', '/api/v1/document-types', { headers: { 'Accept-Language': 'hi' } })).json();
  t.deepEqual(
    india.map((d: { type: string }) => d.type),
    ['aadhaar', 'pan', 'epic', 'driving-licence', 'passport'],
  );
  t.is(india[0].label, 'आधार संख्या');
  const uae = (await app.request('ae.localhost', '/api/v1/document-types')).json();
  t.deepEqual(
    uae.map((d: { type: string }) => d.type),
    ['emirates-id', 'passport'],
  );
  t.is(uae[1].label, 'رقم جواز السفر');
  t.regex(uae[0].label, /[\u0600-\u06FF]/, 'the Emirates ID label in Arabic');
});

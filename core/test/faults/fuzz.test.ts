import { randomInt } from 'node:crypto';
import test from 'ava';
import type { OpenApiDocument } from '../../src/openapi/document.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { makeCitizens, tenantDb } from '../support/scheduling.js';
import { internalsIn, type RawResponse, rawRequest, seededRandom } from './fault-helpers.js';

/**
 * Every operation of the OpenAPI document (native and Co-WIN-compatible) fed hostile input from a
 * seeded generator: random JSON, wrong types, oversized and deeply nested bodies, bytes that are
 * not UTF-8, SQL and template injection, foreign HC1:/shc:/ codes, bad path parameters and query
 * strings, with and without valid sign-ins. Never a 5xx, never anything internal in the body,
 * errors in the API's own shape, and refused requests write nothing.
 * TEEKA_FUZZ_SEED=<n> repeats a run; the seed is printed on failure.
 */
const SEED = Number(process.env.TEEKA_FUZZ_SEED ?? randomInt(2 ** 31));
const CASES_PER_OPERATION = Number(process.env.TEEKA_FUZZ_CASES ?? 6);
const ADMIN_PASSWORD = 'test-admin-password-faults-fuzz';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';

const HC1 =
  'HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SAI4- 7Y15KBPD34  QWSP0WRGTQFNPLIR.KQNA7N95U/3FJCTG90OARH9P1J4HGZJKBEG%123ZC$0BCI757TLXKIBTV5TN%2LXK-$CH4TSXKZ4S/$K%0KPQ1HEP9.PZE9Q$95:UENEUW6646936HRTO$9KZ56DE/.QC$Q3J62:6LZ6O59++9-G9+E93ZM$96TV6NRNJ1QDG';
const SHC =
  'shc:/5676290952432060346029243740446031222959532654603460292540772804336028702864716745222809286133314564376531415906402203064504590856435503414245413640370636654171372412363803043756220467374075323239254334433260573601064529315312707305353322743127536233044164045557406135334072622206565645624566086238270324575945032664350657593';
const HOSTILE_STRINGS = [
  "'; drop table appointment; --",
  "' OR '1'='1",
  '1; select pg_sleep(10)',
  '{{constructor.constructor("return process")()}}',
  '{{#each this}}{{@key}}{{/each}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, on purpose
  '${process.exit(1)}',
  '#{7*7}<%= 7*7 %>',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '\u0000',
  '\ud800',
  '𝕿𝖊𝖊𝖐𝖆 ٣٤٥ हिन्दी',
  '',
  ' ',
  'null',
  'undefined',
  '-1',
  '1e309',
  'NaN',
  '9'.repeat(400),
  'a'.repeat(5000),
  HC1,
  `${HC1.slice(0, 60)}`,
  'HC1:',
  SHC,
  'shc:/',
  'shc:/99',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '2021-02-30',
  '31-02-2021',
];
/** encodeURIComponent, with a lone surrogate sent as the (invalid) bytes it would be. */
const encode = (value: string) => {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
};
const PATH_VALUES = [
  ...HOSTILE_STRINGS.map(encode),
  '%',
  '%E0%A4%A',
  '%C0%AF',
  '%FF',
  '..%2F..%2F',
  '0',
  '-1',
  '99999999999999999999999',
  '1.5',
  'true',
];

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

function hostileValue(random: Random, depth = 0): unknown {
  switch (Math.floor(random() * (depth > 2 ? 6 : 9))) {
    case 0:
    case 1:
    case 2:
      return pick(random, HOSTILE_STRINGS);
    case 3:
      return pick(random, [0, -1, 1.5, 2 ** 53 + 1, -(2 ** 31), 1e308, 4294967296]);
    case 4:
      return pick(random, [true, false, null]);
    case 5:
      return pick(random, [[], {}, { $ne: null }, { $gt: '' }]);
    case 6:
      return Array.from({ length: 1 + Math.floor(random() * 3) }, () => hostileValue(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: 1 + Math.floor(random() * 3) }, () => [
          pick(random, ['a', 'id', 'constructor', 'toString', 'beneficiaries', '']),
          hostileValue(random, depth + 1),
        ]),
      );
  }
}

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  type?: string | string[];
}

/** An object with the schema's own property names, each given something hostile. */
function schemaShaped(random: Random, schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 3) return hostileValue(random);
  if (schema.properties) {
    return Object.fromEntries(
      Object.entries(schema.properties).map(([name, property]) => [
        name,
        random() < 0.5 ? hostileValue(random) : schemaShaped(random, property, depth + 1),
      ]),
    );
  }
  if (schema.items) return [schemaShaped(random, schema.items, depth + 1)];
  return hostileValue(random);
}

interface Case {
  contentType?: string;
  body?: Buffer | string;
  query: string;
}

const asText = (value: unknown) => (value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value));

const nested = (depth: number) => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;

/** Bodies every operation with a request body gets, besides the random ones. */
const SPECIAL_BODIES: { what: string; contentType: string; body: Buffer | string }[] = [
  { what: 'oversized', contentType: 'application/json', body: `{"a":"${'x'.repeat(200_000)}"}` },
  { what: 'deeply nested', contentType: 'application/json', body: nested(8_000) },
  { what: 'deep array', contentType: 'application/json', body: `${'['.repeat(40_000)}${']'.repeat(40_000)}` },
  {
    what: 'not UTF-8',
    contentType: 'application/json',
    body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
  },
  { what: 'not JSON', contentType: 'application/json', body: "{'a': 1,,}" },
  {
    what: 'proto pollution',
    contentType: 'application/json',
    body: '{"__proto__":{"admin":true,"roles":["admin"]},"constructor":{"prototype":{"x":1}}}',
  },
  { what: 'form', contentType: 'application/x-www-form-urlencoded', body: 'a[b][c][d]=1&__proto__[admin]=1&a=%FF%FE' },
  { what: 'text', contentType: 'text/plain; charset=utf-8', body: HOSTILE_STRINGS.join('\n') },
  { what: 'charset', contentType: 'application/json; charset=klingon', body: '{}' },
];

function randomCase(random: Random, schema: Schema | undefined, hasBody: boolean, queryNames: string[]): Case {
  const names = [...queryNames, pick(random, ['a', '__proto__[x]', 'constructor', 'a[b][c]', 'page', 'limit', 'lng'])];
  const query = names
    .filter(() => random() < 0.7)
    .flatMap((name) => (random() < 0.2 ? [name, name] : [name]))
    .map((name) => `${encode(name)}=${random() < 0.15 ? pick(random, ['%', '%FF', '%E0%A4%A']) : encode(asText(hostileValue(random)))}`)
    .join('&');
  if (!hasBody) return { query };
  const body = random() < 0.5 ? schemaShaped(random, schema) : hostileValue(random);
  return { query, contentType: 'application/json', body: JSON.stringify(body) ?? 'null' };
}

let app: TestPlatform;
let document: OpenApiDocument;
const auth: Record<string, Record<string, string>> = {};
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  document = (await app.request(HOST, '/api/v1/openapi.json')).json();
  const [citizen] = await makeCitizens(app, 'in', [[1990, 1992]]);
  const staff = await app.request(HOST, '/api/v1/staff/sign-in', { method: 'POST', body: { username: 'admin', password: ADMIN_PASSWORD } });
  auth.none = {};
  auth.citizen = bearer(citizen.token);
  auth.staff = bearer(staff.json().token);
  auth.forged = { Authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', Cookie: 'teeka_session=x; teeka_staff=%FF' };
});
test.after.always(async () => {
  await app?.stop();
});

/** Row counts of every table of the tenant's database. */
async function rowCounts(): Promise<Record<string, number>> {
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    const tables = await client.query(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables.rows) {
      counts[table] = (await client.query(`select count(*)::int as n from "${table}"`)).rows[0].n;
    }
    return counts;
  } finally {
    await client.end();
  }
}

/**
 * Writes a hostile request may leave: rate-limit counters, the audit of refusals, and the Co-WIN
 * captcha of a signed-in session (getRecaptcha ignores its body and replaces the session's captcha).
 */
const BOOKKEEPING = /rate_limit|audit|sign_in_failure|job|cowin_captcha/;

test('hostile input to every documented operation: no 5xx, nothing internal, errors in shape, nothing written', async (t) => {
  const random = seededRandom(SEED);
  t.log(`seed ${SEED} (TEEKA_FUZZ_SEED=${SEED} repeats this run)`);
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
  t.true(operations.length >= 50, `${operations.length} operations`);
  t.true(
    operations.some((o) => o.path.startsWith('/cowin')),
    'the Co-WIN-compatible operations are in the document',
  );

  interface Planned {
    what: string;
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: Buffer | string;
  }
  const planned: Planned[] = [];
  for (const { path, method, operation } of operations) {
    if (/sign-out|logout/i.test(path)) continue; // would end the sessions the rest of the run uses
    const schema = operation.requestBody?.content?.['application/json']?.schema as Schema | undefined;
    const hasBody = !['GET', 'HEAD', 'DELETE'].includes(method);
    const parameters = (operation.parameters ?? []) as { name: string; in: string }[];
    const queryNames = parameters.filter((p) => p.in === 'query').map((p) => p.name);
    const fillPath = () => path.replace(/\{[^}]+\}/g, () => pick(random, PATH_VALUES));
    for (let i = 0; i < CASES_PER_OPERATION; i++) {
      const chosen = randomCase(random, schema, hasBody, queryNames);
      const who = pick(random, Object.keys(auth));
      const headers: Record<string, string> = { ...auth[who], Accept: pick(random, ['application/json', '*/*', 'text/html']) };
      if (chosen.contentType) headers['Content-Type'] = chosen.contentType;
      planned.push({
        what: `${who} case ${i}`,
        method,
        path: `${fillPath()}${chosen.query ? `?${chosen.query}` : ''}`,
        headers,
        body: chosen.body,
      });
    }
    if (hasBody) {
      for (const special of SPECIAL_BODIES) {
        const who = pick(random, Object.keys(auth));
        planned.push({
          what: `${who} ${special.what}`,
          method,
          path: fillPath(),
          headers: { ...auth[who], 'Content-Type': special.contentType },
          body: special.body,
        });
      }
    }
  }

  const before = await rowCounts();
  const started = Date.now();
  const answers: { planned: Planned; response: RawResponse }[] = [];
  let cursor = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (cursor < planned.length) {
        const request = planned[cursor++];
        const response = await rawRequest(app.platform.port, HOST, request.path, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          timeoutMs: 10_000,
        });
        answers.push({ planned: request, response });
      }
    }),
  );
  const after = await rowCounts();

  const failures: string[] = [];
  const accepted: string[] = [];
  const statuses = new Map<number, number>();
  for (const { planned: request, response } of answers) {
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const where = `${request.method} ${request.path.slice(0, 160)} (${request.what})`;
    const type = String(response.headers['content-type'] ?? '');
    if (response.status === 0) failures.push(`${where}: no answer (${response.error})`);
    else if (response.status >= 500) failures.push(`${where}: ${response.status} ${response.text.slice(0, 200)}`);
    const leak = internalsIn(response.text);
    if (leak && response.status !== 200) failures.push(`${where}: ${response.status} shows ${leak} in ${response.text.slice(0, 200)}`);
    if (response.status >= 400 && response.status !== 401 && request.path.startsWith('/cowin')) {
      // Co-WIN's {errorCode, error}; bodies refused before routing (unparsable, oversized) are problem+json.
      const body = /json/.test(type) ? JSON.parse(response.text) : {};
      if (!('errorCode' in body) && !(type.startsWith('application/problem+json') && body.code)) {
        failures.push(`${where}: ${response.status} is neither Co-WIN's shape nor problem+json: ${type}`);
      }
    } else if (response.status >= 400 && request.path.startsWith('/api/') && !type.startsWith('application/problem+json')) {
      failures.push(`${where}: ${response.status} is ${type}, not problem+json`);
    }
    const readOnly = request.method === 'GET' || /\/verify\b|\/getRecaptcha/.test(request.path);
    if (response.status >= 200 && response.status < 300 && !readOnly) accepted.push(`${where}: ${response.status}`);
  }
  t.log(
    `${answers.length} requests over ${operations.length} operations in ${Date.now() - started} ms: ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
  if (accepted.length) t.log(`accepted writes:\n${accepted.join('\n')}`);
  t.deepEqual(failures, [], `seed ${SEED}`);

  const changed = Object.keys(before)
    .filter((table) => before[table] !== after[table] && !BOOKKEEPING.test(table))
    .map((table) => `${table}: ${before[table]} -> ${after[table]}`);
  if (accepted.length) t.log(`tables changed by the accepted writes: ${changed.join(', ') || 'none'}`);
  else t.deepEqual(changed, [], `refused requests wrote nothing (seed ${SEED})`);
});

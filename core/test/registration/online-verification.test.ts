import { FakeRegistry } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { bearer, signIn } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

let registry: FakeRegistry;
let app: TestPlatform;
let token: string;

test.before(async () => {
  registry = await FakeRegistry.start();
  const paths = projectCopy({
    tenants: {
      ng: (yaml) =>
        yaml.replace(
          / {4}- id: nin\n/,
          `    - id: nin\n      config: { registry: { url: "${registry.url}", timeoutMs: 500, retries: 0 } }\n`,
        ),
    },
  });
  app = await startTestPlatform({ settings: { paths, tenantCodes: ['ng'] } });
  token = await signIn(app, 'ng.localhost', '0803 123 4567', '+2348031234567');
});
test.after.always(async () => {
  await app?.stop();
  await registry?.stop();
});

const person = (number: string, type = 'nin') => ({
  name: 'Ngozi Okafor',
  gender: 'F',
  birthYear: 1985,
  consentVersion: '1',
  document: { type, number },
});
const register = (body: unknown) => app.request('ng.localhost', '/api/v1/beneficiaries', { method: 'POST', headers: bearer(token), body });

test.serial('a NIN the registry confirms is registered; the registry was asked with the person’s details', async (t) => {
  registry.reply = () => ({ body: { result: 'verified' } });
  const response = await register(person('12345678901'));
  t.is(response.status, 201, response.text);
  t.like(registry.requests.at(-1)?.body as object, { documentType: 'nin', number: '12345678901', name: 'Ngozi Okafor', birthYear: 1985 });
});

test.serial('a NIN the registry does not match, or does not know, is refused with a field error', async (t) => {
  registry.reply = () => ({ body: { result: 'mismatch' } });
  const mismatch = await register(person('23456789012'));
  t.is(mismatch.status, 422);
  t.deepEqual(
    mismatch.json().errors.map((e: { code: string }) => e.code),
    ['document-mismatch'],
  );
  registry.reply = () => ({ body: { result: 'not-found' } });
  const unknown = await register(person('34567890123'));
  t.deepEqual(
    unknown.json().errors.map((e: { code: string }) => e.code),
    ['document-not-found'],
  );
  t.regex(unknown.json().errors[0].message, /no record/);
});

test.serial('with the registry down: "try later" for a NIN, and a passport (no online check) still registers', async (t) => {
  await registry.stop();
  const before = registry.count;
  const nin = await register(person('45678901234'));
  t.is(nin.status, 503);
  t.is(nin.json().code, 'registry-unavailable');
  t.regex(nin.json().detail, /try again/);
  t.true(Number(nin.headers['retry-after']) >= 1);
  const passport = await register(person('A12345678', 'passport'));
  t.is(passport.status, 201, passport.text);
  t.is(registry.count, before, 'a stopped registry received nothing');
  const list = (await app.request('ng.localhost', '/api/v1/beneficiaries', { headers: bearer(token) })).json().beneficiaries;
  t.deepEqual(
    list.map((b: { document: { type: string } }) => b.document.type),
    ['nin', 'passport'],
  );
});

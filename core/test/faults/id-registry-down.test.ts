import { FakeRegistry } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { bearer, signIn } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { assertProblem, rawRequest } from './fault-helpers.js';

/**
 * Nigeria's NIN registry not answering (it takes the connection and goes silent), answering
 * errors, or answering garbage: registering a beneficiary with a NIN answers a clear, localised
 * "try later" (503 registry-unavailable, Retry-After) within a bound, never hangs, never a 500,
 * and registers nobody. Once the circuit is open the answer is immediate.
 */
const TIMEOUT_MS = 300;
const RETRIES = 1;
/** Every attempt times out, with back-off between them, plus the request's own work. */
const BOUND_MS = (RETRIES + 1) * TIMEOUT_MS + 2_500;

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
          `    - id: nin\n      config: { registry: { url: "${registry.url}", timeoutMs: ${TIMEOUT_MS}, retries: ${RETRIES} } }\n`,
        ),
    },
  });
  app = await startTestPlatform({ settings: { paths, tenantCodes: ['ng'] } });
  token = await signIn(app, 'ng.localhost', '0803 123 4599', '+2348031234599');
});
test.after.always(async () => {
  await app?.stop();
  await registry?.stop();
});

const register = (number: string, language = 'en') =>
  rawRequest(app.platform.port, 'ng.localhost', '/api/v1/beneficiaries', {
    method: 'POST',
    headers: { ...bearer(token), 'Content-Type': 'application/json', 'Accept-Language': language },
    body: JSON.stringify({ name: 'Ngozi Okafor', gender: 'F', birthYear: 1985, consentVersion: '1', document: { type: 'nin', number } }),
    timeoutMs: 30_000,
  });

async function registered(): Promise<number> {
  const list = await app.request('ng.localhost', '/api/v1/beneficiaries', { headers: bearer(token) });
  return list.json().beneficiaries.length;
}

test.serial('a registry that never answers, answers 5xx or answers garbage: "try later" in time, and nobody registered', async (t) => {
  const replies: { what: string; reply: ReturnType<FakeRegistry['reply']> }[] = [
    { what: 'silent', reply: { delayMs: 60_000 } },
    { what: '503', reply: { status: 503, body: { error: 'maintenance' } } },
    { what: 'garbage', reply: { status: 200, body: '<html>proxy error</html>', headers: { 'content-type': 'text/html' } } },
    { what: 'nonsense JSON', reply: { status: 200, body: { result: { $gt: '' }, constructor: { prototype: 1 } } } },
  ];
  for (const [index, { what, reply }] of replies.entries()) {
    registry.reply = () => reply;
    const answer = await register(`4567890123${index}`);
    const body = assertProblem(t, answer, 503, 'registry-unavailable', what);
    t.true(answer.ms < BOUND_MS, `${what}: answered in ${answer.ms} ms (bound ${BOUND_MS})`);
    t.true(Number(answer.headers['retry-after']) >= 1, `${what}: Retry-After`);
    t.regex(String(body.detail), /try again/i, what);
  }
  t.is(await registered(), 0, 'nobody was registered');
});

test.serial('once the circuit is open the answer comes at once, without asking the registry', async (t) => {
  registry.reply = () => ({ delayMs: 60_000 });
  for (let i = 0; i < 5; i++) await register('45678901299');
  const before = registry.count;
  const answer = await register('45678901299');
  assertProblem(t, answer, 503, 'registry-unavailable', 'circuit open');
  t.true(answer.ms < TIMEOUT_MS, `answered in ${answer.ms} ms without asking the registry`);
  t.is(registry.count, before, 'the open circuit spares the registry');
});

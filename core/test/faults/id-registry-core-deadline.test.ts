import { FakeRegistry } from '@teeka/plugin-sdk/testing';
import test from 'ava';
import { bearer, signIn } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { assertProblem, rawRequest } from './fault-helpers.js';

/**
 * A plugin whose own registry client waits far too long (here 30 s, its schema's maximum, with no retries): core's
 * `limits.registry.timeoutMs` still answers "try later" in time. Core must not rely on every
 * integrator bounding their calls.
 */
const CORE_DEADLINE_MS = 400;

let registry: FakeRegistry;
let app: TestPlatform;
let token: string;

test.before(async () => {
  registry = await FakeRegistry.start();
  const paths = projectCopy({
    tenants: {
      ng: (yaml) =>
        `${yaml.replace(
          / {4}- id: nin\n/,
          `    - id: nin\n      config: { registry: { url: "${registry.url}", timeoutMs: 30000, retries: 0 } }\n`,
        )}\nlimits:\n  registry:\n    timeoutMs: ${CORE_DEADLINE_MS}\n`,
    },
  });
  app = await startTestPlatform({ settings: { paths, tenantCodes: ['ng'] } });
  token = await signIn(app, 'ng.localhost', '0803 123 4588', '+2348031234588');
});
test.after.always(async () => {
  await app?.stop();
  await registry?.stop();
});

test('a registry the plugin would wait 30 s for: core answers "try later" at its own deadline, and registers nobody', async (t) => {
  registry.reply = () => ({ delayMs: 60_000 });
  const answer = await rawRequest(app.platform.port, 'ng.localhost', '/api/v1/beneficiaries', {
    method: 'POST',
    headers: { ...bearer(token), 'Content-Type': 'application/json', 'Accept-Language': 'en' },
    body: JSON.stringify({
      name: 'Ngozi Okafor',
      gender: 'F',
      birthYear: 1985,
      consentVersion: '1',
      document: { type: 'nin', number: '56789012345' },
    }),
    timeoutMs: 30_000,
  });
  assertProblem(t, answer, 503, 'registry-unavailable', 'core deadline');
  t.true(answer.ms >= CORE_DEADLINE_MS - 50, `waited for the deadline (${answer.ms} ms)`);
  t.true(answer.ms < CORE_DEADLINE_MS + 2_500, `answered in ${answer.ms} ms`);
  t.is(registry.count, 1, 'the registry was asked once');
  const list = await app.request('ng.localhost', '/api/v1/beneficiaries', { headers: bearer(token) });
  t.is(list.json().beneficiaries.length, 0);
});

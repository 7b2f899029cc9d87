import { rmSync } from 'node:fs';
import test from 'ava';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

/** The public Co-WIN API's per-IP limit comes from the tenant file and is answered with 429 and Retry-After. */
const paths = projectCopy({
  tenants: {
    in: (yaml) => yaml.replace('limits:\n', 'limits:\n  rateLimits: { publicApiPerIpPer5Minutes: 3 }\n'),
  },
});
let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], paths } });
});
test.after.always(async () => {
  await app?.stop();
  rmSync(paths.root, { recursive: true, force: true });
});

test('past the tenant’s per-IP limit a client gets 429 with Retry-After, in Co-WIN’s error shape', async (t) => {
  const statuses: number[] = [];
  let last: Awaited<ReturnType<TestPlatform['request']>> | undefined;
  for (let i = 0; i < 5; i++) {
    last = await app.request('in.localhost', '/cowin/v2/admin/location/states');
    statuses.push(last.status);
  }
  t.deepEqual(statuses, [200, 200, 200, 429, 429]);
  const retryAfter = Number(last!.headers['retry-after']);
  t.true(retryAfter >= 1 && retryAfter <= 300, `Retry-After ${retryAfter}`);
  t.is(last!.json().errorCode, 'USRRES0429');
  t.is(typeof last!.json().error, 'string');
  // The native API is not counted against it.
  t.is((await app.request('in.localhost', '/api/v1/areas?level=state')).status, 200);
});

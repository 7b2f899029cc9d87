import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { EmbeddedPostgres } from '../../src/kernel/db/embedded-postgres.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform } from '../support/platform.js';
import { makeCitizens } from '../support/scheduling.js';
import { assertProblem, internalsIn, type RawResponse, rawRequest } from './fault-helpers.js';

/**
 * PostgreSQL stopped under load and started again. The test runs its own embedded server (whatever
 * DATABASE_URL says) so it can stop it: while it is down every request fails cleanly and quickly
 * (503 `database-unavailable`, localised, Retry-After) and /readyz says so; once it is back the same
 * app process serves again by itself.
 */
const HOST = 'in.localhost';
const BOUND_MS = 5_000;

test('requests fail cleanly while PostgreSQL is down, and the app recovers by itself', async (t) => {
  t.timeout(180_000, 'a PostgreSQL start, stop and start on a busy machine');
  const dataDir = mkdtempSync(join(tmpdir(), 'teeka-faults-pg-'));
  chmodSync(dataDir, 0o755);
  const options = { projectDataDir: dataDir, projectRoot: projectPaths().root, port: 0, name: 'pg', ephemeral: true };
  let server = await EmbeddedPostgres.start(options);
  const app = await startTestPlatform({ settings: { tenantCodes: ['in'], databaseUrl: server.adminUrl } });
  const port = app.platform.port;
  let loading = true;
  t.teardown(async () => {
    loading = false;
    await app.platform.stop().catch(() => undefined);
    await server.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const [citizen] = await makeCitizens(app, 'in', [[1990]]);
  const get = (path: string, language = 'en') =>
    rawRequest(port, HOST, path, { headers: { ...bearer(citizen.token), 'Accept-Language': language }, timeoutMs: 20_000 });
  t.is((await get('/api/v1/beneficiaries')).status, 200);

  // Load: four clients asking for the citizen's beneficiaries without pause, all through the fault.
  const answers: RawResponse[] = [];
  const load = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (loading) answers.push(await get('/api/v1/beneficiaries'));
    }),
  );

  await server.stop();
  const down = await get('/api/v1/beneficiaries', 'hi');
  const body = assertProblem(t, down, 503, 'database-unavailable', 'database down');
  t.true(down.ms < BOUND_MS, `answered in ${down.ms} ms`);
  t.true(Number(down.headers['retry-after']) >= 1, 'says when to try again');
  const english = JSON.parse((await get('/api/v1/beneficiaries', 'en')).text);
  t.not(body.title, english.title, 'the title is in the language asked for');
  // Other ways in meet the outage the same way: a write, the Co-WIN API, a page.
  const otp = await rawRequest(port, HOST, '/api/v1/auth/otp', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ mobile: '9811100031' }),
  });
  assertProblem(t, otp, 503, 'database-unavailable', 'a write');
  const cowin = await rawRequest(port, HOST, '/cowin/v2/appointment/beneficiaries', { headers: bearer(citizen.token) });
  t.is(cowin.status, 503, cowin.text);
  t.is(JSON.parse(cowin.text).errorCode, 'database-unavailable', 'Co-WIN clients get their own shape');
  for (const path of ['/', '/beneficiaries']) {
    const page = await rawRequest(port, HOST, path, { headers: { Accept: 'text/html', Cookie: `teeka_session=${citizen.token}` } });
    t.true([200, 503].includes(page.status), `${path}: ${page.status}`);
    t.is(internalsIn(page.text), undefined, `${path}: nothing internal`);
  }
  const ready = await rawRequest(port, HOST, '/readyz');
  t.is(ready.status, 503);
  t.is(JSON.parse(ready.text).databases.in, 'unreachable');
  t.true(ready.ms < BOUND_MS);

  server = await EmbeddedPostgres.start({ ...options, port: server.port });
  await eventually('the app to serve again', async () => ((await get('/api/v1/beneficiaries')).status === 200 ? true : undefined), 20_000);
  loading = false;
  await load;
  t.is((await rawRequest(port, HOST, '/readyz')).status, 200);

  const statuses = new Map<string, number>();
  for (const answer of answers) {
    const key = answer.status === 200 ? '200' : `${answer.status} ${answer.error ?? JSON.parse(answer.text || '{}').code}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  t.log(Object.fromEntries(statuses));
  t.true(
    [...statuses.keys()].every((key) => key === '200' || key === '503 database-unavailable'),
    `only successes and clean refusals under load: ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
  t.true((statuses.get('503 database-unavailable') ?? 0) > 0, 'the load met the outage');
  t.true(
    answers.every((answer) => answer.ms < BOUND_MS),
    `no answer took longer than ${BOUND_MS} ms (slowest ${Math.max(...answers.map((a) => a.ms))} ms)`,
  );
});

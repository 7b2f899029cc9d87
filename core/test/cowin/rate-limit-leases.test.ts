import { rmSync } from 'node:fs';
import test from 'ava';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { RateLimitedError, type RateLimiter } from '../../src/kernel/rate-limit/rate-limiter.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { tenantDb } from '../support/scheduling.js';

/**
 * The Co-WIN public limit reserves hits ahead in PostgreSQL and serves them from the process
 * (RateLimiter.hitLeased), so a busy client is not one write per request. It must still hold
 * across app processes: two platforms on the same databases, as behind a load balancer.
 */
const LIMIT = 64; // reservations of up to 4 hits (a sixteenth of the limit)
const paths = projectCopy({
  tenants: { in: (yaml) => yaml.replace('limits:\n', `limits:\n  rateLimits: { publicApiPerIpPer5Minutes: ${LIMIT} }\n`) },
});
const HOST = 'in.localhost';
const STATES = '/cowin/v2/admin/location/states';
let first: TestPlatform;
let second: TestPlatform | undefined;
test.before(async () => {
  first = await startTestPlatform({ settings: { tenantCodes: ['in'], paths } });
  second = await startTestPlatform({ settings: { tenantCodes: ['in'], paths, databasePrefix: first.settings.databasePrefix } });
});
test.after.always(async () => {
  await second?.platform.stop(); // the databases are the first one's to drop
  await first?.stop();
  rmSync(paths.root, { recursive: true, force: true });
});

const limiterOf = (app: TestPlatform) => app.platform.tenants.byCode('in')!.container.resolve<RateLimiter>(TOKENS.RateLimiter);

async function attempt(limiter: RateLimiter, key: string, limit: number, windowSeconds: number): Promise<boolean> {
  try {
    await limiter.hitLeased(key, limit, windowSeconds);
    return true;
  } catch (error) {
    if (error instanceof RateLimitedError) return false;
    throw error;
  }
}

test('one process: exactly the limit over HTTP, then 429, with the hits counted in PostgreSQL', async (t) => {
  const statuses: number[] = [];
  // In bursts of 8 at once, so concurrent hits of one key share a reservation.
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(Array.from({ length: 8 }, () => first.request(HOST, STATES)));
    statuses.push(...answers.map((answer) => answer.status));
  }
  t.is(statuses.filter((status) => status === 200).length, LIMIT);
  t.is(statuses.filter((status) => status === 429).length, 80 - LIMIT);
  const refused = await first.request(HOST, STATES);
  t.is(refused.status, 429);
  const retryAfter = Number(refused.headers['retry-after']);
  t.true(retryAfter >= 1 && retryAfter <= 300, `Retry-After ${retryAfter}`);
  t.is(refused.json().errorCode, 'USRRES0429');
  // Reserved in PostgreSQL before they were served: the row is at the limit (refused hits after it).
  const db = tenantDb(first, 'in');
  await db.connect();
  try {
    const { rows } = await db.query(`select hits from rate_limit where key = 'cowin-public:ip:127.0.0.1'`);
    t.true(rows[0].hits >= LIMIT, `hits ${rows[0].hits}`);
  } finally {
    await db.end();
  }
});

test('two processes on one database never let a client past the limit, and refuse it at most one lease early', async (t) => {
  const limiters = [limiterOf(first), limiterOf(second!)];
  const key = 'test:two-processes';
  let served = 0;
  // Concurrent hits spread over both processes, far more than the limit.
  for (let round = 0; round < 20; round++) {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(limiters[i % 2], key, LIMIT, 300)));
    served += results.filter(Boolean).length;
  }
  t.true(served <= LIMIT, `served ${served}`);
  t.true(served >= LIMIT - 4, `served ${served}`);
  // Both go on refusing for the rest of the window.
  t.false(await attempt(limiters[0], key, LIMIT, 300));
  t.false(await attempt(limiters[1], key, LIMIT, 300));
});

test('a new window serves the limit again, in every process', async (t) => {
  const limiters = [limiterOf(first), limiterOf(second!)];
  const key = 'test:window';
  const run = async () => {
    let served = 0;
    for (let i = 0; i < 40; i++) if (await attempt(limiters[i % 2], key, 32, 1)) served++;
    return served;
  };
  const firstWindow = await run();
  t.true(firstWindow <= 32 && firstWindow >= 30, `served ${firstWindow}`);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const secondWindow = await run();
  t.true(secondWindow <= 32 && secondWindow >= 30, `served ${secondWindow}`);
});

test('limits under 32 are counted one statement per hit, exactly as before', async (t) => {
  const limiter = limiterOf(first);
  const results = [];
  for (let i = 0; i < 12; i++) results.push(await attempt(limiter, 'test:small', 10, 300));
  t.is(results.filter(Boolean).length, 10);
  const db = tenantDb(first, 'in');
  await db.connect();
  try {
    const { rows } = await db.query(`select hits from rate_limit where key = 'test:small'`);
    t.is(rows[0].hits, 12);
  } finally {
    await db.end();
  }
});

import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import { cacheLookups } from '../../src/kernel/cache/cache-metrics.js';
import { purgeExpired } from '../../src/maintenance/housekeeping.js';
import { takenUntil } from '../../src/scheduling/availability-cache.js';
import type { CentreAvailability } from '../../src/scheduling/availability-service.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { dayFromToday, tenantQuery } from '../support/scheduling.js';

/**
 * Availability entries shared by app processes (availability_snapshot, scheduling/availability-cache.ts):
 * two platforms on one database, as booking-storm.test.ts runs them. An entry one process read is
 * what the other answers from while it is young enough, so a district is read from the sessions
 * once per lifetime for the whole deployment; no answer is older than the lifetime.
 */
const ADMIN_PASSWORD = 'test-admin-password-availability-shared';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const TTL_SECONDS = 4;
const KEM = 1001; // Mumbai (district 395)

const paths = projectCopy({
  tenants: { in: (yaml) => `${yaml}\nscheduling:\n  availabilityCacheSeconds: ${TTL_SECONDS}\n` },
});
let first: TestPlatform;
let second: TestPlatform;
let sessionId: string;
let date: string;
test.before(async () => {
  first = await startTestPlatform({ settings: { tenantCodes: ['in'], paths } });
  second = await startTestPlatform({ settings: { tenantCodes: ['in'], paths, databasePrefix: first.settings.databasePrefix } });
  const signIn = await first.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  date = dayFromToday(first, 'in', 2);
  const created = await first.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: bearer(signIn.json().token),
    body: { facilityId: KEM, date, vaccine: 'covishield', minAge: 18, slots: ['09:00AM-11:00AM'], capacities: [{ dose: 1, online: 50 }] },
  });
  if (created.status !== 201) throw new Error(`session: ${created.status} ${created.text}`);
  sessionId = created.json<{ id: string }>().id;
});
test.after.always(async () => {
  await second?.platform.stop();
  await first?.stop();
  rmSync(paths.root, { recursive: true, force: true });
});

async function lookups(result: 'hit' | 'miss'): Promise<number> {
  const { values } = await cacheLookups.get();
  return values.find((v) => v.labels.tenant === 'in' && v.labels.cache === 'availability-shared' && v.labels.result === result)?.value ?? 0;
}

/** The places the session has free, as `app` answers now, and the answer's Age. */
async function free(app: TestPlatform, path = `/api/v1/availability?area=district:395&from=${date}&days=1`) {
  const answer = await app.request(HOST, path);
  if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
  const kem = answer.json<{ centres: CentreAvailability[] }>().centres.find((c) => c.facility.id === KEM);
  return { free: kem?.sessions.find((s) => s.id === sessionId)?.doses[0].available, age: Number(answer.headers.age), text: answer.text };
}

const takePlaces = (n: number) =>
  tenantQuery(first, 'in', 'update session_capacity set online_booked = online_booked + $2 where session_id = $1 and dose_number = 1', [
    sessionId,
    n,
  ]);

test.serial('an entry one process read is answered by the other while it is young; neither answers older than the lifetime', async (t) => {
  // The first process reads the district (nobody has yet): 50 places, stored for the others.
  const read = Date.now();
  const one = await free(first);
  t.is(one.free, 50);
  t.is(one.age, 0);
  const stored = await tenantQuery<{ n: number }>(
    first,
    'in',
    `select count(*)::int as n from availability_snapshot where key like '%|area|district|395|%'`,
  );
  t.is(stored[0].n, 1, 'the entry is stored for the other processes');

  // Places taken behind both processes' backs: the second process, which never read the district,
  // answers what the first read (the shared entry), not the sessions as they are now.
  await takePlaces(3);
  await delay(1_100);
  const [hits, misses] = [await lookups('hit'), await lookups('miss')];
  const two = await free(second);
  t.is((await lookups('hit')) - hits, 1, 'taken from the shared entry');
  t.is((await lookups('miss')) - misses, 0);
  t.is(two.free, 50, 'the shared entry, not a read of its own');
  t.is(two.text, one.text);
  t.true(two.age >= 1 && two.age <= TTL_SECONDS, `Age ${two.age} counts from the first process's read`);

  // Past the lifetime of that read, either process reads the sessions again, and the other takes that.
  await delay(Math.max(0, read + TTL_SECONDS * 1000 + 100 - Date.now()));
  const three = await free(second);
  t.is(three.free, 47, 'after the lifetime, the places taken show');
  t.is(three.age, 0);
  const four = await free(first);
  t.is(four.free, 47, 'and the first process answers the entry the second read');
});

test.serial('a read that finds nothing changed stores the same digest anew; hour-old entries are purged by housekeeping', async (t) => {
  await delay(TTL_SECONDS * 1000 + 100);
  const before = await free(first);
  const [{ digest }] = await tenantQuery<{ digest: string }>(
    first,
    'in',
    `select digest from availability_snapshot where key like '%|area|district|395|%'`,
  );
  await delay(TTL_SECONDS * 1000 + 100);
  // Read again from the sessions by the second process: the same text, so the same digest, renewed.
  const after = await free(second);
  t.is(after.text, before.text);
  t.is(after.age, 0);
  const rows = await tenantQuery<{ digest: string; fresh: boolean }>(
    first,
    'in',
    `select digest, computed_at > now() - interval '2 seconds' as fresh from availability_snapshot where key like '%|area|district|395|%'`,
  );
  t.deepEqual(rows, [{ digest, fresh: true }]);

  await tenantQuery(first, 'in', `update availability_snapshot set computed_at = now() - interval '61 minutes'`);
  const tenant = first.platform.tenants.byCode('in')!;
  const purged = await purgeExpired(tenant.orm.em.fork(), tenant.config);
  t.true(purged.availabilitySnapshots >= 1, JSON.stringify(purged));
  const left = await tenantQuery<{ n: number }>(first, 'in', 'select count(*)::int as n from availability_snapshot');
  t.is(left[0].n, 0);
  // A process whose own entry is still young goes on answering it; the next read stores a new one.
  await delay(TTL_SECONDS * 1000 + 100);
  t.is((await free(first)).text, before.text);
  const again = await tenantQuery<{ n: number }>(first, 'in', 'select count(*)::int as n from availability_snapshot');
  t.is(again[0].n, 1);
});

test.serial(
  'a process that took an entry lets it go a little early, so the other processes take its read instead of all reading at once',
  async (t) => {
    // Nothing young anywhere: the first process reads the district, and the second takes that entry.
    await delay(TTL_SECONDS * 1000 + 100);
    t.is((await free(first)).age, 0);
    // When PostgreSQL read it (the same clock as Date.now() here): both processes count the entry's
    // lifetime from that; the first process's own count began just before.
    const [{ at }] = await tenantQuery<{ at: number }>(
      first,
      'in',
      `select (extract(epoch from computed_at) * 1000)::float8 as at from availability_snapshot where key like '%|area|district|395|%'`,
    );
    const read = Number(at);
    await delay(1_000);
    const taken = await free(second);
    t.true(taken.age >= 1, 'taken from the first process');
    await takePlaces(2);
    const places = taken.free! - 2;

    // The second process let its copy go before the lifetime's end (here by 200-400 ms): it reads
    // the sessions now, while the first still holds its own read for the full lifetime.
    await delay(Math.max(0, read + TTL_SECONDS * 1000 - 150 - Date.now()));
    const misses = await lookups('miss');
    const early = await free(second);
    t.is((await lookups('miss')) - misses, 1, 'the second process read the district');
    t.is(early.free, places);
    t.is(early.age, 0);

    // When the first process's entry ends, it takes that read: asked at once, neither reads again.
    await delay(Math.max(0, read + TTL_SECONDS * 1000 + 300 - Date.now()));
    const hits = await lookups('hit');
    const [one, two] = await Promise.all([free(first), free(second)]);
    t.is((await lookups('miss')) - misses, 1, 'no second read of the district');
    t.is((await lookups('hit')) - hits, 1, 'the first process took the second one’s read');
    t.is(one.free, places);
    t.is(two.free, places);
    t.is(one.text, two.text);
  },
);

test('an entry taken from another process is let go before its lifetime ends, never after, and never at once', (t) => {
  const ttl = 10_000;
  for (const random of [0, 0.5, 0.999]) {
    // Taken young: between 0.5 and 1 s early (a tenth of the lifetime, at most 1 s).
    const young = takenUntil(0, ttl, 1_000, random);
    t.true(young <= ttl - 500 && young > ttl - 1_000, `${young}`);
    // Taken with 1.2 s left: at most half of that early, so it is kept at least 0.6 s.
    const late = takenUntil(0, ttl, 8_800, random);
    t.true(late < ttl && late >= 8_800 + 600, `${late}`);
  }
  // A short lifetime: a tenth of it.
  t.true(takenUntil(0, 2_000, 0, 0) === 1_900);
});

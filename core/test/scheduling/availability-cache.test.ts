import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import { answerCacheSize } from '../../src/kernel/cache/answer-bytes.js';
import { cacheLookups } from '../../src/kernel/cache/cache-metrics.js';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { entryCacheSize } from '../../src/scheduling/availability-cache.js';
import { AvailabilityService, type CentreAvailability } from '../../src/scheduling/availability-service.js';
import { FacilityService, type FacilityView } from '../../src/scheduling/facility-service.js';
import { SessionService } from '../../src/scheduling/session-service.js';
import { addDays } from '../../src/vaccination/dose-schedule.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { dayFromToday, makeCitizens, tenantDb, tenantQuery } from '../support/scheduling.js';

/**
 * The availability cache (scheduling/availability-cache.ts): one entry per district, postal code
 * or centre holding the published window, from which every calendar and language is cut. Checked
 * against the uncached path (FacilityService + SessionService.between, what searches ran before),
 * for staleness (bounded by `scheduling.availabilityCacheSeconds`, here 2 s) and for its memory
 * bound (TEEKA_AVAILABILITY_CACHE_MB, here 1 MiB).
 */
const ADMIN_PASSWORD = 'test-admin-password-availability-cache';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
// Read when the caches are first used, after this line: 768 KiB of entries, 256 KiB of answers.
process.env.TEEKA_AVAILABILITY_CACHE_MB = '1';
const HOST = 'in.localhost';
const TTL_SECONDS = 2;
const KEM = 1001; // Mumbai (395), PIN 400012, free; named in Hindi
const HINDUJA = 1005; // Mumbai, PIN 400016, paid

const paths = projectCopy({
  tenants: { in: (yaml) => `${yaml}\nscheduling:\n  availabilityCacheSeconds: ${TTL_SECONDS}\n` },
});
let app: TestPlatform;
let admin: Record<string, string>;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], paths } });
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  admin = bearer(signIn.json().token);
  // Sessions on the window's edges (today, day 13 and 26 are its first, 14th and last days) and
  // beyond it, of two vaccines and age bands, at a free and a paid centre; one opening later.
  const day = (n: number) => dayFromToday(app, 'in', n);
  const sessions = [
    { facilityId: KEM, date: day(0), vaccine: 'covishield', minAge: 18 },
    { facilityId: KEM, date: day(0), vaccine: 'covaxin', minAge: 45, maxAge: 59 },
    { facilityId: HINDUJA, date: day(6), vaccine: 'covaxin', minAge: 18 },
    { facilityId: HINDUJA, date: day(7), vaccine: 'covishield', minAge: 60 },
    { facilityId: KEM, date: day(13), vaccine: 'covaxin', minAge: 18, opensAt: new Date(Date.now() + 86_400_000).toISOString() },
    { facilityId: 1002, date: day(14), vaccine: 'covishield', minAge: 18 },
    { facilityId: KEM, date: day(20), vaccine: 'covishield', minAge: 18 },
    { facilityId: HINDUJA, date: day(26), vaccine: 'covaxin', minAge: 18 },
    { facilityId: KEM, date: day(27), vaccine: 'covishield', minAge: 18 },
    { facilityId: 1002, date: day(30), vaccine: 'covaxin', minAge: 18 },
  ].map((s) => ({
    ...s,
    slots: ['11:00AM-01:00PM', '01:00PM-03:00PM'],
    capacities: [
      { dose: 1, online: 10, walkin: 2 },
      { dose: 2, online: 5 },
    ],
  }));
  const created = await app.request(HOST, '/api/v1/staff/sessions/bulk', { method: 'POST', headers: admin, body: sessions });
  if (created.status !== 201) throw new Error(`sessions: ${created.status} ${created.text}`);
  // A cancelled session is never listed; a past one only in a calendar that asks for that day.
  const [, , , , , cancelled] = created.json<{ sessions: { id: string }[] }>().sessions;
  const cancel = await app.request(HOST, `/api/v1/staff/sessions/${cancelled.id}/cancel`, { method: 'POST', headers: admin, body: {} });
  if (cancel.status !== 200) throw new Error(`cancel: ${cancel.status} ${cancel.text}`);
  const db = tenantDb(app, 'in');
  await db.connect();
  try {
    await db.query(
      `with s as (insert into vaccination_session (id, facility_id, date, vaccine, min_age)
                  values (gen_random_uuid(), $1, $2::date, 'covishield', 18) returning id)
       insert into session_capacity (session_id, dose_number, online_capacity, walkin_capacity) select id, 1, 7, 0 from s`,
      [KEM, day(-1)],
    );
  } finally {
    await db.end();
  }
});
test.after.always(async () => {
  await app?.stop();
  rmSync(paths.root, { recursive: true, force: true });
});

/** A request-like scope in `lng`, to call the services as a request would. */
function scope(lng: string) {
  const tenant = app.platform.tenants.byCode('in')!;
  const container = tenant.container.createChildContainer();
  container.registerInstance(TOKENS.EntityManager, tenant.orm.em.fork());
  container.registerInstance(TOKENS.Language, lng);
  container.registerInstance(TOKENS.Translate, (key: string) => key);
  container.registerInstance(TOKENS.RequestOrigin, { ip: '127.0.0.1', userAgent: 'test' });
  container.registerInstance(TOKENS.Logger, tenant.log);
  return container;
}

type Target = { area: [string, number] } | { postal: string } | { centre: number };

/** What a search answered before the cache had entries: the centres, then their sessions over exactly the calendar. */
async function uncached(lng: string, target: Target, from: string, days: number): Promise<CentreAvailability[]> {
  const container = scope(lng);
  const facilities = container.resolve(FacilityService);
  let list: FacilityView[];
  if ('area' in target) list = await facilities.inArea(...target.area);
  else if ('postal' in target) list = await facilities.withPostalCode(target.postal);
  else
    list = await facilities.get(target.centre).then(
      (f) => [f],
      () => [],
    );
  const sessions = await container.resolve(SessionService).between(
    list.map((f) => f.id),
    from,
    addDays(from, Math.min(Math.max(days, 1), 14) - 1),
  );
  return list.map((facility) => ({ facility, sessions: sessions.filter((s) => s.facilityId === facility.id) }));
}

async function cached(lng: string, target: Target, from: string, days: number): Promise<CentreAvailability[]> {
  const service = scope(lng).resolve(AvailabilityService);
  if ('area' in target) return service.byArea(...target.area, from, days);
  if ('postal' in target) return service.byPostalCode(target.postal, from, days);
  const one = await service.byCentre(target.centre, from, days);
  return one ? [one] : [];
}

test.serial('every calendar cut from an entry equals the uncached answer: window edges, beyond it, the past, each language', async (t) => {
  const targets: Target[] = [
    { area: ['district', 395] },
    { area: ['state', 21] },
    { postal: '400012' },
    { postal: '400016' },
    { centre: HINDUJA },
    { centre: 999_999 },
  ];
  const day = (n: number) => dayFromToday(app, 'in', n);
  const calendars: [string, number][] = [
    [day(0), 1],
    [day(0), 7],
    [day(6), 1],
    [day(7), 7],
    [day(13), 14], // ends on the window's last day
    [day(14), 14], // ends a day beyond it: an entry of its own
    [day(27), 7],
    [day(-1), 3], // starts yesterday
    [day(0), 30], // at most 14 days
  ];
  let sessions = 0;
  for (const lng of ['en', 'hi']) {
    for (const target of targets) {
      for (const [from, days] of calendars) {
        const expected = await uncached(lng, target, from, days);
        // Twice: the second is cut from the entry the first read.
        for (const round of ['first', 'second']) {
          const actual = await cached(lng, target, from, days);
          t.is(JSON.stringify(actual), JSON.stringify(expected), `${lng} ${JSON.stringify(target)} ${from} ${days} days (${round})`);
        }
        sessions += expected.reduce((sum, c) => sum + c.sessions.length, 0);
      }
    }
  }
  t.true(sessions > 50, `the calendars held sessions (${sessions})`);
  const kem = (await cached('hi', { centre: KEM }, day(0), 14))[0];
  t.is(kem.facility.name, 'केईएम अस्पताल, परेल', 'names in the language asked');
  t.deepEqual(
    kem.sessions.map((s) => s.date),
    [day(0), day(0), day(13)],
    'the cancelled session is not listed; the past one only when asked',
  );
  t.regex(String(kem.sessions[2].bookableFrom), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test.serial(
  'HTTP answers from the kept bytes are the same as built ones, per language and endpoint; a vaccine filter narrows signed-in ones',
  async (t) => {
    const date = dayFromToday(app, 'in', 0);
    const cowinDay = `${date.slice(8, 10)}-${date.slice(5, 7)}-${date.slice(0, 4)}`;
    const paths = [
      `/api/v1/availability?area=district:395&from=${date}&days=7`,
      `/api/v1/availability?area=district:395&from=${date}&days=7&lng=hi`,
      `/api/v1/availability?facility=${KEM}&from=${date}&days=14`,
      `/cowin/v2/appointment/sessions/public/findByDistrict?district_id=395&date=${cowinDay}`,
      `/cowin/v2/appointment/sessions/public/calendarByDistrict?district_id=395&date=${cowinDay}`,
      `/cowin/v2/appointment/sessions/public/calendarByPin?pincode=400012&date=${cowinDay}`,
      `/cowin/v2/appointment/sessions/public/calendarByCenter?center_id=${HINDUJA}&date=${cowinDay}`,
    ];
    const bodies = new Map<string, string>();
    for (const path of paths) {
      for (const headers of [{}, { 'Accept-Language': 'hi_IN' }] as Record<string, string>[]) {
        const first = await app.request(HOST, path, { headers });
        const again = await app.request(HOST, path, { headers });
        t.is(first.status, 200, `${path}: ${first.text}`);
        t.is(again.text, first.text, path);
        // Joined from texts kept per entry object: still exactly what serialising the whole answer writes.
        t.is(first.text, JSON.stringify(JSON.parse(first.text)), `${path}: the bytes of JSON.stringify`);
        t.is(again.headers['content-type'], 'application/json; charset=utf-8');
        t.regex(String(again.headers['cache-control']), /^public, max-age=\d+$/);
        t.regex(String(again.headers.age), /^\d+$/);
        bodies.set(`${JSON.stringify(headers)} ${path}`, first.text);
      }
    }
    // Co-WIN's *_l fields come only with Accept-Language: the kept bytes of one never answer the other.
    const find = paths[3];
    t.false(bodies.get(`{} ${find}`)!.includes('name_l'));
    t.true(bodies.get(`{"Accept-Language":"hi_IN"} ${find}`)!.includes('"name_l":"केईएम अस्पताल, परेल"'));
    t.true(bodies.get(`{} ${paths[1]}`)!.includes('केईएम अस्पताल, परेल'));
    t.false(bodies.get(`{} ${paths[0]}`)!.includes('केईएम अस्पताल, परेल'));

    // The native answers cut from kept bytes are the service's answer, exactly, for calendars
    // starting and ending anywhere in the entry's window.
    for (const [from, days] of [
      [date, 7],
      [dayFromToday(app, 'in', 6), 2],
      [dayFromToday(app, 'in', 13), 14],
    ] as [string, number][]) {
      for (const lng of ['en', 'hi']) {
        const answer = await app.request(HOST, `/api/v1/availability?area=district:395&from=${from}&days=${days}&lng=${lng}`);
        const service = await cached(lng, { area: ['district', 395] }, from, days);
        t.deepEqual(answer.json(), { from, days, centres: JSON.parse(JSON.stringify(service)) }, `${from} ${days} ${lng}`);
      }
    }

    const [citizen] = await makeCitizens(app, 'in', [[1990]]);
    const everything = JSON.parse(bodies.get(`{} ${paths[4]}`)!) as { centers: { center_id: number; sessions: { vaccine: string }[] }[] };
    const signedIn = await app.request(
      HOST,
      `/cowin/v2/appointment/sessions/calendarByDistrict?district_id=395&date=${cowinDay}&vaccine=COVAXIN`,
      {
        headers: bearer(citizen.token),
      },
    );
    t.is(signedIn.status, 200, signedIn.text);
    t.is(signedIn.headers['cache-control'], 'private, no-cache');
    const expected = everything.centers
      .map((centre) => ({ ...centre, sessions: centre.sessions.filter((s) => s.vaccine === 'COVAXIN') }))
      .filter((centre) => centre.sessions.length > 0);
    t.true(expected.length > 0);
    t.deepEqual(signedIn.json().centers, expected);

    const metrics = await app.request('localhost', '/metrics');
    const hits = /cache_lookups_total\{tenant="in",cache="availability-answer",result="hit"\} (\d+)/.exec(metrics.text);
    t.true(Number(hits?.[1]) >= paths.length * 2, 'repeated answers were served from kept bytes, and counted');
  },
);

test.serial('staleness is bounded by availabilityCacheSeconds: a booking shows once the entry has expired', async (t) => {
  const date = dayFromToday(app, 'in', 3);
  const created = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: { facilityId: KEM, date, vaccine: 'covishield', minAge: 18, slots: ['09:00AM-11:00AM'], capacities: [{ dose: 1, online: 5 }] },
  });
  t.is(created.status, 201, created.text);
  const sessionId = created.json<{ id: string }>().id;
  const free = async () => {
    const answer = await app.request(HOST, `/api/v1/availability?area=district:395&from=${date}&days=1`);
    const kem = answer.json<{ centres: CentreAvailability[] }>().centres.find((c) => c.facility.id === KEM)!;
    return { free: kem.sessions.find((s) => s.id === sessionId)!.doses[0].available, age: Number(answer.headers.age) };
  };
  // A district entry read now (and a day's calendar of it) holds the session with 5 places.
  await delay(TTL_SECONDS * 1000 + 100);
  const before = await free();
  const read = Date.now();
  t.is(before.free, 5);
  const [citizen] = await makeCitizens(app, 'in', [[1990]]);
  const booked = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId, slot: '09:00AM-11:00AM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
  });
  t.is(booked.status, 201, booked.text);
  const soon = await free();
  // Within the lifetime the cached answer may still say 5 (that is the bound, not a bug), never older.
  if (Date.now() - read < TTL_SECONDS * 1000) t.true(soon.free === 5 || soon.free === 4);
  t.true(soon.age <= TTL_SECONDS);
  await delay(Math.max(0, read + TTL_SECONDS * 1000 + 100 - Date.now()));
  t.is((await free()).free, 4, 'after the lifetime, the booking shows');
  // Co-WIN's answers are joined from texts kept per entry object: a new entry gives new texts, in every language.
  const cowinDay = `${date.slice(8, 10)}-${date.slice(5, 7)}-${date.slice(0, 4)}`;
  for (const headers of [{}, { 'Accept-Language': 'hi_IN' }] as Record<string, string>[]) {
    const rows = await app.request(HOST, `/cowin/v2/appointment/sessions/public/findByDistrict?district_id=395&date=${cowinDay}`, {
      headers,
    });
    const row = rows
      .json<{ sessions: { session_id: string; available_capacity_dose1: number }[] }>()
      .sessions.find((s) => s.session_id === sessionId);
    t.is(row?.available_capacity_dose1, 4, `findByDistrict ${JSON.stringify(headers)}`);
    const calendar = await app.request(HOST, `/cowin/v2/appointment/sessions/public/calendarByDistrict?district_id=395&date=${cowinDay}`, {
      headers,
    });
    const session = calendar
      .json<{ centers: { sessions: { session_id: string; available_capacity: number }[] }[] }>()
      .centers.flatMap((c) => c.sessions)
      .find((s) => s.session_id === sessionId);
    t.is(session?.available_capacity, 4, `calendarByDistrict ${JSON.stringify(headers)}`);
  }
});

/** The process's count of `cache` look-ups with `result` for tenant `in`. */
async function lookups(cache: string, result: 'hit' | 'miss'): Promise<number> {
  const { values } = await cacheLookups.get();
  return values.find((v) => v.labels.tenant === 'in' && v.labels.cache === cache && v.labels.result === result)?.value ?? 0;
}

test.serial(
  'an entry read again unchanged is renewed: its answers are served from the bytes kept, with a new Age; a renamed district still shows',
  async (t) => {
    const date = dayFromToday(app, 'in', 0);
    const cowinDay = `${date.slice(8, 10)}-${date.slice(5, 7)}-${date.slice(0, 4)}`;
    const paths = [
      `/api/v1/availability?area=district:395&from=${date}&days=7`,
      `/cowin/v2/appointment/sessions/public/calendarByDistrict?district_id=395&date=${cowinDay}`,
      `/cowin/v2/appointment/sessions/public/findByDistrict?district_id=395&date=${cowinDay}`,
    ];
    const ask = async (path: string, headers: Record<string, string> = {}) => {
      const answer = await app.request(HOST, path, { headers });
      t.is(answer.status, 200, answer.text);
      return { text: answer.text, age: Number(answer.headers.age) };
    };
    // Every entry and area index read before now has expired: the first round reads and builds.
    await delay(TTL_SECONDS * 1000 + 100);
    const first = await Promise.all(paths.map((path) => ask(path)));
    t.true(
      first.every((answer) => answer.age === 0),
      'a fresh read',
    );
    await delay(TTL_SECONDS * 1000 + 100);
    const [entryMisses, answerHits] = [await lookups('availability-entry', 'miss'), await lookups('availability-answer', 'hit')];
    const again = [];
    for (const path of paths) again.push(await ask(path)); // one after the other: one miss, then hits
    t.is((await lookups('availability-entry', 'miss')) - entryMisses, 1, 'the expired entry was read again, once');
    t.is((await lookups('availability-answer', 'hit')) - answerHits, paths.length, 'and every answer came from the bytes kept');
    t.deepEqual(
      again.map((answer) => answer.text),
      first.map((answer) => answer.text),
    );
    t.true(
      again.every((answer) => answer.age === 0),
      'Age counts from the renewing read, not from the first',
    );

    // Co-WIN's answers also name the district: a new name is shown after the lifetime although no
    // session changed (the area index is one of an answer's sources).
    const [{ name }] = await tenantQuery<{ name: string }>(app, 'in', `select name from area where level = 'district' and id = 395`);
    await tenantQuery(app, 'in', `update area set name = 'Mumbai (renamed)' where level = 'district' and id = 395`);
    try {
      await delay(TTL_SECONDS * 1000 + 100);
      const rows = JSON.parse((await ask(paths[2])).text) as { sessions: { district_name: string }[] };
      t.true(rows.sessions.length > 0);
      t.true(
        rows.sessions.every((row) => row.district_name === 'Mumbai (renamed)'),
        'findByDistrict names the district anew',
      );
      const calendar = JSON.parse((await ask(paths[1])).text) as { centers: { district_name: string }[] };
      t.true(calendar.centers.every((centre) => centre.district_name === 'Mumbai (renamed)'));
      t.is((await ask(paths[0])).text, first[0].text, 'the native answer does not name areas: still the same');
    } finally {
      await tenantQuery(app, 'in', `update area set name = $1 where level = 'district' and id = 395`, [name]);
    }
  },
);

test.serial('Co-WIN location lists are kept per language for availabilityCacheSeconds, then read again', async (t) => {
  const districts = async (language?: string) => {
    const answer = await app.request(HOST, '/cowin/v2/admin/location/districts/21', {
      headers: language ? { 'Accept-Language': language } : {},
    });
    t.is(answer.status, 200, answer.text);
    t.is(answer.headers['content-type'], 'application/json; charset=utf-8');
    return answer.json<{ districts: { district_id: number; district_name: string; district_name_l?: string }[] }>().districts;
  };
  const mumbai = async (language?: string) => (await districts(language)).find((d) => d.district_id === 395)!;
  const [{ name }] = await tenantQuery<{ name: string }>(app, 'in', `select name from area where level = 'district' and id = 395`);
  await tenantQuery(app, 'in', `update area set names = '{"hi": "मुंबई"}' where level = 'district' and id = 395`);
  try {
    await delay(TTL_SECONDS * 1000 + 100);
    t.deepEqual(Object.keys(await mumbai()), ['state_id', 'district_id', 'district_name'], 'no *_l fields without Accept-Language');
    t.like(await mumbai('hi'), { district_name: 'Mumbai', district_name_l: 'मुंबई' }, 'the Hindi list is its own');
    const read = Date.now();
    await tenantQuery(app, 'in', `update area set name = 'Mumbai (renamed)' where level = 'district' and id = 395`);
    if (Date.now() - read < TTL_SECONDS * 1000) t.is((await mumbai()).district_name, 'Mumbai', 'kept within the lifetime');
    await delay(Math.max(0, read + TTL_SECONDS * 1000 + 100 - Date.now()));
    t.is((await mumbai()).district_name, 'Mumbai (renamed)', 'read again after the lifetime');
    t.like(await mumbai('hi'), { district_name: 'Mumbai (renamed)', district_name_l: 'मुंबई' });
  } finally {
    await tenantQuery(app, 'in', `update area set name = $1, names = null where level = 'district' and id = 395`, [name]);
  }
});

test.serial('the cache is bounded by TEEKA_AVAILABILITY_CACHE_MB, whatever is searched', async (t) => {
  const db = tenantDb(app, 'in');
  await db.connect();
  let districts: number[];
  try {
    districts = (await db.query(`select id from area where level = 'district' and id <> 395 order by id limit 6`)).rows.map((r) => r.id);
    // 25 centres in each of 6 districts, each with a session on each of 14 days: entries of ~0.4 MB estimated.
    await db.query(
      `insert into facility (id, name, address, area_level, area_id, postal_code, latitude, longitude, opens_at, closes_at, fee_type)
       select 500000 + n, 'Cache Centre ' || n, 'Cache Road ' || n, 'district', ($1::int[])[1 + n % 6], '110001', 20, 75, '09:00', '17:00', 'free'
       from generate_series(0, 149) as n`,
      [districts],
    );
    await db.query(
      `with s as (insert into vaccination_session (id, facility_id, date, vaccine, min_age)
                  select gen_random_uuid(), 500000 + n, $1::date + d, 'covishield', 18 from generate_series(0, 149) as n, generate_series(0, 13) as d
                  returning id)
       insert into session_capacity (session_id, dose_number, online_capacity, walkin_capacity) select id, 1, 100, 0 from s`,
      [dayFromToday(app, 'in', 0)],
    );
  } finally {
    await db.end();
  }
  const date = dayFromToday(app, 'in', 0);
  for (const district of [...districts, ...districts]) {
    const answer = await app.request(HOST, `/api/v1/availability?area=district:${district}&from=${date}&days=14`);
    t.is(answer.status, 200);
    const centres = answer.json<{ centres: CentreAvailability[] }>().centres;
    t.is(centres.length, 25, 'every centre, whether its entry was kept or not');
    t.true(centres.every((c) => c.sessions.length === 14));
    const entries = entryCacheSize();
    t.true(entries.bytes <= entries.maxBytes, `entries ${entries.bytes} <= ${entries.maxBytes}`);
    const answers = answerCacheSize();
    t.true(answers.bytes <= answers.maxBytes, `answers ${answers.bytes} <= ${answers.maxBytes}`);
  }
  t.is(entryCacheSize().maxBytes, 0.75 * 2 ** 20);
  t.true(entryCacheSize().entries < districts.length, 'older entries were dropped to stay within the bound');
});

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { ConfigError } from '../../src/kernel/errors.js';
import { readAreaSeeds } from '../../src/scheduling/area-seeds.js';
import { createDemoSessions, type DemoSessionPlan, parseDemoSessionPlan, readDemoSessionPlan } from '../../src/scheduling/demo-sessions.js';
import { type FacilitySeed, readFacilitySeeds } from '../../src/scheduling/facility-seeds.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, tenantDb, tenantQuery } from '../support/scheduling.js';

const DAYS = 8; // today to today + 7
const MUMBAI = 395;
const KEM = 1001;

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ env: { TEEKA_DEMO_SESSIONS: 'on' }, settings: { tenantCodes: ['in', 'mx', 'ae'] } });
});
test.after.always(async () => {
  await app?.stop();
});

function seedsOf(code: string): { facilities: FacilitySeed[]; plan: DemoSessionPlan } {
  const { paths } = app.settings;
  const config = app.platform.tenants.byCode(code)!.config;
  const facilities = readFacilitySeeds(
    paths.tenants,
    paths.root,
    config,
    readAreaSeeds(paths.tenants, paths.root, code, config.areas.levels),
  );
  return { facilities, plan: readDemoSessionPlan(paths.tenants, paths.root, config, facilities)! };
}

const query = <T = Record<string, unknown>>(code: string, sql: string, params: unknown[] = []) => tenantQuery<T>(app, code, sql, params);

const createdLogs = (platform: TestPlatform) =>
  platform.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'demo sessions created where missing');

test('India: every day from today to today + 7, Mumbai centres (free and paid) offer both vaccines, both doses, 18+ and 45+', async (t) => {
  const rows = await query<{
    date: string;
    facility_id: number;
    fee_type: string;
    vaccine: string;
    min_age: number;
    dose_number: number;
    free: number;
  }>(
    'in',
    `select to_char(s.date, 'YYYY-MM-DD') as date, s.facility_id, f.fee_type, s.vaccine, s.min_age, c.dose_number,
            c.online_capacity - c.online_booked as free
     from vaccination_session s
     join facility f on f.id = s.facility_id
     join session_capacity c on c.session_id = s.id
     where f.area_level = 'district' and f.area_id = $1`,
    [MUMBAI],
  );
  for (let day = 0; day < DAYS; day++) {
    const date = dayFromToday(app, 'in', day);
    const onDay = rows.filter((row) => row.date === date);
    const centres = new Set(onDay.map((row) => row.facility_id));
    t.true(centres.size >= 3, `${date}: ${centres.size} Mumbai centres`);
    t.deepEqual([...new Set(onDay.map((row) => row.fee_type))].sort(), ['free', 'paid'], `${date}: free and paid centres`);
    for (const vaccine of ['covishield', 'covaxin']) {
      for (const minAge of [18, 45]) {
        for (const dose of [1, 2]) {
          const offering = onDay.filter((r) => r.vaccine === vaccine && r.min_age === minAge && r.dose_number === dose && r.free > 0);
          t.true(offering.length >= 3, `${date}: ${vaccine} ${minAge}+ dose ${dose} at ${offering.length} Mumbai centres`);
        }
      }
    }
  }
  t.is(rows.filter((row) => row.date === dayFromToday(app, 'in', DAYS)).length, 0, 'nothing beyond the window');
});

test('every demo session keeps the invariants: slots inside opening hours, slot places summing to the online places', async (t) => {
  for (const code of ['in', 'mx', 'ae']) {
    const broken = await query(
      code,
      `select s.id from vaccination_session s
       where (select sum(capacity) from session_slot where session_id = s.id)
             is distinct from (select sum(online_capacity) from session_capacity where session_id = s.id)`,
    );
    t.deepEqual(broken, [], `${code}: slot places = online places`);
    const [{ count }] = await query<{ count: number }>(code, 'select count(*)::int as count from vaccination_session');
    const { plan } = seedsOf(code);
    t.is(count, plan.sessions.length * DAYS, `${code}: every planned session on every day`);
  }
});

test('Mexico City and Abu Dhabi get sessions for their own vaccines on every day', async (t) => {
  const cases = [
    { code: 'mx', where: `f.area_level = 'municipio' and f.area_id between 9002 and 9017`, vaccines: ['comirnaty', 'vaxzevria'] },
    { code: 'ae', where: `f.area_level = 'emirate' and f.area_id = 1`, vaccines: ['comirnaty', 'sinopharm'] },
  ];
  for (const { code, where, vaccines } of cases) {
    const rows = await query<{ date: string; facilities: number; vaccines: string[]; doses: number[] }>(
      code,
      `select to_char(s.date, 'YYYY-MM-DD') as date, count(distinct s.facility_id)::int as facilities,
              array_agg(distinct s.vaccine order by s.vaccine) as vaccines, array_agg(distinct c.dose_number order by c.dose_number) as doses
       from vaccination_session s join facility f on f.id = s.facility_id join session_capacity c on c.session_id = s.id
       where ${where} group by s.date order by s.date`,
    );
    t.deepEqual(
      rows.map((row) => row.date),
      Array.from({ length: DAYS }, (_, day) => dayFromToday(app, code, day)),
    );
    for (const row of rows) {
      t.true(row.facilities >= 3, `${code} ${row.date}: ${row.facilities} centres`);
      for (const vaccine of vaccines) t.true(row.vaccines.includes(vaccine), `${code} ${row.date}: ${vaccine}`);
      t.deepEqual(row.doses, [1, 2]);
    }
  }
});

test('the public API shows free places at a Mumbai centre today and a week ahead', async (t) => {
  for (const day of [0, 7]) {
    const date = dayFromToday(app, 'in', day);
    const response = await app.request('in.localhost', `/api/v1/sessions?facility=${KEM}&date=${date}`);
    t.is(response.status, 200, response.text);
    const sessions: {
      vaccine: string;
      minAge: number;
      doses: { dose: number; available: number }[];
      slots: { label: string; available: number }[];
    }[] = response.json().sessions;
    t.deepEqual(sessions.map((s) => `${s.vaccine} ${s.minAge}+`).sort(), [
      'covaxin 18+',
      'covaxin 45+',
      'covishield 18+',
      'covishield 45+',
    ]);
    for (const session of sessions) {
      t.deepEqual(
        session.doses.map((d) => d.dose),
        [1, 2],
      );
      t.true(
        session.doses.every((d) => d.available > 0),
        'free places for both doses',
      );
      t.deepEqual(
        session.slots.map((s) => s.label),
        ['09:00AM-11:00AM', '11:00AM-01:00PM', '02:00PM-05:00PM'],
      );
      t.true(session.slots.every((s) => s.available > 0));
    }
  }
  t.like(
    createdLogs(app).find((entry) => entry.tenant === 'in'),
    { created: seedsOf('in').plan.sessions.length * DAYS },
  );
});

test('a second start creates nothing, and concurrent seeding never creates a session twice', async (t) => {
  const count = async () => (await query<{ n: number }>('in', 'select count(*)::int as n from vaccination_session'))[0].n;
  const before = await count();
  const tenant = app.platform.tenants.byCode('in')!;
  const { plan } = seedsOf('in');
  t.is(await createDemoSessions(tenant.orm, tenant.config, plan), 0, 'the same window again');

  // A second app process starting on the same databases.
  const second = await startTestPlatform({
    env: { TEEKA_DEMO_SESSIONS: 'on' },
    settings: { tenantCodes: ['in'], databasePrefix: app.settings.databasePrefix },
  });
  try {
    t.like(createdLogs(second)[0], { tenant: 'in', created: 0 });
  } finally {
    await second.platform.stop(); // the databases are the first platform's to drop
  }
  t.is(await count(), before);

  // Two starts at once on a new window (a month on): each session is created by exactly one.
  const later = new Date(Date.now() + 30 * 86_400_000);
  const created = await Promise.all([
    createDemoSessions(tenant.orm, tenant.config, plan, later),
    createDemoSessions(tenant.orm, tenant.config, plan, later),
  ]);
  t.is(created[0] + created[1], plan.sessions.length * DAYS);
  const duplicates = await query(
    'in',
    `select facility_id, date, vaccine, min_age from vaccination_session group by 1, 2, 3, 4 having count(*) > 1`,
  );
  t.deepEqual(duplicates, []);
});

test('a plan that does not fit the centres stops start-up, naming the problem', (t) => {
  const { facilities } = seedsOf('in');
  const config = app.platform.tenants.byCode('in')!.config;
  const plan = (entry: Record<string, unknown>) =>
    JSON.stringify({
      sessions: [
        {
          facilities: [KEM],
          vaccines: ['covishield'],
          ages: [{ minAge: 18 }],
          slots: ['09:00AM-11:00AM'],
          capacities: [{ dose: 1, online: 10 }],
          ...entry,
        },
      ],
    });
  const parse = (entry: Record<string, unknown>) => () => parseDemoSessionPlan(plan(entry), 'demo-sessions.json', config, facilities);
  t.notThrows(parse({}));
  t.throws(parse({ slots: ['07:00AM-09:00AM'] }), { instanceOf: ConfigError, message: /outside the opening hours of facility 1001/ });
  t.throws(parse({ facilities: [1102], vaccines: ['covaxin'], slots: ['10:00AM-12:00PM'] }), {
    instanceOf: ConfigError,
    message: /paid but has no fee for covaxin/,
  });
  t.throws(parse({ facilities: [1006] }), { instanceOf: ConfigError, message: /facility 1006 is closed/ });
  t.throws(parse({ vaccines: ['sputnik'] }), { instanceOf: ConfigError, message: /not one of the tenant's vaccines/ });
  t.throws(parse({ capacities: [{ dose: 4, online: 1 }] }), { instanceOf: ConfigError, message: /covishield has no dose 4/ });
  t.throws(parse({ ages: [{ minAge: 18 }, { minAge: 18 }] }), { instanceOf: ConfigError, message: /already has a covishield session/ });
});

/** A copy of the project whose tenants send SMS through a gateway allowed in production. */
function productionProject(): ReturnType<typeof projectPaths> {
  const source = projectPaths();
  const root = mkdtempSync(join(tmpdir(), 'teeka-prod-demo-'));
  for (const folder of ['locales', 'themes', 'tenants']) cpSync(join(source.root, folder), join(root, folder), { recursive: true });
  mkdirSync(join(root, 'plugins'));
  for (const plugin of readdirSync(source.plugins)) symlinkSync(join(source.plugins, plugin), join(root, 'plugins', plugin));
  symlinkSync(join(source.root, 'core', 'test', 'fixtures', 'sms-sink'), join(root, 'plugins', 'sms-sink'));
  const file = join(root, 'tenants', 'in.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('    id: dev-outbox', '    id: sms-sink'));
  return projectPaths(root);
}

test('production mode never creates demo sessions, even with the plan in place and TEEKA_DEMO_SESSIONS on', async (t) => {
  const paths = productionProject();
  const options = {
    env: { NODE_ENV: 'production', TEEKA_DEMO_SESSIONS: 'on' },
    settings: { mode: 'production' as const, tenantCodes: ['in'], paths },
  };
  const missing = await startTestPlatform(options).then(
    (started) => started.stop().then(() => ''),
    (error: Error) => error.message,
  );
  const secrets = missing.match(/TEEKA_[A-Z0-9_]+/g) ?? [];
  for (const name of secrets) process.env[name] = `secret-for-${name}`;
  const production = await startTestPlatform(options);
  try {
    t.is(production.settings.mode, 'production');
    const client = tenantDb(production, 'in');
    await client.connect();
    try {
      t.is((await client.query('select count(*)::int as n from vaccination_session')).rows[0].n, 0);
      t.true((await client.query('select count(*)::int as n from facility')).rows[0].n > 0, 'the centres are there');
    } finally {
      await client.end();
    }
    t.deepEqual(createdLogs(production), []);
  } finally {
    await production.stop();
    for (const name of secrets) delete process.env[name];
  }
});

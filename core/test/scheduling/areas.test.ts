import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/kernel/errors.js';
import { loadTenantAreas, parseAreaSeed } from '../../src/scheduling/area-seeds.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

interface AreaView {
  id: number;
  level: string;
  code: string | null;
  name: string;
}

type Reference = { states: { state_id: number; state_name: string; districts: { district_id: number; district_name: string }[] }[] };
/** Co-WIN's states and districts as served (shared reference data); the seed file must match it. */
const REFERENCE = '/work/shared/reference/data/in-cowin-states-districts.json';
const reference: Reference | undefined = existsSync(REFERENCE) ? JSON.parse(readFileSync(REFERENCE, 'utf8')) : undefined;

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'mx', 'ae'] } });
});
test.after.always(async () => {
  await app?.stop();
});

const get = (code: string, path: string, headers: Record<string, string> = {}) => app.request(`${code}.localhost`, path, { headers });
const list = async (code: string, query = '', headers: Record<string, string> = {}): Promise<AreaView[]> => {
  const response = await get(code, `/api/v1/areas${query}`, headers);
  if (response.status !== 200) throw new Error(`${response.status} ${response.text}`);
  return response.json().areas;
};
const count = async (code: string, sql: string): Promise<number> => {
  const tenant = app.platform.tenants.all.find((t) => t.code === code)!;
  const rows = await tenant.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from area ${sql}`);
  return rows[0].n;
};

test('India: the 37 states with Co-WIN ids, names and ISO codes, public and cacheable', async (t) => {
  const response = await get('in', '/api/v1/areas');
  t.is(response.status, 200, response.text);
  t.is(response.headers['cache-control'], 'public, max-age=300');
  const states: AreaView[] = response.json().areas;
  t.is(states.length, 37);
  if (reference) {
    t.deepEqual(
      Object.fromEntries(states.map((s) => [s.id, s.name])),
      Object.fromEntries(reference.states.map((s) => [s.state_id, s.state_name])),
    );
  }
  t.true(states.every((s) => s.level === 'state'));
  t.deepEqual(
    states.find((s) => s.id === 21),
    { id: 21, level: 'state', code: 'IN-MH', name: 'Maharashtra' },
  );
  t.deepEqual(
    states.map((s) => s.name),
    [...states.map((s) => s.name)].sort((a, b) => a.localeCompare(b, 'en')),
    'sorted by name',
  );
});

test('India: 756 districts with Co-WIN ids; Mumbai is district 395 under Maharashtra (state 21)', async (t) => {
  const districts = await list('in', '?level=district');
  t.is(districts.length, 756);
  if (reference) {
    t.deepEqual(
      Object.fromEntries(districts.map((d) => [d.id, d.name])),
      Object.fromEntries(reference.states.flatMap((s) => s.districts.map((d) => [d.district_id, d.district_name]))),
    );
  }

  const maharashtra = await list('in', '?level=district&parent=21');
  t.is(maharashtra.length, 35, 'Co-WIN lists 35 districts for Maharashtra');
  if (reference) t.is(reference.states.find((s) => s.state_id === 21)?.districts.length, 35);
  t.deepEqual(
    maharashtra.find((d) => d.name === 'Mumbai'),
    { id: 395, level: 'district', code: null, name: 'Mumbai' },
  );
  t.deepEqual(await list('in', '?parent=21'), maharashtra, 'a parent alone means the level below the top');

  const mumbai = await get('in', '/api/v1/areas/district/395');
  t.is(mumbai.status, 200, mumbai.text);
  t.deepEqual(mumbai.json(), { id: 395, level: 'district', code: null, name: 'Mumbai', parent: { level: 'state', id: 21 }, children: 0 });
  const state = await get('in', '/api/v1/areas/state/21');
  t.deepEqual(state.json(), { id: 21, level: 'state', code: 'IN-MH', name: 'Maharashtra', parent: null, children: 35 });
  t.is(state.headers['cache-control'], 'public, max-age=300');
});

test('India: state 1 and district 1 are different areas (ids are per level)', async (t) => {
  t.is((await get('in', '/api/v1/areas/state/1')).json().name, 'Andaman and Nicobar Islands');
  t.is((await get('in', '/api/v1/areas/district/1')).json().name, 'North and Middle Andaman');
});

test('Mexico: 32 estados with INEGI codes, and the 16 alcaldías of Ciudad de México', async (t) => {
  const estados = await list('mx');
  t.is(estados.length, 32);
  t.deepEqual(
    estados.map((e) => e.code).sort(),
    Array.from({ length: 32 }, (_, i) => String(i + 1).padStart(2, '0')),
  );
  t.true(estados.every((e) => e.level === 'estado' && e.code === String(e.id).padStart(2, '0')));
  t.is(estados.find((e) => e.id === 1)!.name, 'Aguascalientes');
  t.is(estados.find((e) => e.id === 9)!.name, 'Ciudad de México');
  t.is(estados.find((e) => e.id === 32)!.name, 'Zacatecas');

  const alcaldias = await list('mx', '?level=municipio&parent=9');
  t.is(alcaldias.length, 16);
  t.deepEqual(
    alcaldias.find((m) => m.name === 'Cuauhtémoc'),
    { id: 9015, level: 'municipio', code: '09015', name: 'Cuauhtémoc' },
  );
  t.deepEqual(await list('mx', '?level=municipio&parent=14'), [], 'Jalisco has none loaded yet');
  t.is((await get('mx', '/api/v1/areas/estado/9')).json().children, 16);
});

test('UAE: the 7 emirates in Arabic by default, in English with ?lng=en or Accept-Language', async (t) => {
  const arabic = await list('ae');
  t.is(arabic.length, 7);
  t.deepEqual(arabic.map((e) => e.code).sort(), ['AE-AJ', 'AE-AZ', 'AE-DU', 'AE-FU', 'AE-RK', 'AE-SH', 'AE-UQ']);
  t.is(arabic.find((e) => e.code === 'AE-DU')!.name, 'دبي');
  t.true(
    arabic.every((e) => /^[\u0600-\u06FF ]+$/.test(e.name)),
    'all in Arabic script',
  );

  const english = await list('ae', '?lng=en');
  t.deepEqual(english.map((e) => e.name).sort(), ['Abu Dhabi', 'Ajman', 'Dubai', 'Fujairah', 'Ras Al Khaimah', 'Sharjah', 'Umm Al Quwain']);
  t.is((await list('ae', '', { 'Accept-Language': 'en' })).find((e) => e.code === 'AE-AZ')!.name, 'Abu Dhabi');
  const one = await get('ae', '/api/v1/areas/emirate/2?lng=en');
  t.is(one.json().name, 'Dubai');
  t.regex(String(one.headers.vary), /Accept-Language/);
  t.is((await get('ae', '/api/v1/areas/emirate/2')).json().name, 'دبي');
});

test.serial('loading again (as a restart does) inserts no duplicates and changes nothing', async (t) => {
  const before = { in: await count('in', ''), mx: await count('mx', ''), ae: await count('ae', '') };
  t.deepEqual(before, { in: 793, mx: 48, ae: 7 });
  for (const tenant of app.platform.tenants.all) {
    const loaded = await loadTenantAreas(tenant, app.settings.paths);
    t.is(loaded.changed, 0, `${tenant.code}: nothing changed`);
    t.is(loaded.seeds, before[tenant.code as keyof typeof before]);
  }
  t.deepEqual({ in: await count('in', ''), mx: await count('mx', ''), ae: await count('ae', '') }, before);

  // An edited name is updated in place, then restored by loading the file again.
  const india = app.platform.tenants.all.find((tenant) => tenant.code === 'in')!;
  await india.orm.em.getConnection().execute(`update area set name = 'Bombay' where level = 'district' and id = 395`);
  t.is((await loadTenantAreas(india, app.settings.paths)).changed, 1);
  t.is((await get('in', '/api/v1/areas/district/395')).json().name, 'Mumbai');
  t.is(await count('in', ''), 793);
});

test('each tenant sees only its own areas', async (t) => {
  t.is((await get('mx', '/api/v1/areas/state/21')).status, 404, "India's levels do not exist in Mexico");
  t.is((await get('ae', '/api/v1/areas/district/395')).status, 404);
  t.is((await get('in', '/api/v1/areas/emirate/2')).status, 404);
  t.is((await get('in', '/api/v1/areas/estado/9')).status, 404);
  t.is(await count('mx', "where level in ('state', 'district', 'emirate')"), 0);
  t.is(await count('ae', "where level <> 'emirate'"), 0);
  t.false((await list('in')).some((s) => s.name === 'Ciudad de México' || s.code?.startsWith('AE-')));
});

test('bad queries are 422 problems, unknown areas 404 problems', async (t) => {
  for (const query of [
    '?level=county',
    '?level=state&parent=21',
    '?parent=abc',
    '?parent=-1',
    '?level=State',
    '?colour=blue',
    '?level=a&level=b',
  ]) {
    const response = await get('in', `/api/v1/areas${query}`);
    t.is(response.status, 422, `${query}: ${response.text}`);
    t.regex(String(response.headers['content-type']), /application\/problem\+json/);
    t.is(response.json().code, 'validation-failed');
  }
  const fields = (await get('in', '/api/v1/areas?level=county')).json().errors as { path: string; code: string }[];
  t.deepEqual(
    fields.map(({ path, code }) => ({ path, code })),
    [{ path: '/level', code: 'choice' }],
  );
  t.is((await get('ae', '/api/v1/areas?parent=1')).status, 200, 'a parent alone lists the level below the top (empty here)');
  for (const path of ['/api/v1/areas/district/999999', '/api/v1/areas/county/1', '/api/v1/areas/state/abc', '/api/v1/areas/state']) {
    const response = await get('in', path);
    t.is(response.status, 404, path);
    t.regex(String(response.headers['content-type']), /application\/problem\+json/);
  }
});

const levels = ['state', 'district'];
const broken: [string, unknown, RegExp][] = [
  ['not JSON', '{', /areas\.json: not valid JSON/],
  ['no areas', {}, /missing required property "areas"/],
  ['an unknown level', { areas: [{ level: 'county', id: 1, name: 'X' }] }, /entry 0 \(county 1\): level "county" is not one of/],
  ['a missing name', { areas: [{ level: 'state', id: 1 }] }, /entry 0 \(state 1\): .*missing required property "name"/],
  ['a string id', { areas: [{ level: 'state', id: '1', name: 'X' }] }, /entry 0 \(state 1\): \/id: must be integer/],
  [
    'a duplicate',
    {
      areas: [
        { level: 'state', id: 1, name: 'X' },
        { level: 'state', id: 1, name: 'Y' },
      ],
    },
    /entry 1 \(state 1\): state 1 appears twice/,
  ],
  [
    'a district without a parent',
    {
      areas: [
        { level: 'state', id: 1, name: 'X' },
        { level: 'district', id: 1, name: 'Y' },
      ],
    },
    /entry 1 \(district 1\): a district needs a parent state/,
  ],
  [
    'a parent that is not there',
    {
      areas: [
        { level: 'state', id: 1, name: 'X' },
        { level: 'district', id: 5, parent: 2, name: 'Y' },
      ],
    },
    /entry 1 \(district 5\): parent state 2 is not listed/,
  ],
  ['a parent on the top level', { areas: [{ level: 'state', id: 1, parent: 1, name: 'X' }] }, /entry 0 \(state 1\): .*top level/],
];
for (const [name, content, message] of broken) {
  test(`a seed file with ${name} stops start-up with the file and entry named`, (t) => {
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    const error = t.throws(() => parseAreaSeed(text, 'tenants/in/areas.json', levels), { instanceOf: ConfigError });
    t.regex(error!.message, /^tenants\/in\/areas\.json/);
    t.regex(error!.message, message);
  });
}

test('a broken seed file stops the real start-up, naming the file and the entry', async (t) => {
  const paths = projectCopy();
  const file = join(paths.tenants, 'ae', 'areas.json');
  const seeds = JSON.parse(readFileSync(file, 'utf8'));
  seeds.areas[3].level = 'emirates';
  writeFileSync(file, JSON.stringify(seeds));
  try {
    const error = await t.throwsAsync(startTestPlatform({ settings: { tenantCodes: ['ae'], paths } }), { instanceOf: ConfigError });
    t.regex(
      error!.message,
      /tenants\/ae\/areas\.json: entry 3 \(emirates 4\): level "emirates" is not one of the tenant's levels \(emirate, area\)/,
    );
  } finally {
    rmSync(paths.root, { recursive: true, force: true });
  }
});

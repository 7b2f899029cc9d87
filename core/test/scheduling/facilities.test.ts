import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/kernel/errors.js';
import { type FacilitySeedRules, loadTenantFacilities, parseFacilitySeed } from '../../src/scheduling/facility-seeds.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';

interface FacilityView {
  id: number;
  name: string;
  address: string | null;
  area: { level: string; id: number };
  postalCode: string | null;
  latitude: number;
  longitude: number;
  hours: { from: string; to: string };
  feeType: 'free' | 'paid';
  fees: Record<string, string>;
  currency: string;
  distanceKm?: number;
}

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'mx', 'ae'] } });
});
test.after.always(async () => {
  await app?.stop();
});

const get = (code: string, path: string, headers: Record<string, string> = {}) => app.request(`${code}.localhost`, path, { headers });
const search = async (code: string, query: string, headers: Record<string, string> = {}): Promise<FacilityView[]> => {
  const response = await get(code, `/api/v1/facilities${query}`, headers);
  if (response.status !== 200) throw new Error(`${query}: ${response.status} ${response.text}`);
  return response.json().facilities;
};
const ids = (facilities: FacilityView[]) => facilities.map((f) => f.id);
const tenant = (code: string) => app.platform.tenants.all.find((t) => t.code === code)!;
const sql = (code: string, text: string) => tenant(code).orm.em.getConnection().execute(text);

/** Great-circle distance in km, computed independently of the SQL. */
function haversineKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const h =
    Math.sin(rad(b.latitude - a.latitude) / 2) ** 2 +
    Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(rad(b.longitude - a.longitude) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}
/** A point in Parel, Mumbai, a few hundred metres from KEM Hospital. */
const PAREL = { latitude: 19.0075, longitude: 72.8385 };

test('Mumbai (district 395): the active seeded centres, by name, public and cacheable', async (t) => {
  const response = await get('in', '/api/v1/facilities?area=district:395');
  t.is(response.status, 200, response.text);
  t.is(response.headers['cache-control'], 'public, max-age=60');
  t.regex(String(response.headers.vary), /Accept-Language/);
  const mumbai: FacilityView[] = response.json().facilities;
  t.deepEqual(ids(mumbai), [1004, 1003, 1001, 1005, 1002], 'sorted by name; NESCO (closed) is left out');
  t.deepEqual(
    mumbai.find((f) => f.id === 1001),
    {
      id: 1001,
      name: 'KEM Hospital, Parel',
      address: 'Acharya Donde Marg, Parel, Mumbai',
      area: { level: 'district', id: 395 },
      postalCode: '400012',
      latitude: 19.0024,
      longitude: 72.8424,
      hours: { from: '09:00', to: '17:00' },
      feeType: 'free',
      fees: {},
      currency: 'INR',
    },
  );
  t.true(mumbai.every((f) => /^400\d{3}$/.test(f.postalCode!)));
  t.deepEqual(
    (await get('in', '/api/v1/facilities/1001')).json(),
    mumbai.find((f) => f.id === 1001),
  );
  t.is((await get('in', '/api/v1/facilities/1001')).headers['cache-control'], 'public, max-age=60');
});

test('a state finds the centres of its districts; other districts have their own', async (t) => {
  t.deepEqual(ids(await search('in', '?area=state:21')).sort(), [1001, 1002, 1003, 1004, 1005, 1101, 1102]);
  t.deepEqual(ids(await search('in', '?area=district:363')).sort(), [1101, 1102]);
  t.deepEqual(ids(await search('in', '?area=district:265')).sort(), [1201, 1202]);
  t.deepEqual(await search('in', '?area=district:1'), [], 'a district with no centres');
  t.deepEqual(ids(await search('mx', '?area=estado:9')).sort(), [2001, 2002, 2003, 2004]);
  t.deepEqual(ids(await search('mx', '?area=municipio:9015')), [2001]);
});

test('search by PIN code', async (t) => {
  t.deepEqual(ids(await search('in', '?postalCode=400012')), [1001]);
  t.deepEqual(ids(await search('in', '?postalCode=400008')), [1003, 1002]);
  t.deepEqual(await search('in', '?postalCode=400063'), [], 'the only centre there is closed');
  t.deepEqual(await search('in', '?postalCode=110001'), []);
  t.deepEqual(ids(await search('mx', '?postalCode=06720')), [2001]);
});

test('near me: nearest first with distances, within the radius, default 10 km', async (t) => {
  const point = `?lat=${PAREL.latitude}&long=${PAREL.longitude}`;
  const near = await search('in', `${point}&radiusKm=10`);
  t.deepEqual(ids(near), [1001, 1005, 1003, 1002, 1004]);
  for (const facility of near) {
    t.true(Math.abs(facility.distanceKm! - haversineKm(PAREL, facility)) < 0.01, `${facility.id}: ${facility.distanceKm}`);
  }
  t.true(near[0].distanceKm! < 1, 'KEM is a few hundred metres away');
  t.deepEqual(await search('in', point), near, 'the radius defaults to 10 km');
  t.deepEqual(ids(await search('in', `${point}&radiusKm=4`)), [1001, 1005], 'only what is inside the radius');
  t.deepEqual(ids(await search('in', `${point}&radiusKm=1`)), [1001]);

  // Pune is about 120 km away: outside any radius the API allows.
  const wide = await search('in', `${point}&radiusKm=50`);
  t.deepEqual(ids(wide), [1001, 1005, 1003, 1002, 1004], 'NESCO is within 50 km but closed');
  t.false(wide.some((f) => f.area.id === 363));
  t.true(haversineKm(PAREL, { latitude: 18.5277, longitude: 73.872 }) > 100);
  const beyond = await get('in', `/api/v1/facilities${point}&radiusKm=51`);
  t.is(beyond.status, 422);
  t.deepEqual(
    beyond.json().errors.map(({ path, code }: { path: string; code: string }) => ({ path, code })),
    [{ path: '/radiusKm', code: 'range' }],
  );

  const pune = await search('in', '?lat=18.5204&long=73.8567');
  t.deepEqual(ids(pune), [1101, 1102]);
  t.true(pune.every((f) => f.distanceKm! < 3));
  t.deepEqual(await search('in', '?lat=0&long=0&radiusKm=50'), [], 'nothing in the Gulf of Guinea');
  t.deepEqual(ids(await search('ae', '?lat=25.2048&long=55.2708')), [3003, 3002], 'central Dubai');
});

test('UAE: Arabic names by default, English with ?lng=en or Accept-Language; no postal codes', async (t) => {
  const arabic = await search('ae', '?area=emirate:2');
  t.deepEqual(ids(arabic).sort(), [3002, 3003]);
  t.is(arabic.find((f) => f.id === 3002)!.name, 'مستشفى راشد');
  t.true(arabic.every((f) => /^[\u0600-\u06FF ،]+$/.test(f.name) && f.postalCode === null && f.currency === 'AED'));
  const english = await search('ae', '?area=emirate:2&lng=en');
  t.deepEqual(english.map((f) => f.name).sort(), ['Dubai World Trade Centre Vaccination Centre', 'Rashid Hospital']);
  t.is(english.find((f) => f.id === 3002)!.address, 'Oud Metha, Dubai');
  const one = await get('ae', '/api/v1/facilities/3001', { 'Accept-Language': 'en' });
  t.is(one.json().name, 'Sheikh Khalifa Medical City');
  t.is((await get('ae', '/api/v1/facilities/3001')).json().name, 'مدينة الشيخ خليفة الطبية');
  // India: a Hindi name where the file has one, English otherwise.
  const hindi = await search('in', '?postalCode=400012&lng=hi');
  t.is(hindi[0].name, 'केईएम अस्पताल, परेल');
  t.is((await get('in', '/api/v1/facilities/1002?lng=hi')).json().name, 'Sir J.J. Group of Hospitals, Byculla');
});

test('free and paid centres; fees are decimal strings in the tenant currency', async (t) => {
  const hinduja = (await get('in', '/api/v1/facilities/1005')).json();
  t.is(hinduja.feeType, 'paid');
  t.deepEqual(hinduja.fees, { covishield: '780.00', covaxin: '1410.00' });
  t.is(hinduja.currency, 'INR');
  const ruby = (await get('in', '/api/v1/facilities/1102')).json();
  t.deepEqual(ruby.fees, { covishield: '780.00', corbevax: '840.00' });
  const free = (await search('in', '?area=state:21')).filter((f) => f.feeType === 'free');
  t.deepEqual(ids(free).sort(), [1001, 1002, 1003, 1004, 1101]);
  t.true(free.every((f) => Object.keys(f.fees).length === 0));
  const mexico = (await get('mx', '/api/v1/facilities/2001')).json();
  t.like(mexico, { feeType: 'free', fees: {}, currency: 'MXN', name: 'Hospital General de México "Dr. Eduardo Liceaga"' });
});

test('each tenant sees only its own centres', async (t) => {
  t.is((await get('mx', '/api/v1/facilities/1001')).status, 404);
  t.is((await get('in', '/api/v1/facilities/3001')).status, 404);
  t.deepEqual(await search('ae', `?lat=${PAREL.latitude}&long=${PAREL.longitude}`), []);
});

test.serial('inactive centres are hidden everywhere; loading again changes nothing and restores edits', async (t) => {
  t.is((await get('in', '/api/v1/facilities/1006')).status, 404, 'NESCO is closed');
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        ['in', 'mx', 'ae'].map(async (code) => [
          code,
          ((await sql(code, 'select count(*)::int as n from facility')) as { n: number }[])[0].n,
        ]),
      ),
    );
  const before = await counts();
  t.deepEqual(before, { in: 14, mx: 4, ae: 5 });
  for (const each of app.platform.tenants.all) {
    const loaded = await loadTenantFacilities(each, app.settings.paths);
    t.deepEqual(loaded, { seeds: before[each.code], changed: 0 }, `${each.code}: nothing changed`);
  }
  t.deepEqual(await counts(), before);

  // Closing a centre hides it from every search; loading the file again reopens it.
  await sql('in', `update facility set active = false, name = 'KEM' where id = 1001`);
  t.is((await get('in', '/api/v1/facilities/1001')).status, 404);
  t.false(ids(await search('in', '?area=district:395')).includes(1001));
  t.deepEqual(await search('in', '?postalCode=400012'), []);
  t.false(ids(await search('in', `?lat=${PAREL.latitude}&long=${PAREL.longitude}`)).includes(1001));
  t.is((await loadTenantFacilities(tenant('in'), app.settings.paths)).changed, 1);
  t.is((await get('in', '/api/v1/facilities/1001')).json().name, 'KEM Hospital, Parel');
  t.deepEqual(await counts(), before);
});

test('bad queries are 422 problems, unknown areas and centres 404 problems', async (t) => {
  const refused: [string, { path: string; code: string }[]][] = [
    ['', [{ path: '/', code: 'choice' }]],
    ['?area=district:395&postalCode=400012', [{ path: '/', code: 'choice' }]],
    ['?postalCode=400012&lat=19', [{ path: '/', code: 'choice' }]],
    ['?lat=19.0', [{ path: '/long', code: 'required' }]],
    [
      '?radiusKm=5',
      [
        { path: '/lat', code: 'required' },
        { path: '/long', code: 'required' },
      ],
    ],
    ['?lat=91&long=72', [{ path: '/lat', code: 'range' }]],
    ['?lat=19&long=-180.5', [{ path: '/long', code: 'range' }]],
    ['?lat=19&long=72&radiusKm=0', [{ path: '/radiusKm', code: 'range' }]],
    ['?lat=19&long=72&radiusKm=500', [{ path: '/radiusKm', code: 'range' }]],
    ['?lat=abc&long=72', [{ path: '/lat', code: 'format' }]],
    ['?lat=1e2&long=72', [{ path: '/lat', code: 'format' }]],
    ['?area=county:1', [{ path: '/area', code: 'choice' }]],
    ['?area=district', [{ path: '/area', code: 'format' }]],
    ['?area=district:-1', [{ path: '/area', code: 'format' }]],
    ['?postalCode=40001', [{ path: '/postalCode', code: 'format' }]],
    ['?postalCode=012345', [{ path: '/postalCode', code: 'format' }]],
    ['?postalCode=400012&colour=blue', [{ path: '/colour', code: 'unknown-field' }]],
    ['?area=district:395&area=district:363', [{ path: '/area', code: 'type' }]],
  ];
  for (const [query, fields] of refused) {
    const response = await get('in', `/api/v1/facilities${query}`);
    t.is(response.status, 422, `${query}: ${response.text}`);
    t.regex(String(response.headers['content-type']), /application\/problem\+json/);
    t.is(response.json().code, 'validation-failed');
    t.deepEqual(
      response.json().errors.map(({ path, code }: { path: string; code: string }) => ({ path, code })),
      fields,
      query,
    );
  }
  t.is((await get('ae', '/api/v1/facilities?postalCode=12345')).status, 200, 'no postal code format in the UAE: none found');
  for (const path of [
    '/api/v1/facilities?area=district:999999',
    '/api/v1/facilities?area=block:395',
    '/api/v1/facilities/999999',
    '/api/v1/facilities/abc',
    '/api/v1/facilities/-1',
  ]) {
    const response = await get('in', path);
    t.is(response.status, 404, path);
    t.regex(String(response.headers['content-type']), /application\/problem\+json/);
  }
});

const rules: FacilitySeedRules = {
  languages: ['en', 'hi'],
  postalCode: { pattern: '^[1-9][0-9]{5}$' },
  vaccines: ['covishield', 'covaxin'],
  currency: 'INR',
  areas: new Set(['state:21', 'district:395']),
};
const good = {
  id: 1,
  name: 'X',
  area: { level: 'district', id: 395 },
  postalCode: '400012',
  latitude: 19,
  longitude: 72.8,
  hours: { from: '09:00', to: '17:00' },
  feeType: 'free',
};
const broken: [string, unknown, RegExp][] = [
  ['not JSON', '{', /facilities\.json: not valid JSON/],
  ['no facilities', {}, /missing required property "facilities"/],
  ['a missing area', { facilities: [{ ...good, area: undefined }] }, /entry 0 \(facility 1\): .*missing required property "area"/],
  ['a string id', { facilities: [{ ...good, id: '7' }] }, /entry 0 \(facility 7\): \/id: must be integer/],
  ['a duplicate id', { facilities: [good, { ...good, name: 'Y' }] }, /entry 1 \(facility 1\): facility 1 appears twice/],
  [
    'an unknown area',
    { facilities: [{ ...good, area: { level: 'district', id: 363 } }] },
    /entry 0 \(facility 1\): area district 363 is not in/,
  ],
  ['a bad PIN code', { facilities: [{ ...good, postalCode: '40012' }] }, /entry 0 \(facility 1\): postal code "40012" does not match/],
  ['a latitude out of range', { facilities: [{ ...good, latitude: 190 }] }, /entry 0 \(facility 1\): \/latitude: must be <= 90/],
  ['a bad time', { facilities: [{ ...good, hours: { from: '9:00', to: '17:00' } }] }, /\/hours\/from: "9:00" does not match/],
  ['closing before opening', { facilities: [{ ...good, hours: { from: '17:00', to: '09:00' } }] }, /opens at 17:00 but closes at 09:00/],
  ['an unknown fee type', { facilities: [{ ...good, feeType: 'donation' }] }, /\/feeType: must be one of "free", "paid"/],
  ['fees on a free centre', { facilities: [{ ...good, fees: { covishield: '780.00' } }] }, /a free centre has no fees/],
  ['a paid centre without fees', { facilities: [{ ...good, feeType: 'paid' }] }, /a paid centre needs fees by vaccine/],
  [
    'a fee for an unknown vaccine',
    { facilities: [{ ...good, feeType: 'paid', fees: { sputnik: '1145.00' } }] },
    /fee for "sputnik", which is not one of the tenant's vaccines \(covishield, covaxin\)/,
  ],
  [
    'a fee that is not an amount',
    { facilities: [{ ...good, feeType: 'paid', fees: { covishield: '780' } }] },
    /fee "780" for covishield is not an amount in INR like "780\.00"/,
  ],
  ['a name in a language the tenant lacks', { facilities: [{ ...good, names: { ar: 'س' } }] }, /"ar" is not one of the tenant's languages/],
];
for (const [name, content, message] of broken) {
  test(`a facility seed file with ${name} stops start-up with the file and entry named`, (t) => {
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    const error = t.throws(() => parseFacilitySeed(text, 'tenants/in/facilities.json', rules), { instanceOf: ConfigError });
    t.regex(error!.message, /^tenants\/in\/facilities\.json/);
    t.regex(error!.message, message);
  });
}

test('a well-formed entry is read with its defaults', (t) => {
  const [seed] = parseFacilitySeed(JSON.stringify({ facilities: [good] }), 'tenants/in/facilities.json', rules);
  t.is(seed.active, true, 'active unless the file says otherwise');
});

test('a broken facility seed file stops the real start-up, naming the file and the entry', async (t) => {
  const paths = projectCopy();
  const file = join(paths.tenants, 'mx', 'facilities.json');
  const seeds = JSON.parse(readFileSync(file, 'utf8'));
  seeds.facilities[2].area = { level: 'municipio', id: 14039 };
  writeFileSync(file, JSON.stringify(seeds));
  try {
    const error = await t.throwsAsync(startTestPlatform({ settings: { tenantCodes: ['mx'], paths } }), { instanceOf: ConfigError });
    t.regex(
      error!.message,
      /tenants\/mx\/facilities\.json: entry 2 \(facility 2003\): area municipio 14039 is not in the tenant's areas file/,
    );
  } finally {
    rmSync(paths.root, { recursive: true, force: true });
  }
});

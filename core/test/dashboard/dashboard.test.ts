import { randomUUID } from 'node:crypto';
import test from 'ava';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens, tenantDb } from '../support/scheduling.js';

/**
 * The public dashboard over real HTTP: doses written straight into India's database, then the
 * page's tables and the open data must count exactly those (voided doses left out).
 */
let app: TestPlatform;
const IN = 'in.localhost';
const AE = 'ae.localhost';

// Centres of the demo seed: KEM (Mumbai) and Sassoon (Pune) in Maharashtra, Victoria in Karnataka, Lok Nayak in Delhi.
const KEM = 1001;
const SASSOON = 1101;
const VICTORIA = 1201;
const LOK_NAYAK = 1301;
const STATE = { 1001: 'Maharashtra', 1101: 'Maharashtra', 1201: 'Karnataka', 1301: 'Delhi' } as Record<number, string>;
const DISTRICT = { 1001: 'Mumbai', 1101: 'Pune' } as Record<number, string>;

interface Dose {
  person: number;
  vaccine: 'covishield' | 'covaxin';
  dose: number;
  daysAgo: number;
  facility: number | null;
  state?: 'recorded' | 'corrected' | 'voided';
}

/** People by their age at their first dose and gender; ages sit mid-band so a new year cannot move them. */
const PEOPLE = [
  { age: 30, gender: 'F', band: '18–44' },
  { age: 50, gender: 'M', band: '45–59' },
  { age: 65, gender: 'O', band: '60 and over' },
  { age: 15, gender: 'F', band: '12–17' },
  { age: 40, gender: 'M', band: '18–44' },
];
const DOSES: Dose[] = [
  { person: 0, vaccine: 'covishield', dose: 1, daysAgo: 40, facility: KEM },
  { person: 0, vaccine: 'covishield', dose: 2, daysAgo: 5, facility: KEM },
  { person: 1, vaccine: 'covaxin', dose: 1, daysAgo: 3, facility: VICTORIA },
  { person: 2, vaccine: 'covishield', dose: 1, daysAgo: 3, facility: LOK_NAYAK },
  { person: 2, vaccine: 'covishield', dose: 2, daysAgo: 2, facility: SASSOON },
  { person: 2, vaccine: 'covishield', dose: 3, daysAgo: 0, facility: SASSOON },
  { person: 3, vaccine: 'covaxin', dose: 1, daysAgo: 1, facility: SASSOON },
  { person: 3, vaccine: 'covaxin', dose: 2, daysAgo: 0, facility: SASSOON, state: 'voided' },
  { person: 4, vaccine: 'covishield', dose: 1, daysAgo: 10, facility: null, state: 'corrected' },
];
const counted = DOSES.filter((d) => d.state !== 'voided');

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'ae'] } });
  const firstDay = (person: number) =>
    dayFromToday(app, 'in', -Math.max(...DOSES.filter((d) => d.person === person).map((d) => d.daysAgo)));
  const citizens = await makeCitizens(
    app,
    'in',
    PEOPLE.map((p, index) => [Number(firstDay(index).slice(0, 4)) - p.age]),
  );
  const db = tenantDb(app, 'in');
  await db.connect();
  try {
    for (const [index, person] of PEOPLE.entries()) {
      await db.query('update beneficiary set gender = $1 where id = $2', [person.gender, citizens[index].beneficiaries[0].id]);
    }
    for (const dose of DOSES) {
      await db.query(
        `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, recorded_at, state)
         values ($1, $2, $3, $4, $5, $6, now(), $7)`,
        [
          randomUUID(),
          citizens[dose.person].beneficiaries[0].id,
          dose.vaccine,
          dose.dose,
          dayFromToday(app, 'in', -dose.daysAgo),
          dose.facility,
          dose.state ?? 'recorded',
        ],
      );
    }
  } finally {
    await db.end();
  }
  // One dose in the UAE, at Sheikh Khalifa Medical City (Abu Dhabi), for the Arabic page.
  const [emirati] = await makeCitizens(app, 'ae', [[1980]]);
  const ae = tenantDb(app, 'ae');
  await ae.connect();
  try {
    await ae.query(
      `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, recorded_at)
       values ($1, $2, 'sinopharm', 1, $3, 3001, now())`,
      [randomUUID(), emirati.beneficiaries[0].id, dayFromToday(app, 'ae', 0)],
    );
  } finally {
    await ae.end();
  }
});

test.after.always(async () => {
  await app?.stop();
});

/** The rows of one section's table: row header → the cells after it. */
function table(html: string, section: string): Map<string, string[]> {
  const start = html.indexOf(`<section class="dashboard-section" id="${section}"`);
  const body = html.slice(start, html.indexOf('</section>', start));
  const rows = new Map<string, string[]>();
  for (const [, head, cells] of body.matchAll(/<tr><th scope="row">(?:<a [^>]*>)?(.*?)(?:<\/a>)?<\/th>(.*?)<\/tr>/g)) {
    rows.set(
      head,
      [...cells.matchAll(/<td class="num">(.*?)<\/td>/g)].map((m) => m[1]),
    );
  }
  return rows;
}

/** A map's entries in key order, to compare tables whatever order the page sorts them in. */
const sorted = <K, V>(map: Map<K, V>): [K, V][] => [...map].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

const doses = (rows: Map<string, string[]>) => new Map([...rows].map(([head, cells]) => [head, Number(cells[0])]));

function tally<K>(key: (d: Dose) => K | undefined): Map<K, number> {
  const result = new Map<K, number>();
  for (const dose of counted) {
    const k = key(dose);
    if (k !== undefined) result.set(k, (result.get(k) ?? 0) + 1);
  }
  return result;
}

let page: TestResponse;
test.serial('the English page counts exactly the doses recorded, voided ones left out', async (t) => {
  page = await app.request(IN, '/dashboard?lng=en');
  t.is(page.status, 200);
  const html = page.text;
  t.regex(html, /<dt>Doses given<\/dt><dd>8<\/dd>/);
  t.regex(html, /<dt>People with at least one dose<\/dt><dd>5<\/dd>/);
  t.regex(html, /<dt>People fully vaccinated<\/dt><dd>2<\/dd>/);
  t.regex(html, /<dt>Booster doses<\/dt><dd>1<\/dd>/);
  t.regex(html, /<dt>Coverage: first doses \/ population<\/dt>/, 'India gives every state’s population');

  const day = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeZone: 'UTC' });
  const label = (daysAgo: number) => day.format(new Date(`${dayFromToday(app, 'in', -daysAgo)}T00:00:00Z`));
  const daily = doses(table(html, 'daily'));
  t.is(daily.size, 30);
  const expectedDaily = tally((d) => (d.daysAgo < 30 ? label(d.daysAgo) : undefined));
  for (const [head, value] of daily) t.is(value, expectedDaily.get(head) ?? 0, head);

  t.deepEqual(sorted(doses(table(html, 'area'))), sorted(tally((d) => (d.facility ? STATE[d.facility] : 'Area not recorded'))));
  t.deepEqual(sorted(doses(table(html, 'vaccine'))), sorted(tally((d) => d.vaccine.toUpperCase())));
  t.deepEqual(
    [...doses(table(html, 'dose'))],
    [
      ['Dose 1', 5],
      ['Dose 2', 2],
      ['Booster', 1],
    ],
  );
  t.deepEqual(sorted(doses(table(html, 'dose'))), sorted(tally((d) => (d.dose > 2 ? 'Booster' : `Dose ${d.dose}`))));
  t.deepEqual(
    [...doses(table(html, 'age'))],
    [
      ['12–17', 1],
      ['18–44', 3],
      ['45–59', 1],
      ['60 and over', 3],
    ],
  );
  t.deepEqual(sorted(doses(table(html, 'age'))), sorted(tally((d) => PEOPLE[d.person].band)));
  const genders = doses(table(html, 'gender'));
  t.deepEqual(
    genders,
    new Map([
      ['Female', 3],
      ['Male', 2],
      ['Other', 3],
    ]),
  );

  // Maharashtra: first doses (KEM's dose 1, Sassoon's dose 1) against its census population.
  const maharashtra = table(html, 'area').get('Maharashtra')!;
  t.deepEqual(maharashtra.slice(0, 3), ['5', '2', '11,23,74,333'], 'Indian digit grouping');
});

test.serial('an area drills down to the next level', async (t) => {
  const html = (await app.request(IN, '/dashboard?lng=en&area=state:21')).text;
  t.deepEqual(
    sorted(doses(table(html, 'area'))),
    sorted(tally((d) => (d.facility && STATE[d.facility] === 'Maharashtra' ? DISTRICT[d.facility] : undefined))),
  );
  t.regex(html, /Doses by area in Maharashtra/);
  t.is((await app.request(IN, '/dashboard?area=state:999')).status, 404);
  t.is((await app.request(IN, '/dashboard?area=district:395')).status, 404);
});

test.serial('charts are images with a title and a description, and the page is small', async (t) => {
  const html = page.text;
  const charts = html.match(/<svg class="chart" role="img" aria-labelledby="chart-[a-z]+-title chart-[a-z]+-desc"/g) ?? [];
  t.is(charts.length, 6);
  t.regex(html, /<title id="chart-daily-title">Doses per day<\/title><desc id="chart-daily-desc">/);
  t.is((html.match(/<caption /g) ?? []).length, 6);
  t.regex(html, /<th scope="col">Area<\/th>/);
  t.true(Buffer.byteLength(html) < 100 * 1024, `${Buffer.byteLength(html)} bytes`);
  t.notRegex(html, /<script/);
  t.regex(html, /href="\/api\/v1\/open-data\/doses\.csv"/);
  t.regex(html, /Data as of /);
});

test.serial('answers carry their freshness, and a conditional request is answered 304', async (t) => {
  t.regex(String(page.headers['cache-control']), /^public, max-age=\d+$/);
  t.truthy(page.headers['last-modified']);
  t.regex(String(page.headers.age), /^\d+$/);
  const again = await app.request(IN, '/dashboard?lng=en');
  t.is(again.headers['last-modified'], page.headers['last-modified'], 'the same cached figures');
  const conditional = await app.request(IN, '/dashboard?lng=en', {
    headers: { 'If-Modified-Since': String(page.headers['last-modified']) },
  });
  t.is(conditional.status, 304);
});

test.serial('the open data counts the same doses, as CSV and as JSON', async (t) => {
  const csv = await app.request(IN, '/api/v1/open-data/doses.csv');
  t.is(csv.status, 200);
  t.regex(String(csv.headers['content-type']), /^text\/csv/);
  t.regex(String(csv.headers['content-disposition']), /^attachment; filename="teeka-in-doses\.csv"$/);
  t.is(csv.headers['access-control-allow-origin'], '*');
  t.truthy(csv.headers['last-modified']);
  const lines = csv.text.split('\r\n');
  t.is(lines.at(-1), '', 'every record ends with CRLF');
  t.is(lines[0], 'date,area_level,area_id,area_code,area_name,vaccine,dose_number,doses');
  const records = lines.slice(1, -1).map((line) => line.split(','));
  t.is(
    records.reduce((sum, r) => sum + Number(r[7]), 0),
    counted.length,
  );
  const byArea = new Map<string, number>();
  for (const r of records) byArea.set(r[4] || 'Area not recorded', (byArea.get(r[4] || 'Area not recorded') ?? 0) + Number(r[7]));
  t.deepEqual(sorted(byArea), sorted(tally((d) => (d.facility ? STATE[d.facility] : 'Area not recorded'))));
  const mumbai = records.find((r) => r[0] === dayFromToday(app, 'in', -5));
  t.deepEqual(mumbai, [dayFromToday(app, 'in', -5), 'state', '21', 'IN-MH', 'Maharashtra', 'covishield', '2', '1']);

  const json = await app.request(IN, '/api/v1/open-data/doses.json');
  t.is(json.status, 200);
  t.is(json.headers['access-control-allow-origin'], '*');
  const body = json.json<{ asOf: string; doses: { doses: number; vaccine: string }[] }>();
  t.is(
    body.doses.reduce((sum, r) => sum + r.doses, 0),
    counted.length,
  );
  t.is(
    body.doses.filter((r) => r.vaccine === 'covaxin').reduce((sum, r) => sum + r.doses, 0),
    2,
  );
});

test.serial('the page renders in Hindi, with Indian digits grouping and the same tables', async (t) => {
  const hindi = await app.request(IN, '/dashboard?lng=hi');
  t.is(hindi.status, 200);
  t.regex(hindi.text, /<html lang="hi" dir="ltr">/);
  t.regex(hindi.text, /टीकाकरण डैशबोर्ड/);
  t.regex(hindi.text, /<caption id="gender-caption">लिंग के अनुसार खुराकें<\/caption>/);
  t.is(table(hindi.text, 'gender').get('महिला')?.[0], '3');
  t.true(Buffer.byteLength(hindi.text) < 100 * 1024);
});

test.serial('the page renders in Arabic, right to left, with its data tables', async (t) => {
  const arabic = await app.request(AE, '/dashboard');
  t.is(arabic.status, 200);
  t.regex(arabic.text, /<html lang="ar" dir="rtl">/);
  t.regex(arabic.text, /لوحة بيانات التطعيم/);
  t.is((arabic.text.match(/<table class="data">/g) ?? []).length, 6);
  t.is(table(arabic.text, 'daily').size, 30);
  t.deepEqual([...table(arabic.text, 'area').keys()], ['أبوظبي']);
  t.notRegex(arabic.text, /href="\/dashboard\?area=/, 'no drill-down where the seed has no areas below');
  t.true(table(arabic.text, 'age').has('من 18 إلى 44'), 'a range reads right in Arabic');
  t.regex(arabic.text, /<svg class="chart" role="img" aria-labelledby="chart-area-title chart-area-desc"/);
  t.regex(arabic.text, /<a href="\/dashboard">لوحة البيانات<\/a>/, 'the public navigation links the dashboard');
});

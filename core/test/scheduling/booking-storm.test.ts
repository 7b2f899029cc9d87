import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, tenantDb } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-storm';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const PLACES = 50;
const PEOPLE = 500;

let first: TestPlatform;
let second: TestPlatform | undefined;
test.before(async () => {
  first = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  // A second app process on the same databases, as behind a load balancer.
  second = await startTestPlatform({ settings: { tenantCodes: ['in'], databasePrefix: first.settings.databasePrefix } });
});
test.after.always(async () => {
  await second?.platform.stop(); // not second.stop(): the databases are the first one's to drop
  await first?.stop();
});

test('500 people rush 50 places through two app processes: exactly 50 get one', async (t) => {
  const signIn = await first.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const created = await first.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: bearer(signIn.json().token),
    body: {
      facilityId: 1004,
      date: dayFromToday(first, 'in', 1),
      vaccine: 'covaxin',
      minAge: 18,
      slots: ['10:00AM-12:00PM'],
      capacities: [{ dose: 1, online: PLACES, walkin: 10 }],
    },
  });
  t.is(created.status, 201, created.text);
  const session = created.json();
  const citizens = await makeCitizens(
    first,
    'in',
    Array.from({ length: PEOPLE }, (_, i) => [1960 + (i % 40)]),
  );

  const started = Date.now();
  const answers = await Promise.all(
    citizens.map((citizen, index) =>
      (index % 2 === 0 ? first : second!).request(HOST, '/api/v1/appointments', {
        method: 'POST',
        headers: bearer(citizen.token),
        body: { sessionId: session.id, slot: '10:00AM-12:00PM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
      }),
    ),
  );
  t.log(`${PEOPLE} bookings in ${Date.now() - started} ms`);
  const byStatus = new Map<string, number>();
  for (const answer of answers) {
    const key = answer.status === 201 ? '201' : `${answer.status} ${answer.json().code}`;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  t.deepEqual(Object.fromEntries(byStatus), { '201': PLACES, '409 session-full': PEOPLE - PLACES });
  t.true(
    [0, 1].every((parity) => answers.some((a, i) => i % 2 === parity && a.status === 201)),
    'both processes booked some',
  );

  const client = tenantDb(first, 'in');
  await client.connect();
  try {
    const { rows } = await client.query(
      `select (select count(*)::int from appointment where session_id = $1 and state = 'booked') as appointments,
              (select online_booked from session_capacity where session_id = $1 and dose_number = 1) as dose_booked,
              (select booked from session_slot where session_id = $1 and slot_index = 0) as slot_booked,
              (select count(distinct beneficiary_id)::int from appointment where session_id = $1) as people`,
      [session.id],
    );
    t.deepEqual(rows[0], { appointments: PLACES, dose_booked: PLACES, slot_booked: PLACES, people: PLACES });
  } finally {
    await client.end();
  }
  const listed = await second!.request(HOST, `/api/v1/sessions?facility=1004&date=${session.date}`);
  t.like(listed.json().sessions[0], { doses: [{ dose: 1, available: 0, walkin: 10 }], slots: [{ available: 0 }] });
});

import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, tenantDb } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-path';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
});
test.after.always(async () => {
  await app?.stop();
});

test('a full slot refuses with the dose counter still free, taking nothing; each booking queues its notices through the outbox', async (t) => {
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  const created = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: bearer(signIn.json().token),
    body: {
      facilityId: 1004,
      date: dayFromToday(app, 'in', 2),
      vaccine: 'covaxin',
      minAge: 18,
      slots: ['10:00AM-12:00PM', '12:00PM-02:00PM'],
      capacities: [{ dose: 1, online: 4, walkin: 0 }],
    },
  });
  t.is(created.status, 201, created.text);
  const session = created.json();
  const firstSlot = session.slots[0];
  t.is(firstSlot.capacity, 2, 'the 4 online places are split between the two slots');

  const citizens = await makeCitizens(app, 'in', [[1980], [1981], [1982]]);
  const book = (index: number) =>
    app.request(HOST, '/api/v1/appointments', {
      method: 'POST',
      headers: bearer(citizens[index].token),
      body: { sessionId: session.id, slot: firstSlot.label, beneficiaries: [citizens[index].beneficiaries[0].referenceId] },
    });
  const answers = [await book(0), await book(1), await book(2)];
  t.deepEqual(
    answers.map((a) => a.status),
    [201, 201, 409],
  );
  t.is(answers[2].json().code, 'session-full');

  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    const { rows } = await client.query(
      `select (select online_booked from session_capacity where session_id = $1 and dose_number = 1) as dose_booked,
              (select sum(booked)::int from session_slot where session_id = $1) as slots_booked,
              (select count(*)::int from appointment where session_id = $1) as appointments,
              (select count(*)::int from notice_outbox) as outbox`,
      [session.id],
    );
    t.deepEqual(rows[0], { dose_booked: 2, slots_booked: 2, appointments: 2, outbox: 0 }, 'the refused booking moved no counter');
    // The answer came after the relay: both notices of each booking are queued by then.
    const ids = answers.slice(0, 2).map((a) => a.json().appointments[0].id as string);
    const jobs = await client.query(
      `select name, count(*)::int as n from pgboss.job where data->>'appointmentId' = any($1::text[]) group by name order by name`,
      [ids],
    );
    t.deepEqual(jobs.rows, [
      { name: 'notice.appointment-booked', n: 2 },
      { name: 'notice.appointment-reminder', n: 2 },
    ]);
  } finally {
    await client.end();
  }
});

import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { dayFromToday, makeCitizens, type TestCitizen, tenantDb } from '../support/scheduling.js';

/**
 * A fair opening: the India tenant (in a copy of the project) pools the booking requests that
 * arrive in the first 3 seconds after a session opens and serves them in a random order, so
 * whoever fires first gains nothing; every request is answered, booked or full, on its own request.
 */
const ADMIN_PASSWORD = 'test-admin-password-fair-opening';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const WINDOW_MS = 3000;
const PLACES = 10;

const paths = projectCopy({
  tenants: { in: (yaml) => `${yaml}\nscheduling:\n  fairOpening: { enabled: true, windowMs: ${WINDOW_MS} }\n` },
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
});
test.after.always(async () => {
  await app?.stop();
  rmSync(paths.root, { recursive: true, force: true });
});

const book = (citizen: TestCitizen, sessionId: string) =>
  app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId, slot: '09:00AM-11:00AM', beneficiaries: [citizen.beneficiaries[0].referenceId] },
  });

test('requests in the opening window are pooled and drawn at random; the fastest scripts gain nothing', async (t) => {
  const opensAt = Date.now() + 2500;
  const created = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId: 1001,
      date: dayFromToday(app, 'in', 30),
      vaccine: 'covishield',
      minAge: 18,
      slots: ['09:00AM-11:00AM'],
      capacities: [{ dose: 1, online: PLACES }],
      opensAt: new Date(opensAt).toISOString(),
    },
  });
  t.is(created.status, 201, created.text);
  const session = created.json<{ id: string; bookableFrom: string }>();
  t.is(Date.parse(session.bookableFrom), opensAt);
  const people = await makeCitizens(
    app,
    'in',
    Array.from({ length: 30 }, () => [1980]),
  );

  const early = await book(people[0], session.id);
  t.is(early.status, 409, 'before the opening nobody books');
  t.is(early.json().code, 'session-not-open');
  t.true(Number(early.headers['retry-after']) >= 1);

  // Fifteen fast scripts at the opening moment, fifteen people a second later: all within the window.
  await delay(Math.max(0, opensAt - Date.now()) + 20);
  const fast = people.slice(0, 15).map((person) => book(person, session.id));
  await delay(1000);
  const slow = people.slice(15).map((person) => book(person, session.id));
  const answers = await Promise.all([...fast, ...slow]);
  const answeredAt = Date.now();

  t.true(answeredAt >= opensAt + WINDOW_MS, 'answers come when the window closes');
  const booked = answers.map((answer) => answer.status === 201);
  t.is(booked.filter(Boolean).length, PLACES);
  for (const answer of answers.filter((a) => a.status !== 201)) {
    t.is(answer.status, 409);
    t.is(answer.json().code, 'session-full');
  }
  // Had arrival order decided, the slow half would have got nothing. With a random draw of 10 out
  // of 30, the chance that none of the slow 15 wins is C(15,10)/C(30,10) ≈ 1 in 10,000.
  t.true(booked.slice(15).some(Boolean), 'people who came a second later won places too');

  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    const counters = await client.query('select online_booked from session_capacity where session_id = $1', [session.id]);
    const rows = await client.query(`select count(*)::int as n from appointment where session_id = $1 and state = 'booked'`, [session.id]);
    const tickets = await client.query('select count(*)::int as n from booking_ticket where session_id = $1 and outcome is not null', [
      session.id,
    ]);
    t.is(counters.rows[0].online_booked, PLACES);
    t.is(rows.rows[0].n, PLACES);
    t.is(tickets.rows[0].n, 30, 'every pooled request has its outcome recorded');
  } finally {
    await client.end();
  }

  // After the window, booking works as usual: first come, first served.
  const later = await book(people[0], session.id);
  t.true([201, 409].includes(later.status));
});

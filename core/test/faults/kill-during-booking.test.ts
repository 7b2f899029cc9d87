import { randomUUID } from 'node:crypto';
import test from 'ava';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform, testDatabaseUrl } from '../support/platform.js';
import { dayFromToday, makeCitizens, tenantDb } from '../support/scheduling.js';
import { type RawResponse, rawRequest, type ServerProcess, spawnServer } from './fault-helpers.js';

/**
 * The server killed with `kill -9` in the middle of a booking storm, then started again: clients
 * that got no answer retry with the same Idempotency-Key. No appointment is lost (every 201 is in
 * the database) or duplicated, and the capacity counters equal the appointment rows.
 */
const ADMIN_PASSWORD = 'test-admin-password-faults-kill';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const PLACES = 100;
const PEOPLE = 200;
const CONCURRENCY = 32;
const SLOT = '10:00AM-12:00PM';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
});
test.after.always(async () => {
  await app?.stop();
});

test('kill -9 mid-storm: after a restart nothing is lost or duplicated and the counters match the rows', async (t) => {
  t.timeout(180_000, 'two server starts on a busy machine');
  const started = Date.now();
  const mark = (what: string) => t.log(`${what}: ${Date.now() - started} ms`);
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
      slots: [SLOT],
      capacities: [{ dose: 1, online: PLACES, walkin: 0 }],
    },
  });
  t.is(created.status, 201, created.text);
  const session = created.json();
  const citizens = await makeCitizens(
    app,
    'in',
    Array.from({ length: PEOPLE }, (_, i) => [1960 + (i % 40)]),
  );
  const keys = citizens.map(() => `storm-${randomUUID()}`);

  // The server under test is a separate process on the same databases, so it can be killed.
  const env = { DATABASE_URL: testDatabaseUrl(), TEEKA_DB_PREFIX: app.settings.databasePrefix, TEEKA_TENANTS: 'in' };
  const servers: ServerProcess[] = [];
  t.teardown(() => {
    for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  mark('citizens made');
  let server = await spawnServer(env);
  mark('server up');
  servers.push(server);

  const book = (port: number, index: number) =>
    rawRequest(port, HOST, '/api/v1/appointments', {
      method: 'POST',
      headers: { ...bearer(citizens[index].token), 'Content-Type': 'application/json', 'Idempotency-Key': keys[index] },
      body: JSON.stringify({ sessionId: session.id, slot: SLOT, beneficiaries: [citizens[index].beneficiaries[0].referenceId] }),
      timeoutMs: 20_000,
    });

  // The storm: CONCURRENCY clients work through the queue; the server dies after a third of the places.
  const answers: (RawResponse | undefined)[] = new Array(PEOPLE);
  let next = 0;
  let booked = 0;
  let killed = false;
  const first = server;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PEOPLE) {
        const index = next++;
        const answer = await book(first.port, index);
        answers[index] = answer;
        if (answer.status === 201 && ++booked >= PLACES / 3 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    }),
  );
  await first.exited;
  mark('storm over');
  const unanswered = answers.flatMap((answer, index) => (answer?.status === 0 ? [index] : []));
  t.log(`${booked} booked before the kill; ${unanswered.length} requests got no answer`);
  t.true(killed && unanswered.length > 0, 'the kill hit the storm');
  t.true(
    answers.every((answer) => answer && [0, 201, 409].includes(answer.status)),
    'before the kill: booked, refused as full, or no answer',
  );

  server = await spawnServer(env);
  servers.push(server);
  mark('server up again');
  // Clients that got no answer try again with the same key; a replay answers the same booking.
  const retried = await Promise.all(unanswered.map((index) => book(server.port, index)));
  for (const [position, index] of unanswered.entries()) answers[index] = retried[position];
  const statuses = new Map<string, number>();
  for (const answer of answers) {
    const key = answer!.status === 201 ? '201' : `${answer!.status} ${JSON.parse(answer!.text || '{}').code ?? answer!.error}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  t.log(Object.fromEntries(statuses));
  t.true(
    [...statuses.keys()].every((key) => ['201', '409 session-full'].includes(key)),
    `after the retries every client has an answer: ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
  const confirmed = answers.flatMap((answer) =>
    answer!.status === 201 ? JSON.parse(answer!.text).appointments.map((a: { id: string }) => a.id) : [],
  );

  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    const { rows } = await client.query(
      `select (select count(*)::int from appointment where session_id = $1 and state = 'booked') as appointments,
              (select count(distinct beneficiary_id)::int from appointment where session_id = $1 and state = 'booked') as people,
              (select online_booked from session_capacity where session_id = $1 and dose_number = 1) as dose_booked,
              (select sum(booked)::int from session_slot where session_id = $1) as slot_booked`,
      [session.id],
    );
    const counts = rows[0];
    t.is(counts.people, counts.appointments, 'no one has two appointments');
    t.is(counts.dose_booked, counts.appointments, 'the dose counter equals the appointments');
    t.is(counts.slot_booked, counts.appointments, 'the slot counters equal the appointments');
    t.is(counts.appointments, PLACES, 'the session filled up exactly');
    const stored = await client.query(`select id from appointment where id = any($1::uuid[]) and state = 'booked'`, [confirmed]);
    t.is(stored.rowCount, new Set(confirmed).size, 'every appointment a client was given exists');
    t.is(confirmed.length, new Set(confirmed).size, 'no appointment was given to two clients');
    t.is(confirmed.length, PLACES, 'every place taken was confirmed to a client');
  } finally {
    await client.end();
  }
  server.child.kill('SIGTERM');
  t.is(await server.exited, 0);
});

import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { AppointmentNotices, appointmentReminderJob, reminderDue, reminderTime, zonedInstant } from '../../src/messaging/notices.js';
import { addDays } from '../../src/vaccination/dose-schedule.js';
import { DoseService } from '../../src/vaccination/dose-service.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen, tenantDb } from '../support/scheduling.js';

const ADMIN_PASSWORD = 'test-admin-password-notices';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';
const KEM = 1001; // KEM Hospital, Mumbai; in Hindi "केईएम अस्पताल, परेल"

let app: TestPlatform;
let admin: Record<string, string>;
test.before(async () => {
  // Workers look for due jobs every half second, so notices arrive quickly.
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], jobPollSeconds: 0.5 } });
  const signIn = await app.request(HOST, '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: 'admin', password: ADMIN_PASSWORD },
  });
  admin = bearer(signIn.json().token);
});
test.after.always(async () => {
  await app?.stop();
});

const tenant = () => app.platform.tenants.byCode('in')!;

/** What a request scope gives services: its own EntityManager in a child container. */
function scope() {
  const container = tenant().container.createChildContainer();
  container.registerInstance(TOKENS.EntityManager, tenant().orm.em.fork());
  return container;
}
const notices = () => scope().resolve(AppointmentNotices);

/** Polls until `probe` answers something, or fails after a generous time. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function outboxFor(phone: string): Promise<string[]> {
  const outbox = (await app.request(HOST, '/dev/outbox?limit=1000')).json<{ to: string; text: string }[]>();
  return outbox.filter((m) => m.to === phone).map((m) => m.text);
}

/** The first message to `phone` that contains every part. */
const smsWith = (phone: string, ...parts: string[]) =>
  eventually(`an SMS with ${parts.join(', ')}`, async () => (await outboxFor(phone)).find((text) => parts.every((p) => text.includes(p))));

async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = tenantDb(app, 'in');
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The jobs stored for an appointment, of one kind. */
const jobsOf = (name: string, appointmentId: string) =>
  sql<{ id: string; state: string; start_after: Date }>(
    `select id, state, start_after from pgboss.job where name = $1 and data->>'appointmentId' = $2 order by created_on`,
    [name, appointmentId],
  );

let sessionDays = 2;
async function createSession(days = sessionDays++) {
  const response = await app.request(HOST, '/api/v1/staff/sessions', {
    method: 'POST',
    headers: admin,
    body: {
      facilityId: KEM,
      date: dayFromToday(app, 'in', days),
      vaccine: 'covishield',
      minAge: 18,
      slots: ['09:00AM-11:00AM'],
      capacities: [{ dose: 1, online: 10 }],
    },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${response.text}`);
  return response.json<{ id: string; date: string }>();
}

async function citizen(language: string): Promise<TestCitizen> {
  const [person] = await makeCitizens(app, 'in', [[1985]]);
  await sql('update account set language = $1 where id = $2', [language, person.accountId]);
  return person;
}

async function book(person: TestCitizen, sessionId: string) {
  const response = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(person.token),
    body: { sessionId, slot: '09:00AM-11:00AM', beneficiaries: [person.beneficiaries[0].referenceId] },
  });
  if (response.status !== 201) throw new Error(`book: ${response.status} ${response.text}`);
  return response.json<{ appointments: { id: string; securityCode: string; date: string }[] }>().appointments[0];
}

test('a booking gets its confirmation through the queue, in the account’s language, once however often it is asked for', async (t) => {
  const session = await createSession();
  const person = await citizen('hi');
  const appointment = await book(person, session.id);

  await notices().booked([appointment.id]);
  await notices().booked([appointment.id]); // a retried call
  const text = await smsWith(person.phone, appointment.securityCode, 'टीकाकरण अपॉइंटमेंट', 'केईएम अस्पताल, परेल');
  t.true(text.includes('सुरक्षा कोड'), text);
  t.false(/\d\d:\d\d[AP]M/.test(text), 'the slot is written the Hindi way, not as the Co-WIN label');

  const confirmations = await jobsOf('notice.appointment-booked', appointment.id);
  t.is(confirmations.length, 1, 'one confirmation job for two calls');
  await eventually('the confirmation job to complete', async () =>
    (await jobsOf('notice.appointment-booked', appointment.id))[0].state === 'completed' ? true : undefined,
  );
  t.is((await outboxFor(person.phone)).filter((m) => m.includes('टीकाकरण अपॉइंटमेंट') && m.includes('बुक हुआ')).length, 1);

  // The reminder waits for 18:00 in India the evening before the session.
  const [reminder] = await jobsOf('notice.appointment-reminder', appointment.id);
  t.is(reminder.state, 'created');
  t.is(reminder.start_after.toISOString(), reminderTime(session.date, 'Asia/Kolkata').toISOString());
  t.is(reminderTime('2030-01-10', 'Asia/Kolkata').toISOString(), '2030-01-09T12:30:00.000Z', '18:00 IST is 12:30 UTC');
});

test('no reminder is queued once its evening has come: the confirmation is the reminder', (t) => {
  const evening = Date.parse('2030-01-09T12:30:00.000Z'); // 18:00 IST, the evening before 10 January
  t.is(reminderDue('2030-01-10', 'Asia/Kolkata', evening - 60_000)?.toISOString(), '2030-01-09T12:30:00.000Z', 'booked at 17:59');
  t.is(reminderDue('2030-01-10', 'Asia/Kolkata', evening), undefined, 'booked at 18:00');
  t.is(reminderDue('2030-01-10', 'Asia/Kolkata', evening + 3_600_000), undefined, 'booked at 19:00 for the next morning');
  t.is(reminderDue('2030-01-09', 'Asia/Kolkata', evening - 60_000), undefined, 'booked for the same day');
  t.truthy(reminderDue('2030-01-11', 'Asia/Kolkata', evening), 'booked for the day after tomorrow');
});

test('a reminder goes to a booked appointment and is skipped once the appointment is cancelled', async (t) => {
  const session = await createSession();
  const kept = await citizen('en');
  const gone = await citizen('en');
  const keptAppointment = await book(kept, session.id);
  const goneAppointment = await book(gone, session.id);
  const cancel = await app.request(HOST, `/api/v1/appointments/${goneAppointment.id}`, { method: 'DELETE', headers: bearer(gone.token) });
  t.is(cancel.status, 200, cancel.text);

  // As the jobs would be when their evening comes: due now.
  const [slot] = await sql<{ slot_index: number }>('select slot_index from appointment where id = $1', [keptAppointment.id]);
  for (const appointmentId of [keptAppointment.id, goneAppointment.id]) {
    await tenant().jobs.send(appointmentReminderJob, {
      appointmentId,
      sessionId: session.id,
      slotIndex: slot.slot_index,
      date: session.date,
    });
  }
  const text = await smsWith(kept.phone, 'Reminder:', keptAppointment.securityCode, 'KEM Hospital');
  t.regex(text, /9:00\s*–\s*11:00\sAM|9:00\sAM\s*–\s*11:00\sAM/i, text);

  // The booking itself scheduled a reminder for the evening before (still waiting); the one sent
  // above is due now, runs, and sends nothing.
  await eventually('the skipped reminder to complete', async () =>
    (await jobsOf('notice.appointment-reminder', goneAppointment.id)).some((job) => job.state === 'completed') ? true : undefined,
  );
  t.false(
    (await outboxFor(gone.phone)).some((m) => m.startsWith('Reminder:')),
    'no reminder for a cancelled appointment',
  );

  // The citizen's own cancellation was announced in its words...
  await smsWith(gone.phone, 'KEM Hospital', 'is cancelled');
  // ...and a session the centre cancelled in its own (as SessionService.cancel leaves the row).
  const third = await citizen('en');
  const thirdAppointment = await book(third, session.id);
  await sql(`update appointment set state = 'cancelled', cancelled_at = now() where id = $1`, [thirdAppointment.id]);
  await notices().cancelled([thirdAppointment.id], 'session-cancelled');
  await smsWith(third.phone, 'KEM Hospital', 'has cancelled its vaccination session', 'Please book a new appointment');
});

test('a moved appointment gets its new place and a reminder for it; the old reminder sends nothing', async (t) => {
  const first = await createSession();
  const second = await createSession();
  const person = await citizen('en');
  const appointment = await book(person, first.id);
  await notices().booked([appointment.id]);
  const [oldReminder] = await jobsOf('notice.appointment-reminder', appointment.id);

  // What a reschedule does to the row; the booking code then calls moved().
  await sql('update appointment set session_id = $1 where id = $2', [second.id, appointment.id]);
  await notices().moved([appointment.id]);
  const newDate = new Intl.DateTimeFormat('en-IN', { day: 'numeric', month: 'short', timeZone: 'Asia/Kolkata' }).format(
    zonedInstant(second.date, 12 * 60, 'Asia/Kolkata'),
  );
  const text = await smsWith(person.phone, 'has moved to', newDate, 'KEM Hospital');
  t.true(text.includes(appointment.securityCode));
  const reminders = await jobsOf('notice.appointment-reminder', appointment.id);
  t.is(reminders.length, 2);
  t.true(
    reminders.some((job) => job.id !== oldReminder.id && job.start_after.getTime() === reminderTime(second.date, 'Asia/Kolkata').getTime()),
  );
});

test('after a dose, the next one is announced on the day it becomes due, or at once when that day has come', async (t) => {
  const person = await citizen('hi');
  const beneficiaryId = person.beneficiaries[0].id;
  const today = dayFromToday(app, 'in', 0);

  // Given 90 days ago: COVISHIELD's second dose is due from day 84, so the notice goes now.
  await scope()
    .resolve(DoseService)
    .record({ beneficiaryId, vaccine: 'covishield', givenOn: addDays(today, -90) });
  const text = await smsWith(person.phone, 'खुराक 2', 'COVISHIELD');
  t.true(text.startsWith('Person '), text);

  // Another person, given today: the notice waits for 09:00 in India on day 84.
  const later = await citizen('en');
  await scope().resolve(DoseService).record({ beneficiaryId: later.beneficiaries[0].id, vaccine: 'covishield', givenOn: today });
  const [job] = await sql<{ state: string; start_after: Date; data: object }>(
    `select state, start_after, data from pgboss.job where name = 'notice.dose-due' and data->>'beneficiaryId' = $1`,
    [later.beneficiaries[0].id],
  );
  t.is(job.state, 'created');
  t.deepEqual(job.data, { beneficiaryId: later.beneficiaries[0].id, doseNumber: 2 }, 'ids and a dose number, nothing else');
  t.is(job.start_after.toISOString(), zonedInstant(addDays(today, 84), 9 * 60, 'Asia/Kolkata').toISOString());
});

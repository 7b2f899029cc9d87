import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens } from '../support/scheduling.js';
import {
  adminHeaders,
  createSession,
  HOST,
  MUMBAI_CENTRE,
  PUNE_CENTRE,
  type Received,
  receiver,
  SLOTS,
  sseClient,
  subscribe,
  verifySignature,
} from './helpers.js';

const ADMIN_PASSWORD = 'test-admin-password-subscriptions';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
/** The requirement: a notifier learns of new places within this long. */
const WITHIN_MS = 5_000;

let app: TestPlatform;
let admin: Record<string, string>;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], jobPollSeconds: 0.5 } });
  admin = await adminHeaders(app, ADMIN_PASSWORD);
});
test.after.always(async () => {
  await app?.stop();
});

function events(received: Received[], sessionId: string): Received[] {
  return received.filter((r) => JSON.parse(r.body).data.sessionId === sessionId);
}

test.serial('a webhook gets a signed notice within 5 s of a session opening in Mumbai, and nothing for Pune', async (t) => {
  const hook = await receiver();
  try {
    const subscription = await subscribe(app, hook.url, { area: 'district:395', vaccine: 'covishield', dose: 1, age: 45 });
    t.true(subscription.secret.startsWith('whsec_'));
    t.is(subscription.state, 'active');

    const pune = await createSession(app, admin, PUNE_CENTRE);
    const started = Date.now();
    const mumbai = await createSession(app, admin, MUMBAI_CENTRE);
    const notice = await eventually('the Mumbai notice', async () => events(hook.received, mumbai.id)[0], WITHIN_MS + 1_000);
    t.true(notice.at - started <= WITHIN_MS, `arrived after ${notice.at - started} ms`);
    t.true(verifySignature(subscription.secret, notice.headers['teeka-signature'], notice.body), 'the signature verifies');
    t.false(verifySignature('whsec_wrong', notice.headers['teeka-signature'], notice.body));
    const body = JSON.parse(notice.body);
    t.is(notice.headers['teeka-event-id'], body.id);
    t.is(body.type, 'availability.places-opened');
    t.like(body.data, { tenant: 'in', sessionId: mumbai.id, facilityId: MUMBAI_CENTRE, vaccine: 'covishield', minAge: 18, maxAge: null });
    t.deepEqual(body.data.doses, [{ dose: 1, available: 2 }]);
    t.true(body.data.area.includes('district:395') && body.data.area.includes('state:21'), body.data.area.join());
    t.is(body.data.postalCode, '400012');

    // Pune's session was created first: had it matched, it would have arrived by now.
    await sleep(1_000);
    t.deepEqual(events(hook.received, pune.id), []);
    t.is(hook.received.length, 1);
  } finally {
    await hook.close();
  }
});

test.serial('an SSE client gets the event within 5 s, with heartbeat-ready headers, and replays with Last-Event-ID', async (t) => {
  const client = await sseClient(app, '/api/v1/availability/stream?area=district:395&vaccine=covishield&dose=1&age=45');
  let eventId: string;
  try {
    t.is(client.status, 200);
    t.regex(String(client.headers['content-type']), /^text\/event-stream/);
    t.is(client.headers['x-accel-buffering'], 'no');
    await eventually('the stream greeting', async () => (client.retry ? true : undefined), 5_000);
    t.is(client.retry, 3000);

    await createSession(app, admin, PUNE_CENTRE);
    const started = Date.now();
    const session = await createSession(app, admin, MUMBAI_CENTRE);
    const event = await eventually(
      'the SSE event',
      async () => client.events.find((e) => JSON.parse(e.data).sessionId === session.id),
      WITHIN_MS + 1_000,
    );
    t.true(Date.now() - started <= WITHIN_MS + 200);
    t.is(event.event, 'places-opened');
    t.truthy(event.id);
    eventId = event.id!;
    t.false(
      client.events.some((e) => JSON.parse(e.data).facilityId === PUNE_CENTRE),
      'Pune is filtered out',
    );
  } finally {
    client.close();
  }

  // Disconnected: a session opens meanwhile, and a reconnect with Last-Event-ID gets it.
  const missed = await createSession(app, admin, MUMBAI_CENTRE);
  const again = await sseClient(app, '/api/v1/availability/stream?area=district:395', { 'Last-Event-ID': eventId });
  try {
    const replayed = await eventually('the replayed event', async () =>
      again.events.find((e) => JSON.parse(e.data).sessionId === missed.id),
    );
    t.true(BigInt(replayed.id!) > BigInt(eventId));
    t.false(
      again.events.some((e) => e.id === eventId),
      'what the client saw is not sent again',
    );
  } finally {
    again.close();
  }
});

test.serial('places freed by a cancellation are announced', async (t) => {
  const session = await createSession(app, admin, MUMBAI_CENTRE, { capacities: [{ dose: 1, online: 1 }] });
  const [citizen] = await makeCitizens(app, 'in', [[1970]]);
  const booking = await app.request(HOST, '/api/v1/appointments', {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { sessionId: session.id, slot: SLOTS[0], beneficiaries: [citizen.beneficiaries[0].referenceId] },
  });
  t.is(booking.status, 201, booking.text);
  const appointment = booking.json().appointments[0];

  const hook = await receiver();
  const client = await sseClient(app, '/api/v1/availability/stream?postalCode=400012');
  try {
    const subscription = await subscribe(app, hook.url, { postalCode: '400012' });
    await eventually('the stream greeting', async () => (client.retry ? true : undefined), 5_000);
    const cancelled = await app.request(HOST, `/api/v1/appointments/${appointment.id}`, {
      method: 'DELETE',
      headers: bearer(citizen.token),
    });
    t.is(cancelled.status, 200, cancelled.text);
    const notice = await eventually('the webhook notice', async () => events(hook.received, session.id)[0], WITHIN_MS + 1_000);
    t.true(verifySignature(subscription.secret, notice.headers['teeka-signature'], notice.body));
    t.deepEqual(JSON.parse(notice.body).data.doses, [{ dose: 1, available: 1 }]);
    await eventually(
      'the SSE event',
      async () => client.events.find((e) => JSON.parse(e.data).sessionId === session.id),
      WITHIN_MS + 1_000,
    );
  } finally {
    client.close();
    await hook.close();
  }
});

test.serial('subscriptions are managed with their token', async (t) => {
  const created = await subscribe(app, 'http://127.0.0.1:9/hook', { area: 'state:21' });
  const token = created.managementToken;
  const second = await app.request(HOST, '/api/v1/subscriptions', {
    method: 'POST',
    headers: bearer(token),
    body: { url: 'http://127.0.0.1:9/other', filters: { postalCode: '400012', vaccine: 'covaxin' } },
  });
  t.is(second.status, 201, second.text);
  t.is(second.json().managementToken, token);

  const listed = await app.request(HOST, '/api/v1/subscriptions', { headers: bearer(token) });
  t.is(listed.status, 200);
  t.deepEqual(
    listed.json().subscriptions.map((s: { id: string }) => s.id),
    [created.id, second.json().id],
  );
  t.false(JSON.stringify(listed.json()).includes('whsec_'), 'the secret is shown once only');

  t.is((await app.request(HOST, '/api/v1/subscriptions')).status, 401);
  const other = await subscribe(app, 'http://127.0.0.1:9/x', { area: 'district:395' });
  const foreign = await app.request(HOST, `/api/v1/subscriptions/${created.id}`, {
    method: 'DELETE',
    headers: bearer(other.managementToken),
  });
  t.is(foreign.status, 404);

  const bad = await app.request(HOST, '/api/v1/subscriptions', {
    method: 'POST',
    body: { url: 'ftp://example.org/x', filters: { area: 'state:21' } },
  });
  t.is(bad.status, 422);
  t.is(bad.json().errors?.[0]?.code, 'url-scheme', bad.text);
  const twoPlaces = await app.request(HOST, '/api/v1/subscriptions', {
    method: 'POST',
    body: { url: 'http://127.0.0.1:9/x', filters: { area: 'state:21', postalCode: '400012' } },
  });
  t.is(twoPlaces.status, 422);

  const deleted = await app.request(HOST, `/api/v1/subscriptions/${created.id}`, { method: 'DELETE', headers: bearer(token) });
  t.is(deleted.status, 204);
  const after = await app.request(HOST, '/api/v1/subscriptions', { headers: bearer(token) });
  t.deepEqual(
    after.json().subscriptions.map((s: { id: string }) => s.id),
    [second.json().id],
  );
});

test.serial('a session moved to another day, and a fair opening when it opens, are announced', async (t) => {
  const client = await sseClient(app, '/api/v1/availability/stream?area=district:395');
  try {
    await eventually('the stream greeting', async () => (client.retry ? true : undefined), 5_000);
    const seen = (sessionId: string) => client.events.filter((e) => JSON.parse(e.data).sessionId === sessionId);

    const moving = await createSession(app, admin, MUMBAI_CENTRE);
    await eventually('the creation event', async () => seen(moving.id)[0]);
    const newDate = dayFromToday(app, 'in', 26);
    const moved = await app.request(HOST, `/api/v1/staff/sessions/${moving.id}/move`, {
      method: 'POST',
      headers: admin,
      body: { date: newDate },
    });
    t.is(moved.status, 200, moved.text);
    const afterMove = await eventually('the move event', async () => seen(moving.id).find((e) => JSON.parse(e.data).date === newDate));
    t.truthy(afterMove);

    // Announced when booking opens, not when created.
    const opensAt = new Date(Date.now() + 2_000);
    const later = await createSession(app, admin, MUMBAI_CENTRE, { opensAt: opensAt.toISOString() });
    await sleep(500);
    t.deepEqual(seen(later.id), [], 'nothing before it opens');
    const opened = await eventually('the opening event', async () => seen(later.id)[0], 10_000);
    t.true(Date.now() >= opensAt.getTime());
    t.truthy(opened);

    // A cancelled session frees nothing bookable: no event.
    const cancelled = await app.request(HOST, `/api/v1/staff/sessions/${moving.id}/cancel`, { method: 'POST', headers: admin, body: {} });
    t.is(cancelled.status, 200, cancelled.text);
    await sleep(500);
    t.is(seen(moving.id).length, 2);
  } finally {
    client.close();
  }
});

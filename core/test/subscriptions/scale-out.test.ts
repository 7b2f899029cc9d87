import test from 'ava';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { adminHeaders, createSession, MUMBAI_CENTRE, sseClient } from './helpers.js';

const ADMIN_PASSWORD = 'test-admin-password-subscription-scale-out';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

// Two app processes on one database, as booking-storm.test.ts runs them.
let first: TestPlatform;
let second: TestPlatform;
test.before(async () => {
  first = await startTestPlatform({ settings: { tenantCodes: ['in'], jobPollSeconds: 0.5 } });
  second = await startTestPlatform({
    settings: { tenantCodes: ['in'], jobPollSeconds: 0.5, databasePrefix: first.settings.databasePrefix },
  });
});
test.after.always(async () => {
  await second?.platform.stop();
  await first?.stop();
});

test('an event published by one process reaches an SSE client of the other within 5 s', async (t) => {
  const client = await sseClient(second, '/api/v1/availability/stream?area=state:21&vaccine=covishield');
  try {
    t.is(client.status, 200);
    await eventually('the stream greeting', async () => (client.retry ? true : undefined), 5_000);
    const admin = await adminHeaders(first, ADMIN_PASSWORD);
    const started = Date.now();
    const session = await createSession(first, admin, MUMBAI_CENTRE);
    const event = await eventually(
      'the event on the other process',
      async () => client.events.find((e) => JSON.parse(e.data).sessionId === session.id),
      6_000,
    );
    t.true(Date.now() - started <= 5_200);
    t.like(JSON.parse(event.data), { facilityId: MUMBAI_CENTRE, vaccine: 'covishield' });
  } finally {
    client.close();
  }
});

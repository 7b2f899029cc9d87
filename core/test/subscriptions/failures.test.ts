import test from 'ava';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { projectCopy } from '../support/project-copy.js';
import { adminHeaders, createSession, HOST, MUMBAI_CENTRE, receiver, subscribe, verifySignature } from './helpers.js';

const ADMIN_PASSWORD = 'test-admin-password-subscription-failures';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const MAX_FAILURES = 3;

let app: TestPlatform;
let admin: Record<string, string>;
test.before(async () => {
  // Few failures and a short back-off, so that the test sees a subscription disabled in seconds.
  const paths = projectCopy({
    tenants: { in: (yaml) => `${yaml}\nsubscriptions:\n  maxFailures: ${MAX_FAILURES}\n  retryDelaySeconds: 1\n` },
  });
  app = await startTestPlatform({ settings: { tenantCodes: ['in'], jobPollSeconds: 0.5, paths } });
  admin = await adminHeaders(app, ADMIN_PASSWORD);
});
test.after.always(async () => {
  await app?.stop();
});

test('a receiver answering 500 gets retries, then the subscription is disabled with the reason, and can be enabled again', async (t) => {
  let status = 500;
  const hook = await receiver(() => status);
  try {
    const subscription = await subscribe(app, hook.url, { area: 'district:395' });
    const session = await createSession(app, admin, MUMBAI_CENTRE);
    const view = await eventually(
      'the subscription disabled',
      async () => {
        const response = await app.request(HOST, `/api/v1/subscriptions/${subscription.id}`, {
          headers: bearer(subscription.managementToken),
        });
        const body = response.json();
        return body.state === 'disabled' ? body : undefined;
      },
      30_000,
    );
    t.is(view.consecutiveFailures, MAX_FAILURES);
    t.regex(view.disabledReason, /3 deliveries failed in a row; the last: HTTP 500/);
    t.truthy(view.disabledAt);

    // The same notice, tried MAX_FAILURES times, each signed, numbered and for the same event.
    t.is(hook.received.length, MAX_FAILURES);
    const ids = new Set(hook.received.map((r) => r.headers['teeka-event-id']));
    t.is(ids.size, 1);
    t.deepEqual(
      hook.received.map((r) => r.headers['teeka-delivery-attempt']),
      ['1', '2', '3'],
    );
    for (const r of hook.received) t.true(verifySignature(subscription.secret, r.headers['teeka-signature'], r.body));
    t.is(JSON.parse(hook.received[0].body).data.sessionId, session.id);

    // Disabled: a new opening sends nothing more.
    await createSession(app, admin, MUMBAI_CENTRE);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    t.is(hook.received.length, MAX_FAILURES);

    // Enabled again, and the receiver mended: the next opening arrives.
    status = 200;
    const enabled = await app.request(HOST, `/api/v1/subscriptions/${subscription.id}/enable`, {
      method: 'POST',
      headers: bearer(subscription.managementToken),
    });
    t.is(enabled.status, 200, enabled.text);
    t.like(enabled.json(), { state: 'active', consecutiveFailures: 0, disabledReason: null });
    const next = await createSession(app, admin, MUMBAI_CENTRE);
    await eventually('the notice after enabling', async () =>
      hook.received.find((r) => JSON.parse(r.body).data.sessionId === next.id && r.headers['teeka-delivery-attempt'] === '1'),
    );
  } finally {
    await hook.close();
  }
});

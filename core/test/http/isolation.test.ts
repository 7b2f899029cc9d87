import test from 'ava';
import pg from 'pg';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('a message written through one tenant is invisible to the others', async (t) => {
  const sent = await app.request('in.localhost', '/dev/sms', { method: 'POST', body: { to: '+919812345678', text: 'India only' } });
  t.is(sent.status, 202);

  const india = (await app.request('in.localhost', '/dev/outbox')).json<{ to: string; text: string }[]>();
  t.true(india.some((m) => m.text === 'India only' && m.to === '+919812345678'));
  for (const code of ['mx', 'ae']) {
    const other = await app.request(`${code}.localhost`, '/dev/outbox');
    t.is(other.status, 200);
    t.false(
      other.json<{ text: string }[]>().some((m) => m.text === 'India only'),
      `${code} must not see India's message`,
    );
  }
});

test.serial('each tenant has its own database, named after the tenant with the run prefix', async (t) => {
  const names = app.platform.tenants.all.map((tenant) => tenant.database).sort();
  t.deepEqual(
    names,
    ['ae', 'in', 'mx', 'ng', 'pe', 'ua'].map((code) => `${app.settings.databasePrefix}${code}`),
  );
  await app.request('mx.localhost', '/dev/sms', { method: 'POST', body: { to: '+525512345678', text: 'Hola' } });
  const client = new pg.Client({ connectionString: app.platform.database.urlFor(`${app.settings.databasePrefix}ae`) });
  await client.connect();
  try {
    const rows = await client.query("select count(*)::int as n from plugin_record where data->>'text' = 'Hola'");
    t.is(rows.rows[0].n, 0);
  } finally {
    await client.end();
  }
});

test.serial('the outbox is a top-level array, newest first, with full E.164 numbers and UTC timestamps', async (t) => {
  for (const text of ['first', 'second', 'third']) {
    await app.request('ae.localhost', '/dev/sms', { method: 'POST', body: { to: '+971501234567', text } });
  }
  const outbox = (await app.request('ae.localhost', '/dev/outbox')).json<{ to: string; text: string; createdAt: string }[]>();
  t.true(Array.isArray(outbox));
  t.deepEqual(
    outbox.slice(0, 3).map((m) => m.text),
    ['third', 'second', 'first'],
  );
  t.is(outbox[0].to, '+971501234567');
  t.regex(outbox[0].createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  t.deepEqual(Object.keys(outbox[0]).sort(), ['createdAt', 'text', 'to']);
});

test.serial('a test message with a bad number or empty text is refused and nothing is stored', async (t) => {
  const before = (await app.request('mx.localhost', '/dev/outbox')).json<unknown[]>().length;
  const response = await app.request('mx.localhost', '/dev/sms', { method: 'POST', body: { to: '5512345678', text: '' } });
  t.is(response.status, 422);
  t.is(response.headers['content-type'], 'application/problem+json');
  t.deepEqual(
    response.json().errors.map((e: { path: string }) => e.path),
    ['/to', '/text'],
  );
  t.is((await app.request('mx.localhost', '/dev/outbox')).json<unknown[]>().length, before);
});

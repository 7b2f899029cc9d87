import test from 'ava';
import { createTenantI18n } from '../../src/kernel/i18n/tenant-i18n.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

test('the India tenant renders Hindi when asked', async (t) => {
  const response = await app.request('in.localhost', '/', { headers: { 'Accept-Language': 'hi-IN,hi;q=0.9' } });
  t.regex(response.text, /<html lang="hi" dir="ltr">/);
  t.regex(response.text, /भारत टीकाकरण कार्यक्रम/);
  t.regex(response.text, /राष्ट्रीय हेल्पलाइन: 1075/);
});

test('?lng= switches the language and remembers it in a cookie', async (t) => {
  const switched = await app.request('in.localhost', '/?lng=hi');
  t.regex(switched.text, /lang="hi"/);
  const cookie = String(switched.headers['set-cookie']);
  t.regex(cookie, /lng=hi/);
  const next = await app.request('in.localhost', '/', { headers: { Cookie: 'lng=hi' } });
  t.regex(next.text, /lang="hi"/);
  t.regex(String(next.headers.vary), /Accept-Language/);
});

test('a language the tenant does not enable is never served', async (t) => {
  const response = await app.request('mx.localhost', '/?lng=hi', { headers: { 'Accept-Language': 'ar' } });
  t.regex(response.text, /<html lang="es"/);
  t.is(response.headers['set-cookie'], undefined);
});

test('dates are formatted with Intl in the tenant’s time zone and language', async (t) => {
  const india = await app.request('in.localhost', '/?lng=hi');
  const expected = new Intl.DateTimeFormat('hi-IN', { dateStyle: 'full', timeZone: 'Asia/Kolkata' }).format(new Date());
  t.true(india.text.includes(expected), `expected ${expected}`);
});

test('plural forms come from Intl plural rules of each language', async (t) => {
  const arabic = await app.request('ae.localhost', '/');
  t.regex(arabic.text, /جرعتان/, 'Arabic dual for two doses');
  const english = await app.request('mx.localhost', '/');
  t.regex(english.text, /1 dosis/);
});

test('an empty translation falls back along the chain instead of showing nothing', (t) => {
  const i18n = createTenantI18n({
    defaultLanguage: 'en',
    enabled: ['en', 'hi'],
    fallback: { hi: ['en'] },
    resources: { en: { common: { a: 'Hello', b: 'Only English' } }, hi: { common: { a: '' } } },
  });
  t.is(i18n.getFixedT('hi')('a'), 'Hello');
  t.is(i18n.getFixedT('hi')('b'), 'Only English');
});

import test from 'ava';
import { matchLanguage, negotiateLanguage, parseAcceptLanguage } from '../../src/kernel/i18n/negotiate.js';
import { fallbackChain } from '../../src/kernel/i18n/tenant-i18n.js';

const enabled = ['en', 'hi'];

const cases: [string, Parameters<typeof negotiateLanguage>[0], string][] = [
  ['query wins over everything', { query: 'hi', cookie: 'en', acceptLanguage: 'en' }, 'hi'],
  ['cookie when no query', { cookie: 'hi', acceptLanguage: 'en' }, 'hi'],
  ['Accept-Language when no query or cookie', { acceptLanguage: 'fr;q=0.9, hi;q=0.8, en;q=0.1' }, 'hi'],
  ['Co-WIN style hi_IN', { acceptLanguage: 'hi_IN' }, 'hi'],
  ['region falls back to language', { acceptLanguage: 'hi-IN,en;q=0.5' }, 'hi'],
  ['q=0 means not acceptable', { acceptLanguage: 'hi;q=0, en;q=0.1' }, 'en'],
  ['a language the tenant does not enable is skipped', { query: 'ar', acceptLanguage: 'es, hi;q=0.2' }, 'hi'],
  ['nothing usable gives the tenant default', { query: 'xx', cookie: '../../etc', acceptLanguage: '*' }, 'en'],
  ['empty values are ignored', { query: '', cookie: '', acceptLanguage: '' }, 'en'],
];

for (const [name, choice, expected] of cases) {
  test(`language negotiation: ${name}`, (t) => {
    t.is(negotiateLanguage(choice, enabled, 'en'), expected);
  });
}

test('Accept-Language is ordered by q, stable for equal q', (t) => {
  t.deepEqual(parseAcceptLanguage('es;q=0.5, ar, en;q=0.5, hi;q=0.9'), ['ar', 'hi', 'es', 'en']);
});

test('matching is case-insensitive and only returns enabled languages', (t) => {
  t.is(matchLanguage('HI', enabled), 'hi');
  t.is(matchLanguage('ar', enabled), undefined);
});

test('fallback chain: the language’s own fallbacks, then the default, never itself', (t) => {
  t.deepEqual(fallbackChain('hi', { defaultLanguage: 'en', fallback: { hi: ['en'] } }), ['en']);
  t.deepEqual(fallbackChain('en', { defaultLanguage: 'ar', fallback: { en: ['ar'] } }), ['ar']);
  t.deepEqual(fallbackChain('ar', { defaultLanguage: 'ar' }), []);
  t.deepEqual(fallbackChain('mr', { defaultLanguage: 'en', fallback: { mr: ['hi'] } }), ['hi', 'en']);
});

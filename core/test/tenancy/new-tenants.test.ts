import test from 'ava';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * Ukraine, Nigeria and Peru, over real HTTP: each answers in its own language, theme and phone
 * numbering, and Ukraine's Ukrainian reaches the pages, the SMS and the API.
 */
let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

const CYRILLIC = /[\u0400-\u04FF]/;

type Outbox = { to: string; text: string }[];
const outbox = async (host: string) => (await app.request(host, '/dev/outbox')).json<Outbox>();
const askForCode = (host: string, mobile: string, headers: Record<string, string> = {}) =>
  app.request(host, '/api/v1/auth/otp', { method: 'POST', body: { mobile }, headers });

/** The page links the theme's logo, fingerprinted, and the asset is the SVG with its title. */
async function servesLogo(t: import('ava').ExecutionContext, host: string, html: string, name: string): Promise<void> {
  const url = html.match(new RegExp(`src="(/assets/${name}\\.[0-9a-f]{10}\\.svg)"`))?.[1];
  t.truthy(url, `${host} links ${name}.svg`);
  const logo = await app.request(host, url!);
  t.is(logo.status, 200);
  t.regex(String(logo.headers['content-type']), /image\/svg\+xml/);
  t.regex(logo.text, /<title>[^<]+<\/title>/);
}

test('Ukraine serves its home page in Ukrainian, in the Ukraine theme', async (t) => {
  const page = await app.request('ua.localhost', '/');
  t.is(page.status, 200);
  t.regex(page.text, /<html lang="uk" dir="ltr">/);
  t.regex(page.text, /<h1>Україна: програма вакцинації<\/h1>/);
  t.regex(page.text, /Вакцини в цій програмі/);
  t.regex(page.text, /2 дози/, 'the "few" plural form');
  t.regex(page.text, /Доза 2: не раніше ніж через 21 дн\. після попередньої дози/, 'Comirnaty, 21 days');
  t.regex(page.text, /CoronaVac/);
  t.regex(page.text, /Працює на Teeka/, 'default footer, in Ukrainian');
  t.regex(page.text, /--brand:#0057b7/, 'Ukraine brand colour');
  t.regex(page.text, /--brand-contrast:#ffffff/, 'token inherited from default');
  t.regex(page.text, /hreflang="en"[^>]*>English</, 'the language switcher offers English');
  await servesLogo(t, 'ua.localhost', page.text, 'logo-ukraine');
});

test('Ukraine switches to English on ?lng=en', async (t) => {
  const page = await app.request('ua.localhost', '/?lng=en');
  t.is(page.status, 200);
  t.regex(page.text, /<html lang="en" dir="ltr">/);
  t.regex(page.text, /<h1>Ukraine vaccination programme<\/h1>/);
  t.regex(page.text, /hreflang="uk"[^>]*>Українська</);
  t.notRegex(page.text, /програма вакцинації/);
});

test('Nigeria serves its home page in English, in the Nigeria theme', async (t) => {
  const page = await app.request('ng.localhost', '/');
  t.is(page.status, 200);
  t.regex(page.text, /<html lang="en" dir="ltr">/);
  t.regex(page.text, /<h1>Nigeria vaccination programme<\/h1>/);
  t.regex(page.text, /Johnson &amp; Johnson \(Jcovden\)/);
  t.regex(page.text, /1 dose</, 'the one-dose vaccine');
  t.regex(page.text, /Booster: 60 days or more after the last dose/);
  t.regex(page.text, /--brand:#005a32/, 'Nigeria brand colour');
  t.notRegex(page.text, /class="languages"/, 'one language: no switcher');
  await servesLogo(t, 'ng.localhost', page.text, 'logo-nigeria');
});

test('Peru serves its home page in Spanish, in the Peru theme', async (t) => {
  const page = await app.request('pe.localhost', '/');
  t.is(page.status, 200);
  t.regex(page.text, /<html lang="es" dir="ltr">/);
  t.regex(page.text, /<h1>Programa de vacunación de Perú<\/h1>/);
  t.regex(page.text, /Sinopharm \(BBIBP-CorV\)/);
  t.regex(page.text, /Dosis 2: 21 días o más después de la dosis anterior/);
  t.regex(page.text, /--brand:#c8102e/, 'Peru brand colour');
  await servesLogo(t, 'pe.localhost', page.text, 'logo-peru');
});

test('the Ukrainian sign-in page', async (t) => {
  const page = await app.request('ua.localhost', '/sign-in');
  t.is(page.status, 200);
  t.regex(page.text, /<html lang="uk" dir="ltr">/);
  t.regex(page.text, /Вхід або реєстрація/);
  t.regex(page.text, /Номер мобільного телефону/);
  t.regex(page.text, /Надіслати код/);
});

test('a Ukrainian mobile number gets its sign-in code by SMS in Ukrainian', async (t) => {
  const generated = await askForCode('ua.localhost', '050 123 4567');
  t.is(generated.status, 200, generated.text);
  const [message] = await outbox('ua.localhost');
  t.is(message.to, '+380501234567', 'normalised to E.164 under region UA');
  t.regex(message.text, /^\d{6} — ваш код для входу в систему вакцинації\. Він дійсний 3 хв\./);
  const foreign = await askForCode('ua.localhost', '+234 803 123 4567');
  t.is(foreign.status, 422, 'only numbers of the tenant’s country');
  t.regex(foreign.json().errors[0].message, CYRILLIC, 'the field error is in Ukrainian');
});

test('Nigerian and Peruvian numbers get their codes in English and Spanish', async (t) => {
  t.is((await askForCode('ng.localhost', '0803 123 4567')).status, 200);
  const [nigeria] = await outbox('ng.localhost');
  t.is(nigeria.to, '+2348031234567');
  t.regex(nigeria.text, /^\d{6} is your vaccination sign-in code/);
  t.is((await askForCode('pe.localhost', '987 654 321')).status, 200);
  const [peru] = await outbox('pe.localhost');
  t.is(peru.to, '+51987654321');
  t.regex(peru.text, /^\d{6} es tu código para entrar al sistema de vacunación/);
});

type DocumentTypes = { type: string; label: string; inputMask: string; example: string }[];
const codes = (types: DocumentTypes) => types.map((type) => type.type);

test('Ukraine lists its document types with Ukrainian labels, and English ones on request', async (t) => {
  const response = await app.request('ua.localhost', '/api/v1/document-types');
  t.is(response.status, 200);
  const types = response.json<DocumentTypes>();
  t.deepEqual(codes(types).sort(), ['passport', 'rnokpp', 'ua-passport']);
  for (const { type, label } of types) {
    t.regex(label, CYRILLIC, `${type}: Ukrainian label`);
    t.false(label.includes('.label'), `${type}: a label, not a key`);
  }
  t.is(types.find((type) => type.type === 'passport')!.label, 'Номер закордонного паспорта');
  const english = (await app.request('ua.localhost', '/api/v1/document-types?lng=en')).json<DocumentTypes>();
  for (const { type, label } of english) t.notRegex(label, CYRILLIC, `${type}: English label`);
  t.is(english.find((type) => type.type === 'passport')!.label, 'International (travel) passport number');
});

test('Nigeria and Peru list their national documents beside the passport', async (t) => {
  const nigeria = (await app.request('ng.localhost', '/api/v1/document-types')).json<DocumentTypes>();
  t.deepEqual(codes(nigeria).sort(), ['nin', 'passport']);
  const peru = (await app.request('pe.localhost', '/api/v1/document-types')).json<DocumentTypes>();
  t.deepEqual(codes(peru).sort(), ['ce', 'dni', 'passport'], 'DNI and carné de extranjería');
  t.is(peru.find((type) => type.type === 'passport')?.label, 'Número de pasaporte');
});

test('the new tenants’ databases are ready', async (t) => {
  const ready = (await app.request('localhost', '/readyz')).json<{ databases: Record<string, string> }>();
  for (const code of ['ua', 'ng', 'pe']) t.is(ready.databases[code], 'ok', code);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { stdnum } from 'stdnum';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { tenantSchema } from '../../src/kernel/tenancy/tenant-schema.js';
import { latestOtp } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

/** A valid Aadhaar number built with the library the plugin uses, from an 11-digit body. */
function aadhaar(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (stdnum.IN.aadhaar.validate(`${body}${digit}`).isValid) return `${body}${digit}`;
  throw new Error('no check digit');
}

/** A browser by hand: one host, its cookies, urlencoded forms, and redirects that are not followed. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];

  constructor(
    readonly host: string,
    readonly headers: Record<string, string> = {},
  ) {}

  get(path: string): Promise<TestResponse> {
    return this.send('GET', path);
  }

  post(path: string, form: Record<string, string | string[]> = {}): Promise<TestResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) body.append(name, one);
    return this.send('POST', path, body.toString());
  }

  private async send(method: string, path: string, body?: string): Promise<TestResponse> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const response = await app.request(this.host, path, { method, headers, body });
    for (const line of [response.headers['set-cookie'] ?? []].flat()) {
      this.setCookies.push(line);
      const [pair, ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      const expired = value === '' || attributes.some((attribute) => /expires=.*1970/i.test(attribute));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

const MAX_PAGE_BYTES = 30 * 1024;

function page(t: ExecutionContext, response: TestResponse, status = 200): string {
  t.is(response.status, status, response.text.slice(0, 300));
  t.regex(String(response.headers['content-type']), /^text\/html/);
  t.true(Buffer.byteLength(response.text) < MAX_PAGE_BYTES, `page of ${Buffer.byteLength(response.text)} bytes`);
  return response.text;
}

function seeOther(t: ExecutionContext, response: TestResponse, location: string | RegExp): string {
  t.is(response.status, 303, response.text.slice(0, 300));
  const where = String(response.headers.location);
  if (typeof location === 'string') t.is(where, location);
  else t.regex(where, location);
  return where;
}

/** Sign-in through the pages; returns the browser, holding the session cookie. */
async function signIn(t: ExecutionContext, browser: Browser, mobile: string, e164: string): Promise<void> {
  const form = page(t, await browser.get('/sign-in'));
  t.regex(form, /<form class="form" method="post" action="\/sign-in">/);
  t.regex(form, /<input id="mobile" name="mobile" type="tel" autocomplete="tel" inputmode="tel"[^>]* required/);
  const location = seeOther(t, await browser.post('/sign-in', { mobile }), /^\/sign-in\/verify\?txn=[0-9a-f-]{36}$/);
  const txnId = new URLSearchParams(location.split('?')[1]).get('txn')!;
  const verify = page(t, await browser.get(location));
  t.true(verify.includes(`<input type="hidden" name="txnId" value="${txnId}">`));
  t.regex(verify, /inputmode="numeric" autocomplete="one-time-code" pattern="\[0-9\]\{6\}" maxlength="6"/);
  t.regex(verify, /<a href="\/sign-in">/, 'a way to ask for a new code');
  const otp = await latestOtp(app, browser.host, e164);
  seeOther(t, await browser.post('/sign-in/verify', { txnId, otp }), '/beneficiaries');
  const cookie = browser.setCookies.find((line) => line.startsWith('teeka_session='))!;
  t.truthy(cookie);
  t.regex(cookie, /httponly/i);
  t.regex(cookie, /samesite=lax/i);
  t.notRegex(cookie, /secure/i, 'plain HTTP in development');
  const expires = Date.parse(cookie.match(/expires=([^;]+)/i)![1]);
  t.true(Math.abs(expires - (Date.now() + 900_000)) < 60_000, 'lives as long as a citizen session (15 minutes)');
}

interface Journey {
  host: string;
  /** Query of the first page, the home page (`?lng=hi`: the language is then remembered). */
  query?: string;
  lang: string;
  dir: 'ltr' | 'rtl';
  mobile: string;
  e164: string;
  documentType: string;
  number: string;
  masked: string;
  /** Strings the pages must show in the tenant's language. */
  words: {
    cta: string;
    mobile: string;
    name: string;
    documentLabel: string;
    signOut: string;
    add: string;
    gender: string;
    comorbidity: string;
  };
}

async function wholeJourney(t: ExecutionContext, journey: Journey): Promise<void> {
  const browser = new Browser(journey.host);
  const html = new RegExp(`<html lang="${journey.lang}" dir="${journey.dir}">`);
  const home = page(t, await browser.get(`/${journey.query ?? ''}`));
  t.regex(home, html);
  t.true(home.includes(`<a class="button" href="/sign-in">${journey.words.cta}</a>`), 'the home page leads to sign-in');
  await signIn(t, browser, journey.mobile, journey.e164);
  t.regex(page(t, await browser.get('/sign-in')), new RegExp(`<label for="mobile">${journey.words.mobile}</label>`));
  t.true(browser.cookies.has('teeka_session'));

  const empty = page(t, await browser.get('/beneficiaries'));
  t.regex(empty, html);
  t.true(empty.includes(journey.words.signOut));
  t.true(empty.includes(journey.words.add));
  t.regex(empty, /<a class="button" href="\/beneficiaries\/new">/);
  t.regex(empty, /<form class="sign-out" method="post" action="\/sign-out">/);

  const blank = page(t, await browser.get('/beneficiaries/new'));
  t.regex(blank, html);
  t.regex(blank, /<title>[^<]+ · [^<]+<\/title>/);
  t.true(blank.includes(`<label for="name">${journey.words.name}</label>`));
  // The tenant's own document type comes first and is preselected; the passport is offered too.
  t.regex(blank, new RegExp(`<option value="${journey.documentType}"( selected)?>${journey.words.documentLabel}</option>`));
  t.true(blank.includes(journey.words.gender));
  t.true(blank.includes(journey.words.comorbidity));
  for (const id of ['name', 'birthYear', 'birthDate', 'documentType', 'documentNumber', 'consent']) {
    t.regex(blank, new RegExp(`<label for="${id}">|<input id="${id}" type="checkbox"`), `${id} has a label`);
  }
  t.notRegex(blank, /registration:|errors:/, 'no untranslated keys');

  const created = await browser.post('/beneficiaries', {
    name: 'Asha Devi',
    gender: 'F',
    birthYear: '1961',
    birthDate: '',
    documentType: journey.documentType,
    documentNumber: journey.number,
    comorbidities: ['diabetes', 'hypertension'],
    consent: 'yes',
  });
  seeOther(t, created, '/beneficiaries');

  const listed = page(t, await browser.get('/beneficiaries'));
  t.true(listed.includes('<bdi>Asha Devi</bdi>'));
  t.true(listed.includes('1961'));
  t.true(listed.includes(`${journey.words.documentLabel}: <span dir="ltr">${journey.masked}</span>`));
  t.false(listed.includes(journey.number), 'never the full document number');
  const referenceId = listed.match(/\/beneficiaries\/(\d{14})\/edit/)![1];

  const editForm = page(t, await browser.get(`/beneficiaries/${referenceId}/edit`));
  t.true(editForm.includes('value="Asha Devi"'));
  t.regex(editForm, /<input type="radio" name="gender" value="F" required checked>/);
  t.regex(editForm, /value="diabetes" checked/);
  t.regex(editForm, /<input id="documentNumber" name="documentNumber" [^>]*value=""/, 'the number is never prefilled');
  t.true(editForm.includes(`<span dir="ltr">${journey.masked}</span>`), 'the registered document, masked');
  t.false(editForm.includes(journey.number));

  const edited = await browser.post(`/beneficiaries/${referenceId}`, {
    name: 'Asha Kumari',
    gender: 'F',
    birthYear: '1961',
    birthDate: '1961-07-15',
    documentType: journey.documentType,
    documentNumber: '',
    comorbidities: 'hypertension',
  });
  seeOther(t, edited, '/beneficiaries');
  const afterEdit = page(t, await browser.get('/beneficiaries'));
  t.true(afterEdit.includes('<bdi>Asha Kumari</bdi>'));
  t.true(afterEdit.includes(journey.masked), 'an empty number kept the document');
  const editedAgain = page(t, await browser.get(`/beneficiaries/${referenceId}/edit`));
  t.true(editedAgain.includes('value="1961-07-15"'));
  t.notRegex(editedAgain, /value="diabetes" checked/, 'an unticked condition is cleared');
  t.regex(editedAgain, /value="hypertension" checked/);

  seeOther(t, await browser.post(`/beneficiaries/${referenceId}/delete`), '/beneficiaries');
  const afterDelete = page(t, await browser.get('/beneficiaries'));
  t.false(afterDelete.includes('Asha Kumari'));

  const session = browser.cookies.get('teeka_session')!;
  seeOther(t, await browser.post('/sign-out'), '/');
  t.false(browser.cookies.has('teeka_session'), 'the cookie is cleared');
  const out = await browser.get('/beneficiaries');
  t.is(out.status, 302);
  t.is(out.headers.location, '/sign-in');
  browser.cookies.set('teeka_session', session);
  t.is((await browser.get('/beneficiaries')).headers.location, '/sign-in', 'the old session is revoked, not only forgotten');
}

test.serial('UAE, in Arabic right to left: sign in, add, list, edit, delete, sign out', async (t) => {
  await wholeJourney(t, {
    host: 'ae.localhost',
    lang: 'ar',
    dir: 'rtl',
    mobile: '050 444 5555',
    e164: '+971504445555',
    documentType: 'passport',
    number: 'N1234567',
    masked: 'XXXXX4567',
    words: {
      cta: 'تسجيل الدخول / التسجيل',
      mobile: 'رقم الهاتف المحمول',
      name: 'الاسم الكامل',
      documentLabel: 'رقم جواز السفر',
      signOut: 'تسجيل الخروج',
      add: 'إضافة شخص',
      gender: 'أنثى',
      comorbidity: 'السكري',
    },
  });
  const signInPage = page(t, await app.request('ae.localhost', '/sign-in'));
  t.true(signInPage.includes('<label for="mobile">رقم الهاتف المحمول</label>'));
  t.regex(signInPage, /<title>سجّل الدخول/);
});

test.serial('India, in Hindi (?lng=hi): the same journey with an Aadhaar number', async (t) => {
  const number = aadhaar('23456789013');
  await wholeJourney(t, {
    host: 'in.localhost',
    query: '?lng=hi',
    lang: 'hi',
    dir: 'ltr',
    mobile: '97000 00101',
    e164: '+919700000101',
    documentType: 'aadhaar',
    number,
    masked: `XXXX XXXX ${number.slice(-4)}`,
    words: {
      cta: 'साइन इन / पंजीकरण करें',
      mobile: 'मोबाइल नंबर',
      name: 'पूरा नाम',
      documentLabel: 'आधार संख्या',
      signOut: 'साइन आउट करें',
      add: 'व्यक्ति जोड़ें',
      gender: 'महिला',
      comorbidity: 'मधुमेह',
    },
  });
});

test.serial('Mexico, in Spanish: the same journey with a passport', async (t) => {
  await wholeJourney(t, {
    host: 'mx.localhost',
    lang: 'es',
    dir: 'ltr',
    mobile: '55 2222 3333',
    e164: '+525522223333',
    documentType: 'passport',
    number: 'G98765432',
    masked: 'XXXXX5432',
    words: {
      cta: 'Entrar / registrarse',
      mobile: 'Número de celular',
      name: 'Nombre completo',
      documentLabel: 'Número de pasaporte',
      signOut: 'Cerrar sesión',
      add: 'Agregar una persona',
      gender: 'Mujer',
      comorbidity: 'Presión alta (hipertensión)',
    },
  });
});

test.serial('a wrong code shows the code form again with the localised error and 401', async (t) => {
  const browser = new Browser('mx.localhost');
  const location = seeOther(t, await browser.post('/sign-in', { mobile: '5522224444' }), /^\/sign-in\/verify\?txn=/);
  const txnId = new URLSearchParams(location.split('?')[1]).get('txn')!;
  const right = await latestOtp(app, 'mx.localhost', '+525522224444');
  const wrong = right === '000000' ? '111111' : '000000';
  const refused = page(t, await browser.post('/sign-in/verify', { txnId, otp: wrong }), 401);
  t.regex(refused, /<div class="error-summary" role="alert"/);
  t.true(refused.includes('Ese código no coincide. Revisa el SMS e inténtalo de nuevo.'));
  t.true(refused.includes(`name="txnId" value="${txnId}"`), 'the same challenge, to try again');
  t.false(browser.cookies.has('teeka_session'));
  const malformed = page(t, await browser.post('/sign-in/verify', { txnId, otp: '12ab' }), 422);
  t.regex(malformed, /<p class="field-error" id="otp-error">/);
  t.regex(malformed, /aria-describedby="otp-hint otp-error" aria-invalid="true"/);
  seeOther(t, await browser.post('/sign-in/verify', { txnId, otp: right }), '/beneficiaries');
});

test.serial('sign-in refusals keep what was typed: an invalid number (422) and a second request too soon (429)', async (t) => {
  const hindi = new Browser('in.localhost', { 'Accept-Language': 'hi' });
  const invalid = page(t, await hindi.post('/sign-in', { mobile: '12345' }), 422);
  t.true(invalid.includes('इस देश का मान्य मोबाइल नंबर दर्ज करें।'));
  t.true(invalid.includes('value="12345"'));
  t.regex(invalid, /aria-describedby="mobile-hint mobile-error" aria-invalid="true"/);
  t.regex(invalid, /<a href="#mobile">मोबाइल नंबर: /);

  const spanish = new Browser('mx.localhost');
  seeOther(t, await spanish.post('/sign-in', { mobile: '55 2222 5555' }), /^\/sign-in\/verify/);
  const again = await spanish.post('/sign-in', { mobile: '55 2222 5555' });
  const text = page(t, again, 429);
  const retryAfter = Number(again.headers['retry-after']);
  t.true(retryAfter > 0 && retryAfter <= 60);
  t.true(text.includes(`Se envió un código hace un momento. Puedes pedir otro en ${retryAfter} segundos.`));
  t.true(text.includes('value="55 2222 5555"'));
});

test.serial('an invalid Aadhaar number shows the form again, in Hindi, with 422, and creates nothing', async (t) => {
  const browser = new Browser('in.localhost', { 'Accept-Language': 'hi' });
  await signIn(t, browser, '9700000102', '+919700000102');
  const typed = '2345 6789 0120';
  t.false(stdnum.IN.aadhaar.validate(typed.replaceAll(' ', '')).isValid, 'the test number is invalid');
  const refused = await browser.post('/beneficiaries', {
    name: 'Ravi Kumar',
    gender: 'M',
    birthYear: '1970',
    documentType: 'aadhaar',
    documentNumber: typed,
    comorbidities: 'cancer',
    consent: 'yes',
  });
  const text = page(t, refused, 422);
  t.regex(text, /<html lang="hi" dir="ltr">/);
  t.regex(text, /<div class="error-summary" role="alert"/);
  t.regex(text, /<a href="#documentNumber">दस्तावेज़ संख्या: दस्तावेज़ संख्या मान्य नहीं है: टाइपिंग की गलती जाँचें।<\/a>/);
  t.regex(text, /<p class="field-error" id="documentNumber-error">दस्तावेज़ संख्या मान्य नहीं है: टाइपिंग की गलती जाँचें।<\/p>/);
  t.regex(text, /aria-describedby="documentNumber-hint documentNumber-error" aria-invalid="true"/);
  t.true(text.includes('value="Ravi Kumar"'), 'what was typed is kept');
  t.regex(text, /value="M" checked/);
  t.regex(text, /value="cancer" checked/);
  t.false(text.includes('2345 6789 0120') || text.includes('234567890120'), 'the document number is never echoed');
  t.true(text.includes('कृपया इसे फिर से लिखें'), 'asked to type it again');
  const list = page(t, await browser.get('/beneficiaries'));
  t.false(list.includes('Ravi Kumar'), 'nothing was created');
  t.true(list.includes('अभी तक किसी का पंजीकरण नहीं हुआ है'));
});

test.serial('missing fields and consent: every message next to its field, and a summary', async (t) => {
  const browser = new Browser('ae.localhost', {});
  await signIn(t, browser, '050 444 6666', '+971504446666');
  const text = page(
    t,
    await browser.post('/beneficiaries', { name: '', birthYear: 'abc', documentType: 'passport', documentNumber: '' }),
    422,
  );
  const ids = ['name', 'gender', 'birthYear', 'documentNumber', 'consent'];
  for (const id of ids) t.regex(text, new RegExp(`<p class="field-error" id="${id}-error">`), id);
  t.deepEqual(
    [...text.matchAll(/<a href="#(\w+)">/g)].map((m) => m[1]),
    ids,
    'the summary links every field, in page order',
  );
  t.regex(text, /<input id="consent" type="checkbox" name="consent" value="yes" required aria-invalid="true">/);
  t.true(text.includes('هذا الحقل مطلوب.'), 'Arabic field message');
  t.true(text.includes('value="abc"'));
  t.false(/errors:|registration:/.test(text));
});

test.serial('a document registered by someone else: 409 with the localised reason', async (t) => {
  const form = { name: 'Ana López', gender: 'F', birthYear: '1985', documentType: 'passport', documentNumber: 'G11112222', consent: 'yes' };
  const first = new Browser('mx.localhost');
  await signIn(t, first, '5522226666', '+525522226666');
  seeOther(t, await first.post('/beneficiaries', form), '/beneficiaries');
  const second = new Browser('mx.localhost');
  await signIn(t, second, '5522227777', '+525522227777');
  const text = page(t, await second.post('/beneficiaries', { ...form, documentNumber: 'g1111 2222' }), 409);
  t.true(text.includes('Este documento de identidad ya está registrado. Cada documento solo puede registrarse una vez.'));
  t.true(text.includes('value="Ana López"'));
});

test.serial('at the account limit there is no "add" link but a sentence with the limit', async (t) => {
  const limits = app.platform.tenants.byCode('ae')!.config.limits;
  limits.beneficiariesPerAccount = 1;
  try {
    const browser = new Browser('ae.localhost', {});
    await signIn(t, browser, '050 444 7777', '+971504447777');
    // The year typed with Arabic-Indic digits, as an Arabic keyboard gives them.
    const form = { name: 'سارة', gender: 'F', birthYear: '١٩٩٠', documentType: 'passport', documentNumber: 'P7654321', consent: 'yes' };
    seeOther(t, await browser.post('/beneficiaries', form), '/beneficiaries');
    const list = page(t, await browser.get('/beneficiaries'));
    t.true(list.includes('<dd>1990</dd>'));
    t.false(list.includes('href="/beneficiaries/new"'));
    t.true(list.includes('يمكن تسجيل شخص واحد كحدّ أقصى'));
    const refused = page(t, await browser.post('/beneficiaries', { ...form, documentNumber: 'P7654322' }), 409);
    t.regex(refused, /role="alert"/);
  } finally {
    limits.beneficiariesPerAccount = 4;
  }
});

test.serial('without a session: pages redirect to sign-in, and a form post gets a themed 401', async (t) => {
  for (const path of ['/beneficiaries', '/beneficiaries/new', '/beneficiaries/12345678901234/edit']) {
    const response = await app.request('in.localhost', path);
    t.is(response.status, 302, path);
    t.is(response.headers.location, '/sign-in');
  }
  const browser = new Browser('in.localhost');
  const refused = page(t, await browser.post('/beneficiaries', { name: 'Nobody' }), 401);
  t.regex(refused, /<html lang="en" dir="ltr">/);
  t.regex(refused, /<section class="error" role="alert">/);
  t.true(refused.includes('Sign-in needed'));
  t.is((await browser.post('/sign-out')).status, 401);
  t.is((await browser.get('/sign-in/verify')).headers.location, '/sign-in', 'no challenge, no code form');
});

test.serial('someone else’s or a malformed reference id is "not found"', async (t) => {
  const browser = new Browser('mx.localhost');
  await signIn(t, browser, '5522228888', '+525522228888');
  page(t, await browser.get('/beneficiaries/12345678901234/edit'), 404);
  page(t, await browser.get('/beneficiaries/nope/edit'), 404);
  page(t, await browser.post('/beneficiaries/12345678901234', { name: 'X' }), 404);
});

test('every default condition has a name in every language pack', (t) => {
  const codes = tenantSchema.properties.registration.properties.comorbidities.default;
  for (const lng of ['en', 'hi', 'es', 'ar']) {
    const strings = JSON.parse(readFileSync(join(projectPaths().root, 'locales', lng, 'registration.json'), 'utf8'));
    for (const code of codes) t.truthy(strings.comorbidity?.[code], `${lng}: ${code}`);
  }
});

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import test from 'ava';
import { base45Decode, base45Encode } from '../../src/certificates/formats/eu-dcc/base45.js';
import { digitsToJws, jwsToDigits } from '../../src/certificates/formats/shc/numeric.js';
import { PROJECT_ROOT } from '../../src/kernel/config/paths.js';
import { type Headers, HOST, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { browserTest, launchChromium } from '../support/browser.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { KEM, stockAt, vaccination } from '../vaccination/centre-helpers.js';
import { certificateNumber, certificatePath, certificatesOf, giveDose, newCitizen } from './certificate-helpers.js';

/**
 * The public verification page `/verify` over real HTTP: without JavaScript the form posts and the
 * server answers in the verifier's language for every format, revoked certificates, another
 * country's certificates, tampered ones and garbage, never with a 500. Then in Chromium: the
 * service worker keeps the page and the trust list, and with the network off the page verifies
 * EU DCC and SMART Health Cards on the device, revocations included, sending nothing anywhere.
 */
const ADMIN_PASSWORD = 'test-admin-password-verify-page';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const AE_HOST = 'ae.localhost';

type Payloads = Record<'eu-dcc' | 'shc' | 'w3c-vc', string>;
interface Issued {
  payloads: Payloads;
  /** The name's distinctive part ("Person 1234": the reference id's last digits). */
  nameMark: string;
}

let app: TestPlatform;
let valid: Issued;
let revoked: Issued;

async function issuedPayloads(citizenToken: string, certificateId: string): Promise<Payloads> {
  const body = (await app.request(HOST, certificatePath(certificateId), { headers: bearer(citizenToken) })).json();
  return { 'eu-dcc': body.formats['eu-dcc'].payload, shc: body.formats.shc.payload, 'w3c-vc': body.formats['w3c-vc'].payload };
}

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'ae'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  const admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  const desk: Headers = await staffWith(app, admin, 'vaccinator-verify-page', 'vaccinator', 'facility', String(KEM));
  const batch = await stockAt(app, admin, KEM, 10);

  const holder = await newCitizen(app);
  await giveDose(app, desk, admin, holder, batch);
  const issued = await certificateNumber(app, holder, 1);
  valid = {
    payloads: await issuedPayloads(holder.token, issued.certificateId),
    nameMark: holder.beneficiaries[0].referenceId.slice(-4),
  };

  // A voided dose revokes the certificate that lists it.
  const other = await newCitizen(app);
  const dose = await giveDose(app, desk, admin, other, batch);
  const first = await certificateNumber(app, other, 1);
  const payloads = await issuedPayloads(other.token, first.certificateId);
  const voided = await vaccination(app, admin).post(`/doses/${dose.id}/void`, { reason: 'recorded for the wrong person' });
  if (voided.status !== 200) throw new Error(`void: ${voided.status} ${voided.text}`);
  await eventually('revocation', async () =>
    (await certificatesOf(app, other)).find((c) => c.certificateId === first.certificateId && c.state === 'revoked'),
  );
  revoked = { payloads, nameMark: other.beneficiaries[0].referenceId.slice(-4) };
});
test.after.always(async () => {
  await app?.stop();
});

/** The page's text as a reader sees it: entities decoded, tags dropped. */
function visible(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/data-config="[^"]*"/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function postForm(payload: string, headers: Headers = {}, host = HOST): Promise<TestResponse> {
  return app.request(host, '/verify', {
    method: 'POST',
    body: new URLSearchParams({ payload }).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html', ...headers },
  });
}

/** The EU DCC with one signature byte changed (re-compressed, so it still reads). */
function tamperedHc1(hc1: string): string {
  const cose = Buffer.from(inflateSync(base45Decode(hc1.slice(4))));
  cose[cose.length - 10] ^= 0x01;
  return `HC1:${base45Encode(deflateSync(cose))}`;
}

/** The SMART Health Card with one signature character changed. */
function tamperedShc(shc: string): string {
  const decoded = digitsToJws(shc.slice(5));
  if (!('jws' in decoded)) throw new Error(decoded.problem);
  const [header, payload, signature] = decoded.jws.split('.');
  const swapped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
  return `shc:/${jwsToDigits(`${header}.${payload}.${swapped}`)}`;
}

test('the page shows the form in the verifier’s language, right to left in Arabic, and needs no JavaScript to submit', async (t) => {
  const english = await app.request(HOST, '/verify', { headers: { Accept: 'text/html' } });
  t.is(english.status, 200);
  t.regex(english.text, /<form class="form" method="post" action="\/verify"/);
  t.regex(english.text, /<textarea id="payload" name="payload"/);
  t.regex(visible(english.text), /Verify a vaccination certificate/);
  t.regex(english.text, /<script src="\/assets\/verify\.[0-9a-f]{10}\.js" defer><\/script>/);
  t.regex(english.text, /href="\/verify"/, 'the site navigation links to the page');

  const hindi = await app.request(HOST, '/verify', { headers: { 'Accept-Language': 'hi' } });
  t.regex(hindi.text, /<html lang="hi" dir="ltr">/);
  t.regex(visible(hindi.text), /टीकाकरण प्रमाणपत्र की जाँच करें/);

  const arabic = await app.request(AE_HOST, '/verify');
  t.regex(arabic.text, /<html lang="ar" dir="rtl">/);
  t.regex(visible(arabic.text), /التحقق من شهادة تطعيم/);
});

test('every format of a certificate verifies as valid on the page, with the name and the doses', async (t) => {
  for (const [format, payload] of Object.entries(valid.payloads)) {
    const answer = await postForm(payload);
    t.is(answer.status, 200, `${format}: ${app.logs.filter((line) => line.includes('request failed')).slice(-1)}`);
    t.is(answer.headers['cache-control'], 'no-store', format);
    const text = visible(answer.text);
    t.regex(answer.text, /data-status="valid"/, `${format}: ${text.slice(0, 400)}`);
    t.regex(text, /Valid certificate\./, format);
    t.regex(text, new RegExp(`Person ${valid.nameMark}`, 'i'), format);
    t.regex(text, /Dose 1( of 2)?: COVISHIELD/i, format);
  }
});

test('in Hindi the answer is in Hindi', async (t) => {
  const answer = await postForm(valid.payloads.shc, { 'Accept-Language': 'hi' });
  const text = visible(answer.text);
  t.regex(text, /प्रमाणपत्र मान्य है।/);
  t.regex(text, /खुराक 1/);
  const garbage = visible((await postForm('नमस्ते 🙂', { 'Accept-Language': 'hi' })).text);
  t.regex(garbage, /यह पढ़ने योग्य टीकाकरण प्रमाणपत्र नहीं है।/);
});

test('revoked certificates say so in every format', async (t) => {
  for (const [format, payload] of Object.entries(revoked.payloads)) {
    const answer = await postForm(payload);
    t.is(answer.status, 200, format);
    t.regex(answer.text, /data-status="revoked"/, format);
    t.regex(visible(answer.text), /This certificate has been revoked\./, format);
  }
});

test('a tampered certificate has an invalid signature', async (t) => {
  for (const payload of [tamperedHc1(valid.payloads['eu-dcc']), tamperedShc(valid.payloads.shc)]) {
    const answer = await postForm(payload);
    t.is(answer.status, 200);
    t.regex(answer.text, /data-status="invalid-signature"/, payload.slice(0, 12));
    t.regex(visible(answer.text), /The signature does not match/);
  }
});

test('in the UAE, in Arabic, India’s certificates were not issued by this country', async (t) => {
  for (const payload of [valid.payloads['eu-dcc'], valid.payloads.shc]) {
    const answer = await postForm(payload, {}, AE_HOST);
    t.is(answer.status, 200);
    t.regex(answer.text, /<html lang="ar" dir="rtl">/);
    t.regex(answer.text, /data-status="unknown-issuer"/, payload.slice(0, 12));
    t.regex(visible(answer.text), /لم تصدر هذه الشهادة عن هذا البلد\./);
  }
  const garbage = await postForm('مرحبا', {}, AE_HOST);
  t.regex(visible(garbage.text), /هذه ليست شهادة تطعيم يمكن قراءتها\./);
});

test('garbage gets a clear sentence, never a 500', async (t) => {
  for (const payload of ['', '   \n ']) {
    const answer = await postForm(payload);
    t.is(answer.status, 422, JSON.stringify(payload));
    t.regex(visible(answer.text), /Paste the text of a certificate's QR code first\./);
  }
  const unicode = [
    'hello',
    'HC1:',
    'HC1:%%%%',
    'shc:/',
    'shc:/99',
    '{',
    '{"@context": 1}',
    'नमस्ते 🙂 مرحبا \u0000 \uFFFD 𝕏',
    'x'.repeat(70_000),
  ];
  for (const payload of unicode) {
    const answer = await postForm(payload);
    t.is(answer.status, 200, payload.slice(0, 20));
    t.regex(answer.text, /data-status="malformed"/, payload.slice(0, 20));
    t.regex(visible(answer.text), /This is not a vaccination certificate that can be read\./, payload.slice(0, 20));
  }
  // A megabyte is refused before it is read, with the localised "too much data" page.
  const huge = await postForm('HC1:'.padEnd(1024 * 1024, 'A'), { 'Accept-Language': 'hi' });
  t.is(huge.status, 413);
  t.regex(huge.text, /<html lang="hi"/);
  // A form field sent twice, or not at all.
  for (const body of ['payload=a&payload=b', 'other=1', '%%%']) {
    const answer = await app.request(HOST, '/verify', {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    t.true(answer.status < 500, `${body}: ${answer.status}`);
  }
});

test('the service worker is served with the fingerprinted assets it keeps', async (t) => {
  const worker = await app.request(HOST, '/verify-sw.js');
  t.is(worker.status, 200);
  t.regex(String(worker.headers['content-type']), /javascript/);
  const settings = JSON.parse(/^self\.TEEKA_VERIFY = (.*);$/m.exec(worker.text)![1]);
  t.like(settings, { page: '/verify', trustList: '/api/v1/certificates/trust-list' });
  t.true(settings.precache.includes('/verify'));
  t.true(settings.precache.some((url: string) => /^\/assets\/verify\.[0-9a-f]{10}\.js$/.test(url)));
  t.true(settings.precache.some((url: string) => /^\/assets\/site\.[0-9a-f]{10}\.css$/.test(url)));
});

browserTest('in Chromium, offline: the page and trust list come from the service worker and verify on the device', async (t) => {
  t.timeout(120_000);
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ locale: 'en-IN' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const origin = `http://${HOST}:${app.platform.port}`;
    await page.goto(`${origin}/verify`);
    await page.waitForSelector('#verify-app[data-offline-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('[data-trust-date]');
    // The worker controls the page once it has claimed it.
    await page.waitForFunction('navigator.serviceWorker.controller !== null');

    /** Pastes a payload, submits, and answers the result's status and text. */
    const check = async (payload: string) => {
      await page.fill('#payload', payload);
      await page.click('form[data-verify-form] button[type="submit"]');
      const result = await page.waitForSelector('#verify-result[data-status]');
      return { status: await result.getAttribute('data-status'), text: (await result.innerText()).replace(/\s+/g, ' ') };
    };

    // Online first: the same answers the server gives.
    t.like(await check(valid.payloads['eu-dcc']), { status: 'valid' });
    // Whatever the page or its worker still has in flight online (a trust-list refresh) ends
    // first: under load it was once logged after the count below and read as an offline request.
    await page.waitForLoadState('networkidle');

    const requestsBefore = app.logs.filter((line) => line.includes('"msg":"request"')).length;
    const leftTheBrowser: string[] = [];
    context.on('request', (request) => {
      leftTheBrowser.push(request.url());
    });
    const servedByWorker: string[] = [];
    context.on('requestfinished', async (request) => {
      if ((await request.response())?.fromServiceWorker()) servedByWorker.push(request.url());
    });
    const failed: string[] = [];
    context.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));

    await context.setOffline(true);
    // The worker learns of it a moment after the page does, later still on a loaded machine: a
    // worker that still believed itself online tried the network first (and then answered from its
    // copies, as it should). Wait until it knows, so that the reload tests the offline path.
    const [worker] = context.serviceWorkers();
    t.truthy(worker, 'the page has a service worker');
    for (const started = Date.now(); (await worker.evaluate('navigator.onLine')) !== false; ) {
      if (Date.now() - started > 10_000) throw new Error('the service worker never saw the browser go offline');
      await new Promise((done) => setTimeout(done, 50));
    }
    await page.reload();
    await page.waitForSelector('[data-trust-date]');
    t.is(await page.evaluate('navigator.onLine'), false);
    t.regex(await page.innerText('h1'), /Verify a vaccination certificate/);
    // Headless Chromium on Linux has no BarcodeDetector: no camera buttons, pasting is offered.
    t.true(await page.isHidden('[data-scan]'));
    t.true(await page.isHidden('[data-photo-label]'));
    t.regex(await page.innerText('[data-scan-status]'), /Paste the text of the QR code instead/);

    const hc1 = await check(valid.payloads['eu-dcc']);
    t.is(hc1.status, 'valid', hc1.text);
    t.regex(hc1.text, new RegExp(`Person ${valid.nameMark}`, 'i'));
    t.regex(hc1.text, /Dose 1 of 2: COVISHIELD/);
    t.regex(hc1.text, /Checked on this device/);
    mkdirSync(resolve(PROJECT_ROOT, 'test-artifacts/verify'), { recursive: true });
    await page.screenshot({ path: resolve(PROJECT_ROOT, 'test-artifacts/verify/offline-eu-dcc-valid.png'), fullPage: true });

    const shc = await check(valid.payloads.shc);
    t.is(shc.status, 'valid', shc.text);
    t.regex(shc.text, new RegExp(`Person ${valid.nameMark}`, 'i'));
    t.regex(shc.text, /Dose 1: COVISHIELD/);
    await page.screenshot({ path: resolve(PROJECT_ROOT, 'test-artifacts/verify/offline-shc-valid.png'), fullPage: true });

    t.like(await check(tamperedHc1(valid.payloads['eu-dcc'])), { status: 'invalid-signature' });
    t.like(await check(tamperedShc(valid.payloads.shc)), { status: 'invalid-signature' });
    const revokedHc1 = await check(revoked.payloads['eu-dcc']);
    t.is(revokedHc1.status, 'revoked', revokedHc1.text);
    t.regex(revokedHc1.text, /This certificate has been revoked\./);
    t.like(await check(revoked.payloads.shc), { status: 'revoked' });
    await page.screenshot({ path: resolve(PROJECT_ROOT, 'test-artifacts/verify/offline-shc-revoked.png'), fullPage: true });
    t.like(await check('hello'), { status: 'malformed' });
    const vc = await check(valid.payloads['w3c-vc']);
    t.is(vc.status, 'offline');
    t.regex(vc.text, /Verifiable credentials are checked online/);

    // Nothing reached the server, and every request the page made was answered by the worker.
    const requestsAfter = app.logs.filter((line) => line.includes('"msg":"request"')).length;
    t.is(requestsAfter, requestsBefore, 'no request reached the server while offline');
    t.deepEqual(failed, [], 'no request tried the network while offline');
    t.true(leftTheBrowser.length > 0, 'the reload made requests');
    t.deepEqual(
      leftTheBrowser.filter((url) => !servedByWorker.includes(url)),
      [],
      'every request while offline was answered by the service worker',
    );
    t.deepEqual(errors, []);

    // Back online, a verifiable credential goes to the server.
    await context.setOffline(false);
    const online = await check(valid.payloads['w3c-vc']);
    t.is(online.status, 'valid', online.text);
    t.regex(online.text, /Checked online/);

    // Where the browser has a BarcodeDetector (Chrome on Android), a photo of the QR is read and verified.
    const scanner = await context.newPage();
    await scanner.addInitScript((payload: string) => {
      const detector = class {
        static async getSupportedFormats() {
          return ['qr_code'];
        }
        async detect() {
          return [{ rawValue: payload, format: 'qr_code' }];
        }
      };
      Object.defineProperty(globalThis, 'BarcodeDetector', { value: detector });
    }, valid.payloads.shc);
    await scanner.goto(`${origin}/verify`);
    await scanner.waitForSelector('[data-photo-label]:not([hidden])');
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await scanner.setInputFiles('[data-photo]', { name: 'qr.png', mimeType: 'image/png', buffer: png });
    const scannedResult = await scanner.waitForSelector('#verify-result[data-status]');
    t.is(await scannedResult.getAttribute('data-status'), 'valid');
    t.is(await scanner.inputValue('#payload'), valid.payloads.shc);
  } finally {
    await browser.close();
  }
});

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { certificateIssueJob } from '../../src/certificates/jobs.js';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { type Headers, HOST, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen, tenantDb } from '../support/scheduling.js';
import { KEM, stockAt } from '../vaccination/centre-helpers.js';
import { certificateNumber, certificatePath, earlierDoses, giveDose, newCitizen } from './certificate-helpers.js';

/**
 * The certificate as a PDF and the citizen's certificate pages, over HTTP against the real
 * platform: an Indian person with a Hindi name (two doses and a booster, the booster given at the
 * centre) and a UAE person with an Arabic name. Each PDF is rendered to PNG with poppler, its QR
 * codes are read back from the image and verified, its text and fonts are checked, and the PNGs
 * are kept in test-artifacts/certificates/ for a person to look at the shaping.
 */
// jsqr is CommonJS whose types say `export default`: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

const ADMIN_PASSWORD = 'test-admin-password-certificate-pdf';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const AE = 'ae.localhost';
const HINDI_NAME = 'प्रिया शर्मा';
const ARABIC_NAME = 'فاطمة الزهراء';
const ARABIC_VACCINATOR = 'ليلى حسن';
const AE_LOT = 'AE21X0734';
const ARTIFACTS = join(projectPaths().root, 'test-artifacts', 'certificates');

let app: TestPlatform;
let india: { citizen: TestCitizen; certificateId: string; lot: string };
let uae: { citizen: TestCitizen; certificateId: string; earlier: string };

interface Binary {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The test client reads text; a PDF needs its bytes. */
function getBytes(host: string, path: string, headers: Headers): Promise<Binary> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: app.platform.port, path, headers: { Host: host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The platform's last error lines, to show with a 500. */
const errors = () =>
  app.logs
    .filter((line) => line.includes('"err"'))
    .slice(-2)
    .map((line) => JSON.parse(line).err?.stack?.split('\n').slice(0, 4).join('\n'));

const cookie = (citizen: TestCitizen, lng: string): Headers => ({ Cookie: `teeka_session=${citizen.token}`, 'Accept-Language': lng });

async function aeSql(text: string, params: unknown[] = []) {
  const client = tenantDb(app, 'ae');
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Waits for the person's `count`-th certificate in the UAE; answers the newest. */
async function aeCertificate(citizen: TestCitizen, count: number): Promise<string> {
  return eventually(`ae certificate ${count}`, async () => {
    const list = (await app.request(AE, '/api/v1/certificates', { headers: bearer(citizen.token) })).json().certificates;
    return list.length >= count ? (list[0].certificateId as string) : undefined;
  });
}

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in', 'ae'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  // India: two doses on record, then a booster given at the centre through the API.
  const admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  const desk = await staffWith(app, admin, 'vaccinator-pdf', 'vaccinator', 'facility', String(KEM));
  await sql(app, `update staff_user set display_name = 'Sunita Rao' where username = 'vaccinator-pdf'`);
  const batch = await stockAt(app, admin, KEM, 10);
  const [{ lot_number: lot }] = await sql(app, 'select lot_number from batch where id = $1', [batch]);
  const citizen = await newCitizen(app, 1984);
  await sql(app, `update beneficiary set name = $1, birth_date = '1984-03-15' where id = $2`, [HINDI_NAME, citizen.beneficiaries[0].id]);
  await earlierDoses(app, citizen, [400, 300], batch);
  await giveDose(app, desk, admin, citizen, batch, 3);
  india = { citizen, certificateId: (await certificateNumber(app, citizen, 1)).certificateId, lot };

  // The UAE: doses written to the database and certified by the job, as the dose hook would ask;
  // first two doses (a final certificate), then a booster (which supersedes it).
  const [person] = await makeCitizens(app, 'ae', [[1990]]);
  const beneficiaryId = person.beneficiaries[0].id;
  await aeSql(`update beneficiary set name = $1, birth_date = '1990-07-02', gender = 'F' where id = $2`, [ARABIC_NAME, beneficiaryId]);
  const aeBatch = randomUUID();
  await aeSql(`insert into batch (id, vaccine, lot_number, expires_on, doses_per_vial) values ($1, 'sinopharm', $2, '2099-12-31', 1)`, [
    aeBatch,
    AE_LOT,
  ]);
  const [vaccinator] = await aeSql(`select id from staff_user where username = 'admin'`);
  await aeSql('update staff_user set display_name = $1 where id = $2', [ARABIC_VACCINATOR, vaccinator.id]);
  const jobs = app.platform.tenants.byCode('ae')!.jobs;
  const dose = async (number: number, daysAgo: number) => {
    const id = randomUUID();
    await aeSql(
      `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, batch_id, vaccinator_id, recorded_at)
       values ($1, $2, 'sinopharm', $3, $4, 3001, $5, $6, now())`,
      [id, beneficiaryId, number, dayFromToday(app, 'ae', -daysAgo), aeBatch, vaccinator.id],
    );
    await jobs.send(certificateIssueJob, { kind: 'recorded', doseRecordId: id, beneficiaryId }, { key: `${id}:recorded` });
  };
  await dose(1, 420);
  await dose(2, 395);
  const earlier = await aeCertificate(person, 1);
  await dose(3, 120);
  uae = { citizen: person, certificateId: await aeCertificate(person, 2), earlier };
});

test.after.always(async () => {
  await app?.stop();
});

/** Every QR code on a page: jsqr finds one per image, so each quarter of the page is read on its own. */
function qrCodesIn(file: string): string[] {
  const page = PNG.sync.read(readFileSync(file));
  const found = new Set<string>();
  for (const [left, top] of [
    [0, 0],
    [0.5, 0],
    [0, 0.5],
    [0.5, 0.5],
  ]) {
    const width = Math.floor(page.width / 2);
    const height = Math.floor(page.height / 2);
    const x0 = Math.floor(page.width * left);
    const y0 = Math.floor(page.height * top);
    const data = new Uint8ClampedArray(width * height * 4);
    for (let row = 0; row < height; row++) {
      const from = ((y0 + row) * page.width + x0) * 4;
      data.set(page.data.subarray(from, from + width * 4), row * width * 4);
    }
    const code = jsQR(data, width, height, { inversionAttempts: 'dontInvert' });
    if (code) found.add(code.data);
  }
  return [...found];
}

/** Fetches the PDF, renders it to PNG (kept as artefacts) and answers its text, fonts and QR codes. */
async function renderedPdf(t: ExecutionContext, host: string, path: string, headers: Headers, name: string) {
  const pdf = await getBytes(host, path, headers);
  if (pdf.status === 500) t.log(errors());
  t.is(pdf.status, 200, pdf.body.toString('utf8').slice(0, 300));
  t.is(pdf.headers['content-type'], 'application/pdf');
  t.regex(String(pdf.headers['content-disposition']), /attachment; filename="certificate-URN-UVCI-01-[A-Z]{2}-[0-9A-Z-]+\.pdf"/);
  t.is(pdf.body.subarray(0, 5).toString('latin1'), '%PDF-');
  t.true(pdf.body.length < 400_000, `${pdf.body.length} bytes`);
  writeFileSync(join(ARTIFACTS, `${name}.pdf`), pdf.body);
  execFileSync('pdftoppm', ['-r', '150', '-png', '-', join(ARTIFACTS, name)], { input: pdf.body });
  const pages = readdirSync(ARTIFACTS)
    .filter((file) => file.startsWith(`${name}-`) && file.endsWith('.png'))
    .sort()
    .map((file) => join(ARTIFACTS, file));
  t.true(pages.length >= 1, 'rendered to PNG');
  return {
    text: execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', '-', '-'], { input: pdf.body }).toString('utf8'),
    fonts: execFileSync('pdffonts', ['-'], { input: pdf.body }).toString('utf8'),
    codes: pages.flatMap(qrCodesIn),
    pages,
  };
}

async function verifyAt(host: string, payload: string) {
  return (await app.request(host, '/api/v1/certificates/verify', { method: 'POST', body: { payload } })).json();
}

test('the PDF in Hindi: its QR codes read back from the rendered page are the signed payloads, and verify', async (t) => {
  const { citizen, certificateId, lot } = india;
  const detail = (await app.request(HOST, certificatePath(certificateId), { headers: bearer(citizen.token) })).json();
  t.like(detail.record, { kind: 'booster', person: { name: HINDI_NAME } });
  t.is(detail.record.doses.length, 3);

  const { text, fonts, codes } = await renderedPdf(
    t,
    HOST,
    certificatePath(certificateId, '.pdf'),
    { ...bearer(citizen.token), 'Accept-Language': 'hi' },
    'in-hindi',
  );
  const euDcc = codes.find((code) => code.startsWith('HC1:'));
  const shc = codes.find((code) => code.startsWith('shc:/'));
  t.is(euDcc, detail.formats['eu-dcc'].payload, 'the EU DCC QR is the HC1 payload');
  t.is(shc, detail.formats.shc.payload, 'the SMART Health Card QR is the shc:/ payload');
  t.like(await verifyAt(HOST, euDcc!), { status: 'valid' });
  t.like(await verifyAt(HOST, shc!), { status: 'valid' });

  t.true(text.includes(certificateId), 'the certificate id');
  t.true(text.includes(HINDI_NAME), 'the name in Devanagari, extractable');
  t.true(text.includes(lot), 'the batch lot');
  t.true(text.includes('Sunita Rao'), 'the vaccinator');
  // -raw gives each run of a script on a line of its own: joined, the lines read as drawn.
  const joined = text.replace(/\n/g, '');
  t.regex(joined, /कोविड-19 टीकाकरण प्रमाणपत्र/, 'the title in Hindi');
  t.regex(text, /Certificate for COVID-19 Vaccination/, 'and in English');
  t.regex(joined, /खुराक का इतिहास\s*· Dose history/, 'labels in Hindi with English beside');
  t.regex(text, /Batch/);
  t.regex(text, /Ministry of Health and Family Welfare/);
  t.regex(fonts, /NotoSans/);
  t.regex(fonts, /yes yes/, 'embedded subsets');
  t.notRegex(fonts, / no {2,}\S+ +\S+$/m, 'no font left unembedded');
});

test('the PDF in Arabic: right to left, Arabic shaped, its QR codes read back and verify', async (t) => {
  const { citizen, certificateId } = uae;
  const detail = (await app.request(AE, certificatePath(certificateId), { headers: bearer(citizen.token) })).json();
  t.like(detail.record, { kind: 'booster', person: { name: ARABIC_NAME } });

  const { text, fonts, codes } = await renderedPdf(
    t,
    AE,
    certificatePath(certificateId, '.pdf'),
    { ...bearer(citizen.token), 'Accept-Language': 'ar' },
    'ae-arabic',
  );
  const euDcc = codes.find((code) => code.startsWith('HC1:'));
  t.is(euDcc, detail.formats['eu-dcc'].payload, 'the EU DCC QR is the HC1 payload');
  t.is(
    codes.find((code) => code.startsWith('shc:/')),
    detail.formats.shc.payload,
  );
  t.like(await verifyAt(AE, euDcc!), { status: 'valid' });
  t.true(text.includes(certificateId));
  t.true(text.includes(AE_LOT));
  // The Arabic is checked by looking at the PNG: poppler turns round the text of right-to-left
  // words it takes to be drawn in visual order, even when the PDF gives it in logical order.
  t.regex(text, /Certificate for COVID-19 Vaccination/);
  t.regex(text, /Sinopharm/);
  t.regex(fonts, /NotoNaskhArabic/);
  t.regex(fonts, /NotoSans/);
});

test('the citizen page cookie gets the PDF too; another account gets 404 for the PDF and the pages', async (t) => {
  const pdf = await getBytes(HOST, `/certificates/${encodeURIComponent(india.certificateId)}.pdf`, cookie(india.citizen, 'en'));
  t.is(pdf.status, 200);
  t.is(pdf.body.subarray(0, 5).toString('latin1'), '%PDF-');

  const [stranger] = await makeCitizens(app, 'in', [[1970]]);
  const url = `/certificates/${encodeURIComponent(india.certificateId)}`;
  t.is((await getBytes(HOST, `${url}.pdf`, cookie(stranger, 'en'))).status, 404);
  t.is((await getBytes(HOST, certificatePath(india.certificateId, '.pdf'), bearer(stranger.token))).status, 404);
  t.is((await app.request(HOST, url, { headers: cookie(stranger, 'en') })).status, 404);
  const list = await app.request(HOST, '/certificates', { headers: cookie(stranger, 'en') });
  t.is(list.status, 200);
  t.false(list.text.includes(india.certificateId));
  // Signed out, a page sends the browser to sign in.
  const signedOut = await app.request(HOST, url);
  t.is(signedOut.status, 302);
  t.is(signedOut.headers.location, '/sign-in');
});

function page(t: ExecutionContext, response: TestResponse, status = 200): string {
  if (response.status === 500) t.log(errors());
  t.is(response.status, status, response.text.slice(0, 300));
  t.regex(String(response.headers['content-type']), /^text\/html/);
  t.is(response.headers['cache-control'], 'no-store');
  return response.text;
}

test('the list and the certificate page in Hindi; a correction asked through the form is pending', async (t) => {
  const { citizen, certificateId, lot } = india;
  const headers = cookie(citizen, 'hi');
  const url = `/certificates/${encodeURIComponent(certificateId)}`;
  const list = page(t, await app.request(HOST, '/certificates', { headers }));
  t.regex(list, /<html[^>]* lang="hi"/);
  t.true(list.includes('टीकाकरण प्रमाणपत्र'));
  t.true(list.includes(HINDI_NAME));
  t.true(list.includes(`href="${url}"`));
  t.true(list.includes(`href="${url}.pdf"`));
  t.true(list.includes('href="/certificates"'), 'the nav links to the certificates');

  const detail = page(t, await app.request(HOST, url, { headers }));
  t.true(detail.includes('खुराक का इतिहास'), 'the dose history, in Hindi');
  t.true(detail.includes(lot));
  t.true(detail.includes('Sunita Rao'));
  const api = (await app.request(HOST, certificatePath(certificateId), { headers: bearer(citizen.token) })).json();
  const qrCount = Object.values(api.formats as Record<string, { qr: unknown[] }>).reduce((sum, f) => sum + f.qr.length, 0);
  t.true(qrCount >= 2);
  t.is((detail.match(/<svg role="img" aria-label="QR कोड: [^"]+" class="qr"/g) ?? []).length, qrCount, 'each format’s QR as inline SVG');
  t.true(detail.includes('ईयू डिजिटल कोविड प्रमाणपत्र'));
  t.true(detail.includes(`href="${url}/w3c-vc.json"`), 'the VC as a download too');
  const vc = await app.request(HOST, `${url}/w3c-vc.json`, { headers });
  t.is(vc.status, 200);
  t.true(vc.json().type.includes('VerifiableCredential'));

  // An empty value is refused on the page, with the message by the field.
  const refused = page(
    t,
    await app.request(HOST, `${url}/corrections`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ field: 'name', value: '', reason: 'spelling' }).toString(),
    }),
    422,
  );
  t.regex(refused, /role="alert"/);
  t.regex(refused, /id="value-error"/);

  const sent = await app.request(HOST, `${url}/corrections`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ field: 'passport', value: 'Z1234567', reason: 'पासपोर्ट यात्रा के लिए' }).toString(),
  });
  t.is(sent.status, 303, sent.text.slice(0, 300));
  t.is(sent.headers.location, `${url}?requested=1#corrections`);
  const after = page(t, await app.request(HOST, `${url}?requested=1`, { headers }));
  t.true(after.includes('आपका अनुरोध भेज दिया गया है'));
  t.regex(after, /class="correction-requested"><strong>पासपोर्ट संख्या \(यात्रा के लिए\)<\/strong> <span class="pill">लंबित<\/span>/);
  const requests = (await app.request(HOST, certificatePath(certificateId, '/corrections'), { headers: bearer(citizen.token) })).json();
  t.like(requests.corrections, [{ field: 'passport', state: 'requested' }]);
  // The same field again: refused on the page (one open request per field).
  const again = page(
    t,
    await app.request(HOST, `${url}/corrections`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ field: 'passport', value: 'Z7654321', reason: 'again' }).toString(),
    }),
    409,
  );
  t.regex(again, /role="alert"/);
});

test('in the UAE the pages are Arabic, right to left, and the superseded certificate is marked', async (t) => {
  const headers = cookie(uae.citizen, 'ar');
  const list = page(t, await app.request(AE, '/certificates', { headers }));
  t.regex(list, /<html[^>]* dir="rtl"/);
  t.true(list.includes(ARABIC_NAME));
  t.true(list.includes('الشهادات السابقة'), 'an earlier certificates section');
  t.regex(list, /certificate-superseded[\s\S]*استُبدلت بشهادة أحدث/);
  const earlier = page(t, await app.request(AE, `/certificates/${encodeURIComponent(uae.earlier)}`, { headers }));
  t.true(earlier.includes('لم تعد هذه الشهادة سارية'));
  t.false(earlier.includes('<form'), 'no correction form on a replaced certificate');
  const current = page(t, await app.request(AE, `/certificates/${encodeURIComponent(uae.certificateId)}`, { headers }));
  t.true(current.includes('مدينة الشيخ خليفة الطبية'), 'the centre');
  t.true(current.includes(AE_LOT));
  t.regex(current, /<form class="form" method="post"/);
});

import test from 'ava';
import { certificateNumber, giveDose, newCitizen } from '../certificates/certificate-helpers.js';
import { type Headers, HOST, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { book, KEM, sessionToday, stockAt } from '../vaccination/centre-helpers.js';

/** Co-WIN's PDF downloads: the beneficiary's certificate (both paths) and an appointment slip. */
const ADMIN_PASSWORD = 'test-admin-password-cowin-downloads';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let desk: Headers;
let batch: string;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  desk = await staffWith(app, admin, 'vaccinator-cowin-downloads', 'vaccinator', 'facility', String(KEM));
  batch = await stockAt(app, admin, KEM, 20);
});
test.after.always(async () => {
  await app?.stop();
});

const get = (path: string, token?: string) => app.request(HOST, `/cowin/v2${path}`, { headers: token ? bearer(token) : {} });

test('a vaccinated person’s certificate downloads as a PDF from both of Co-WIN’s paths; others get Co-WIN errors', async (t) => {
  const person = await newCitizen(app);
  await giveDose(app, desk, admin, person, batch);
  await certificateNumber(app, person, 1);
  const reference = person.beneficiaries[0].referenceId;
  for (const path of ['/registration/certificate/public/download', '/registration/certificate/download']) {
    const pdf = await get(`${path}?beneficiary_reference_id=${reference}`, person.token);
    t.is(pdf.status, 200, `${path}: ${pdf.text.slice(0, 200)}`);
    t.regex(String(pdf.headers['content-type']), /^application\/pdf/);
    t.true(pdf.text.startsWith('%PDF-'));
  }
  const stranger = await newCitizen(app);
  const notTheirs = await get(`/registration/certificate/download?beneficiary_reference_id=${reference}`, stranger.token);
  t.is(notTheirs.status, 404);
  t.deepEqual(Object.keys(notTheirs.json()), ['errorCode', 'error']);
  t.is((await get(`/registration/certificate/download?beneficiary_reference_id=${reference}`)).text, 'Unauthenticated access!');
  t.is((await get('/registration/certificate/download', person.token)).json().errorCode, 'USRRES0001');
});

test('an appointment slip downloads as a PDF', async (t) => {
  const person = await newCitizen(app);
  const sessionId = await sessionToday(app, admin, KEM, [{ dose: 1, online: 4, walkin: 0 }]);
  const appointment = await book(app, person, sessionId);
  const slip = await get(`/appointment/appointmentslip/download?appointment_id=${appointment.id}`, person.token);
  t.is(slip.status, 200, slip.text.slice(0, 200));
  t.regex(String(slip.headers['content-type']), /^application\/pdf/);
  t.true(slip.text.startsWith('%PDF-'));
  const other = await newCitizen(app);
  t.is((await get(`/appointment/appointmentslip/download?appointment_id=${appointment.id}`, other.token)).status, 404);
});

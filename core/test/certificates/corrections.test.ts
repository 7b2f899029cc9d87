import test from 'ava';
import { type Headers, HOST, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { KEM, stockAt, vaccination } from '../vaccination/centre-helpers.js';
import { certificateNumber, certificatePath, certificatesOf, giveDose, newCitizen, verify } from './certificate-helpers.js';

/**
 * Corrections and revocation: a citizen asks, an officer over the centre approves, the person is
 * changed, every earlier certificate is revoked (and fails verification) and a new version names
 * the corrected details; revocations are published for offline verifiers; rotating keys keeps
 * issued certificates valid; a voided dose revokes the certificates that list it.
 */
const ADMIN_PASSWORD = 'test-admin-password-certificate-corrections';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let desk: Headers;
let batch: string;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  desk = await staffWith(app, admin, 'vaccinator-corrections', 'vaccinator', 'facility', String(KEM));
  batch = await stockAt(app, admin, KEM, 30);
});
test.after.always(async () => {
  await app?.stop();
});

const staffApi = (headers: Headers) => ({
  get: (path: string) => app.request(HOST, `/api/v1/staff/certificates${path}`, { headers }),
  post: (path: string, body: unknown = {}) => app.request(HOST, `/api/v1/staff/certificates${path}`, { method: 'POST', headers, body }),
});

test.serial('an approved name correction revokes the old certificate and issues a new one with the new name', async (t) => {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const old = await certificateNumber(app, citizen, 1);
  const oldBody = (await app.request(HOST, certificatePath(old.certificateId), { headers: bearer(citizen.token) })).json();

  const asked = await app.request(HOST, certificatePath(old.certificateId, '/corrections'), {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { field: 'name', value: 'Asha Kumari Verma', reason: 'Spelling at registration' },
  });
  t.is(asked.status, 201, asked.text);
  const again = await app.request(HOST, certificatePath(old.certificateId, '/corrections'), {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { field: 'name', value: 'Other', reason: 'again' },
  });
  t.is(again.status, 409);
  t.is(again.json().code, 'correction-pending');

  // An officer elsewhere sees nothing; one over the centre (district 395 holds KEM) sees the request.
  const elsewhere = await staffWith(app, admin, 'officer-pune', 'district-officer', 'area', 'district:363');
  t.deepEqual((await staffApi(elsewhere).get('/corrections')).json().corrections, []);
  t.is((await staffApi(elsewhere).post(`/corrections/${asked.json().id}/approve`)).status, 404);
  const vaccinatorAsks = await staffApi(desk).post(`/corrections/${asked.json().id}/approve`);
  t.is(vaccinatorAsks.status, 404, 'vaccinators do not decide corrections');
  const officer = await staffWith(app, admin, 'officer-mumbai', 'district-officer', 'area', 'district:395');
  const queue = (await staffApi(officer).get('/corrections')).json().corrections;
  t.like(
    queue.find((c: { id: string }) => c.id === asked.json().id),
    { field: 'name', value: 'Asha Kumari Verma', reason: 'Spelling at registration', state: 'requested', certificateId: old.certificateId },
  );

  const approved = await staffApi(officer).post(`/corrections/${asked.json().id}/approve`);
  t.is(approved.status, 200, approved.text);
  t.like(approved.json(), { state: 'approved' });
  t.is((await staffApi(officer).post(`/corrections/${asked.json().id}/approve`)).status, 409);

  const list = await certificatesOf(app, citizen);
  const fresh = list.find((c) => c.certificateId === approved.json().newCertificateId)!;
  t.like(fresh, { state: 'active', version: 2 });
  t.like(
    list.find((c) => c.certificateId === old.certificateId),
    { state: 'revoked' },
  );
  const freshBody = (await app.request(HOST, certificatePath(fresh.certificateId), { headers: bearer(citizen.token) })).json();
  t.is(freshBody.record.person.name, 'Asha Kumari Verma');
  const [person] = await sql(app, 'select name from beneficiary where id = $1', [citizen.beneficiaries[0].id]);
  t.is(person.name, 'Asha Kumari Verma');

  // Every format of the old certificate now fails as revoked; the new one is valid.
  for (const format of ['eu-dcc', 'shc', 'w3c-vc']) {
    const answer = (await verify(app, oldBody.formats[format].payload)).json();
    t.like(answer, { status: 'revoked', format }, format);
    t.regex(answer.message, /revoked/);
    t.like(
      (await verify(app, freshBody.formats[format].payload)).json(),
      { status: 'valid', record: { name: 'Asha Kumari Verma' } },
      format,
    );
  }

  // Offline verifiers: the revocation list with an ETag, and the trust list names the id too.
  const revocations = await app.request(HOST, '/api/v1/certificates/revocations');
  t.is(revocations.status, 200);
  t.true(revocations.json().revoked.includes(old.certificateId));
  t.truthy(revocations.json().generatedAt);
  t.is(revocations.headers['access-control-allow-origin'], '*');
  const etag = String(revocations.headers.etag);
  t.is((await app.request(HOST, '/api/v1/certificates/revocations', { headers: { 'If-None-Match': etag } })).status, 304);
  t.true((await app.request(HOST, '/api/v1/certificates/trust-list')).json().revoked.includes(old.certificateId));

  // A correction on a revoked certificate is refused; the audit log names the field, not the value.
  const late = await app.request(HOST, certificatePath(old.certificateId, '/corrections'), {
    method: 'POST',
    headers: bearer(citizen.token),
    body: { field: 'passport', value: 'Z1234567', reason: 'travel' },
  });
  t.is(late.status, 409);
  t.is(late.json().code, 'certificate-not-active');
  const audit = await sql(app, `select details from audit_entry where action = 'certificate.correction-approved'`);
  t.false(JSON.stringify(audit).includes('Asha'));
});

test.serial('a passport for travel is added on approval; a rejected correction changes nothing', async (t) => {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const current = await certificateNumber(app, citizen, 1);
  const ask = (body: unknown) =>
    app.request(HOST, certificatePath(current.certificateId, '/corrections'), { method: 'POST', headers: bearer(citizen.token), body });
  t.is((await ask({ field: 'passport', value: 'not a passport!', reason: 'travel' })).status, 422);
  t.is((await ask({ field: 'birthDate', value: '2999-01-01', reason: 'typo' })).status, 422);
  t.is((await ask({ field: 'eyes', value: 'brown', reason: 'x' })).status, 422);
  const birth = await ask({ field: 'birthDate', value: '1980-02-29', reason: 'my date' });
  const passport = await ask({ field: 'passport', value: 'Z1234567', reason: 'Travelling abroad' });
  t.is(passport.status, 201, passport.text);

  t.like((await staffApi(admin).post(`/corrections/${birth.json().id}/reject`)).json(), { state: 'rejected' });
  const approved = await staffApi(admin).post(`/corrections/${passport.json().id}/approve`);
  t.is(approved.status, 200, approved.text);
  const fresh = (await app.request(HOST, certificatePath(approved.json().newCertificateId), { headers: bearer(citizen.token) })).json();
  t.deepEqual(fresh.record.person.identifier, { type: 'passport', value: 'Z1234567' });
  t.is(fresh.record.person.birthDate, '1980', 'the rejected birth date is not applied');
  const corrections = (
    await app.request(HOST, certificatePath(current.certificateId, '/corrections'), { headers: bearer(citizen.token) })
  ).json();
  t.deepEqual(corrections.corrections.map((c: { state: string }) => c.state).sort(), ['approved', 'rejected']);
});

test.serial('rotating every key keeps issued certificates verifying', async (t) => {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const issued = await certificateNumber(app, citizen, 1);
  const body = (await app.request(HOST, certificatePath(issued.certificateId), { headers: bearer(citizen.token) })).json();
  for (const format of ['eu-dcc', 'shc', 'w3c-vc']) {
    t.is((await staffApi(admin).post('/keys/rotate', { format })).status, 200);
  }
  for (const format of ['eu-dcc', 'shc', 'w3c-vc']) {
    t.like((await verify(app, body.formats[format].payload)).json(), { status: 'valid' }, format);
  }
});

test.serial('a voided dose revokes the certificate that lists it', async (t) => {
  const citizen = await newCitizen(app);
  const dose = await giveDose(app, desk, admin, citizen, batch);
  const issued = await certificateNumber(app, citizen, 1);
  const body = (await app.request(HOST, certificatePath(issued.certificateId), { headers: bearer(citizen.token) })).json();
  const voided = await vaccination(app, admin).post(`/doses/${dose.id}/void`, { reason: 'recorded for the wrong person' });
  t.is(voided.status, 200, voided.text);
  await eventually('revocation', async () =>
    (await certificatesOf(app, citizen)).find((c) => c.certificateId === issued.certificateId && c.state === 'revoked'),
  );
  const answer = (await verify(app, body.formats.shc.payload)).json();
  t.like(answer, { status: 'revoked' }, JSON.stringify(answer));
});

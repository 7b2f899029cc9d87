import { request as httpRequest } from 'node:http';
import test from 'ava';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { isCertificateId } from '../../src/certificates/certificate-id.js';
import { CertificateIssuer } from '../../src/certificates/issuance.js';
import { recordIssuer } from '../../src/certificates/issuer.js';
import type { TenantCrypto } from '../../src/kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { type DoseEventHook, doseEventHooks } from '../../src/vaccination/dose-events.js';
import { type Headers, HOST, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { eventually } from '../support/eventually.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { KEM, stockAt } from '../vaccination/centre-helpers.js';
import { certificateNumber, certificatePath, certificatesOf, earlierDoses, giveDose, newCitizen, verify } from './certificate-helpers.js';

/**
 * Certificates issued from recorded doses, over HTTP against PostgreSQL: a job builds the WHO
 * DDCC:VS record and signs the tenant's formats; dose 1 gives a provisional certificate, the last
 * primary dose a final one, a booster a booster; the citizen downloads payloads and QR codes and
 * gets an SMS with a link; nobody else can read them; verifiers get a clear answer for anything.
 */
// jsqr is CommonJS whose types say `export default`: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

const ADMIN_PASSWORD = 'test-admin-password-certificate-issuance';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;

let app: TestPlatform;
let admin: Headers;
let desk: Headers;
let batch: string;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] }, env: { TEEKA_JOB_POLL_SECONDS: '0.5' } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  desk = await staffWith(app, admin, 'vaccinator-certificates', 'vaccinator', 'facility', String(KEM));
  batch = await stockAt(app, admin, KEM, 40);
});
test.after.always(async () => {
  await app?.stop();
});

/** The test client reads text; a PNG needs its bytes. */
function pngBytes(path: string, token: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: app.platform.port, path, headers: { Host: HOST, ...bearer(token) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function readQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

test('dose 1 gives a provisional certificate in every format, downloadable with its QR codes, and an SMS with a link', async (t) => {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const issued = await certificateNumber(app, citizen, 1);
  t.like(issued, { kind: 'provisional', version: 1, state: 'active', beneficiary: citizen.beneficiaries[0].referenceId });
  t.true(isCertificateId(issued.certificateId), issued.certificateId);
  t.regex(issued.certificateId, /^URN:UVCI:01:IN:[0-9A-Z]+#[0-9A-Z/:]$/);
  t.deepEqual([...issued.formats].sort(), ['eu-dcc', 'shc', 'w3c-vc']);

  const detail = await app.request(HOST, certificatePath(issued.certificateId), { headers: bearer(citizen.token) });
  t.is(detail.status, 200, detail.text);
  const body = detail.json();
  t.like(body.record, {
    certificateId: issued.certificateId,
    kind: 'provisional',
    issuer: { name: 'Ministry of Health and Family Welfare', country: 'IN', url: `http://in.localhost:${app.platform.port}` },
    person: { birthDate: '1980' },
  });
  t.like(body.record.doses[0], { doseNumber: 1, totalDoses: 2, vaccine: { code: 'covishield', name: 'COVISHIELD' }, country: 'IN' });
  t.truthy(body.record.doses[0].lotNumber);
  t.truthy(body.record.nextDoseFrom, 'the next dose is due from a date');
  t.true(body.formats['eu-dcc'].payload.startsWith('HC1:'));
  t.true(body.formats.shc.payload.startsWith('shc:/'));
  t.is(JSON.parse(body.formats['w3c-vc'].payload).type.includes('VerifiableCredential'), true);
  t.like(body.formats['eu-dcc'].qr[0], { errorCorrection: 'Q' });

  // The QR codes read back to the payloads.
  for (const format of ['eu-dcc', 'shc']) {
    const png = await app.request(HOST, certificatePath(issued.certificateId, `/qr/${format}.png`), { headers: bearer(citizen.token) });
    t.is(png.status, 200);
    t.is(png.headers['content-type'], 'image/png');
    const bytes = await pngBytes(certificatePath(issued.certificateId, `/qr/${format}.png`), citizen.token);
    t.is(readQr(bytes), body.formats[format].payload, format);
  }
  const svg = await app.request(HOST, certificatePath(issued.certificateId, '/qr/eu-dcc.svg'), { headers: bearer(citizen.token) });
  t.is(svg.status, 200);
  t.true(svg.text.includes('<svg'));

  // Every format verifies against the tenant's trust list.
  for (const format of ['eu-dcc', 'shc', 'w3c-vc']) {
    const answer = await verify(app, body.formats[format].payload);
    t.is(answer.status, 200, answer.text);
    t.like(answer.json(), { status: 'valid', format, message: 'Valid certificate.' }, format);
  }

  // The SMS: the certificate is ready, with a link to it.
  const sms = await eventually('certificate SMS', async () => {
    const outbox = (await app.request(HOST, '/dev/outbox')).json<{ to: string; text: string }[]>();
    return outbox.find((m) => m.to === citizen.phone && m.text.includes('certificate'));
  });
  t.true(sms.text.includes(`/certificates/${encodeURIComponent(issued.certificateId)}`), sms.text);
  t.true(sms.text.includes('provisional'));
});

test('the certificate job is stored in the dose’s transaction: it exists exactly when the dose does', async (t) => {
  // Stored by the dose's own transaction: pg-boss stamps created_on with now(), the transaction's start.
  const citizen = await newCitizen(app);
  const dose = await giveDose(app, desk, admin, citizen, batch);
  const [job] = await sql(
    app,
    `select j.created_on = d.recorded_at as same_transaction from dose_record d
     join pgboss.job j on j.name = 'certificates.issue' and j.data->>'doseRecordId' = d.id::text where d.id = $1`,
    [dose.id],
  );
  t.true(job?.same_transaction, 'the job row was written in the dose’s transaction');

  // The transaction fails after the job was queued (a later hook throws): neither the dose nor its job is kept.
  const unlucky = await newCitizen(app);
  const failing: DoseEventHook = async (event) => {
    if (event.beneficiaryId === unlucky.beneficiaries[0].id) throw new Error('test: the dose transaction fails after its job was queued');
  };
  doseEventHooks.push(failing);
  try {
    await t.throwsAsync(giveDose(app, desk, admin, unlucky, batch), { message: /^dose: 500/ });
  } finally {
    doseEventHooks.splice(doseEventHooks.indexOf(failing), 1);
  }
  const [left] = await sql(
    app,
    `select (select count(*)::int from dose_record where beneficiary_id = $1) as doses,
       (select count(*)::int from pgboss.job where name = 'certificates.issue' and data->>'beneficiaryId' = $1::text) as jobs`,
    [unlucky.beneficiaries[0].id],
  );
  t.deepEqual(left, { doses: 0, jobs: 0 });
});

test('QR codes are drawn with the format’s own segments, and read back to the payload', async (t) => {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const issued = await certificateNumber(app, citizen, 1);
  const { formats } = (await app.request(HOST, certificatePath(issued.certificateId), { headers: bearer(citizen.token) })).json();
  const { qrImage } = await import('../../src/certificates/qr.js');
  for (const format of ['eu-dcc', 'shc'] as const) {
    const png = (await qrImage(formats[format].qr[0], 'png')) as Buffer;
    t.is(readQr(png), formats[format].payload, format);
  }
  const missing = await app.request(HOST, certificatePath(issued.certificateId, '/qr/pdf.png'), { headers: bearer(citizen.token) });
  t.is(missing.status, 404);
});

test('the last primary dose gives a final certificate; the earlier one is superseded and still verifies', async (t) => {
  const citizen = await newCitizen(app);
  await earlierDoses(app, citizen, [90], batch);
  await giveDose(app, desk, admin, citizen, batch, 2);
  const final = await certificateNumber(app, citizen, 1);
  t.like(final, { kind: 'final', version: 1 });
  const { record } = (await app.request(HOST, certificatePath(final.certificateId), { headers: bearer(citizen.token) })).json();
  t.deepEqual(
    record.doses.map((d: { doseNumber: number }) => d.doseNumber),
    [1, 2],
  );
  t.is(record.nextDoseFrom, undefined);

  // Then a booster: a new version; the final certificate is superseded, not revoked.
  const booster = await newCitizen(app);
  await earlierDoses(app, booster, [400, 300], batch);
  await giveDose(app, desk, admin, booster, batch, 3);
  const third = await certificateNumber(app, booster, 1);
  t.like(third, { kind: 'booster' });
  const detail = (await app.request(HOST, certificatePath(third.certificateId), { headers: bearer(booster.token) })).json();
  t.like(detail.record.doses[2], { doseNumber: 3, totalDoses: 2 });
  t.like((await verify(app, detail.formats['eu-dcc'].payload)).json(), { status: 'valid' });
});

test('a new dose supersedes the person’s certificate; the old one stays valid', async (t) => {
  const citizen = await newCitizen(app);
  await giveDose(app, desk, admin, citizen, batch);
  const first = await certificateNumber(app, citizen, 1);
  const firstBody = (await app.request(HOST, certificatePath(first.certificateId), { headers: bearer(citizen.token) })).json();
  // Dose 1 moved back in time (as if given 90 days ago), so dose 2 is due today.
  await sql(app, `update dose_record set given_on = given_on - 90 where beneficiary_id = $1`, [citizen.beneficiaries[0].id]);
  await giveDose(app, desk, admin, citizen, batch, 2);
  const second = await certificateNumber(app, citizen, 2);
  t.like(second, { kind: 'final', version: 2, state: 'active' });
  const list = await certificatesOf(app, citizen);
  t.like(
    list.find((c) => c.certificateId === first.certificateId),
    { state: 'superseded', version: 1 },
  );
  t.like((await verify(app, firstBody.formats.shc.payload)).json(), { status: 'valid' });
});

test('nobody else reads a citizen’s certificate; a mistyped id is not found', async (t) => {
  const owner = await newCitizen(app);
  const stranger = await newCitizen(app);
  await giveDose(app, desk, admin, owner, batch);
  const issued = await certificateNumber(app, owner, 1);
  for (const path of ['', '/qr/eu-dcc.png', '/corrections']) {
    t.is((await app.request(HOST, certificatePath(issued.certificateId, path), { headers: bearer(stranger.token) })).status, 404, path);
  }
  t.is((await app.request(HOST, certificatePath(issued.certificateId))).status, 401);
  t.deepEqual(await certificatesOf(app, stranger), []);
  const typo = `${issued.certificateId.slice(0, -1)}${issued.certificateId.endsWith('0') ? '1' : '0'}`;
  t.is((await app.request(HOST, certificatePath(typo), { headers: bearer(owner.token) })).status, 404);
});

test('verification answers garbage clearly, in the verifier’s language, never with a 500', async (t) => {
  for (const payload of ['hello', 'HC1:', 'HC1:%%%%', 'shc:/', 'shc:/1234', '{', '{"type": 1}', 'x'.repeat(19_000), '   ']) {
    const answer = await verify(app, payload);
    t.is(answer.status, 200, `${payload.slice(0, 20)}: ${answer.text}`);
    t.is(answer.json().status, 'malformed', payload.slice(0, 20));
    t.truthy(answer.json().message);
  }
  const hindi = await verify(app, 'hello', { 'Accept-Language': 'hi' });
  t.is(hindi.json().message, 'यह पढ़ने योग्य टीकाकरण प्रमाणपत्र नहीं है।');
  for (const body of [{}, { payload: 42 }, { payload: '' }, { payload: 'a', extra: 1 }]) {
    const answer = await app.request(HOST, '/api/v1/certificates/verify', { method: 'POST', body });
    t.is(answer.status, 422, JSON.stringify(body));
  }
  const notJson = await app.request(HOST, '/api/v1/certificates/verify', {
    method: 'POST',
    body: '{"payload": ',
    headers: { 'Content-Type': 'application/json' },
  });
  t.is(notJson.status, 400);
  const preflight = await app.request(HOST, '/api/v1/certificates/verify', { method: 'OPTIONS' });
  t.is(preflight.status, 204);
  t.is(preflight.headers['access-control-allow-origin'], '*');
});

test('certificates issued at once for one person get versions one after another; a cause issued twice at once stores one', async (t) => {
  const citizen = await newCitizen(app);
  await earlierDoses(app, citizen, [120, 30], batch);
  const person = citizen.beneficiaries[0].id;
  const tenant = app.platform.tenants.byCode('in')!;
  const issuer = () =>
    new CertificateIssuer(
      tenant.orm.em.fork(),
      tenant.container.resolve<TenantCrypto>(TOKENS.Crypto),
      tenant.config,
      recordIssuer(tenant),
      tenant.log,
    );
  // Five causes at once (a try loses only to another's success: five tries suffice). Without the
  // person's lock all read version 1; the unique (person, version) constraint refuses all but one
  // of each version, and the others read again.
  const issued = await Promise.all(Array.from({ length: 5 }, (_, n) => issuer().issue(person, { issueKey: `race:${person}:${n}` })));
  t.true(issued.every((certificate) => certificate?.created === true));
  const rows: { version: number; state: string }[] = await sql(
    app,
    'select version, state from certificate where beneficiary_id = $1 order by version',
    [person],
  );
  t.deepEqual(
    rows.map((row) => row.version),
    [1, 2, 3, 4, 5],
  );
  t.deepEqual(
    rows.map((row) => row.state),
    ['superseded', 'superseded', 'superseded', 'superseded', 'active'],
    'the last one stored is the active one',
  );

  // One cause, four times at once (a job run twice): one certificate, the same answer to each.
  const again = await Promise.all(Array.from({ length: 4 }, () => issuer().issue(person, { issueKey: `race:${person}:same` })));
  t.is(new Set(again.map((certificate) => certificate?.id)).size, 1);
  t.is(again.filter((certificate) => certificate?.created).length, 1);
  const [{ n }] = await sql(app, 'select count(*)::int as n from certificate where issue_key = $1', [`race:${person}:same`]);
  t.is(n, 1);
});

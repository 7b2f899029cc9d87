import { randomUUID } from 'node:crypto';
import test from 'ava';
import { expect2xx, type Headers, HOST, newBatch, sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { bearer } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { dayFromToday, makeCitizens, type TestCitizen } from '../support/scheduling.js';

/**
 * Adverse events following immunisation over HTTP against PostgreSQL: a case is linked to the
 * dose and its batch, citizens report only for their own people, onset cannot precede the dose,
 * serious cases reach the district officers over the dose's centre (and no others), counts per
 * batch make a bad batch stand out, and free text is encrypted at rest and never logged.
 */
const ADMIN_PASSWORD = 'test-admin-password-aefi';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const MUMBAI_KEM = 1001;
const PUNE_SASSOON = 1101;
const SECRET_SYMPTOM = 'tingling in the left ear lobe since breakfast';
const SECRET_NOTE = 'telephoned the family, patient stable on ward 7';

let app: TestPlatform;
let admin: Headers;
let mumbaiOfficer: Headers;
let puneOfficer: Headers;
let kemVaccinator: Headers;
let puneVaccinator: Headers;
let citizens: TestCitizen[];
let badBatch: string;
let goodBatch: string;
/** The dose record of each citizen's only beneficiary, in the order of `citizens`. */
const doses: string[] = [];

const yesterday = () => `${dayFromToday(app, 'in', -1)}T10:00:00+05:30`;
const hoursAfterDose = (hours: number) => new Date(Date.parse(yesterday()) + hours * 3600_000).toISOString();

const citizenReport = (citizen: TestCitizen, body: Record<string, unknown>) =>
  app.request(HOST, '/api/v1/aefi', { method: 'POST', headers: bearer(citizen.token), body });
const staffApi = (headers: Headers) => ({
  get: (path: string) => app.request(HOST, `/api/v1/staff/aefi${path}`, { headers }),
  post: (path: string, body: unknown) => app.request(HOST, `/api/v1/staff/aefi${path}`, { method: 'POST', headers, body }),
});

test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
  admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  mumbaiOfficer = await staffWith(app, admin, 'aefi-mumbai', 'district-officer', 'area', 'district:395');
  puneOfficer = await staffWith(app, admin, 'aefi-pune', 'district-officer', 'area', 'district:363');
  kemVaccinator = await staffWith(app, admin, 'aefi-kem', 'vaccinator', 'facility', String(MUMBAI_KEM));
  puneVaccinator = await staffWith(app, admin, 'aefi-sassoon', 'vaccinator', 'facility', String(PUNE_SASSOON));
  badBatch = await newBatch(app, admin);
  goodBatch = await newBatch(app, admin);
  // 30 people: the first 10 had the bad batch at KEM in Mumbai, the next 20 the good one, the
  // last one was vaccinated in Pune from the good batch.
  citizens = await makeCitizens(
    app,
    'in',
    Array.from({ length: 31 }, () => [1980]),
  );
  for (const [index, citizen] of citizens.entries()) {
    const id = randomUUID();
    doses.push(id);
    await sql(
      app,
      `insert into dose_record (id, beneficiary_id, vaccine, dose_number, given_on, facility_id, batch_id, administered_at, recorded_at)
       values ($1, $2, 'covishield', 1, $3, $4, $5, $6, now())`,
      [
        id,
        citizen.beneficiaries[0].id,
        dayFromToday(app, 'in', -1),
        index === 30 ? PUNE_SASSOON : MUMBAI_KEM,
        index < 10 ? badBatch : goodBatch,
        yesterday(),
      ],
    );
  }
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('a citizen reports for their own dose: the case is linked to the dose and its batch', async (t) => {
  const [citizen] = citizens;
  const response = await citizenReport(citizen, {
    beneficiary: citizen.beneficiaries[0].referenceId,
    doseNumber: 1,
    severity: 'minor',
    symptoms: ['fever', 'other'],
    otherSymptom: SECRET_SYMPTOM,
    onsetAt: hoursAfterDose(6),
    outcome: 'recovering',
  });
  t.is(response.status, 201, response.text);
  const created = response.json();
  t.like(created, {
    beneficiary: { referenceId: citizen.beneficiaries[0].referenceId },
    dose: { id: doses[0], doseNumber: 1, vaccine: 'covishield', facilityId: MUMBAI_KEM },
    batch: { id: badBatch },
    reporter: 'citizen',
    severity: 'minor',
    symptoms: ['fever', 'other'],
    otherSymptom: SECRET_SYMPTOM,
    outcome: 'recovering',
    status: 'reported',
    flaggedAt: null,
  });
  const [row] = await sql(app, 'select batch_id, dose_record_id from aefi_case where id = $1', [created.id]);
  t.deepEqual(row, { batch_id: badBatch, dose_record_id: doses[0] });

  const mine = (await app.request(HOST, '/api/v1/aefi', { headers: bearer(citizen.token) })).json();
  t.deepEqual(
    mine.cases.map((c: { id: string }) => c.id),
    [created.id],
  );
  const others = (await app.request(HOST, '/api/v1/aefi', { headers: bearer(citizens[1].token) })).json();
  t.deepEqual(others.cases, [], 'another citizen sees none of it');
});

test.serial("a citizen cannot report for someone else's beneficiary or dose: 404", async (t) => {
  const [mine, theirs] = citizens;
  const body = { doseNumber: 1, severity: 'minor', symptoms: ['headache'], onsetAt: hoursAfterDose(2) };
  const other = await citizenReport(mine, { ...body, beneficiary: theirs.beneficiaries[0].referenceId });
  t.is(other.status, 404);
  t.is(other.json().code, 'not-found');
  const noSuchDose = await citizenReport(mine, { ...body, beneficiary: mine.beneficiaries[0].referenceId, doseNumber: 2 });
  t.is(noSuchDose.status, 404);
  const anonymous = await app.request(HOST, '/api/v1/aefi', {
    method: 'POST',
    body: { ...body, beneficiary: theirs.beneficiaries[0].referenceId },
  });
  t.is(anonymous.status, 401);
});

test.serial('onset before the dose, unknown symptoms and inconsistent severity are refused with field codes', async (t) => {
  const citizen = citizens[1];
  const base = { beneficiary: citizen.beneficiaries[0].referenceId, doseNumber: 1, symptoms: ['fever'] };
  const early = await citizenReport(citizen, { ...base, severity: 'minor', onsetAt: hoursAfterDose(-30) });
  t.is(early.status, 422);
  t.deepEqual(
    early.json().errors.map((e: { path: string; code: string }) => [e.path, e.code]),
    [['/onsetAt', 'onset-before-dose']],
  );
  t.truthy(early.json().errors[0].message);

  const confused = await citizenReport(citizen, {
    ...base,
    symptoms: ['fever', 'hiccups', 'other'],
    severity: 'severe',
    seriousCriteria: ['hospitalisation'],
    onsetAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  t.is(confused.status, 422);
  t.deepEqual(
    confused
      .json()
      .errors.map((e: { path: string; code: string }) => `${e.path} ${e.code}`)
      .sort(),
    ['/onsetAt onset-in-future', '/otherSymptom required', '/seriousCriteria serious-criteria-unexpected', '/symptoms/1 choice'],
  );
  const serious = await citizenReport(citizen, { ...base, severity: 'serious', onsetAt: hoursAfterDose(1) });
  t.is(serious.status, 422);
  t.deepEqual(serious.json().errors, [{ path: '/seriousCriteria', code: 'required', message: serious.json().errors[0].message }]);
  t.is((await sql(app, 'select count(*)::int as n from aefi_case where beneficiary_id = $1', [citizen.beneficiaries[0].id]))[0].n, 0);
});

let seriousCase: string;
test.serial("a serious case is flagged to the district officers over the dose's centre, and audited", async (t) => {
  const citizen = citizens[2];
  const response = await citizenReport(citizen, {
    beneficiary: citizen.beneficiaries[0].referenceId,
    doseNumber: 1,
    severity: 'serious',
    seriousCriteria: ['hospitalisation'],
    symptoms: ['anaphylaxis'],
    description: SECRET_SYMPTOM,
    onsetAt: hoursAfterDose(0.25),
  });
  t.is(response.status, 201, response.text);
  seriousCase = response.json().id;
  t.truthy(response.json().flaggedAt);

  const queue = (await expect2xx(staffApi(mumbaiOfficer).get('/serious-queue'))).cases;
  t.deepEqual(
    queue.map((c: { id: string }) => c.id),
    [seriousCase],
  );
  t.like(queue[0], { batch: { id: badBatch }, seriousCriteria: ['hospitalisation'], dose: { facilityId: MUMBAI_KEM } });
  t.false('description' in queue[0], 'the queue carries no free text');
  t.deepEqual((await expect2xx(staffApi(puneOfficer).get('/serious-queue'))).cases, [], "not in another district's queue");
  t.is((await staffApi(puneOfficer).get(`/cases/${seriousCase}`)).status, 404, 'nor can that district open it');
  t.is((await staffApi(puneOfficer).get('/serious-queue?area=district:395')).status, 403);
  t.is((await staffApi(kemVaccinator).get('/serious-queue')).status, 403, 'the queue is for officers');

  const audit = await sql(app, `select action, actor_type, details from audit_entry where target_id = $1 order by id`, [seriousCase]);
  t.deepEqual(
    audit.map((a) => a.action),
    ['aefi.report', 'aefi.serious-flagged'],
  );
  t.like(audit[1], { actor_type: 'system', details: { facilityId: MUMBAI_KEM, area: 'district:395' } });
});

test.serial('staff report for doses at their facilities; officers investigate, follow up and close with a causality', async (t) => {
  const body = { severity: 'minor', symptoms: ['injection-site-reaction'], onsetAt: hoursAfterDose(3), outcome: 'recovered' };
  const elsewhere = await staffApi(puneVaccinator).post('/cases', { ...body, doseRecordId: doses[3] });
  t.is(elsewhere.status, 404, 'a dose given at another centre');
  const reported = await expect2xx(staffApi(kemVaccinator).post('/cases', { ...body, doseRecordId: doses[3] }));
  t.like(reported, { reporter: 'staff', batch: { id: badBatch }, followUps: [] });

  const officer = staffApi(mumbaiOfficer);
  t.is((await staffApi(kemVaccinator).post(`/cases/${seriousCase}/status`, { status: 'under-investigation' })).status, 403);
  t.like(await expect2xx(officer.post(`/cases/${seriousCase}/status`, { status: 'under-investigation' })), {
    status: 'under-investigation',
  });
  const followed = await expect2xx(officer.post(`/cases/${seriousCase}/follow-ups`, { note: SECRET_NOTE, outcome: 'recovered' }));
  t.like(followed, { outcome: 'recovered', description: SECRET_SYMPTOM });
  t.like(followed.followUps, [{ status: 'under-investigation' }, { note: SECRET_NOTE, outcome: 'recovered' }]);
  const noCausality = await officer.post(`/cases/${seriousCase}/status`, { status: 'closed' });
  t.is(noCausality.status, 422);
  t.is(noCausality.json().errors[0].path, '/causality');
  t.like(await expect2xx(officer.post(`/cases/${seriousCase}/status`, { status: 'closed', causality: 'consistent' })), {
    status: 'closed',
    causality: 'consistent',
  });
  const again = await officer.post(`/cases/${seriousCase}/follow-ups`, { note: 'late' });
  t.is(again.status, 409);
  t.is(again.json().code, 'aefi-case-closed');
  t.deepEqual((await expect2xx(officer.get('/serious-queue'))).cases, [], 'closed cases leave the queue');

  const listed = (await expect2xx(officer.get(`/cases?batchId=${badBatch}`))).cases;
  t.is(listed.length, 3);
  t.deepEqual((await expect2xx(staffApi(puneOfficer).get('/cases'))).cases, []);
});

test.serial('counts per batch show the bad batch, with its rate per 1,000 doses', async (t) => {
  // Two more serious cases from the bad batch, one minor case from the good one.
  for (const index of [4, 5]) {
    const citizen = citizens[index];
    await expect2xx(
      citizenReport(citizen, {
        beneficiary: citizen.beneficiaries[0].referenceId,
        doseNumber: 1,
        severity: 'serious',
        seriousCriteria: ['life-threatening'],
        symptoms: ['thrombosis-with-thrombocytopenia'],
        onsetAt: hoursAfterDose(12),
      }),
    );
  }
  await expect2xx(
    citizenReport(citizens[15], {
      beneficiary: citizens[15].beneficiaries[0].referenceId,
      doseNumber: 1,
      severity: 'minor',
      symptoms: ['headache'],
      onsetAt: hoursAfterDose(5),
    }),
  );
  const counts = await expect2xx(staffApi(admin).get('/batches'));
  t.is(counts.batches.length, 2);
  const [first, second] = counts.batches;
  t.like(first, {
    batchId: badBatch,
    cases: 5,
    bySeverity: { minor: 2, severe: 0, serious: 3 },
    serious: 3,
    administered: 10,
    ratePer1000: 500,
    signal: true,
    reasons: ['serious-cases', 'rate'],
  });
  t.like(second, { batchId: goodBatch, cases: 1, administered: 21, signal: false, reasons: [] });
  t.is(counts.unlinked, 0);

  const mumbai = await expect2xx(staffApi(mumbaiOfficer).get('/batches'));
  t.like(mumbai.batches[1], { batchId: goodBatch, administered: 20 }, "the officer's own area: Pune's dose is not counted");
  t.deepEqual((await expect2xx(staffApi(puneOfficer).get('/batches'))).batches, []);
  t.is((await staffApi(kemVaccinator).get('/batches')).status, 403);
});

test.serial('free text is encrypted at rest and never logged', async (t) => {
  const rows = await sql(
    app,
    'select other_symptom_enc, description_enc from aefi_case where other_symptom_enc is not null or description_enc is not null',
  );
  t.is(rows.length, 2);
  const notes = await sql(app, 'select note_enc from aefi_follow_up where note_enc is not null');
  t.is(notes.length, 1);
  for (const sealed of [...rows.flatMap((r) => [r.other_symptom_enc, r.description_enc]), ...notes.map((n) => n.note_enc)].filter(
    Boolean,
  )) {
    t.true(Buffer.isBuffer(sealed));
    t.false(sealed.toString('utf8').includes('tingling'));
    t.false(sealed.toString('utf8').includes('ward 7'));
  }
  const dump = JSON.stringify(await sql(app, 'select * from aefi_case')) + JSON.stringify(await sql(app, 'select * from audit_entry'));
  t.false(dump.includes('tingling'));
  t.false(app.logs.some((line) => line.includes('tingling') || line.includes('ward 7')));
});

test.serial('the vocabulary is translated', async (t) => {
  const hindi = await expect2xx(app.request(HOST, '/api/v1/aefi/vocabulary', { headers: { 'Accept-Language': 'hi' } }));
  t.is(hindi.symptoms.find((s: { code: string }) => s.code === 'fever').label, 'बुखार');
  t.deepEqual(
    hindi.outcomes.map((o: { code: string }) => o.code),
    ['recovered', 'recovering', 'not-recovered', 'recovered-with-sequelae', 'fatal', 'unknown'],
  );
});

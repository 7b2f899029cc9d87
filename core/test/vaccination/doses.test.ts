import test from 'ava';
import { stdnum } from 'stdnum';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { DoseService } from '../../src/vaccination/dose-service.js';
import { bearer, signIn } from '../support/citizen.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
});
test.after.always(async () => {
  await app?.stop();
});

function aadhaar(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (stdnum.IN.aadhaar.validate(`${body}${digit}`).isValid) return `${body}${digit}`;
  throw new Error('no check digit');
}

/** The dose service as a request would get it: its own EntityManager in a request container. */
function doses(): DoseService {
  const tenant = app.platform.tenants.byCode('in')!;
  const scope = tenant.container.createChildContainer();
  scope.registerInstance(TOKENS.EntityManager, tenant.orm.em.fork());
  return scope.resolve(DoseService);
}

async function register(mobile: string, body: string) {
  const token = await signIn(app, 'in.localhost', mobile, `+91${mobile}`);
  const created = await app.request('in.localhost', '/api/v1/beneficiaries', {
    method: 'POST',
    headers: bearer(token),
    body: { name: 'Meera', gender: 'F', birthYear: 1970, consentVersion: '1', document: { type: 'aadhaar', number: aadhaar(body) } },
  });
  const tenant = app.platform.tenants.byCode('in')!;
  const row = await tenant.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string }[]>('select id from beneficiary where reference_id = ?', [created.json().referenceId]);
  return { token, referenceId: created.json().referenceId as string, id: row[0].id };
}

test.serial('doses are recorded in schedule order, with the interval and the vaccine the person started with', async (t) => {
  const { id } = await register('9822200001', '23456789013');
  const first = await doses().record({ beneficiaryId: id, vaccine: 'covishield', givenOn: '2021-06-01', facilityId: 101 });
  t.is(first.doseNumber, 1);
  const early = await t.throwsAsync(doses().record({ beneficiaryId: id, vaccine: 'covishield', givenOn: '2021-07-01' }));
  t.like(error(early), { code: 'validation-failed', fields: [{ path: '/givenOn', code: 'interval-too-short' }] });
  const other = await t.throwsAsync(doses().record({ beneficiaryId: id, vaccine: 'covaxin', givenOn: '2021-09-01' }));
  t.like(error(other), { fields: [{ path: '/vaccine', code: 'vaccine-mismatch' }] });
  const travel = await doses().record({
    beneficiaryId: id,
    vaccine: 'covishield',
    givenOn: '2021-07-15',
    intervalException: 'travel abroad for studies',
  });
  t.is(travel.doseNumber, 2);
  t.is(travel.intervalException, 'travel abroad for studies');
  t.deepEqual(
    (await doses().history(id)).map((d) => d.doseNumber),
    [1, 2],
  );
});

test.serial('a beneficiary with a recorded dose cannot be deleted; one without can', async (t) => {
  const vaccinated = await register('9822200002', '34567890124');
  await doses().record({ beneficiaryId: vaccinated.id, vaccine: 'covaxin', givenOn: '2021-06-01' });
  const refused = await app.request('in.localhost', `/api/v1/beneficiaries/${vaccinated.referenceId}`, {
    method: 'DELETE',
    headers: bearer(vaccinated.token),
  });
  t.is(refused.status, 409);
  t.is(refused.json().code, 'beneficiary-locked');
  const other = await register('9822200003', '45678901235');
  t.is(
    (await app.request('in.localhost', `/api/v1/beneficiaries/${other.referenceId}`, { method: 'DELETE', headers: bearer(other.token) }))
      .status,
    204,
  );
});

function error(value: unknown): { code?: string; fields?: { path: string; code: string }[] } {
  return value as { code?: string; fields?: { path: string; code: string }[] };
}

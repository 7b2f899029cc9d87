import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import test from 'ava';
import { calculateJwkThumbprint } from 'jose';
import { EU_DCC_VACCINATION_EKU } from '../../src/certificates/keys/generate.js';
import { SigningKeyStore } from '../../src/certificates/keys/key-store.js';
import type { TenantCrypto } from '../../src/kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { sql, staffSignIn, staffWith } from '../inventory/stock-helpers.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * The tenant's signing keys: created once at provisioning (even by two processes at once), an EU
 * DCC signer certified by the country's authority, published with CORS in the trust list and the
 * SMART Health Cards JWKS, and rotated without dropping the retired key.
 */
const ADMIN_PASSWORD = 'test-admin-password-certificate-keys';
process.env.TEEKA_IN_ADMIN_PASSWORD = ADMIN_PASSWORD;
const HOST = 'in.localhost';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform({ settings: { tenantCodes: ['in'] } });
});
test.after.always(async () => {
  await app?.stop();
});

test.serial('keys are made once per tenant and format, even by a second process on the same database', async (t) => {
  const rows = await sql(app, `select format, state from signing_key order by format`);
  t.deepEqual(
    rows.map((r: { format: string }) => r.format),
    ['eu-dcc', 'shc', 'w3c-vc'],
  );
  const second = await startTestPlatform({ settings: { tenantCodes: ['in'], databasePrefix: app.settings.databasePrefix } });
  try {
    t.is((await sql(app, 'select count(*)::int as n from signing_key'))[0].n, 3);
    t.is((await sql(app, 'select count(*)::int as n from signing_authority'))[0].n, 1);
  } finally {
    await second.platform.stop();
  }

  // Two provisionings at once on an empty table: one authority, one key per format, the signer under the stored authority.
  await sql(app, 'delete from signing_key');
  await sql(app, 'delete from signing_authority');
  const tenant = app.platform.tenants.byCode('in')!;
  const crypto = tenant.container.resolve<TenantCrypto>(TOKENS.Crypto);
  const made = await Promise.all(
    Array.from({ length: 4 }, () => new SigningKeyStore(tenant.orm.em.fork(), crypto, tenant.config).provision()),
  );
  t.is(
    made.reduce((a, b) => a + b, 0),
    3,
  );
  t.is((await sql(app, 'select count(*)::int as n from signing_key'))[0].n, 3);
  const [authority] = await sql(app, 'select certificate from signing_authority');
  const [signer] = await sql(app, `select certificate from signing_key where format = 'eu-dcc'`);
  const csca = new x509.X509Certificate(authority.certificate);
  t.true(await new x509.X509Certificate(signer.certificate).verify({ publicKey: csca.publicKey, signatureOnly: true }, webcrypto as never));
});

test.serial('the trust list publishes the signer under the country authority, with CORS', async (t) => {
  const response = await app.request(HOST, '/api/v1/certificates/trust-list');
  t.is(response.status, 200);
  t.is(response.headers['access-control-allow-origin'], '*');
  t.regex(String(response.headers['cache-control']), /public/);
  const list = response.json();
  t.like(list, { country: 'IN', issuer: 'Ministry of Health and Family Welfare', issuerUrl: `http://in.localhost:${app.platform.port}` });
  t.deepEqual(list.revoked, []);
  t.truthy(Date.parse(list.generatedAt));

  const dcc = list.keys.find((key: { format: string }) => key.format === 'eu-dcc');
  const der = Buffer.from(dcc.certificate, 'base64');
  t.is(dcc.kid, createHash('sha256').update(der).digest().subarray(0, 8).toString('base64'));
  const dsc = new x509.X509Certificate(der);
  const csca = new x509.X509Certificate(Buffer.from(list.authorityCertificate, 'base64'));
  t.is(dsc.issuer, csca.subject);
  t.regex(csca.subject, /C=IN/);
  t.true(await dsc.verify({ publicKey: csca.publicKey, signatureOnly: true }, webcrypto as never));
  t.true(dsc.getExtension(x509.ExtendedKeyUsageExtension)!.usages.includes(EU_DCC_VACCINATION_EKU));
  t.is(csca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
  t.like(dcc, { alg: 'ES256', state: 'active', publicKey: { kty: 'EC', crv: 'P-256' } });
  t.false('d' in dcc.publicKey, 'no private part');

  const vc = list.keys.find((key: { format: string }) => key.format === 'w3c-vc');
  t.like(vc, { alg: 'Ed25519', publicKey: { kty: 'OKP', crv: 'Ed25519' } });
  t.true(vc.kid.startsWith(`http://in.localhost:${app.platform.port}`));

  const pem = await app.request(HOST, '/api/v1/certificates/authority.pem');
  t.is(pem.status, 200);
  t.true(pem.text.startsWith('-----BEGIN CERTIFICATE-----'));
  t.is(new x509.X509Certificate(pem.text).subject, csca.subject);
});

test.serial('the JWKS holds the SMART Health Cards key by its thumbprint', async (t) => {
  const response = await app.request(HOST, '/.well-known/jwks.json');
  t.is(response.status, 200);
  t.is(response.headers['access-control-allow-origin'], '*');
  const { keys } = response.json();
  t.is(keys.length, 1);
  t.like(keys[0], { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  t.is(keys[0].kid, await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: keys[0].x, y: keys[0].y }));
  t.false('d' in keys[0]);
});

test.serial('rotation retires the key, keeps it published, and signs with a new one; only administrators rotate', async (t) => {
  const admin = await staffSignIn(app, 'admin', ADMIN_PASSWORD);
  const officer = await staffWith(app, admin, 'officer-keys', 'district-officer', 'area', 'district:395');
  const before = (await app.request(HOST, '/.well-known/jwks.json')).json().keys[0].kid;
  t.is(
    (await app.request(HOST, '/api/v1/staff/certificates/keys/rotate', { method: 'POST', headers: officer, body: { format: 'shc' } }))
      .status,
    403,
  );
  const rotated = await app.request(HOST, '/api/v1/staff/certificates/keys/rotate', {
    method: 'POST',
    headers: admin,
    body: { format: 'shc' },
  });
  t.is(rotated.status, 200, rotated.text);
  t.not(rotated.json().kid, before);
  const kids = (await app.request(HOST, '/.well-known/jwks.json')).json().keys.map((key: { kid: string }) => key.kid);
  t.deepEqual(new Set(kids), new Set([before, rotated.json().kid]));
  const states = await sql(app, `select state from signing_key where format = 'shc' order by created_at`);
  t.deepEqual(
    states.map((r: { state: string }) => r.state),
    ['retired', 'active'],
  );
  const wrong = await app.request(HOST, '/api/v1/staff/certificates/keys/rotate', {
    method: 'POST',
    headers: admin,
    body: { format: 'x' },
  });
  t.is(wrong.status, 422);
});

test.serial('a certificate reads every active key in one query: the same keys as one format at a time', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const crypto = tenant.container.resolve<TenantCrypto>(TOKENS.Crypto);
  const store = new SigningKeyStore(tenant.orm.em.fork(), crypto, tenant.config);
  const issuer = 'https://certificates.teeka.example/in';
  const keys = await store.activeKeys(['eu-dcc', 'shc', 'w3c-vc'], issuer);
  t.deepEqual([...keys.keys()].sort(), ['eu-dcc', 'shc', 'w3c-vc']);
  for (const format of ['eu-dcc', 'shc', 'w3c-vc'] as const) {
    const one = await store.active(format, issuer);
    const all = keys.get(format)!();
    t.is(all.kid, one.kid, format);
    t.is(all.algorithm, one.algorithm);
    t.true(all.publicKey.equals(one.publicKey));
    t.deepEqual(all.privateKey.export({ format: 'jwk' }), one.privateKey.export({ format: 'jwk' }));
  }
  // Only the active key of a rotated format, and nothing for a format not asked for.
  t.deepEqual([...(await store.activeKeys(['shc'], issuer)).keys()], ['shc']);
  t.is((await store.activeKeys([], issuer)).size, 0);
});

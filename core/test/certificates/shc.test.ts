/**
 * SMART Health Cards, checked from outside: signatures with node:crypto and jose,
 * inflation with node:zlib, the kid with a hand-written RFC 7638 thumbprint, the QR drawn by
 * qrcode and read back by jsqr. Pure: no database, no network.
 */
import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import test from 'ava';
import { CompactSign, compactVerify } from 'jose';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { jwks, MAX_SINGLE_QR_JWS, revocationId, revocationList, smartHealthCard } from '../../src/certificates/formats/shc.js';
import type { CertificateDose, CertificateRecord, SigningKey, TrustList, Verification } from '../../src/certificates/record.js';

// jsqr is CommonJS whose types say `export default`: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

const ISSUER = 'https://in.teeka.example/certificates';

/** RFC 7638 by hand: SHA-256 over the required members in lexicographic order, no whitespace. */
function thumbprint(publicKey: KeyObject): string {
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

function makeKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: thumbprint(publicKey), algorithm: 'ES256', privateKey, publicKey };
}

const key = makeKey();
const otherKey = makeKey();

function trustFor(...keys: SigningKey[]): TrustList {
  return {
    country: 'IN',
    issuerUrl: ISSUER,
    keys: keys.map(({ kid, algorithm, publicKey }) => ({ kid, algorithm, publicKey })),
    revoked: new Set(),
  };
}
const trust = trustFor(key);

function dose(doseNumber: number, date: string, lotNumber: string): CertificateDose {
  return {
    doseNumber,
    totalDoses: 2,
    date,
    vaccine: {
      code: 'covishield',
      name: 'COVISHIELD',
      manufacturer: 'Serum Institute of India',
      codes: { icd11: 'XM97T2', cvx: '210', snomed: '1119305005' },
    },
    lotNumber,
    country: 'IN',
    centre: { id: 1001, name: 'KEM Hospital, Parel, Mumbai' },
    practitioner: 'Dr. Asha Kulkarni',
  };
}

function makeRecord(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    certificateId: 'URN:UVCI:01:IN:TEEKA0000000123#K',
    version: 3,
    kind: 'booster',
    issuedAt: '2022-04-20T10:15:30.000Z',
    issuer: { name: 'Ministry of Health and Family Welfare', country: 'IN', url: `${ISSUER}/` },
    person: {
      name: 'Priya Sharma',
      familyName: 'Sharma',
      givenName: 'Priya',
      birthDate: '1990-05-17',
      sex: 'female',
      identifier: { type: 'passport', value: 'Z1234567' },
    },
    doses: [dose(1, '2021-05-03', '4121Z005'), dose(2, '2021-08-02', '4121Z034'), dose(3, '2022-04-18', '4122Z101')],
    ...overrides,
  };
}

/** shc:/ digits back to the JWS, written here again rather than imported. */
function jwsOf(payload: string): string {
  const digits = payload.replace(/^shc:\//, '');
  return (digits.match(/../g) ?? []).map((pair) => String.fromCharCode(Number(pair) + 45)).join('');
}

function partsOf(jws: string) {
  const [header, body, signature] = jws.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    claims: JSON.parse(inflateRawSync(Buffer.from(body, 'base64url')).toString('utf8')),
    deflated: Buffer.from(body, 'base64url'),
    signature: Buffer.from(signature, 'base64url'),
    signingInput: `${header}.${body}`,
  };
}

/** A compact JWS made with node:crypto: any header, any payload bytes. */
function jwsWith(header: unknown, payload: Buffer, signer: SigningKey = key): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload.toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const shcHeader = (signer: SigningKey = key) => ({ alg: 'ES256', zip: 'DEF', kid: signer.kid });
const deflateJson = (value: unknown) => deflateRawSync(Buffer.from(JSON.stringify(value)));
const toShc = (jws: string) => `shc:/${[...jws].map((c) => String(c.charCodeAt(0) - 45).padStart(2, '0')).join('')}`;

const issued = await smartHealthCard.issue(makeRecord(), key);
const jws = jwsOf(issued.payload);
const card = partsOf(jws);

test('the card is a shc:/ numeric string of a compact JWS that fits one QR', (t) => {
  t.is(issued.format, 'shc');
  t.regex(issued.payload, /^shc:\/(\d\d)+$/);
  t.true(jws.length <= MAX_SINGLE_QR_JWS, `${jws.length} JWS characters`);
  t.regex(jws, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  t.deepEqual(issued.qr, [
    {
      segments: [
        { data: 'shc:/', mode: 'byte' },
        { data: issued.payload.slice(5), mode: 'numeric' },
      ],
      errorCorrection: 'L',
    },
  ]);
});

test('header: ES256, DEF, and the RFC 7638 thumbprint as kid', (t) => {
  t.deepEqual(card.header, { alg: 'ES256', zip: 'DEF', kid: thumbprint(key.publicKey) });
});

test('the ES256 signature (r||s, 64 bytes) verifies with node:crypto', (t) => {
  t.is(card.signature.length, 64);
  t.true(verify('sha256', Buffer.from(card.signingInput), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, card.signature));
  t.false(verify('sha256', Buffer.from(card.signingInput), { key: otherKey.publicKey, dsaEncoding: 'ieee-p1363' }, card.signature));
});

test('jose verifies the JWS we sign, and we verify the JWS jose signs', async (t) => {
  // Both sides use node:crypto in the format; jose (WebCrypto) is the independent JWS implementation here.
  const verified = await compactVerify(jws, key.publicKey, { algorithms: ['ES256'] });
  t.deepEqual(verified.protectedHeader, { alg: 'ES256', zip: 'DEF', kid: thumbprint(key.publicKey) });
  await t.throwsAsync(compactVerify(jws, otherKey.publicKey, { algorithms: ['ES256'] }));
  const byJose = await new CompactSign(deflateJson(card.claims)).setProtectedHeader(shcHeader(key)).sign(key.privateKey);
  t.is((await smartHealthCard.verify(toShc(byJose), trust)).status, 'valid');
  const byJoseOtherKey = await new CompactSign(deflateJson(card.claims)).setProtectedHeader(shcHeader(key)).sign(otherKey.privateKey);
  t.is((await smartHealthCard.verify(toShc(byJoseOtherKey), trust)).status, 'invalid-signature');
});

test('payload: raw DEFLATE (no zlib header) of minified JSON', (t) => {
  t.throws(() => inflateSync(card.deflated));
  const text = inflateRawSync(card.deflated).toString('utf8');
  t.is(JSON.stringify(JSON.parse(text)), text);
});

test('claims: iss without trailing slash, nbf in seconds, health card types, FHIR 4.0.1, rid', (t) => {
  const { iss, nbf, vc, ...rest } = card.claims;
  t.is(iss, ISSUER);
  t.is(nbf, Date.parse('2022-04-20T10:15:30.000Z') / 1000);
  t.deepEqual(rest, {});
  t.deepEqual(vc.type, [
    'https://smarthealth.cards#health-card',
    'https://smarthealth.cards#immunization',
    'https://smarthealth.cards#covid19',
  ]);
  t.is(vc.credentialSubject.fhirVersion, '4.0.1');
  // The spec's rid: base64url, at most 24 characters; here HMAC-SHA-256(kid, certificate id), 64 bits.
  t.regex(vc.rid, /^[A-Za-z0-9_-]{1,24}$/);
  t.is(vc.rid, createHmac('sha256', key.kid).update('URN:UVCI:01:IN:TEEKA0000000123#K').digest().subarray(0, 8).toString('base64url'));
  t.is(vc.rid, revocationId('URN:UVCI:01:IN:TEEKA0000000123#K', key.kid));
});

test('the bundle follows the SMART Health Cards minimisation rules', (t) => {
  const bundle = card.claims.vc.credentialSubject.fhirBundle;
  t.is(bundle.resourceType, 'Bundle');
  t.is(bundle.type, 'collection');
  t.deepEqual(bundle.identifier, { value: 'URN:UVCI:01:IN:TEEKA0000000123#K' });
  // No Resource.id, meta, text (narrative or CodeableConcept), Coding.display anywhere.
  const forbidden: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`);
    } else if (value && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        if (['id', 'meta', 'text', 'display'].includes(name) && !path.endsWith('.actor')) forbidden.push(`${path}.${name}`);
        walk(child, `${path}.${name}`);
      }
    }
  };
  walk(bundle, 'Bundle');
  t.deepEqual(forbidden, []);
  t.deepEqual(
    bundle.entry.map((entry: { fullUrl: string }) => entry.fullUrl),
    ['resource:0', 'resource:1', 'resource:2', 'resource:3'],
  );
  // Patient: one name, family + given, birth date; no gender, no identifiers (passport stays out).
  t.deepEqual(bundle.entry[0].resource, {
    resourceType: 'Patient',
    name: [{ family: 'Sharma', given: ['Priya'] }],
    birthDate: '1990-05-17',
  });
  const immunizations = bundle.entry.slice(1).map((entry: { resource: unknown }) => entry.resource);
  t.deepEqual(immunizations[0], {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: {
      coding: [
        { system: 'http://hl7.org/fhir/sid/cvx', code: '210' },
        { system: 'http://snomed.info/sct', code: '1119305005' },
        { system: 'http://id.who.int/icd11/mms', code: 'XM97T2' },
      ],
    },
    patient: { reference: 'resource:0' },
    occurrenceDateTime: '2021-05-03',
    lotNumber: '4121Z005',
    performer: [{ actor: { display: 'KEM Hospital, Parel, Mumbai' } }],
  });
  t.deepEqual(
    immunizations.map((immunization: { occurrenceDateTime: string; lotNumber: string }) => [
      immunization.occurrenceDateTime,
      immunization.lotNumber,
    ]),
    [
      ['2021-05-03', '4121Z005'],
      ['2021-08-02', '4121Z034'],
      ['2022-04-18', '4122Z101'],
    ],
  );
  // The IG sets protocolApplied to 0..0 (and leaves manufacturer, location, etc. out of the DM profile).
  for (const immunization of immunizations) t.false('protocolApplied' in immunization);
  t.false(JSON.stringify(bundle).includes('Z1234567'));
  t.false(JSON.stringify(bundle).includes('Kulkarni'));
});

test('a valid card verifies, from the QR text and as a bare JWS', async (t) => {
  const expected = {
    status: 'valid',
    format: 'shc',
    record: {
      certificateId: 'URN:UVCI:01:IN:TEEKA0000000123#K',
      name: 'Priya Sharma',
      birthDate: '1990-05-17',
      doses: [
        { doseNumber: 1, totalDoses: 0, date: '2021-05-03', vaccine: 'XM97T2', country: 'IN' },
        { doseNumber: 2, totalDoses: 0, date: '2021-08-02', vaccine: 'XM97T2', country: 'IN' },
        { doseNumber: 3, totalDoses: 0, date: '2022-04-18', vaccine: 'XM97T2', country: 'IN' },
      ],
      issuedAt: '2022-04-20T10:15:30.000Z',
    },
  };
  t.deepEqual(await smartHealthCard.verify(issued.payload, trust), expected);
  t.deepEqual(await smartHealthCard.verify(jws, trust), expected);
  t.deepEqual(await smartHealthCard.verify(`  ${issued.payload}\n`, trust), expected);
});

test('names in any script, a partial birth date and a single dose round-trip', async (t) => {
  const record = makeRecord({
    person: { name: 'प्रिया शर्मा', familyName: 'प्रिया शर्मा', birthDate: '1990' },
    doses: [dose(1, '2021-05-03', '4121Z005')],
  });
  const single = await smartHealthCard.issue(record, key);
  const bundle = partsOf(jwsOf(single.payload)).claims.vc.credentialSubject.fhirBundle;
  t.deepEqual(bundle.entry[0].resource, { resourceType: 'Patient', name: [{ family: 'प्रिया शर्मा' }], birthDate: '1990' });
  const result = await smartHealthCard.verify(single.payload, trust);
  t.is(result.status, 'valid');
  if (result.status === 'valid') {
    t.is(result.record.name, 'प्रिया शर्मा');
    t.is(result.record.birthDate, '1990');
    t.is(result.record.doses.length, 1);
  }
});

test('the QR drawn with the two segments at ECC L reads back as the same shc:/ text', async (t) => {
  const [spec] = issued.qr;
  const segments = spec.segments.map(({ data, mode }) => ({ data, mode })) as QRCodeSegment[];
  const qr = QRCode.create(segments, { errorCorrectionLevel: spec.errorCorrection });
  t.true(qr.version <= 22, `version ${qr.version}`);
  const png = PNG.sync.read(
    await QRCode.toBuffer(segments, { errorCorrectionLevel: spec.errorCorrection, type: 'png', scale: 4, margin: 4 }),
  );
  const read = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  t.truthy(read);
  t.is(read?.data, issued.payload);
  t.deepEqual(
    read?.chunks.map((chunk) => chunk.type),
    ['byte', 'numeric'],
  );
  t.is((await smartHealthCard.verify(read?.data ?? '', trust)).status, 'valid');
});

test('a card that cannot fit one QR is refused with a clear error', async (t) => {
  // Lot numbers and centres that do not compress: a long vaccination history no single QR holds.
  const doses = Array.from({ length: 12 }, (_, index) => ({
    ...dose(index + 1, `20${10 + index}-03-1${index % 10}`, randomBytes(12).toString('base64url')),
    centre: { id: index, name: `Centre ${randomBytes(18).toString('base64url')}` },
  }));
  const error = await t.throwsAsync(smartHealthCard.issue(makeRecord({ doses }), key));
  t.regex(error.message, /at most 1195/);
});

test('issue checks the key and the record', async (t) => {
  await t.throwsAsync(smartHealthCard.issue(makeRecord(), { ...key, kid: 'not-the-thumbprint' }), { message: /thumbprint/ });
  const ed = generateKeyPairSync('ed25519');
  await t.throwsAsync(smartHealthCard.issue(makeRecord(), { kid: 'x', algorithm: 'Ed25519', ...ed }), { message: /ES256/ });
  const codeless = { ...dose(1, '2021-05-03', 'L1'), vaccine: { code: 'local', name: 'Local', codes: {} } };
  await t.throwsAsync(smartHealthCard.issue(makeRecord({ doses: [codeless] }), key), { message: /no CVX, SNOMED CT or ICD-11 code/ });
  await t.throwsAsync(smartHealthCard.issue(makeRecord({ doses: [] }), key), { message: /no doses/ });
});

test('tampering with any digit pair never yields valid', async (t) => {
  const digits = issued.payload.slice(5);
  const statuses = new Map<string, number>();
  for (let index = 0; index < digits.length; index += 2) {
    const pair = Number(digits.slice(index, index + 2));
    const changed = String((pair + 1) % 78).padStart(2, '0');
    const result = await smartHealthCard.verify(`shc:/${digits.slice(0, index)}${changed}${digits.slice(index + 2)}`, trust);
    statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    if (result.status === 'valid') t.fail(`changing pair ${index / 2} still verified`);
  }
  t.false(statuses.has('valid'));
  t.true((statuses.get('invalid-signature') ?? 0) > 0);
});

test('a changed signature or payload is an invalid signature', async (t) => {
  const [header, body, signature] = jws.split('.');
  const flipped = Buffer.from(signature, 'base64url');
  flipped[10] ^= 0x01;
  t.is((await smartHealthCard.verify(`${header}.${body}.${flipped.toString('base64url')}`, trust)).status, 'invalid-signature');

  // Same header and signature, a payload with another birth date.
  const claims = structuredClone(card.claims);
  claims.vc.credentialSubject.fhirBundle.entry[0].resource.birthDate = '1980-05-17';
  const forged = `${header}.${deflateJson(claims).toString('base64url')}.${signature}`;
  t.is((await smartHealthCard.verify(toShc(forged), trust)).status, 'invalid-signature');

  // Signed by another key that claims the trusted kid.
  t.is(
    (await smartHealthCard.verify(toShc(jwsWith(shcHeader(key), deflateJson(card.claims), otherKey)), trust)).status,
    'invalid-signature',
  );
});

test('another issuer or an unknown key is unknown-issuer', async (t) => {
  const wrongIssuer = await smartHealthCard.verify(issued.payload, { ...trust, issuerUrl: 'https://lk.teeka.example/certificates' });
  t.is(wrongIssuer.status, 'unknown-issuer');
  const otherIssued = await smartHealthCard.issue(
    makeRecord({ issuer: { name: 'Other', country: 'LK', url: 'https://lk.teeka.example' } }),
    key,
  );
  t.is((await smartHealthCard.verify(otherIssued.payload, trust)).status, 'unknown-issuer');
  t.is((await smartHealthCard.verify(issued.payload, trustFor(otherKey))).status, 'unknown-issuer');
  t.is((await smartHealthCard.verify(issued.payload, trustFor(otherKey, key))).status, 'valid');
});

test('a revoked certificate is revoked, by certificate id or by its rid', async (t) => {
  const revoked = await smartHealthCard.verify(issued.payload, { ...trust, revoked: new Set(['URN:UVCI:01:IN:TEEKA0000000123#K']) });
  t.is(revoked.status, 'revoked');
  t.is(revoked.status === 'revoked' ? revoked.record.certificateId : '', 'URN:UVCI:01:IN:TEEKA0000000123#K');
  t.is((await smartHealthCard.verify(issued.payload, { ...trust, revoked: new Set(['URN:UVCI:01:IN:OTHER#X']) })).status, 'valid');

  // A card without Bundle.identifier is still found through vc.rid.
  const claims = structuredClone(card.claims);
  delete claims.vc.credentialSubject.fhirBundle.identifier;
  const bare = toShc(jwsWith(shcHeader(), deflateJson(claims)));
  const byRid = await smartHealthCard.verify(bare, { ...trust, revoked: new Set(['URN:UVCI:01:IN:TEEKA0000000123#K']) });
  t.is(byRid.status, 'revoked');
  t.is(byRid.status === 'revoked' ? byRid.record.certificateId : '', claims.vc.rid);
  t.is((await smartHealthCard.verify(bare, trust)).status, 'valid');
});

test('the revocation list holds the rids of revoked certificates', (t) => {
  t.deepEqual(revocationList(key.kid, ['A', 'B', 'A'], 2), {
    kid: key.kid,
    method: 'rid',
    ctr: 2,
    rids: [revocationId('A', key.kid), revocationId('B', key.kid)].sort(),
  });
});

test('time: nbf in the future, exp in the past, and keys outside their validity are expired', async (t) => {
  const issuedAt = new Date('2022-04-20T10:15:30.000Z');
  t.is((await smartHealthCard.verify(issued.payload, trust, new Date(issuedAt.getTime() - 30_000))).status, 'valid');
  t.is((await smartHealthCard.verify(issued.payload, trust, new Date(issuedAt.getTime() - 120_000))).status, 'expired');

  const limited = await smartHealthCard.issue(makeRecord({ validUntil: '2022-10-20T00:00:00.000Z' }), key);
  t.is(partsOf(jwsOf(limited.payload)).claims.exp, Date.parse('2022-10-20T00:00:00.000Z') / 1000);
  t.deepEqual(Object.keys(partsOf(jwsOf(limited.payload)).claims), ['iss', 'nbf', 'exp', 'vc']);
  t.is((await smartHealthCard.verify(limited.payload, trust, new Date('2022-10-19T00:00:00Z'))).status, 'valid');
  t.is((await smartHealthCard.verify(limited.payload, trust, new Date('2022-10-21T00:00:00Z'))).status, 'expired');

  const keyEntry = trust.keys[0];
  const retired = { ...trust, keys: [{ ...keyEntry, notBefore: '2021-01-01T00:00:00Z', notAfter: '2022-01-01T00:00:00Z' }] };
  t.is((await smartHealthCard.verify(issued.payload, retired)).status, 'expired');
  const future = { ...trust, keys: [{ ...keyEntry, notBefore: '2023-01-01T00:00:00Z' }] };
  t.is((await smartHealthCard.verify(issued.payload, future)).status, 'expired');
  // Signed while the key was valid: still valid after the key is retired (the spec keeps such keys published).
  const spanning = { ...trust, keys: [{ ...keyEntry, notBefore: '2022-01-01T00:00:00Z', notAfter: '2023-01-01T00:00:00Z' }] };
  t.is((await smartHealthCard.verify(issued.payload, spanning, new Date('2030-01-01T00:00:00Z'))).status, 'valid');
});

test('garbage is malformed with a detail, never a throw', async (t) => {
  const claims = card.claims;
  const withBundle = (change: (bundle: Record<string, unknown>) => void) => {
    const copy = structuredClone(claims);
    change(copy.vc.credentialSubject.fhirBundle);
    return toShc(jwsWith(shcHeader(), deflateJson(copy)));
  };
  const withClaims = (change: (copy: Record<string, unknown> & typeof claims) => void) => {
    const copy = structuredClone(claims);
    change(copy);
    return toShc(jwsWith(shcHeader(), deflateJson(copy)));
  };
  const garbage: unknown[] = [
    '',
    '   ',
    'shc:/',
    'shc:/5',
    'shc:/567',
    'shc:/99',
    'shc:/5678',
    'shc:/56abc',
    'shc:/1/2/5676290952',
    'shc:/٥٦٧٦',
    'HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N',
    'hello world',
    '🙂🙂🙂',
    'a.b',
    'a.b.c.d',
    '..',
    'e30.e30.e30',
    '{"verifiableCredential":["x"]}',
    `shc:/${'5'.repeat(1024 * 1024)}`,
    'x'.repeat(1024 * 1024),
    `${'☃'.repeat(200_000)}.a.b`,
    undefined,
    null,
    42,
    {},
    toShc(jwsWith({ alg: 'none', zip: 'DEF', kid: key.kid }, deflateJson(claims))),
    toShc(jwsWith({ alg: 'HS256', zip: 'DEF', kid: key.kid }, deflateJson(claims))),
    toShc(jwsWith({ alg: 'ES256', kid: key.kid }, Buffer.from(JSON.stringify(claims)))),
    toShc(jwsWith({ alg: 'ES256', zip: 'DEF' }, deflateJson(claims))),
    toShc(jwsWith({ ...shcHeader(), crit: ['b64'], b64: false }, deflateJson(claims))),
    toShc(jwsWith('not an object', deflateJson(claims))),
    toShc(`${Buffer.from('not json').toString('base64url')}.${deflateJson(claims).toString('base64url')}.AAAA`),
    toShc(jwsWith(shcHeader(), deflateSync(Buffer.from(JSON.stringify(claims))))),
    toShc(jwsWith(shcHeader(), Buffer.from('not deflated at all'))),
    toShc(jwsWith(shcHeader(), deflateRawSync(Buffer.from('{"iss": truncated')))),
    toShc(jwsWith(shcHeader(), deflateRawSync(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])))),
    toShc(jwsWith(shcHeader(), deflateRawSync(Buffer.alloc(4 * 1024 * 1024, 0x20)))),
    toShc(jwsWith(shcHeader(), deflateJson([1, 2, 3]))),
    withClaims((copy) => {
      copy.vc.type = ['https://example.org#something-else'];
    }),
    withClaims((copy) => {
      copy.nbf = '2022-04-20' as unknown as number;
    }),
    withClaims((copy) => {
      copy.vc.credentialSubject.fhirVersion = '3.0.2';
    }),
    withClaims((copy) => {
      copy.vc.rid = 'not a rid!';
    }),
    withClaims((copy) => {
      delete (copy as Partial<typeof copy>).vc;
    }),
    withBundle((bundle) => {
      bundle.entry = (bundle.entry as { resource: { resourceType: string } }[]).filter(
        (entry) => entry.resource.resourceType !== 'Patient',
      );
    }),
    withBundle((bundle) => {
      bundle.entry = (bundle.entry as { resource: { resourceType: string } }[]).filter(
        (entry) => entry.resource.resourceType !== 'Immunization',
      );
    }),
    withBundle((bundle) => {
      bundle.resourceType = 'Patient';
    }),
    withBundle((bundle) => {
      (bundle.entry as { resource: { vaccineCode?: unknown } }[])[1].resource.vaccineCode = { coding: [] };
    }),
    withBundle((bundle) => {
      (bundle.entry as { resource: { patient?: unknown } }[])[1].resource.patient = { reference: 'resource:9' };
    }),
    withBundle((bundle) => {
      (bundle.entry as { resource: { name?: unknown } }[])[0].resource.name = [];
    }),
    withBundle((bundle) => {
      for (const entry of (bundle.entry as { resource: { status?: string } }[]).slice(1)) entry.resource.status = 'entered-in-error';
    }),
  ];
  t.true(garbage.length >= 30);
  for (const [index, input] of garbage.entries()) {
    let result: Verification | undefined;
    await t.notThrowsAsync(async () => {
      result = await smartHealthCard.verify(input as string, trust);
    }, `input ${index}`);
    t.is(result?.status, 'malformed', `input ${index}: ${JSON.stringify(result)}`);
    t.true(result?.status === 'malformed' && result.detail.length > 0, `input ${index} has a detail`);
  }
});

test('jwks publishes the public ES256 keys with kid, alg, use and crv', async (t) => {
  const published = await jwks(trust, { crlVersion: (kid) => (kid === key.kid ? 3 : undefined) });
  const { x, y } = key.publicKey.export({ format: 'jwk' });
  t.deepEqual(published, { keys: [{ kty: 'EC', kid: key.kid, use: 'sig', alg: 'ES256', crv: 'P-256', x, y, crlVersion: 3 }] });
  // A list of keys works too; Ed25519 keys are not SMART Health Cards keys; a private key never leaks `d`.
  const ed = generateKeyPairSync('ed25519');
  const fromKeys = await jwks([
    { kid: otherKey.kid, algorithm: 'ES256', publicKey: otherKey.privateKey },
    { kid: 'ed', algorithm: 'Ed25519', publicKey: ed.publicKey },
  ]);
  t.is(fromKeys.keys.length, 1);
  t.is(fromKeys.keys[0].kid, otherKey.kid);
  t.false('d' in fromKeys.keys[0]);
  // Other formats' ES256 keys (an EU DCC signer's kid is a certificate hash) are not published here.
  t.deepEqual(await jwks([{ kid: 'AbCdEfGhIjk=', algorithm: 'ES256', publicKey: key.publicKey }]), { keys: [] });
  // A verifier that only has the JWKS (as node:crypto imports it) can check the card.
  const imported = createPublicKey({ key: { ...published.keys[0] } as JsonWebKey, format: 'jwk' });
  t.true(verify('sha256', Buffer.from(card.signingInput), { key: imported, dsaEncoding: 'ieee-p1363' }, card.signature));
});

/**
 * EU DCC (`HC1:`), checked from outside: the COSE_Sign1 verified by cose-kit (cbor-x inside, not
 * the cbor2 that wrote it), Base45 decoded by the npm `base45` package, the payload checked by a
 * separate ajv against the shipped 1.3.3 schema, the kid recomputed from a DSC that a test CSCA
 * signed (@peculiar/x509), the QR drawn by qrcode and read back by jsqr. Pure: no database, no
 * network.
 */
import { createHash, generateKeyPairSync, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { deflateRawSync, deflateSync, inflateSync } from 'node:zlib';
import * as x509 from '@peculiar/x509';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import test from 'ava';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { coseVerify } from 'cose-kit';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { base45Decode, base45Encode } from '../../src/certificates/formats/eu-dcc/base45.js';
import { icaoName } from '../../src/certificates/formats/eu-dcc/icao-name.js';
import { doseCodes, GENERIC_PROPHYLAXIS } from '../../src/certificates/formats/eu-dcc/value-sets.js';
import { euDcc } from '../../src/certificates/formats/eu-dcc.js';
import type { CertificateDose, CertificateRecord, SigningKey, TrustList, Verification } from '../../src/certificates/record.js';
import { PROJECT_ROOT } from '../../src/kernel/config/paths.js';

// ajv-formats is CommonJS with a default export: under nodenext it arrives one level deep.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
// jsqr is CommonJS whose types say `export default`: the function is the module itself.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
// The npm `base45` package (no types): an independent decoder for well-formed text.
const npmBase45 = createRequire(import.meta.url)('base45') as { decode(text: string): Buffer; encode(bytes: Uint8Array): string };
const cbor = new Decoder({ mapsAsObjects: false, useRecords: false });
const cborOut = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });

const DATA = join(PROJECT_ROOT, 'core/src/certificates/formats/eu-dcc/data');
const schemaAjv = new Ajv2020({ strict: false, allErrors: true });
addFormats(schemaAjv);
const validateSchema = schemaAjv.compile(JSON.parse(readFileSync(join(DATA, 'DCC.combined-schema.json'), 'utf8')));

// A CSCA and the DSC it signs, the way a country's health authority has them.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
async function makeDscKey(country = 'IN', notAfter = new Date('2030-01-01T00:00:00Z')) {
  const cscaKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=Teeka Test CSCA, C=${country}`,
    keys: cscaKeys,
    notBefore: new Date('2021-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const dscKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const dsc = await x509.X509CertificateGenerator.create({
    subject: `CN=Teeka Test DSC, C=${country}`,
    issuer: csca.subject,
    publicKey: dscKeys.publicKey,
    signingKey: cscaKeys.privateKey,
    notBefore: new Date('2021-01-01T00:00:00Z'),
    notAfter,
    signingAlgorithm: EC,
    // The DCC extended key usage for vaccination certificates.
    extensions: [new x509.ExtendedKeyUsageExtension(['1.3.6.1.4.1.1847.2021.1.2'])],
  });
  const certificate = Buffer.from(dsc.rawData);
  const key: SigningKey = {
    kid: createHash('sha256').update(certificate).digest().subarray(0, 8).toString('base64'),
    algorithm: 'ES256',
    privateKey: KeyObject.from(dscKeys.privateKey),
    publicKey: KeyObject.from(dscKeys.publicKey),
    certificate,
  };
  return { key, csca, dsc };
}

const { key, csca, dsc } = await makeDscKey();
const other = await makeDscKey();

function trustFor(...keys: SigningKey[]): TrustList {
  return {
    country: 'IN',
    issuerUrl: 'https://in.teeka.example/certificates',
    keys: keys.map(({ kid, algorithm, publicKey, certificate }) => ({ kid, algorithm, publicKey, certificate })),
    revoked: new Set(),
  };
}
const trust = trustFor(key);
const NOW = new Date('2022-06-01T00:00:00Z');

function dose(doseNumber: number, date: string, lotNumber: string): CertificateDose {
  return {
    doseNumber,
    totalDoses: 2,
    date,
    vaccine: {
      code: 'covishield',
      name: 'COVISHIELD',
      manufacturer: 'Serum Institute of India',
      codes: { icd11: 'XM97T2', snomed: '29061000087103', euProduct: 'Covishield', euManufacturer: 'ORG-100001981' },
    },
    lotNumber,
    country: 'IN',
    centre: { id: 1001, name: 'KEM Hospital, Parel, Mumbai' },
  };
}

/** A certificate id as the platform makes them: a UVCI with a Luhn mod N check character. */
const CERTIFICATE_ID = 'URN:UVCI:01:IN:TK7Q2M9X3B8R1T5WCD4F#K';
function makeRecord(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    certificateId: CERTIFICATE_ID,
    version: 3,
    kind: 'booster',
    issuedAt: '2022-04-20T10:15:30.000Z',
    issuer: { name: 'Ministry of Health and Family Welfare', country: 'IN', url: 'https://in.teeka.example/certificates' },
    person: { name: 'Priya Sharma', familyName: 'Sharma', givenName: 'Priya', birthDate: '1990-05-17', sex: 'female' },
    doses: [dose(1, '2021-05-03', '4121Z005'), dose(2, '2021-08-02', '4121Z034'), dose(3, '2022-04-18', '4122Z101')],
    ...overrides,
  };
}

/** HC1 text -> the COSE bytes, by other code than the format's. */
const coseOf = (hc1: string) => inflateSync(npmBase45.decode(hc1.slice(4)));
const hc1Of = (cose: Uint8Array) => `HC1:${npmBase45.encode(deflateSync(cose))}`;

const issued = await euDcc.issue(makeRecord(), key);
const cose = coseOf(issued.payload);
/**
 * The four parts of a tagged COSE_Sign1. The tag byte (0xd2 = tag 18) is checked by hand: cose-kit
 * registers its own cbor-x extension for tag 18, so a decoded tag would be cose-kit's object.
 */
function partsOf(bytes: Uint8Array) {
  if (bytes[0] !== 0xd2) throw new Error(`not tag 18: 0x${bytes[0]?.toString(16)}`);
  return cbor.decode(bytes.subarray(1)) as [Uint8Array, Map<number, unknown>, Uint8Array, Uint8Array];
}
const [protectedBytes, unprotected, payloadBytes, signature] = partsOf(cose);
const claims = cbor.decode(payloadBytes) as Map<number, unknown>;
const dcc = (claims.get(-260) as Map<number, Map<string, unknown>>).get(1)!;
/** The payload as plain JSON, for the schema. */
const dccJson = JSON.parse(JSON.stringify(dcc, (_key, value) => (value instanceof Map ? Object.fromEntries(value) : value)));

test('the certificate is HC1: + Base45 of zlib (with header) of a tagged COSE_Sign1', (t) => {
  t.is(issued.format, 'eu-dcc');
  t.regex(issued.payload, /^HC1:[0-9A-Z $%*+\-./:]+$/);
  t.deepEqual(npmBase45.decode(issued.payload.slice(4)), Buffer.from(base45Decode(issued.payload.slice(4))));
  const compressed = npmBase45.decode(issued.payload.slice(4));
  t.is(compressed[0], 0x78, 'zlib header');
  t.is((compressed[0]! * 256 + compressed[1]!) % 31, 0, 'zlib header check bits');
  t.is(cose[0], 0xd2, 'CBOR tag 18, COSE_Sign1');
  t.is(signature.length, 64, 'ES256 raw r||s, not DER');
  t.is(unprotected.size, 0);
  const headers = cbor.decode(protectedBytes) as Map<number, unknown>;
  t.deepEqual([...headers.keys()], [1, 4]);
  t.is(headers.get(1), -7);
  t.deepEqual(Buffer.from(headers.get(4) as Uint8Array), createHash('sha256').update(Buffer.from(dsc.rawData)).digest().subarray(0, 8));
  t.is(Buffer.from(headers.get(4) as Uint8Array).toString('base64'), key.kid);
});

test('cose-kit verifies the signature with the DSC public key, and the DSC chains to the CSCA', async (t) => {
  const { isValid } = await coseVerify(cose, key.publicKey);
  t.true(isValid);
  t.false((await coseVerify(cose, other.key.publicKey)).isValid);
  t.true(await dsc.verify({ publicKey: await csca.publicKey.export(), signatureOnly: true }));
  // The DSC in the trust list is the key that signed.
  const dscPublic = KeyObject.from(await dsc.publicKey.export());
  t.true((await coseVerify(cose, dscPublic)).isValid);
});

test('CWT claims: iss, iat, exp a year on, hcert -260 -> {1: DCC}; no undefined, no records', (t) => {
  t.deepEqual([...claims.keys()].sort(), [-260, 1, 4, 6].sort());
  t.is(claims.get(1), 'IN');
  t.is(claims.get(6), Math.floor(Date.parse('2022-04-20T10:15:30.000Z') / 1000));
  t.is(claims.get(4), Math.floor((Date.parse('2022-04-20T10:15:30.000Z') + 365 * 24 * 3600_000) / 1000));
  // cbor-x record extension tags (105, 0xd9dfff...) must never appear.
  t.false(Buffer.from(payloadBytes).includes(Buffer.from([0xd9, 0xdf, 0xff])));
  t.false(Buffer.from(payloadBytes).includes(0xf7), 'no CBOR undefined');
});

test('the payload passes schema 1.3.3 with one vaccination: the booster, written 3/2', (t) => {
  t.true(validateSchema(dccJson), JSON.stringify(validateSchema.errors));
  t.is(dccJson.ver, '1.3.0');
  t.deepEqual(dccJson.nam, { fn: 'Sharma', fnt: 'SHARMA', gn: 'Priya', gnt: 'PRIYA' });
  t.is(dccJson.dob, '1990-05-17');
  t.deepEqual(dccJson.v, [
    {
      tg: '840539006',
      vp: '29061000087103',
      mp: 'Covishield',
      ma: 'ORG-100001981',
      dn: 3,
      sd: 2,
      dt: '2022-04-18',
      co: 'IN',
      is: 'Ministry of Health and Family Welfare',
      ci: CERTIFICATE_ID,
    },
  ]);
  t.is(typeof dcc.get('v'), 'object');
  t.false('t' in dccJson || 'r' in dccJson);
});

test('the QR is one alphanumeric segment at ECC Q, and jsqr reads back the same text', async (t) => {
  t.deepEqual(issued.qr, [{ segments: [{ data: issued.payload, mode: 'alphanumeric' }], errorCorrection: 'Q' }]);
  const [spec] = issued.qr;
  const segments: QRCodeSegment[] = spec!.segments.map(({ data, mode }) => ({ data, mode }) as QRCodeSegment);
  const qr = QRCode.create(segments, { errorCorrectionLevel: spec!.errorCorrection });
  t.deepEqual(
    qr.segments.map((segment) => (segment as unknown as { mode: { id: string } }).mode.id),
    ['Alphanumeric'],
  );
  const png = PNG.sync.read(await QRCode.toBuffer(segments, { errorCorrectionLevel: 'Q', type: 'png', scale: 4, margin: 4 }));
  const read = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  t.is(read?.data, issued.payload);
  t.deepEqual(
    read?.chunks.map((chunk) => chunk.type),
    ['alphanumeric'],
  );
  t.is((await euDcc.verify(read?.data ?? '', trust, NOW)).status, 'valid');
});

test('verify: valid, with what a verifier shows', async (t) => {
  const result = await euDcc.verify(issued.payload, trust, NOW);
  t.deepEqual(result, {
    status: 'valid',
    format: 'eu-dcc',
    record: {
      certificateId: CERTIFICATE_ID,
      name: 'Priya Sharma',
      birthDate: '1990-05-17',
      doses: [{ doseNumber: 3, totalDoses: 2, date: '2022-04-18', vaccine: 'Covishield', country: 'IN' }],
      issuedAt: '2022-04-20T10:15:30.000Z',
    },
  });
});

test('a bare certificate id goes under URN:UVCI:01:<country>:, a check character of / or : is kept', async (t) => {
  const bare = await euDcc.issue(makeRecord({ certificateId: 'TEEKA0000000456K' }), key);
  const result = await euDcc.verify(bare.payload, trust, NOW);
  t.is(result.status === 'valid' ? result.record.certificateId : result.status, 'URN:UVCI:01:IN:TEEKA0000000456K');
  // Revoking by the bare id or by the UVCI both work.
  t.like(await euDcc.verify(bare.payload, { ...trust, revoked: new Set(['TEEKA0000000456K']) }, NOW), { status: 'revoked' });
  t.like(await euDcc.verify(bare.payload, { ...trust, revoked: new Set(['URN:UVCI:01:IN:TEEKA0000000456K']) }, NOW), { status: 'revoked' });
  for (const check of ['/', ':']) {
    const id = `URN:UVCI:01:IN:TK7Q2M9X3B8R1T5WCD4F#${check}`;
    const verified = await euDcc.verify((await euDcc.issue(makeRecord({ certificateId: id }), key)).payload, trust, NOW);
    t.is(verified.status === 'valid' ? verified.record.certificateId : verified.status, id);
  }
});

test('unknown kid -> unknown-issuer; revoked id -> revoked; exp or key validity passed -> expired', async (t) => {
  t.like(await euDcc.verify(issued.payload, trustFor(other.key), NOW), { status: 'unknown-issuer' });
  t.like(await euDcc.verify(issued.payload, { ...trust, country: 'LK' }, NOW), { status: 'unknown-issuer' });
  const revoked = await euDcc.verify(issued.payload, { ...trust, revoked: new Set([CERTIFICATE_ID]) }, NOW);
  t.is(revoked.status, 'revoked');
  t.is(revoked.status === 'revoked' ? revoked.record.certificateId : '', CERTIFICATE_ID);
  t.like(await euDcc.verify(issued.payload, trust, new Date('2023-04-21T00:00:00Z')), { status: 'expired' });
  t.like(await euDcc.verify(issued.payload, trust, new Date('2023-04-20T10:15:29Z')), { status: 'valid' });
  const short = await euDcc.issue(makeRecord({ validUntil: '2022-05-01T00:00:00Z' }), key);
  t.like(await euDcc.verify(short.payload, trust, NOW), { status: 'expired' });
  const keyEnded = { ...trust, keys: trust.keys.map((k) => ({ ...k, notAfter: '2022-05-01T00:00:00Z' })) };
  t.like(await euDcc.verify(issued.payload, keyEnded, NOW), { status: 'expired' });
  const keyNotYet = { ...trust, keys: trust.keys.map((k) => ({ ...k, notBefore: '2022-07-01T00:00:00Z' })) };
  t.like(await euDcc.verify(issued.payload, keyNotYet, NOW), { status: 'expired' });
  // Without dates in the trust list, the DSC's own validity counts.
  const shortDsc = await makeDscKey('IN', new Date('2022-05-01T00:00:00Z'));
  const signedByShort = await euDcc.issue(makeRecord(), shortDsc.key);
  t.like(await euDcc.verify(signedByShort.payload, trustFor(shortDsc.key), new Date('2022-04-25T00:00:00Z')), { status: 'valid' });
  t.like(await euDcc.verify(signedByShort.payload, trustFor(shortDsc.key), NOW), { status: 'expired' });
});

const verifyNever = async (payload: string): Promise<Verification> => {
  const result = await euDcc.verify(payload, trust, NOW);
  return result;
};

test('tampering with any byte of the COSE message never verifies', async (t) => {
  const statuses = new Set<string>();
  for (let i = 0; i < cose.length; i++) {
    const tampered = Buffer.from(cose);
    tampered[i] = tampered[i]! ^ 0x01;
    const result = await verifyNever(hc1Of(tampered));
    t.not(result.status, 'valid', `byte ${i}`);
    statuses.add(result.status);
  }
  t.true(statuses.has('invalid-signature'));
  t.true(statuses.has('malformed'));
});

test('tampering: a Base45 character, the signed payload, the signature', async (t) => {
  const text = issued.payload;
  for (let i = 4; i < text.length; i += 7) {
    const swapped = text[i] === 'A' ? 'B' : 'A';
    const result = await verifyNever(text.slice(0, i) + swapped + text.slice(i + 1));
    t.not(result.status, 'valid', `character ${i}`);
    t.truthy(result.status === 'malformed' ? result.detail : result.status);
  }
  // Change the booster's date in the payload and sign nothing: the signature no longer matches.
  const forgedPayload = Buffer.from(payloadBytes);
  const at = forgedPayload.indexOf(Buffer.from('2022-04-18'));
  t.true(at > 0);
  forgedPayload.write('2021-04-18', at);
  const forged = cborOut.encode(new Tag([protectedBytes, unprotected, forgedPayload, signature], 18));
  t.like(await verifyNever(hc1Of(forged)), { status: 'invalid-signature' });
  const badSignature = Buffer.from(signature);
  badSignature[10] = badSignature[10]! ^ 0x80;
  t.like(await verifyNever(hc1Of(cborOut.encode(new Tag([protectedBytes, unprotected, payloadBytes, badSignature], 18)))), {
    status: 'invalid-signature',
  });
  t.like(await verifyNever(hc1Of(cborOut.encode(new Tag([protectedBytes, unprotected, payloadBytes, signature.subarray(0, 63)], 18)))), {
    status: 'invalid-signature',
  });
  // The untagged form of the same message still verifies (both occur in the wild).
  t.like(await verifyNever(hc1Of(cborOut.encode([protectedBytes, unprotected, payloadBytes, signature]))), { status: 'valid' });
  // Another country's key, with our kid copied in: still no.
  const signedByOther = coseOf((await euDcc.issue(makeRecord(), other.key)).payload);
  const [, , otherPayload, otherSignature] = partsOf(signedByOther);
  t.like(await verifyNever(hc1Of(cborOut.encode(new Tag([protectedBytes, new Map(), otherPayload, otherSignature], 18)))), {
    status: 'invalid-signature',
  });
});

/** A COSE_Sign1 around any payload bytes, signed with the trusted DSC key by node:crypto. */
async function signedCose(
  payload: Uint8Array,
  headers: Map<number, unknown> = new Map<number, unknown>([
    [1, -7],
    [4, Buffer.from(key.kid, 'base64')],
  ]),
) {
  const protectedHeader = cborOut.encode(headers);
  const { sign } = await import('node:crypto');
  const toBeSigned = cborOut.encode(['Signature1', protectedHeader, Buffer.alloc(0), payload]);
  const sig = sign('sha256', toBeSigned, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return cborOut.encode(new Tag([protectedHeader, new Map(), payload, sig], 18));
}
const claimsWith = (dccValue: unknown, extra: [number, unknown][] = []) =>
  cborOut.encode(new Map<number, unknown>([[1, 'IN'], [6, 1650449730], [4, 1681985730], [-260, new Map([[1, dccValue]])], ...extra]));

test('30+ kinds of garbage are malformed, with a detail, and never throw', async (t) => {
  const zlibHc1 = (bytes: Uint8Array) => `HC1:${base45Encode(deflateSync(bytes))}`;
  const goodDcc = dccJson;
  const { v: _v, ...noVaccination } = goodDcc;
  const testCertificate = {
    ...noVaccination,
    t: [
      {
        tg: '840539006',
        tt: 'LP6464-4',
        sc: '2021-05-03T10:27:15Z',
        tr: '260415000',
        tc: 'Lab',
        co: 'IN',
        is: 'Ministry',
        ci: 'URN:UVCI:01:IN:X1',
      },
    ],
  };
  const bomb = deflateSync(Buffer.alloc(1024 * 1024));
  const garbage: [string, string][] = [
    ['empty', ''],
    ['prefix only', 'HC1:'],
    ['not Base45', 'HC1:!!!'],
    ['lower-case prefix', issued.payload.replace('HC1:', 'hc1:')],
    ['other prefix', issued.payload.replace('HC1:', 'HC2:')],
    ['leading space', ` ${issued.payload}`],
    [
      'SMART Health Card',
      'shc:/5676290952432060346029243740446031222959532654603460292540772804336028702864716745222809286133314564376531415906402203064504590856435503414245413640370636654171372412363803043756220467374075323239254334433260573601064529315312707424283950386922127667517965756477280335032320',
    ],
    ['JSON', '{"ver":"1.3.0"}'],
    ['lower-case Base45', 'HC1:abc'],
    ['one dangling character', 'HC1:ABCD'],
    ['triplet over 65535', 'HC1:GGW'],
    ['random Base45', `HC1:${base45Encode(randomBytes(200))}`],
    ['Base45 of text, not zlib', `HC1:${base45Encode(Buffer.from('hello world, not compressed'))}`],
    ['raw deflate, no zlib header', `HC1:${base45Encode(deflateRawSync(cose))}`],
    ['uncompressed COSE', `HC1:${base45Encode(cose)}`],
    ['truncated zlib', `HC1:${base45Encode(deflateSync(cose).subarray(0, 40))}`],
    ['zlib bomb', `HC1:${base45Encode(bomb)}`],
    ['zlib of non-CBOR', zlibHc1(Buffer.from([0xff, 0xff, 0xff]))],
    ['zlib of truncated CBOR', zlibHc1(cose.subarray(0, cose.length - 5))],
    ['CBOR with trailing bytes', zlibHc1(Buffer.concat([cose, Buffer.from([0])]))],
    ['CBOR number', zlibHc1(cborOut.encode(42))],
    ['CBOR text', zlibHc1(cborOut.encode('HC1'))],
    ['CBOR map', zlibHc1(cborOut.encode(new Map([[1, 2]])))],
    ['array of 3', zlibHc1(cborOut.encode([protectedBytes, new Map(), payloadBytes]))],
    ['COSE_Sign (tag 98)', zlibHc1(cborOut.encode(new Tag([protectedBytes, unprotected, payloadBytes, signature], 98)))],
    ['COSE_Mac0 (tag 17)', zlibHc1(cborOut.encode(new Tag([protectedBytes, unprotected, payloadBytes, signature], 17)))],
    ['tag 18 of a map', zlibHc1(cborOut.encode(new Tag(new Map([[1, 2]]), 18)))],
    ['protected header not bytes', zlibHc1(cborOut.encode(new Tag([new Map([[1, -7]]), unprotected, payloadBytes, signature], 18)))],
    [
      'protected header bytes not a map',
      zlibHc1(cborOut.encode(new Tag([cborOut.encode([1, -7]), unprotected, payloadBytes, signature], 18))),
    ],
    ['unprotected header not a map', zlibHc1(cborOut.encode(new Tag([protectedBytes, 'x', payloadBytes, signature], 18)))],
    ['detached payload', zlibHc1(cborOut.encode(new Tag([protectedBytes, unprotected, null, signature], 18)))],
    ['signature not bytes', zlibHc1(cborOut.encode(new Tag([protectedBytes, unprotected, payloadBytes, 'sig'], 18)))],
    [
      'kid not bytes',
      zlibHc1(
        await signedCose(
          payloadBytes,
          new Map<number, unknown>([
            [1, -7],
            [4, 'kid'],
          ]),
        ),
      ),
    ],
    ['no kid', zlibHc1(await signedCose(payloadBytes, new Map<number, unknown>([[1, -7]])))],
    [
      'ES384',
      zlibHc1(
        await signedCose(
          payloadBytes,
          new Map<number, unknown>([
            [1, -35],
            [4, Buffer.from(key.kid, 'base64')],
          ]),
        ),
      ),
    ],
    ['payload not CBOR', zlibHc1(await signedCose(Buffer.from('not cbor \xff')))],
    ['payload an array', zlibHc1(await signedCose(cborOut.encode([1, 2, 3])))],
    ['no hcert claim', zlibHc1(await signedCose(cborOut.encode(new Map([[1, 'IN']]))))],
    ['hcert without an EU DCC', zlibHc1(await signedCose(cborOut.encode(new Map<number, unknown>([[-260, new Map([[2, {}]])]]))))],
    ['DCC with no vaccination', zlibHc1(await signedCose(claimsWith(noVaccination)))],
    ['DCC with two vaccinations', zlibHc1(await signedCose(claimsWith({ ...goodDcc, v: [goodDcc.v[0], goodDcc.v[0]] })))],
    ['DCC with a bad date', zlibHc1(await signedCose(claimsWith({ ...goodDcc, v: [{ ...goodDcc.v[0], dt: '18/04/2022' }] })))],
    ['DCC with a bad fnt', zlibHc1(await signedCose(claimsWith({ ...goodDcc, nam: { fnt: 'sharma' } })))],
    ['DCC with a dose as text', zlibHc1(await signedCose(claimsWith({ ...goodDcc, v: [{ ...goodDcc.v[0], dn: '3' }] })))],
    ['DCC with bytes in it', zlibHc1(await signedCose(claimsWith({ ...goodDcc, dob: Buffer.from('1990') })))],
    ['DCC with integer keys', zlibHc1(await signedCose(claimsWith(new Map([[1, 2]]))))],
    ['a test certificate', zlibHc1(await signedCose(claimsWith(testCertificate)))],
    ['exp as text', zlibHc1(await signedCose(claimsWith(goodDcc, [[4, 'tomorrow']])))],
    ['iss as a number', zlibHc1(await signedCose(claimsWith(goodDcc, [[1, 356]])))],
    [
      'no exp',
      zlibHc1(
        await signedCose(
          cborOut.encode(
            new Map<number, unknown>([
              [1, 'IN'],
              [-260, new Map([[1, goodDcc]])],
            ]),
          ),
        ),
      ),
    ],
    ['deep nesting', zlibHc1(Buffer.concat([Buffer.alloc(5000, 0x81), Buffer.from([0])]))],
    ['1 MB', `HC1:${'A'.repeat(1024 * 1024)}`],
    ['1 MB of nothing', 'X'.repeat(1024 * 1024)],
    ['unicode', 'HC1:日本語テキスト🙂'],
    ['unicode after a good prefix', `${issued.payload}é`],
    ['NUL bytes', 'HC1:\u0000\u0000\u0000'],
    ['right-to-left mark', `\u200f${issued.payload}`],
  ];
  t.true(garbage.length >= 30);
  for (const [what, input] of garbage) {
    let result: Verification | undefined;
    await t.notThrowsAsync(async () => {
      result = await euDcc.verify(input, trust, NOW);
    }, what);
    t.is(result?.status, 'malformed', `${what}: ${JSON.stringify(result)}`);
    t.true(result?.status === 'malformed' && result.detail.length > 0, what);
  }
  // Extra members are allowed by the schema (forward compatibility), but `__proto__` pollutes nothing.
  const proto = zlibHc1(
    await signedCose(claimsWith(new Map<string, unknown>([...Object.entries(goodDcc), ['__proto__', { polluted: true }]]))),
  );
  t.like(await euDcc.verify(proto, trust, NOW), { status: 'valid' });
  t.is(({} as Record<string, unknown>).polluted, undefined);
  // Not even a string.
  for (const input of [null, undefined, 42, {}, Buffer.from('HC1:')]) {
    t.like(await euDcc.verify(input as unknown as string, trust, NOW), { status: 'malformed' });
  }
});

test('Base45 matches RFC 9285 and rejects what the RFC says is invalid', (t) => {
  const vectors: [string, string][] = [
    ['AB', 'BB8'],
    ['Hello!!', '%69 VD92EX0'],
    ['base-45', 'UJCLQE7W581'],
    ['ietf!', 'QED8WEX0'],
    ['', ''],
  ];
  for (const [plain, encoded] of vectors) {
    t.is(base45Encode(Buffer.from(plain)), encoded);
    t.is(Buffer.from(base45Decode(encoded)).toString(), plain);
    t.is(npmBase45.encode(Buffer.from(plain)), encoded);
  }
  const bytes = randomBytes(1001);
  t.deepEqual(Buffer.from(base45Decode(base45Encode(bytes))), bytes);
  t.deepEqual(Buffer.from(base45Decode(npmBase45.encode(bytes))), bytes);
  for (const invalid of ['GGW', ':::', 'A', 'ABCD', 'aB8', 'BB8!', 'Z9']) t.throws(() => base45Decode(invalid), undefined, invalid);
});

test('ICAO 9303 names from any script', (t) => {
  const cases: [string, string][] = [
    ['राहुल शर्मा', 'RAHUL<SHARMA'],
    ['सुरेश कुमार', 'SURESH<KUMAR'],
    ['लक्ष्मी', 'LAKSHMI'],
    ['अमित', 'AMIT'],
    ['ਸਿੰਘ', 'SINGH'],
    ['محمد', 'MHMD'],
    ['Олена', 'OLENA'],
    ['Шевченко', 'SHEVCHENKO'],
    ['Юлія Ящук', 'IULIIA<IASHCHUK'],
    ['Jiřina-Maria Alena', 'JIRINA<MARIA<ALENA'],
    ["d'Červenková Panklová", 'DCERVENKOVA<PANKLOVA'],
    ['Müller-Lüdenscheidt', 'MUELLER<LUEDENSCHEIDT'],
    ['Søren Åberg', 'SOEREN<AABERG'],
    ['Straße', 'STRASSE'],
    ['Θεόδωρος', 'THEODOROS'],
    ['  Anne   Marie  ', 'ANNE<MARIE'],
    ["’'", ''],
    ['🙂', 'SLIGHT<SMILE'],
  ];
  for (const [name, expected] of cases) t.is(icaoName(name), expected, name);
  for (const [name] of cases) t.regex(icaoName(name), /^[A-Z<]*$/);
  t.is(icaoName('Wolfeschlegelsteinhausenbergerdorff '.repeat(5)).length, 80);
  t.regex(icaoName('Wolfeschlegelsteinhausenbergerdorff '.repeat(5)), /[A-Z]$/);
});

test('a Devanagari name keeps fn/gn as written and transliterates fnt/gnt', async (t) => {
  const record = makeRecord({ person: { name: 'राहुल शर्मा', familyName: 'शर्मा', givenName: 'राहुल', birthDate: '1985' } });
  const hc1 = await euDcc.issue(record, key);
  const verified = await euDcc.verify(hc1.payload, trust, NOW);
  t.is(verified.status, 'valid');
  const [, , signedPayload] = partsOf(coseOf(hc1.payload));
  const hcert = (cbor.decode(signedPayload) as Map<number, unknown>).get(-260) as Map<number, Map<string, unknown>>;
  const nam = hcert.get(1)!.get('nam') as Map<string, string>;
  t.deepEqual(Object.fromEntries(nam), { fn: 'शर्मा', fnt: 'SHARMA', gn: 'राहुल', gnt: 'RAHUL' });
  t.is(verified.status === 'valid' ? verified.record.name : '', 'राहुल शर्मा');
});

test('codes: from the value sets by brand, and a documented fallback for products they lack', (t) => {
  const plain = (name: string, code: string, manufacturer: string): CertificateDose => ({
    ...dose(1, '2022-01-10', 'L1'),
    vaccine: { code, name, manufacturer, codes: {} },
  });
  t.deepEqual(doseCodes(plain('COVISHIELD', 'covishield', 'Serum Institute of India')), {
    vp: '29061000087103',
    mp: 'Covishield',
    ma: 'ORG-100001981',
  });
  t.deepEqual(doseCodes(plain('COVAXIN', 'covaxin', 'Bharat Biotech')), { vp: '1157024006', mp: 'Covaxin', ma: 'Bharat-Biotech' });
  t.deepEqual(doseCodes(plain('Sputnik V', 'sputnik-v', 'Gamaleya')), {
    vp: '29061000087103',
    mp: 'Sputnik-V',
    ma: 'Gamaleya-Research-Institute',
  });
  // CORBEVAX is in no EU value set: the brand and the maker, in the value sets' spelling.
  t.deepEqual(doseCodes(plain('CORBEVAX', 'corbevax', 'Biological E. Limited')), {
    vp: GENERIC_PROPHYLAXIS,
    mp: 'CORBEVAX',
    ma: 'Biological-E-Limited',
  });
  // A deprecated tenant code is refused at issue rather than written into a certificate.
  const deprecated = plain('Nuvaxovid', 'novavax', 'Novavax');
  deprecated.vaccine.codes.euProduct = 'NVX-CoV2373';
  t.throws(() => doseCodes(deprecated), { message: /deprecated/ });
  // The deprecated ATC code J07BX03 is not used; an active SNOMED code from the tenant is.
  const atc = plain('COVISHIELD', 'covishield', 'Serum Institute of India');
  atc.vaccine.codes.snomed = 'J07BX03';
  t.is(doseCodes(atc).vp, '29061000087103');
  atc.vaccine.codes.snomed = '28531000087107';
  t.is(doseCodes(atc).vp, '28531000087107');
});

test('a CORBEVAX certificate issues, passes the schema and verifies', async (t) => {
  const corbevax = (n: number, date: string): CertificateDose => ({
    ...dose(n, date, `CB${n}`),
    vaccine: { code: 'corbevax', name: 'CORBEVAX', manufacturer: 'Biological E. Limited', codes: { icd11: 'XM1J92' } },
  });
  const hc1 = await euDcc.issue(makeRecord({ doses: [corbevax(1, '2022-03-16'), corbevax(2, '2022-04-13')], kind: 'final' }), key);
  const result = await euDcc.verify(hc1.payload, trust, NOW);
  t.is(result.status, 'valid');
  t.deepEqual(result.status === 'valid' ? result.record.doses : [], [
    { doseNumber: 2, totalDoses: 2, date: '2022-04-13', vaccine: 'CORBEVAX', country: 'IN' },
  ]);
});

test('issue refuses what cannot be a valid EU DCC', async (t) => {
  const ed = generateKeyPairSync('ed25519');
  await t.throwsAsync(euDcc.issue(makeRecord(), { kid: 'x', algorithm: 'Ed25519', ...ed }));
  await t.throwsAsync(euDcc.issue(makeRecord(), { ...key, kid: other.key.kid }), { message: /not the DSC/ });
  await t.throwsAsync(euDcc.issue(makeRecord({ doses: [] }), key), { message: /needs a dose/ });
  await t.throwsAsync(euDcc.issue(makeRecord({ certificateId: 'teeka-123' }), key), { message: /not a UVCI/ });
  await t.throwsAsync(euDcc.issue(makeRecord({ certificateId: 'A'.repeat(70) }), key), { message: /longer than 80/ });
  await t.throwsAsync(euDcc.issue(makeRecord({ certificateId: 'URN:UVCI:01:IN:tk-1#K' }), key), { message: /not a UVCI/ });
  await t.throwsAsync(euDcc.issue(makeRecord({ person: { name: "’'", familyName: "’'", birthDate: '1990' } }), key), {
    message: /no ICAO 9303 letters/,
  });
  await t.throwsAsync(euDcc.issue(makeRecord({ person: { name: 'A B', familyName: 'B', givenName: 'A', birthDate: '17/05/1990' } }), key), {
    message: /schema/,
  });
  // Without a DSC the kid must be 8 bytes already.
  const { certificate: _c, ...bare } = key;
  t.is((await euDcc.verify((await euDcc.issue(makeRecord(), bare)).payload, trust, NOW)).status, 'valid');
  await t.throwsAsync(euDcc.issue(makeRecord(), { ...bare, kid: 'AAAA' }), { message: /8 bytes/ });
});

import { createHash, generateKeyPairSync, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { fromJwk } from '@digitalbazaar/ed25519-multikey';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { verifyCredential } from '@digitalbazaar/vc';
import test, { type ExecutionContext } from 'ava';
import jsonld, { type DocumentLoader } from 'jsonld';
import QRCode from 'qrcode';
import { ed25519Multibase } from '../../src/certificates/formats/vc/contexts.js';
import {
  MAX_PAYLOAD_BYTES,
  QR_BYTE_CAPACITY_M,
  staticDocumentLoader,
  vcVerificationMethodId,
  verifiableCredential,
} from '../../src/certificates/formats/vc.js';
import type { CertificateRecord, SigningKey, TrustList, Verification } from '../../src/certificates/record.js';

/**
 * The W3C VC 2.0 / eddsa-rdfc-2022 format: issued credentials verify with our verifier, with
 * @digitalbazaar/vc given its own loader, and by recomputing the Data Integrity hash and checking
 * the Ed25519 signature with node:crypto; any change to a signed byte stops it verifying; revoked,
 * unknown keys and malformed input get their own answers, never a throw; nothing touches the network.
 */

// ---- no network: any attempt is recorded (and fails the test that made it) ----
const networkAttempts: string[] = [];
globalThis.fetch = (async (input: unknown) => {
  networkAttempts.push(`fetch ${String(input)}`);
  throw new Error('network access in a certificate test');
}) as typeof fetch;
subscribe('net.client.socket', () => networkAttempts.push('socket'));
subscribe('undici:request:create', () => networkAttempts.push('undici request'));
const noNetwork = (t: ExecutionContext) => t.deepEqual(networkAttempts, [], 'no network access');

// biome-ignore lint/suspicious/noExplicitAny: the tests edit parsed credentials freely
type Loose = Record<string, any>;

const ISSUER = 'https://certificates.teeka.example/in';
const NOW = new Date('2023-01-10T12:00:00Z');

function ed25519Key(issuerUrl = ISSUER): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid: vcVerificationMethodId(issuerUrl, publicKey), algorithm: 'Ed25519', privateKey, publicKey };
}

const key = ed25519Key();
const rotatedKey = ed25519Key();
const strangerKey = ed25519Key();

function trustOf(keys: SigningKey[], revoked: string[] = []): TrustList {
  return {
    country: 'IN',
    issuerUrl: ISSUER,
    keys: keys.map((k) => ({ kid: k.kid, algorithm: k.algorithm, publicKey: k.publicKey })),
    revoked: new Set(revoked),
  };
}
const trust = trustOf([key, rotatedKey]);

const covishield = {
  code: 'covishield',
  name: 'COVISHIELD',
  manufacturer: 'Serum Institute of India',
  marketingAuthorisationHolder: 'Serum Institute of India Pvt. Ltd.',
  codes: { icd11: 'XM9QW8', euProduct: 'Covishield' },
};
const covaxin = { code: 'covaxin', name: 'COVAXIN', manufacturer: 'Bharat Biotech', codes: { icd11: 'XM1NL1' } };

const record: CertificateRecord = {
  certificateId: 'IN-2022-0000417-K',
  version: 1,
  kind: 'booster',
  issuedAt: '2022-03-15T09:30:00.000Z',
  validUntil: '2027-03-15T09:30:00.000Z',
  issuer: { name: 'Ministry of Health and Family Welfare', country: 'IN', url: ISSUER },
  person: { name: 'अनन्या शर्मा', familyName: 'शर्मा', givenName: 'अनन्या', birthDate: '1990-04-12', sex: 'female' },
  doses: [
    {
      doseNumber: 1,
      totalDoses: 2,
      date: '2021-06-02',
      vaccine: covishield,
      lotNumber: '4121Z025',
      country: 'IN',
      centre: { id: 1001, name: 'KEM Hospital, Pune' },
      practitioner: 'सीमा पाटील',
    },
    {
      doseNumber: 2,
      totalDoses: 2,
      date: '2021-09-01',
      vaccine: covishield,
      lotNumber: '4121Z131',
      country: 'IN',
      centre: { id: 1001, name: 'KEM Hospital, Pune' },
    },
    {
      doseNumber: 3,
      totalDoses: 2,
      date: '2022-03-14',
      vaccine: covaxin,
      lotNumber: 'BB21A117',
      country: 'IN',
      centre: { id: 1101, name: 'Sassoon General Hospital' },
    },
  ],
};

const issued = verifiableCredential.issue(record, key);
const vcOf = async () => JSON.parse((await issued).payload) as Loose;

// ---- an independent loader: the shipped files read here, keys described by the Multikey library ----
const CONTEXT_FILES: Record<string, string> = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.json',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.json',
  'https://www.w3.org/ns/did/v1': 'did-v1.json',
  'https://teeka.example/contexts/vaccination/v1': 'teeka-vaccination-v1.json',
};
const CONTEXT_DIR = new URL('../../../src/certificates/formats/vc/contexts/', import.meta.url);

async function independentLoader(publicKey: KeyObject, kid: string): Promise<DocumentLoader> {
  const multikey = await fromJwk({ jwk: publicKey.export({ format: 'jwk' }), id: kid, controller: ISSUER });
  const method = {
    '@context': 'https://w3id.org/security/multikey/v1',
    id: kid,
    type: 'Multikey',
    controller: ISSUER,
    publicKeyMultibase: multikey.publicKeyMultibase,
  };
  const controller = { '@context': 'https://www.w3.org/ns/did/v1', id: ISSUER, assertionMethod: [kid] };
  return async (url) => {
    const file = CONTEXT_FILES[url];
    if (file) return { contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(new URL(file, CONTEXT_DIR), 'utf8')) };
    if (url === kid) return { contextUrl: null, documentUrl: url, document: method };
    if (url === ISSUER) return { contextUrl: null, documentUrl: url, document: controller };
    throw new Error(`test loader: no document for ${url}`);
  };
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58Decode(text: string): Buffer {
  let value = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    if (digit < 0) throw new Error(`not base58: ${char}`);
    value = value * 58n + BigInt(digit);
  }
  const hex = value === 0n ? '' : value.toString(16);
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  const zeros = text.length - text.replace(/^1+/u, '').length;
  return Buffer.concat([Buffer.alloc(zeros), bytes]);
}

/**
 * eddsa-rdfc-2022 by hand (VC Data Integrity EdDSA Cryptosuites v1.0, section 3.2): RDFC-1.0
 * canonical N-Quads of the proof options (with the credential's @context) and of the credential
 * without its proof, SHA-256 of each, proof hash first; Ed25519 over that, checked by node:crypto.
 */
async function verifyByHand(vc: Loose, publicKey: KeyObject, loader: DocumentLoader): Promise<boolean> {
  const { proof, ...document } = vc;
  const { proofValue, ...options } = proof;
  const canonical = (input: unknown) =>
    jsonld.canonize(input, { algorithm: 'RDFC-1.0', format: 'application/n-quads', safe: true, base: null, documentLoader: loader });
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  const hashData = Buffer.concat([sha256(await canonical({ '@context': vc['@context'], ...options })), sha256(await canonical(document))]);
  if (typeof proofValue !== 'string' || !proofValue.startsWith('z')) return false;
  return nodeVerify(null, hashData, publicKey, base58Decode(proofValue.slice(1)));
}

const verify = (payload: string, trustList = trust, now = NOW) => verifiableCredential.verify(payload, trustList, now);
const isNotValid = (answer: Verification) => answer.status !== 'valid' && answer.status !== 'revoked';

test('issues a VC 2.0 with Data Integrity eddsa-rdfc-2022 that our verifier accepts', async (t) => {
  const { payload, format } = await issued;
  t.is(format, 'w3c-vc');
  const vc = await vcOf();
  t.deepEqual(vc['@context'], ['https://www.w3.org/ns/credentials/v2', 'https://teeka.example/contexts/vaccination/v1']);
  t.deepEqual(vc.type, ['VerifiableCredential', 'VaccinationCertificate']);
  t.is(vc.id, 'urn:teeka:IN-2022-0000417-K');
  t.deepEqual(vc.issuer, { id: ISSUER, name: 'Ministry of Health and Family Welfare', country: 'IN' });
  t.is(vc.validFrom, '2022-03-15T09:30:00Z');
  t.is(vc.validUntil, '2027-03-15T09:30:00Z');
  t.is(vc.credentialSubject.name, 'अनन्या शर्मा');
  t.deepEqual(
    vc.credentialSubject.vaccination.map((event: Loose) => [event.dose, event.totalDoses, event.date, event.vaccine, event.batch]),
    [
      [1, 2, '2021-06-02', 'COVISHIELD', '4121Z025'],
      [2, 2, '2021-09-01', 'COVISHIELD', '4121Z131'],
      [3, 2, '2022-03-14', 'COVAXIN', 'BB21A117'],
    ],
  );
  t.like(vc.proof, {
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-rdfc-2022',
    created: '2022-03-15T09:30:00Z',
    verificationMethod: key.kid,
    proofPurpose: 'assertionMethod',
  });
  t.regex(key.kid, /^https:\/\/certificates\.teeka\.example\/in#z6Mk[1-9A-HJ-NP-Za-km-z]+$/u);
  t.regex(vc.proof.proofValue, /^z[1-9A-HJ-NP-Za-km-z]{80,90}$/u);

  const answer = await verify(payload);
  t.deepEqual(answer, {
    status: 'valid',
    format: 'w3c-vc',
    record: {
      certificateId: 'IN-2022-0000417-K',
      name: 'अनन्या शर्मा',
      birthDate: '1990-04-12',
      doses: [
        { doseNumber: 1, totalDoses: 2, date: '2021-06-02', vaccine: 'COVISHIELD', country: 'IN' },
        { doseNumber: 2, totalDoses: 2, date: '2021-09-01', vaccine: 'COVISHIELD', country: 'IN' },
        { doseNumber: 3, totalDoses: 2, date: '2022-03-14', vaccine: 'COVAXIN', country: 'IN' },
      ],
      issuedAt: '2022-03-15T09:30:00Z',
    },
  });
  // Deterministic: the same record and key give the same credential (Ed25519 is deterministic).
  t.is((await verifiableCredential.issue(record, key)).payload, payload);
  noNetwork(t);
});

test('only the shipped contexts are static (jsonld keeps them for the process); trust-list documents are served per call', async (t) => {
  const method = { id: key.kid, controller: ISSUER, publicKeyMultibase: ed25519Multibase(key.publicKey)! };
  const loader = staticDocumentLoader([method]);
  for (const url of ['https://www.w3.org/ns/credentials/v2', 'https://teeka.example/contexts/vaccination/v1']) {
    t.is((await loader(url)).tag, 'static', url);
  }
  // A tenant's keys must never land in jsonld's process-wide cache: another trust list would see them.
  t.is((await loader(key.kid)).tag, undefined);
  t.is((await loader(ISSUER)).tag, undefined);
  await t.throwsAsync(loader('https://example.org/other-context'));
  // Cached or not, the credential is the same bytes, and it verifies.
  const again = await verifiableCredential.issue(record, key);
  t.is(again.payload, (await issued).payload);
  t.is((await verify(again.payload)).status, 'valid');
});

test('its canonical N-Quads are those the unpatched jsonld gave (our jsonld patch changes speed, not meaning)', async (t) => {
  // patches/jsonld+9.0.0.patch stops jsonld deep-copying active contexts. The fixture was written
  // by jsonld 9.0.0 as published: every verifier outside Teeka must hash the same statements.
  const { proof: _proof, ...document } = await vcOf();
  const canonical = await jsonld.canonize(document, {
    algorithm: 'RDFC-1.0',
    format: 'application/n-quads',
    safe: true,
    base: null,
    documentLoader: staticDocumentLoader(),
  });
  t.is(canonical, readFileSync(new URL('../../../test/certificates/fixtures/vc-canonical.nq', import.meta.url), 'utf8'));
  // Twice more, after the contexts are cached and shared: still the same statements.
  for (let round = 0; round < 2; round++)
    t.is(
      await jsonld.canonize(document, {
        algorithm: 'RDFC-1.0',
        format: 'application/n-quads',
        safe: true,
        base: null,
        documentLoader: staticDocumentLoader(),
      }),
      canonical,
    );
});

test('@digitalbazaar/vc verifies it with an independent loader, and so does a hand-made eddsa-rdfc-2022 check', async (t) => {
  const vc = await vcOf();
  const loader = await independentLoader(key.publicKey, key.kid);
  const result = await verifyCredential({
    credential: vc,
    suite: new DataIntegrityProof({ cryptosuite }),
    documentLoader: loader,
    now: NOW,
  });
  t.true(result.verified, String(result.error));
  t.true(await verifyByHand(vc, key.publicKey, loader));

  // Both independent routes also reject a change.
  const changed = { ...vc, credentialSubject: { ...vc.credentialSubject, birthDate: '1990-04-13' } };
  t.false(
    (await verifyCredential({ credential: changed, suite: new DataIntegrityProof({ cryptosuite }), documentLoader: loader, now: NOW }))
      .verified,
  );
  t.false(await verifyByHand(changed, key.publicKey, loader));
  t.false(await verifyByHand(vc, rotatedKey.publicKey, loader));
  noNetwork(t);
});

test('tampering with a field, the proof value or the verification method never verifies', async (t) => {
  const vc = await vcOf();
  const tampered: [string, (vc: Loose) => void][] = [
    [
      'name',
      (c) => {
        c.credentialSubject.name = 'अनन्या वर्मा';
      },
    ],
    [
      'family name',
      (c) => {
        c.credentialSubject.familyName = 'वर्मा';
      },
    ],
    [
      'birth date',
      (c) => {
        c.credentialSubject.birthDate = '1991-04-12';
      },
    ],
    [
      'a dose date',
      (c) => {
        c.credentialSubject.vaccination[1].date = '2021-09-02';
      },
    ],
    [
      'a batch',
      (c) => {
        c.credentialSubject.vaccination[0].batch = '4121Z026';
      },
    ],
    ['dose order', (c) => c.credentialSubject.vaccination.reverse()],
    ['a dropped dose', (c) => c.credentialSubject.vaccination.pop()],
    [
      'certificate id and id',
      (c) => {
        c.certificateId = 'IN-2022-0000418-K';
        c.id = 'urn:teeka:IN-2022-0000418-K';
      },
    ],
    [
      'validUntil',
      (c) => {
        c.validUntil = '2037-03-15T09:30:00Z';
      },
    ],
    ['validUntil removed', (c) => delete c.validUntil],
    [
      'issuer name',
      (c) => {
        c.issuer.name = 'Someone Else';
      },
    ],
    [
      'proof created',
      (c) => {
        c.proof.created = '2022-03-15T09:30:01Z';
      },
    ],
    [
      'proof value',
      (c) => {
        c.proof.proofValue = `z${c.proof.proofValue.slice(1, -1)}${c.proof.proofValue.endsWith('a') ? 'b' : 'a'}`;
      },
    ],
    [
      'verification method: another trusted key',
      (c) => {
        c.proof.verificationMethod = rotatedKey.kid;
      },
    ],
    [
      'verification method: unknown key',
      (c) => {
        c.proof.verificationMethod = strangerKey.kid;
      },
    ],
  ];
  for (const [what, change] of tampered) {
    const copy = structuredClone(vc);
    change(copy);
    const answer = await verify(JSON.stringify(copy));
    t.true(isNotValid(answer), `${what}: ${JSON.stringify(answer)}`);
  }
  const byName = async (change: (vc: Loose) => void) => {
    const copy = structuredClone(vc);
    change(copy);
    return (await verify(JSON.stringify(copy))).status;
  };
  t.is(
    await byName((c) => {
      c.credentialSubject.name = 'Ananya Verma';
    }),
    'invalid-signature',
  );
  t.is(
    await byName((c) => {
      c.proof.verificationMethod = rotatedKey.kid;
    }),
    'invalid-signature',
  );
  t.is(
    await byName((c) => {
      c.proof.verificationMethod = strangerKey.kid;
    }),
    'unknown-issuer',
  );
  noNetwork(t);
});

test('changing any single character of the payload never verifies', async (t) => {
  const { payload } = await issued;
  const statuses = new Map<string, number>();
  for (let index = 0; index < payload.length; index++) {
    const char = payload[index]!;
    // Same character class where possible, so most variants are still JSON and reach the signature.
    const replacement = /[0-8]/u.test(char)
      ? String(Number(char) + 1)
      : char === '9'
        ? '8'
        : /[a-y]/iu.test(char)
          ? String.fromCharCode(char.charCodeAt(0) + 1)
          : char === 'z'
            ? 'y'
            : 'x';
    const answer = await verify(payload.slice(0, index) + replacement + payload.slice(index + 1));
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    if (!isNotValid(answer)) t.fail(`changing character ${index} (${char} -> ${replacement}) still verifies`);
  }
  t.log(JSON.stringify(Object.fromEntries(statuses)));
  t.true((statuses.get('invalid-signature') ?? 0) > 100, JSON.stringify([...statuses]));
  noNetwork(t);
});

test('a revoked certificate is revoked, with its record', async (t) => {
  const { payload } = await issued;
  const answer = await verify(payload, trustOf([key], ['IN-2022-0000417-K']));
  t.is(answer.status, 'revoked');
  if (answer.status === 'revoked') t.is(answer.record.certificateId, 'IN-2022-0000417-K');
  t.is((await verify(payload, trustOf([key], ['IN-2022-0000416-K']))).status, 'valid');
});

test('keys and issuers the trust list does not hold are unknown; a forged signature with a trusted kid is invalid', async (t) => {
  const byStranger = await verifiableCredential.issue(record, strangerKey);
  t.like(await verify(byStranger.payload), { status: 'unknown-issuer' });
  t.like(await verify((await issued).payload, trustOf([rotatedKey])), { status: 'unknown-issuer' });

  const forged = await verifiableCredential.issue(record, { ...strangerKey, kid: key.kid });
  t.like(await verify(forged.payload), { status: 'invalid-signature' });

  const otherIssuer = await verifiableCredential.issue(
    { ...record, issuer: { ...record.issuer, url: 'https://certificates.other.example' } },
    key,
  );
  t.like(await verify(otherIssuer.payload), { status: 'unknown-issuer' });

  // A key outside its validity window does not verify what it signed.
  const withWindow = (notBefore?: string, notAfter?: string): TrustList => ({
    ...trust,
    keys: [{ kid: key.kid, algorithm: 'Ed25519', publicKey: key.publicKey, notBefore, notAfter }],
  });
  const { payload } = await issued;
  t.is((await verify(payload, withWindow('2022-01-01T00:00:00Z', '2024-01-01T00:00:00Z'))).status, 'valid');
  t.is((await verify(payload, withWindow('2022-06-01T00:00:00Z'))).status, 'unknown-issuer');
  t.is((await verify(payload, withWindow(undefined, '2022-03-01T00:00:00Z'))).status, 'unknown-issuer');

  // An ES256 key listed under the same kid is not an Ed25519 verification method.
  const { publicKey: ecKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  t.is((await verify(payload, { ...trust, keys: [{ kid: key.kid, algorithm: 'ES256', publicKey: ecKey }] })).status, 'unknown-issuer');
  t.is((await verify(payload, { ...trust, keys: [{ kid: key.kid, algorithm: 'Ed25519', publicKey: ecKey }] })).status, 'unknown-issuer');
  await t.throwsAsync(verifiableCredential.issue(record, { ...key, algorithm: 'ES256' }));
  noNetwork(t);
});

test('expired after validUntil, and not valid before validFrom', async (t) => {
  const { payload } = await issued;
  t.like(await verify(payload, trust, new Date('2027-03-15T09:30:01Z')), { status: 'expired' });
  t.like(await verify(payload, trust, new Date('2022-03-15T09:29:00Z')), { status: 'expired' });
  t.is((await verify(payload, trust, new Date('2027-03-15T09:29:59Z'))).status, 'valid');
  const open = await verifiableCredential.issue({ ...record, validUntil: undefined }, key);
  t.false('validUntil' in JSON.parse(open.payload));
  t.is((await verify(open.payload, trust, new Date('2099-01-01T00:00:00Z'))).status, 'valid');
});

test('malformed input of any kind is malformed, with a detail, and never throws', async (t) => {
  const vc = await vcOf();
  const variant = (change: (c: Loose) => void) => {
    const copy = structuredClone(vc);
    change(copy);
    return JSON.stringify(copy);
  };
  const inputs: [string, unknown][] = [
    ['empty', ''],
    ['not JSON', 'this is not a certificate'],
    ['truncated JSON', (await issued).payload.slice(0, 200)],
    [
      'an EU DCC',
      'HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4.OI1RM8ZA.A5:S9MKN4NN3F85QNCY0O%0VZ001HOC9JU0D0HT0HB2PL/IB*09B9LW4T*8+DCMH0LDK2%K:XFE70*LP$V25$0Q:J:4MO1P0%0L0HD+9E/HY+4J6TH48S%4K.GJ2PT3QY:GQ3TE2I+-CPHN6D7LLK*2HG%89UV-0LZ 2ZJJ524-LH/CJTK96L6SR9MU9DHGZ%P WUQRENS431T1XCNCF+47AY0-IFO0500TGPN8F5G.41Q2E4T8ALW.INSV$ 07UV5SR+BNQHNML7 /KD3TU 4V*CAT3ZGLQMI/XI%ZJNSBBXK2:UG%UJMI:TU+MMPZ5$/PMX19UE:-PSR3/$NU44CBE6DQ3D7B0FBOFX0DV2DGMB$YPF62I$60/F$Z2I6IFX21XNI-LM%3/DF/U6Z9FEOJVRLVW6K$UG+BKK57:1+D10%4K83F+1VWD1NE',
    ],
    ['a number', '42'],
    ['null', 'null'],
    ['a JSON string', JSON.stringify((await issued).payload)],
    ['a JSON array', '[]'],
    ['the VC in an array', `[${(await issued).payload}]`],
    ['an empty object', '{}'],
    ['a VC without proof', variant((c) => delete c.proof)],
    [
      'a proof set',
      variant((c) => {
        c.proof = [c.proof];
      }),
    ],
    ['proof without proofValue', variant((c) => delete c.proof.proofValue)],
    [
      'proof value not multibase',
      variant((c) => {
        c.proof.proofValue = 'not-base58!';
      }),
    ],
    [
      'unknown cryptosuite',
      variant((c) => {
        c.proof.cryptosuite = 'eddsa-jcs-2022';
      }),
    ],
    [
      'a legacy proof type',
      variant((c) => {
        c.proof.type = 'Ed25519Signature2020';
      }),
    ],
    [
      'another proof purpose',
      variant((c) => {
        c.proof.proofPurpose = 'authentication';
      }),
    ],
    [
      'wrong context',
      variant((c) => {
        c['@context'] = ['https://www.w3.org/2018/credentials/v1', 'https://teeka.example/contexts/vaccination/v1'];
      }),
    ],
    ['a context to fetch', variant((c) => c['@context'].push('https://evil.example/context.jsonld'))],
    [
      'an inline context',
      variant((c) => {
        c['@context'] = [c['@context'][0], { name: 'https://evil.example/name' }];
      }),
    ],
    [
      'context as a string',
      variant((c) => {
        c['@context'] = 'https://www.w3.org/ns/credentials/v2';
      }),
    ],
    ['missing type', variant((c) => delete c.type)],
    [
      'other type',
      variant((c) => {
        c.type = ['VerifiableCredential'];
      }),
    ],
    [
      'an extra unknown term',
      variant((c) => {
        c.favouriteColour = 'blue';
      }),
    ],
    [
      'an extra unknown term in the subject',
      variant((c) => {
        c.credentialSubject.bloodGroup = 'B+';
      }),
    ],
    [
      'an extra term in a dose',
      variant((c) => {
        c.credentialSubject.vaccination[0]['@id'] = 'urn:x';
      }),
    ],
    [
      'a JSON-LD keyword at the top',
      variant((c) => {
        c['@graph'] = [];
      }),
    ],
    ['no subject', variant((c) => delete c.credentialSubject)],
    [
      'subject is a string',
      variant((c) => {
        c.credentialSubject = 'did:example:123';
      }),
    ],
    [
      'no doses',
      variant((c) => {
        c.credentialSubject.vaccination = [];
      }),
    ],
    [
      'dose as a string',
      variant((c) => {
        c.credentialSubject.vaccination[0].dose = '1';
      }),
    ],
    [
      'dose 0',
      variant((c) => {
        c.credentialSubject.vaccination[0].dose = 0;
      }),
    ],
    [
      'impossible date',
      variant((c) => {
        c.credentialSubject.vaccination[0].date = '2021-02-30';
      }),
    ],
    [
      'birth date in another form',
      variant((c) => {
        c.credentialSubject.birthDate = '12/04/1990';
      }),
    ],
    [
      'validFrom not a date',
      variant((c) => {
        c.validFrom = 'yesterday';
      }),
    ],
    ['issuer without id', variant((c) => delete c.issuer.id)],
    [
      'issuer id relative',
      variant((c) => {
        c.issuer.id = '/in';
      }),
    ],
    [
      'verification method relative',
      variant((c) => {
        c.proof.verificationMethod = '#key-1';
      }),
    ],
    [
      'id not matching the certificate id',
      variant((c) => {
        c.id = 'urn:uuid:7c2b5c1e-1f0a-4b59-9d0e-2f7f4c8f2a11';
      }),
    ],
    ['a huge input', JSON.stringify({ ...vc, padding: 'x'.repeat(2_000_000) })],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    [
      'a lone surrogate name',
      variant((c) => {
        c.credentialSubject.name = '\ud800';
      }),
    ],
    ['not a string at all', 12345],
    ['undefined', undefined],
  ];
  t.true(inputs.length >= 20);
  for (const [what, input] of inputs) {
    let answer: Verification | undefined;
    await t.notThrowsAsync(async () => {
      answer = await verifiableCredential.verify(input as string, trust, NOW);
    }, what);
    t.is(answer?.status, 'malformed', `${what}: ${JSON.stringify(answer)}`);
    if (answer?.status === 'malformed') t.true(answer.detail.length > 0, what);
  }
  noNetwork(t);
});

test('the QR: one byte segment at ECC M when the VC fits a QR, none when it does not', async (t) => {
  // Three doses and a Devanagari name still fit a version 40 symbol (2,331 bytes at ECC M).
  const { payload, qr } = await issued;
  t.true(Buffer.byteLength(payload) <= QR_BYTE_CAPACITY_M, `${Buffer.byteLength(payload)} bytes`);
  t.deepEqual(qr, [{ segments: [{ data: payload, mode: 'byte' }], errorCorrection: 'M' }]);
  const symbol = QRCode.create([{ data: Buffer.from(payload), mode: 'byte' }], { errorCorrectionLevel: 'M' });
  t.true(symbol.version <= 40);

  // A longer history with a travel document does not: no QR at all (the PDF and the API carry it).
  const extra = [4, 5, 6].map((doseNumber) => ({
    ...record.doses[2]!,
    doseNumber,
    date: `2023-0${doseNumber}-01`,
    practitioner: 'डॉ. सीमा पाटील',
  }));
  const large = await verifiableCredential.issue(
    { ...record, person: { ...record.person, identifier: { type: 'PPN', value: 'Z1234567' } }, doses: [...record.doses, ...extra] },
    key,
  );
  t.true(Buffer.byteLength(large.payload) > QR_BYTE_CAPACITY_M, `${Buffer.byteLength(large.payload)} bytes`);
  t.deepEqual(large.qr, []);
  t.throws(() => QRCode.create([{ data: Buffer.from(large.payload), mode: 'byte' }], { errorCorrectionLevel: 'M' }));
  t.is((await verify(large.payload)).status, 'valid');
  t.true(MAX_PAYLOAD_BYTES > Buffer.byteLength(large.payload));
});

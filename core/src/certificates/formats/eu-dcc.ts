import { X509Certificate } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  type CertificateDose,
  type CertificateFormat,
  type CertificateRecord,
  COVID_19,
  type Issued,
  type SigningKey,
  type TrustList,
  type Verification,
  type VerifiedRecord,
} from '../record.js';
import { Base45Error, base45Decode, base45Encode } from './eu-dcc/base45.js';
import { cwtClaims, ES256, kidOf, MalformedError, parseClaims, parseSign1, signSign1, verifySign1 } from './eu-dcc/cose.js';
import { icaoName } from './eu-dcc/icao-name.js';
import { doseCodes, entryOf, euDccData, schemaErrors } from './eu-dcc/value-sets.js';

/**
 * The EU Digital COVID Certificate (HCERT, `HC1:`), which the WHO's Global Digital Health
 * Certification Network took over: payload schema 1.3.x with exactly one vaccination (the
 * latest dose), in CWT claims, signed as a COSE_Sign1 with ES256 by a document signing
 * certificate (DSC) that the kid names, then zlib, Base45 and the `HC1:` prefix, drawn as one
 * alphanumeric QR segment at error correction Q.
 */
const PREFIX = 'HC1:';
const SCHEMA_VERSION = '1.3.0';
const YEAR_MS = 365 * 24 * 3600_000;
/** A QR holds at most 4296 alphanumeric characters; anything longer did not come from one. */
const MAX_LENGTH = 8192;
/** Certificates inflate to a few hundred bytes: refuse zip bombs. */
const MAX_INFLATED = 64 * 1024;
/** A UVCI's characters; the Luhn mod N check character after `#` may itself be `/` or `:`. */
const UVCI_CHARACTERS = /^[A-Z0-9][A-Z0-9/#:]*$/;
const UVCI = /^URN:UVCI:01[:/]([A-Z]{2})[:/](.+)$/;

export const euDcc: CertificateFormat = {
  id: 'eu-dcc',
  algorithm: 'ES256',

  async issue(record: CertificateRecord, key: SigningKey): Promise<Issued> {
    const kid = kidBytes(key);
    const payload = dccPayload(record);
    const issuedAt = Date.parse(record.issuedAt);
    const expires = record.validUntil ? Date.parse(record.validUntil) : issuedAt + YEAR_MS;
    if (Number.isNaN(issuedAt) || Number.isNaN(expires)) throw new Error('EU DCC: issuedAt and validUntil must be ISO instants');
    const claims = cwtClaims({
      iss: record.issuer.country,
      iat: Math.floor(issuedAt / 1000),
      exp: Math.floor(expires / 1000),
      payload,
    });
    const cose = signSign1(claims, kid, key.privateKey);
    const text = PREFIX + base45Encode(deflateSync(cose, { level: 9 }));
    return { format: 'eu-dcc', payload: text, qr: [{ segments: [{ data: text, mode: 'alphanumeric' }], errorCorrection: 'Q' }] };
  },

  async verify(payload: string, trust: TrustList, now: Date = new Date()): Promise<Verification> {
    try {
      return verifyHc1(payload, trust, now);
    } catch (error) {
      if (error instanceof MalformedError) return { status: 'malformed', format: 'eu-dcc', detail: error.message };
      return { status: 'malformed', format: 'eu-dcc', detail: `could not be read (${(error as Error)?.message ?? String(error)})` };
    }
  },
};

/** The EU DCC payload (schema 1.3.x) for a record: its latest dose, since a certificate carries one. */
export function dccPayload(record: CertificateRecord): Record<string, unknown> {
  const dose = latestDose(record.doses);
  const data = euDccData();
  const country = dose.country;
  if (!entryOf(data.countries, country)) throw new Error(`EU DCC: country of vaccination "${country}" is not in country-2-codes`);
  if (!entryOf(data.diseases, COVID_19.snomed)) throw new Error('EU DCC: the disease value set lacks COVID-19');
  const { vp, mp, ma } = doseCodes(dose);
  const payload = {
    ver: SCHEMA_VERSION,
    nam: personName(record.person),
    dob: record.person.birthDate,
    v: [
      {
        tg: COVID_19.snomed,
        vp,
        mp,
        ma,
        dn: dose.doseNumber,
        sd: dose.totalDoses,
        dt: dose.date,
        co: country,
        is: codePoints(record.issuer.name, 80),
        ci: uvci(record),
      },
    ],
  };
  const errors = schemaErrors(payload);
  if (errors.length > 0) throw new Error(`EU DCC payload fails schema 1.3: ${errors.join('; ')}`);
  return payload;
}

function latestDose(doses: CertificateDose[]): CertificateDose {
  const latest = [...doses].sort((a, b) => a.doseNumber - b.doseNumber || a.date.localeCompare(b.date)).at(-1);
  if (!latest) throw new Error('EU DCC: a vaccination certificate needs a dose');
  return latest;
}

function personName(person: CertificateRecord['person']): Record<string, string> {
  const name: Record<string, string> = {};
  const fnt = icaoName(person.familyName);
  const gnt = person.givenName ? icaoName(person.givenName) : '';
  if (!fnt && !gnt) throw new Error(`EU DCC: the name "${person.name}" gives no ICAO 9303 letters`);
  if (person.familyName) name.fn = codePoints(person.familyName, 80);
  if (fnt) name.fnt = fnt;
  if (person.givenName) name.gn = codePoints(person.givenName, 80);
  if (gnt) name.gnt = gnt;
  return name;
}

/**
 * The `ci`: the platform's certificate ids are already UVCIs (`URN:UVCI:01:IN:TK...#K`) and are
 * kept as they are; a bare id becomes `URN:UVCI:01:<CC>:<id>`, check character and all.
 */
function uvci(record: CertificateRecord): string {
  const id = record.certificateId;
  const ci = id.startsWith('URN:UVCI:') ? id : `URN:UVCI:01:${record.issuer.country}:${id}`;
  const opaque = UVCI.exec(ci)?.[2];
  if (!opaque || !UVCI_CHARACTERS.test(opaque)) {
    throw new Error(`EU DCC: certificate id "${id}" is not a UVCI (A-Z, 0-9 and the separators / # : only)`);
  }
  if (ci.length > 80) throw new Error(`EU DCC: UVCI "${ci}" is longer than 80 characters`);
  return ci;
}

const codePoints = (text: string, max: number) => [...text].slice(0, max).join('');

function kidBytes(key: SigningKey): Buffer {
  if (key.algorithm !== 'ES256') throw new Error(`EU DCC signs with ES256, not ${key.algorithm}`);
  const curve = key.privateKey.asymmetricKeyDetails?.namedCurve;
  if (key.privateKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') throw new Error('EU DCC: the key must be EC P-256');
  if (!key.certificate) {
    const kid = Buffer.from(key.kid, 'base64');
    if (kid.length !== 8) throw new Error('EU DCC: without a DSC, key.kid must be base64 of 8 bytes');
    return kid;
  }
  const kid = kidOf(key.certificate);
  if (key.kid && !Buffer.from(key.kid, 'base64').equals(kid)) {
    throw new Error(`EU DCC: key.kid ${key.kid} is not the DSC's (${kid.toString('base64')})`);
  }
  return kid;
}

function verifyHc1(text: unknown, trust: TrustList, now: Date): Verification {
  const malformed = (detail: string): Verification => ({ status: 'malformed', format: 'eu-dcc', detail });
  if (typeof text !== 'string') return malformed('not text');
  if (!text.startsWith(PREFIX)) return malformed(`does not start with ${PREFIX}`);
  if (text.length > MAX_LENGTH) return malformed(`${text.length} characters, more than a QR code holds`);
  let compressed: Uint8Array;
  try {
    compressed = base45Decode(text.slice(PREFIX.length));
  } catch (error) {
    if (error instanceof Base45Error) return malformed(`bad Base45: ${error.message}`);
    throw error;
  }
  if (compressed.length === 0) return malformed('nothing after the prefix');
  let cose: Buffer;
  try {
    cose = inflateSync(compressed, { maxOutputLength: MAX_INFLATED });
  } catch (error) {
    if (error instanceof RangeError) return malformed(`inflates to more than ${MAX_INFLATED} bytes`);
    return malformed(`not zlib data (${(error as Error).message})`);
  }

  const message = parseSign1(cose);
  if (message.alg !== ES256) return malformed(`COSE algorithm ${String(message.alg)} is not ES256 (-7)`);
  if (!message.kid || message.kid.length === 0) return malformed('COSE header has no kid');
  const claims = parseClaims(message.payload);
  const errors = schemaErrors(claims.payload);
  if (errors.length > 0) return malformed(`EU DCC payload fails schema 1.3: ${errors.slice(0, 5).join('; ')}`);
  const dcc = claims.payload as DccJson;
  if (!dcc.v) return malformed('not a vaccination certificate (a test or recovery certificate)');
  if (claims.exp === undefined) return malformed('CWT has no expiry (exp)');

  const kid = Buffer.from(message.kid).toString('base64');
  const key = trust.keys.find((k) => k.algorithm === 'ES256' && Buffer.from(k.kid, 'base64').equals(message.kid!));
  if (!key) return { status: 'unknown-issuer', format: 'eu-dcc', detail: `kid ${kid} is not in the trust list` };
  if (claims.iss !== undefined && trust.country && claims.iss !== trust.country) {
    return { status: 'unknown-issuer', format: 'eu-dcc', detail: `issued by ${claims.iss}, the trust list is ${trust.country}'s` };
  }
  let genuine = false;
  try {
    genuine = verifySign1(message, key.publicKey);
  } catch {
    genuine = false;
  }
  if (!genuine) return { status: 'invalid-signature', format: 'eu-dcc', detail: `signature does not verify with kid ${kid}` };

  const record = verifiedRecord(dcc, claims.iat);
  const ci = dcc.v[0]!.ci;
  // A withdrawn certificate says so even after it expired: that is the more useful answer.
  const opaque = UVCI.exec(ci)?.[2];
  if (trust.revoked.has(ci) || (opaque !== undefined && trust.revoked.has(opaque))) return { status: 'revoked', format: 'eu-dcc', record };
  const validity = keyValidity(key);
  if (validity.notBefore !== undefined && now.getTime() < validity.notBefore) {
    return {
      status: 'expired',
      format: 'eu-dcc',
      detail: `signing key ${kid} is not valid before ${new Date(validity.notBefore).toISOString()}`,
    };
  }
  if (validity.notAfter !== undefined && now.getTime() > validity.notAfter) {
    return { status: 'expired', format: 'eu-dcc', detail: `signing key ${kid} expired ${new Date(validity.notAfter).toISOString()}` };
  }
  if (claims.exp * 1000 < now.getTime()) {
    return { status: 'expired', format: 'eu-dcc', detail: `expired ${new Date(claims.exp * 1000).toISOString()}` };
  }
  return { status: 'valid', format: 'eu-dcc', record };
}

interface DccJson {
  nam: { fn?: string; fnt?: string; gn?: string; gnt?: string };
  dob: string;
  v?: { mp: string; dn: number; sd: number; dt: string; co: string; ci: string }[];
}

function verifiedRecord(dcc: DccJson, iat: number | undefined): VerifiedRecord {
  const { nam } = dcc;
  const latin = (icao?: string) => icao?.replace(/</g, ' ');
  const name = [nam.gn ?? latin(nam.gnt), nam.fn ?? latin(nam.fnt)].filter(Boolean).join(' ');
  const { products } = euDccData();
  const doses = (dcc.v ?? []).map((v) => ({
    doseNumber: v.dn,
    totalDoses: v.sd,
    date: v.dt,
    vaccine: entryOf(products, v.mp)?.display ?? v.mp,
    country: v.co,
  }));
  // The certificate id is the whole UVCI, as the platform's records hold it.
  const record: VerifiedRecord = { certificateId: dcc.v?.[0]?.ci ?? '', name, birthDate: dcc.dob, doses };
  if (iat !== undefined) record.issuedAt = new Date(iat * 1000).toISOString();
  return record;
}

const instant = (text: string | undefined) => {
  const time = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(time) ? undefined : time;
};

/** The trust list's dates, else the DSC's own validity. */
function keyValidity(key: TrustList['keys'][number]): { notBefore?: number; notAfter?: number } {
  let notBefore = instant(key.notBefore);
  let notAfter = instant(key.notAfter);
  if (key.certificate && (notBefore === undefined || notAfter === undefined)) {
    try {
      const certificate = new X509Certificate(key.certificate);
      notBefore ??= instant(certificate.validFrom);
      notAfter ??= instant(certificate.validTo);
    } catch {
      // A trust entry whose certificate cannot be read keeps only the dates it gives.
    }
  }
  return { notBefore, notAfter };
}

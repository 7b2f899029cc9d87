/**
 * SMART Health Cards (`shc:/`): the record as a minimal FHIR R4 bundle in a JWT, raw-DEFLATEd,
 * signed as a compact JWS with ES256, written as digits for a numeric-mode QR.
 *
 * - Header `{alg: "ES256", zip: "DEF", kid}`; `kid` is the RFC 7638 thumbprint of the public key
 *   (issue checks that the key's `kid` is exactly that).
 * - Payload `{iss, nbf, exp?, vc: {type, credentialSubject: {fhirVersion, fhirBundle}, rid}}`:
 *   `iss` is the issuer URL without a trailing slash, `nbf` the issue time in seconds, `exp` only
 *   when the record has `validUntil`.
 * - The certificate id travels as `Bundle.identifier` (see shc/bundle.ts). `vc.rid` is the
 *   specification's revocation id: base64url of the first 64 bits of HMAC-SHA-256 keyed with the
 *   `kid`, over the certificate id (the spec's formula with no extra secret, so any verifier holding
 *   the trust list's revoked certificate ids can recompute it, and the issuer can publish a CRL of
 *   rids at `<iss>/.well-known/crl/<kid>.json` with {@link revocationList}).
 * - A single QR only (chunking is deprecated): a JWS over 1195 characters is refused.
 */
import { createHmac, createPublicKey, type KeyObject, sign, verify as verifySignature } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { CertificateFormat, CertificateRecord, Issued, SigningKey, TrustList, Verification, VerifiedRecord } from '../record.js';
import { type FhirBundle, readBundle, recordToBundle } from './shc/bundle.js';
import { digitsToJws, jwsToDigits, SHC_PREFIX } from './shc/numeric.js';

export const SHC_TYPES = [
  'https://smarthealth.cards#health-card',
  'https://smarthealth.cards#immunization',
  'https://smarthealth.cards#covid19',
] as const;
const HEALTH_CARD = SHC_TYPES[0];
export const FHIR_VERSION = '4.0.1';

/** The longest JWS one QR (version 22, error correction L) holds as `shc:/` digits. */
export const MAX_SINGLE_QR_JWS = 1195;
/** Anything longer is refused before decoding: no card a verifier scans or posts comes near it. */
const MAX_INPUT = 64 * 1024;
/** The inflated payload is bounded too, so a tiny "zip bomb" cannot exhaust memory. */
const MAX_INFLATED = 1024 * 1024;
/** Clock skew tolerated for `nbf` in the future. */
const SKEW_SECONDS = 60;

export interface ShcClaims {
  iss: string;
  nbf: number;
  exp?: number;
  vc: {
    type: string[];
    credentialSubject: { fhirVersion: string; fhirBundle: FhirBundle };
    rid?: string;
  };
}

/** The claims a card for this record carries (before deflate and signature). */
export function recordToClaims(record: CertificateRecord, kid: string): ShcClaims {
  const iss = record.issuer.url.replace(/\/+$/, '');
  if (!URL.canParse(iss)) throw new Error(`SMART Health Card: issuer URL "${record.issuer.url}" is not a URL`);
  const issuedAt = Date.parse(record.issuedAt);
  if (Number.isNaN(issuedAt)) throw new Error(`SMART Health Card: issuedAt "${record.issuedAt}" is not an ISO instant`);
  let exp: number | undefined;
  if (record.validUntil) {
    const validUntil = Date.parse(record.validUntil);
    if (Number.isNaN(validUntil)) throw new Error(`SMART Health Card: validUntil "${record.validUntil}" is not an ISO instant`);
    exp = Math.floor(validUntil / 1000);
  }
  return {
    iss,
    nbf: Math.floor(issuedAt / 1000),
    ...(exp === undefined ? {} : { exp }),
    vc: {
      type: [...SHC_TYPES],
      credentialSubject: { fhirVersion: FHIR_VERSION, fhirBundle: recordToBundle(record) },
      rid: revocationId(record.certificateId, kid),
    },
  };
}

/**
 * The revocation id (`vc.rid`) of a certificate under a key: base64url of the first 64 bits of
 * HMAC-SHA-256(key = kid, certificate id). 11 base64url characters (the spec allows 24).
 */
export function revocationId(certificateId: string, kid: string): string {
  return createHmac('sha256', kid).update(certificateId, 'utf8').digest().subarray(0, 8).toString('base64url');
}

/** The card revocation list the specification publishes at `<iss>/.well-known/crl/<kid>.json`. */
export function revocationList(kid: string, revokedCertificateIds: Iterable<string>, ctr: number) {
  const rids = [...new Set([...revokedCertificateIds].map((id) => revocationId(id, kid)))].sort();
  return { kid, method: 'rid' as const, ctr, rids };
}

/** Thumbprints by key object: a process signs every card with the same key (the key store keeps it). */
const thumbprints = new WeakMap<KeyObject, Promise<string>>();

/** RFC 7638 thumbprint (SHA-256, base64url) of an EC public key: a SMART Health Card `kid`. */
export async function jwkThumbprint(publicKey: KeyObject): Promise<string> {
  let thumbprint = thumbprints.get(publicKey);
  if (!thumbprint) {
    thumbprint = publicJwk(publicKey).then((jwk) => calculateJwkThumbprint(jwk, 'sha256'));
    // A key that is not P-256 is refused again on the next call, not remembered.
    thumbprint.catch(() => thumbprints.delete(publicKey));
    thumbprints.set(publicKey, thumbprint);
  }
  return thumbprint;
}

async function publicJwk(key: KeyObject): Promise<JWK> {
  // createPublicKey also derives the public half of a private key, so `d` can never leak.
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('SMART Health Cards keys are EC P-256 (ES256)');
  }
  const { kty, crv, x, y } = await exportJWK(publicKey);
  return { kty, crv, x, y };
}

type PublicKeyEntry = Pick<TrustList['keys'][number], 'kid' | 'algorithm' | 'publicKey'>;

export interface ShcJwk extends JWK {
  kty: 'EC';
  kid: string;
  use: 'sig';
  alg: 'ES256';
  crv: 'P-256';
  x: string;
  y: string;
  crlVersion?: number;
}

/**
 * The JSON Web Key Set served at `<iss>/.well-known/jwks.json` (with CORS): the SMART Health Cards
 * keys of the trust list (or of the given keys), public parts only. The trust list also holds other
 * formats' keys, some ES256 too (EU DCC signers, named by a certificate hash): only ES256 P-256 keys
 * whose kid is their RFC 7638 thumbprint are SMART Health Cards keys, the others are left out.
 * `crlVersion`, when given, is the `ctr` of the key's revocation list and tells verifiers to fetch it.
 */
export async function jwks(
  source: TrustList | readonly PublicKeyEntry[],
  options: { crlVersion?: (kid: string) => number | undefined } = {},
): Promise<{ keys: ShcJwk[] }> {
  const entries = Array.isArray(source) ? source : (source as TrustList).keys;
  const keys: ShcJwk[] = [];
  for (const entry of entries) {
    if (entry.algorithm !== 'ES256') continue;
    const jwk = await publicJwk(entry.publicKey).catch(() => undefined);
    if (!jwk || (await calculateJwkThumbprint(jwk, 'sha256')) !== entry.kid) continue;
    const key: ShcJwk = { kty: 'EC', kid: entry.kid, use: 'sig', alg: 'ES256', crv: 'P-256', x: jwk.x!, y: jwk.y! };
    const crlVersion = options.crlVersion?.(entry.kid);
    if (crlVersion !== undefined) key.crlVersion = crlVersion;
    keys.push(key);
  }
  return { keys };
}

/**
 * The ES256 signature of a JWS signing input, r || s (RFC 7518 3.4). node:crypto, not jose: jose
 * signs through WebCrypto, which runs every signature as a thread-pool job and cost more than the
 * signature itself; the JWS around it is three base64url parts. jose checks what we sign in the tests.
 */
const es256 = (input: string, privateKey: KeyObject) =>
  sign('sha256', Buffer.from(input, 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');

/** Signs claims as the specification's compact JWS (minified JSON, raw DEFLATE, ES256). */
function signClaims(claims: ShcClaims, key: SigningKey, kid: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', zip: 'DEF', kid }), 'utf8').toString('base64url');
  const payload = deflateRawSync(Buffer.from(JSON.stringify(claims), 'utf8'), { level: 9 }).toString('base64url');
  const input = `${header}.${payload}`;
  return `${input}.${es256(input, key.privateKey)}`;
}

async function issue(record: CertificateRecord, key: SigningKey): Promise<Issued> {
  if (key.algorithm !== 'ES256') throw new Error(`SMART Health Cards are signed with ES256, not ${key.algorithm}`);
  const kid = await jwkThumbprint(key.publicKey);
  if (key.kid !== kid) {
    throw new Error(`SMART Health Card key kid "${key.kid}" is not the RFC 7638 thumbprint of its public key ("${kid}")`);
  }
  const jws = signClaims(recordToClaims(record, kid), key, kid);
  if (jws.length > MAX_SINGLE_QR_JWS) {
    throw new Error(
      `SMART Health Card for ${record.certificateId} is ${jws.length} JWS characters; one QR holds at most ${MAX_SINGLE_QR_JWS} ` +
        '(multi-QR chunking is deprecated): shorten the card (fewer codes, shorter centre names) instead',
    );
  }
  const digits = jwsToDigits(jws);
  return {
    format: 'shc',
    payload: SHC_PREFIX + digits,
    qr: [
      {
        segments: [
          { data: SHC_PREFIX, mode: 'byte' },
          { data: digits, mode: 'numeric' },
        ],
        errorCorrection: 'L',
      },
    ],
  };
}

const malformed = (detail: string): Verification => ({ status: 'malformed', format: 'shc', detail });
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JWT NumericDate a Date can hold. */
function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= 8.64e12;
}

function parseJson(bytes: Buffer): unknown {
  return JSON.parse(utf8.decode(bytes));
}

async function verify(payload: string, trust: TrustList, now: Date = new Date()): Promise<Verification> {
  try {
    return await verifyCard(payload, trust, now);
  } catch (error) {
    // Every expected failure is answered above; this keeps the promise of never throwing.
    return malformed(`could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function verifyCard(payload: string, trust: TrustList, now: Date): Promise<Verification> {
  if (typeof payload !== 'string') return malformed('not text');
  if (payload.length > MAX_INPUT) return malformed(`too long (${payload.length} characters) to be a SMART Health Card`);
  const text = payload.trim();

  // Layer 1: shc:/ digits (or a bare compact JWS, for API use) -> JWS.
  let jws: string;
  if (text.slice(0, SHC_PREFIX.length).toLowerCase() === SHC_PREFIX) {
    const digits = text.slice(SHC_PREFIX.length);
    if (/^\d+\/\d+\//.test(digits)) return malformed('a chunk of a multi-QR card (chunking is deprecated and not supported)');
    const decoded = digitsToJws(digits);
    if ('problem' in decoded) return malformed(decoded.problem);
    jws = decoded.jws;
  } else if (text.includes('.') && !/\s/.test(text)) {
    jws = text;
  } else {
    return malformed('neither shc:/ digits nor a compact JWS');
  }

  // Layer 2: the JWS: three base64url parts, a header the specification allows.
  const parts = jws.split('.');
  if (parts.length !== 3) return malformed(`a compact JWS has 3 parts, this has ${parts.length}`);
  if (!parts.every((part) => BASE64URL.test(part))) return malformed('a JWS part is empty or not base64url');
  // Canonical only: unused trailing bits must be zero, so no two texts carry the same signature.
  if (!parts.every((part) => Buffer.from(part, 'base64url').toString('base64url') === part)) {
    return malformed('a JWS part is not canonical base64url');
  }
  let header: unknown;
  try {
    header = parseJson(Buffer.from(parts[0], 'base64url'));
  } catch {
    return malformed('the JWS header is not JSON');
  }
  if (!isObject(header)) return malformed('the JWS header is not a JSON object');
  if (header.alg !== 'ES256') return malformed(`the JWS alg is ${JSON.stringify(header.alg)}, not "ES256"`);
  if (header.zip !== 'DEF') return malformed(`the JWS zip is ${JSON.stringify(header.zip)}, not "DEF"`);
  if (typeof header.kid !== 'string' || !header.kid) return malformed('the JWS header has no kid');
  if (header.crit !== undefined) return malformed('the JWS header has crit parameters this verifier does not know');
  const kid = header.kid;

  // Layer 3: raw DEFLATE -> minified JSON claims.
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(Buffer.from(parts[1], 'base64url'), { maxOutputLength: MAX_INFLATED });
  } catch {
    return malformed('the JWS payload is not raw DEFLATE data (or inflates beyond 1 MB)');
  }
  let claims: unknown;
  try {
    claims = parseJson(inflated);
  } catch {
    return malformed('the JWS payload is not JSON');
  }

  // Layer 4: a health card with a FHIR bundle of a Patient and Immunizations.
  if (!isObject(claims)) return malformed('the JWS payload is not a JSON object');
  const { iss, nbf, exp, vc } = claims;
  if (typeof iss !== 'string' || !iss) return malformed('the card has no iss');
  if (!isSeconds(nbf)) return malformed('the card has no valid nbf');
  if (exp !== undefined && !isSeconds(exp)) return malformed('the card exp is not a NumericDate');
  if (!isObject(vc)) return malformed('the card has no vc claim');
  if (!Array.isArray(vc.type) || !vc.type.includes(HEALTH_CARD)) return malformed(`vc.type does not include ${HEALTH_CARD}`);
  if (vc.rid !== undefined && (typeof vc.rid !== 'string' || !BASE64URL.test(vc.rid) || vc.rid.length > 24)) {
    return malformed('vc.rid is not a revocation id (base64url, at most 24 characters)');
  }
  const subject = vc.credentialSubject;
  if (!isObject(subject)) return malformed('vc.credentialSubject is missing');
  if (typeof subject.fhirVersion !== 'string' || !subject.fhirVersion.startsWith('4.')) {
    return malformed('vc.credentialSubject.fhirVersion is not FHIR R4');
  }
  const content = readBundle(subject.fhirBundle);
  if ('problem' in content) return malformed(content.problem);

  // Trust: the issuer and its key.
  if (iss !== trust.issuerUrl.replace(/\/+$/, '')) {
    return { status: 'unknown-issuer', format: 'shc', detail: `issued by ${iss}, not ${trust.issuerUrl}` };
  }
  const key = trust.keys.find((candidate) => candidate.kid === kid && candidate.algorithm === 'ES256');
  if (!key) return { status: 'unknown-issuer', format: 'shc', detail: `key ${kid} is not in the trust list` };

  // Signature: the header was checked above (ES256, no crit), so what is left is ES256 over the
  // signing input, r || s in 64 bytes (node:crypto, for the reason given at es256).
  const signature = Buffer.from(parts[2], 'base64url');
  let verified = false;
  try {
    verified =
      signature.length === 64 &&
      verifySignature(
        'sha256',
        Buffer.from(`${parts[0]}.${parts[1]}`, 'utf8'),
        { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
        signature,
      );
  } catch {
    // A trust-list key that is not an EC key cannot have made this signature.
  }
  if (!verified) return { status: 'invalid-signature', format: 'shc', detail: `the ES256 signature does not verify with key ${kid}` };

  // Time: the card, and the key's validity when it signed (at nbf).
  const nowSeconds = now.getTime() / 1000;
  if (nbf > nowSeconds + SKEW_SECONDS) {
    return { status: 'expired', format: 'shc', detail: `not valid before ${new Date(nbf * 1000).toISOString()}` };
  }
  if (exp !== undefined && exp < nowSeconds) {
    return { status: 'expired', format: 'shc', detail: `expired at ${new Date(exp * 1000).toISOString()}` };
  }
  const signedAt = nbf * 1000;
  if (key.notBefore && signedAt < Date.parse(key.notBefore)) {
    return { status: 'expired', format: 'shc', detail: `signed before key ${kid} was valid (${key.notBefore})` };
  }
  if (key.notAfter && signedAt > Date.parse(key.notAfter)) {
    return { status: 'expired', format: 'shc', detail: `signed after key ${kid} expired (${key.notAfter})` };
  }

  const record: VerifiedRecord = {
    certificateId: content.certificateId ?? (typeof vc.rid === 'string' ? vc.rid : ''),
    name: content.name,
    birthDate: content.birthDate,
    // SMART Health Cards state no dose numbers (protocolApplied is not allowed): doses are counted
    // in date order, and the series length is not stated (0). Immunizations carry no country: the
    // issuing country is the trust list's.
    doses: content.doses.map((dose, index) => ({
      doseNumber: index + 1,
      totalDoses: 0,
      date: dose.date,
      vaccine: dose.vaccine,
      country: trust.country,
    })),
    issuedAt: new Date(signedAt).toISOString(),
  };
  if (isRevoked(content.certificateId, typeof vc.rid === 'string' ? vc.rid : undefined, kid, trust.revoked)) {
    return { status: 'revoked', format: 'shc', record };
  }
  return { status: 'valid', format: 'shc', record };
}

/** Revoked by certificate id, or by a `vc.rid` recomputed from the revoked certificate ids. */
function isRevoked(certificateId: string | undefined, rid: string | undefined, kid: string, revoked: ReadonlySet<string>): boolean {
  if (certificateId !== undefined && revoked.has(certificateId)) return true;
  if (rid === undefined) return false;
  for (const id of revoked) if (revocationId(id, kid) === rid) return true;
  return false;
}

export const smartHealthCard: CertificateFormat = {
  id: 'shc',
  algorithm: 'ES256',
  issue,
  verify,
};

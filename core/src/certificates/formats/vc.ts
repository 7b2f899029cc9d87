/**
 * W3C Verifiable Credential 2.0, secured with Data Integrity `eddsa-rdfc-2022` (Ed25519 over RDF
 * Dataset Canonicalization), signed and verified with the Digital Bazaar stack (@digitalbazaar/vc,
 * data-integrity, eddsa-rdfc-2022-cryptosuite, ed25519-multikey, jsonld).
 *
 * - The credential (see vc/credential.ts): contexts credentials v2 + ours
 *   (https://teeka.example/contexts/vaccination/v1), types VerifiableCredential and
 *   VaccinationCertificate, id `urn:teeka:<certificateId>`, issuer {id: the issuer URL, name,
 *   country}, validFrom/validUntil, and a `Vaccinee` subject with its `VaccinationEvent`s
 *   (DIVOC-style fields: vaccine, manufacturer, batch, date, dose, totalDoses, facility, country).
 * - The key: SigningKey.kid is the verification method id, controlled by the issuer URL; a
 *   convention is `<issuer url>#<publicKeyMultibase>` (see `vcVerificationMethodId`).
 * - No network: every JSON-LD context is shipped (vc/contexts/*.json) and the document loader
 *   refuses any other URL; verification methods and the issuer's controller document come from
 *   the trust list.
 * - QR: a VC is a few kilobytes of JSON. It gets one QR (a single byte segment at ECC M, which any
 *   phone reader shows as text) only when it fits a version 40 symbol, else none: the PDF and the
 *   API carry it, and the EU DCC / SMART Health Card QRs are the ones to scan.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import type { Signer } from '@digitalbazaar/ed25519-multikey';
import { type Cryptosuite, cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { issue as vcIssue, verifyCredential } from '@digitalbazaar/vc';
import jsonld from 'jsonld';
import type { CertificateFormat, Issued, QrSpec, SigningKey, TrustList, Verification } from '../record.js';
import { DocumentNotShippedError, ed25519Multibase, staticDocumentLoader, type TrustedVerificationMethod } from './vc/contexts.js';
import { MalformedCredentialError, readCredential, type SignedCredential, toCredential, verifiedRecord } from './vc/credential.js';

export { staticDocumentLoader } from './vc/contexts.js';

const FORMAT = 'w3c-vc' as const;
/** Larger payloads are not ours (an issued credential is a few KB): refuse before parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Byte-mode capacity of a version 40 QR code at error correction M (ISO/IEC 18004 table 7). */
export const QR_BYTE_CAPACITY_M = 2331;

/** The conventional verification method id of a key: `<issuer url>#<publicKeyMultibase>`. */
export function vcVerificationMethodId(issuerUrl: string, publicKey: KeyObject): string {
  const multibase = ed25519Multibase(publicKey);
  if (!multibase) throw new TypeError('the W3C VC format signs with Ed25519 keys only');
  return `${issuerUrl}#${multibase}`;
}

/** One byte-mode QR at ECC M when the payload fits a version 40 symbol, else none. */
export function vcQr(payload: string): QrSpec[] {
  if (Buffer.byteLength(payload, 'utf8') > QR_BYTE_CAPACITY_M) return [];
  return [{ segments: [{ data: payload, mode: 'byte' }], errorCorrection: 'M' }];
}

/** The trust list's Ed25519 keys as Multikey verification methods controlled by its issuer. */
function trustedMethods(trust: TrustList): TrustedVerificationMethod[] {
  const methods: TrustedVerificationMethod[] = [];
  for (const key of trust.keys) {
    if (key.algorithm !== 'Ed25519') continue;
    const publicKeyMultibase = ed25519Multibase(key.publicKey);
    if (publicKeyMultibase) methods.push({ id: key.kid, controller: trust.issuerUrl, publicKeyMultibase });
  }
  return methods;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as Error & { errors?: unknown[] }).errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.map(describe).join('; ');
  const cause = (error as Error & { details?: { cause?: unknown } }).details?.cause;
  return cause instanceof Error ? `${error.message}: ${describe(cause)}` : error.message;
}

function isNotShipped(error: unknown): boolean {
  if (error instanceof DocumentNotShippedError) return true;
  if (!(error instanceof Error)) return false;
  const { details, cause } = error as Error & { details?: { cause?: unknown } };
  return isNotShipped(details?.cause) || isNotShipped(cause);
}

async function verifyParsed(credential: SignedCredential, trust: TrustList, now: Date): Promise<Verification> {
  const { proof } = credential;
  if (credential.issuer.id !== trust.issuerUrl) {
    return { status: 'unknown-issuer', format: FORMAT, detail: `issued by ${credential.issuer.id}, not by ${trust.issuerUrl}` };
  }
  const key = trust.keys.find((candidate) => candidate.kid === proof.verificationMethod && candidate.algorithm === 'Ed25519');
  if (!key) {
    return { status: 'unknown-issuer', format: FORMAT, detail: `verification method ${proof.verificationMethod} is not in the trust list` };
  }
  if (!ed25519Multibase(key.publicKey)) {
    return { status: 'unknown-issuer', format: FORMAT, detail: `trust list key ${key.kid} is not an Ed25519 public key` };
  }
  const signedAt = new Date(proof.created);
  if ((key.notBefore && signedAt < new Date(key.notBefore)) || (key.notAfter && signedAt > new Date(key.notAfter))) {
    return {
      status: 'unknown-issuer',
      format: FORMAT,
      detail: `key ${key.kid} was not valid when the credential was signed (${proof.created})`,
    };
  }
  const methods = trustedMethods(trust);
  const documentLoader = staticDocumentLoader(methods);

  // JSON-LD in safe mode: undefined terms, relative IRIs or bad values are malformed, not a bad signature.
  try {
    await jsonld.expand(credential, { documentLoader, safe: true });
  } catch (error) {
    return { status: 'malformed', format: FORMAT, detail: `JSON-LD: ${describe(error)}` };
  }

  // The signature and proof purpose (the key is the issuer's assertion method). Dates are checked
  // below against the caller's clock, so the library checks them at the credential's own validFrom.
  const result = await verifyCredential({
    credential,
    suite: new DataIntegrityProof({ cryptosuite: trustingCryptosuite(trust) }),
    documentLoader,
    now: credential.validFrom,
  });
  if (!result.verified) {
    const error = result.error ?? result.results?.find((entry) => entry.error)?.error;
    if (isNotShipped(error)) return { status: 'malformed', format: FORMAT, detail: describe(error) };
    return { status: 'invalid-signature', format: FORMAT, detail: describe(error) || 'the proof does not verify' };
  }

  const record = verifiedRecord(credential);
  if (trust.revoked.has(credential.certificateId)) return { status: 'revoked', format: FORMAT, record };
  if (credential.validUntil && now > new Date(credential.validUntil)) {
    return { status: 'expired', format: FORMAT, detail: `valid until ${credential.validUntil}` };
  }
  if (now < new Date(credential.validFrom)) {
    return { status: 'expired', format: FORMAT, detail: `not valid before ${credential.validFrom}` };
  }
  return { status: 'valid', format: FORMAT, record };
}

/**
 * The proof's signer: node:crypto with the key object the key store loaded. The Multikey signer
 * (@digitalbazaar/ed25519-multikey) builds a new private key object from raw bytes at every
 * signature, which cost more than the signature itself.
 */
function signerOf(key: SigningKey): Signer {
  checkPair(key);
  return { id: key.kid, algorithm: 'Ed25519', sign: async ({ data }) => sign(null, data, key.privateKey) };
}

/** Private keys whose public half matched the key's public key (checked once per key object). */
const matchedPairs = new WeakMap<KeyObject, KeyObject>();

function checkPair(key: SigningKey): void {
  if (matchedPairs.get(key.privateKey) === key.publicKey) return;
  const derived = createPublicKey(key.privateKey).export({ format: 'jwk' }).x;
  if (derived !== key.publicKey.export({ format: 'jwk' }).x) throw new TypeError('the signing key pair does not match');
  matchedPairs.set(key.privateKey, key.publicKey);
}

/**
 * The cryptosuite with a verifier that uses the trust list's own key objects (the library's
 * verifier decodes the Multikey and builds a public key object at every verification). A method
 * the trust list does not hold (the loader would have refused it) goes to the library's verifier.
 */
function trustingCryptosuite(trust: TrustList): Cryptosuite {
  const keys = new Map(trust.keys.filter((key) => key.algorithm === 'Ed25519').map((key) => [key.kid, key.publicKey]));
  return {
    ...cryptosuite,
    async createVerifier({ verificationMethod }) {
      const publicKey = keys.get(verificationMethod.id);
      if (!publicKey) return cryptosuite.createVerifier({ verificationMethod });
      return {
        id: verificationMethod.id,
        algorithm: 'Ed25519',
        verify: async ({ data, signature }) => verify(null, data, publicKey, signature),
      };
    },
  };
}

export const verifiableCredential: CertificateFormat = {
  id: FORMAT,
  algorithm: 'Ed25519',

  async issue(record, key: SigningKey): Promise<Issued> {
    if (key.algorithm !== 'Ed25519' || key.privateKey.asymmetricKeyType !== 'ed25519') {
      throw new TypeError(`the W3C VC format signs with Ed25519 keys, not ${key.algorithm}`);
    }
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/u.test(key.kid)) throw new TypeError(`kid must be the verification method URL, not "${key.kid}"`);

    const credential = toCredential(record);
    const suite = new DataIntegrityProof({ signer: signerOf(key), date: credential.validFrom, cryptosuite });
    const signed = await vcIssue({ credential, suite, documentLoader: staticDocumentLoader(), now: credential.validFrom });
    const payload = JSON.stringify(signed);
    return { format: FORMAT, payload, qr: vcQr(payload) };
  },

  async verify(payload: string, trust: TrustList, now = new Date()): Promise<Verification> {
    try {
      if (typeof payload !== 'string') return { status: 'malformed', detail: 'the payload is not text' };
      if (Buffer.byteLength(payload, 'utf8') > MAX_PAYLOAD_BYTES) {
        return { status: 'malformed', detail: `the payload is larger than ${MAX_PAYLOAD_BYTES} bytes` };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch (error) {
        return { status: 'malformed', detail: `not JSON: ${describe(error)}` };
      }
      let credential: SignedCredential;
      try {
        credential = readCredential(parsed);
      } catch (error) {
        if (!(error instanceof MalformedCredentialError)) throw error;
        // Name the format only when the JSON at least looks like a credential.
        const looksLikeVc =
          typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && ('@context' in parsed || 'proof' in parsed);
        return looksLikeVc
          ? { status: 'malformed', format: FORMAT, detail: error.message }
          : { status: 'malformed', detail: error.message };
      }
      return await verifyParsed(credential, trust, now);
    } catch (error) {
      return { status: 'malformed', format: FORMAT, detail: `unexpected: ${describe(error)}` };
    }
  },
};

import type { KeyObject } from 'node:crypto';

/**
 * The canonical certificate record: WHO DDCC:VS, one per person and certificate issued. Every
 * output format (EU DCC `HC1:`, SMART Health Card `shc:/`, W3C Verifiable Credential) is a
 * projection of this record, so the formats can never disagree about what was given.
 */
export interface CertificateRecord {
  /** The health certificate id (DDCC `hcid`; the EU DCC `ci`/UVCI), ending in a check character. */
  certificateId: string;
  /** Version of the record for this person: 1, then 2 after a correction or a later dose. */
  version: number;
  /** provisional: more doses due; final: the primary series is complete; booster: after it. */
  kind: 'provisional' | 'final' | 'booster';
  /** ISO 8601 instant. */
  issuedAt: string;
  /** ISO 8601 instant after which the signed forms stop being valid, when the tenant sets one. */
  validUntil?: string;
  issuer: {
    /** The issuing authority ("Ministry of Health and Family Welfare"). */
    name: string;
    /** ISO 3166-1 alpha-2, upper case. */
    country: string;
    /** The issuer's URL: SMART Health Cards' `iss` (no trailing slash), the VC issuer. */
    url: string;
  };
  person: {
    /** The name as registered (any script). */
    name: string;
    /** Family and given names where the tenant knows them apart; otherwise the whole name is `family`. */
    familyName: string;
    givenName?: string;
    /** YYYY, YYYY-MM or YYYY-MM-DD: as much as is known. */
    birthDate: string;
    sex?: 'male' | 'female' | 'other' | 'unknown';
    /** An identity document for travel (passport), only when the person asked for it. */
    identifier?: { type: string; value: string };
  };
  /** Every dose given so far, ascending by dose number. */
  doses: CertificateDose[];
  /** YYYY-MM-DD: when the next dose may be given, if one is due. */
  nextDoseFrom?: string;
}

export interface CertificateDose {
  /** 1, 2, ... counting boosters on (a booster after a 2-dose series is dose 3). */
  doseNumber: number;
  /** Doses in the primary series (EU DCC `sd`; a booster has doseNumber > totalDoses). */
  totalDoses: number;
  /** YYYY-MM-DD in the tenant's calendar. */
  date: string;
  vaccine: {
    /** The tenant's code ("covishield"). */
    code: string;
    /** Brand ("COVISHIELD"). */
    name: string;
    manufacturer?: string;
    marketingAuthorisationHolder?: string;
    /** icd11, cvx, snomed (EU DCC `vp`), euProduct (`mp`), euManufacturer (`ma`), from the tenant file. */
    codes: { icd11?: string; cvx?: string; snomed?: string; euProduct?: string; euManufacturer?: string };
  };
  lotNumber: string;
  /** ISO 3166-1 alpha-2 of the country of vaccination. */
  country: string;
  centre: { id: number; name: string };
  /** The vaccinator's display name, when recorded. */
  practitioner?: string;
}

/** COVID-19 as the formats code it: SNOMED CT 840539006 (EU DCC `tg`), ICD-11 RA01. */
export const COVID_19 = { snomed: '840539006', icd11: 'RA01', display: 'COVID-19' } as const;

/** A key a format signs with. One per format and tenant; rotated keys stay in the trust list. */
export interface SigningKey {
  /**
   * How verifiers find the key. EU DCC: base64 of the first 8 bytes of SHA-256 of the DSC's DER.
   * SMART Health Cards: the RFC 7638 JWK thumbprint. VC: the verification method id (a URL).
   */
  kid: string;
  algorithm: 'ES256' | 'Ed25519';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** EU DCC: the document signing certificate (X.509, DER) whose SHA-256 gives the kid. */
  certificate?: Buffer;
}

/** What a verifier trusts: a tenant's published keys and revocations (also served for offline use). */
export interface TrustList {
  /** ISO 3166-1 alpha-2 of the issuing country. */
  country: string;
  /** The issuer URL (SMART Health Cards `iss`, VC issuer). */
  issuerUrl: string;
  keys: {
    kid: string;
    algorithm: 'ES256' | 'Ed25519';
    publicKey: KeyObject;
    certificate?: Buffer;
    /** ISO instants: a key used outside its validity does not verify. */
    notBefore?: string;
    notAfter?: string;
  }[];
  /** Certificate ids revoked (reissued after a correction, or withdrawn). */
  revoked: ReadonlySet<string>;
}

/** The answer a verifier gives, in codes the pages and API translate. */
export type Verification =
  | { status: 'valid'; format: FormatId; record: VerifiedRecord }
  | { status: 'revoked'; format: FormatId; record: VerifiedRecord }
  /** Well formed, but signed by a key the trust list does not hold (another country, or forged). */
  | { status: 'unknown-issuer'; format: FormatId; detail: string }
  | { status: 'invalid-signature'; format: FormatId; detail: string }
  | { status: 'expired'; format: FormatId; detail: string }
  /** Not this format at all, or broken anywhere in its layers (prefix, encoding, compression, structure). */
  | { status: 'malformed'; format?: FormatId; detail: string };

/** What a verifier can show from a valid certificate: enough to match the person and the doses. */
export interface VerifiedRecord {
  certificateId: string;
  name: string;
  birthDate: string;
  doses: { doseNumber: number; totalDoses: number; date: string; vaccine: string; country: string }[];
  issuedAt?: string;
}

export type FormatId = 'eu-dcc' | 'shc' | 'w3c-vc';

/** A QR code as a format requires it: segments with their modes, and the error correction level. */
export interface QrSpec {
  segments: { data: string; mode: 'alphanumeric' | 'numeric' | 'byte' }[];
  errorCorrection: 'L' | 'M' | 'Q' | 'H';
}

export interface Issued {
  format: FormatId;
  /** The text a verifier is given: `HC1:...`, `shc:/...`, or the VC's JSON. */
  payload: string;
  /** How to draw it as QR codes (the VC may be too large for one: then none). */
  qr: QrSpec[];
}

/**
 * One output format: a pure projection of the record, signed with the format's key, and its
 * verification against a trust list. No database, no network: formats are tested on their own
 * and verified in tests with a library other than the one that signed.
 */
export interface CertificateFormat {
  readonly id: FormatId;
  readonly algorithm: 'ES256' | 'Ed25519';
  issue(record: CertificateRecord, key: SigningKey): Promise<Issued>;
  /** Never throws on any input: everything wrong is a Verification status. */
  verify(payload: string, trust: TrustList, now?: Date): Promise<Verification>;
}

/**
 * The W3C VC 2.0 projection of a certificate record, and the strict reading of one back. The
 * credential carries exactly the terms of the credentials v2 context and ours
 * (contexts/teeka-vaccination-v1.json): a verifier accepts that shape and nothing else.
 */
import { type CertificateRecord, COVID_19, type VerifiedRecord } from '../../record.js';
import { CREDENTIALS_V2, TEEKA_VACCINATION_V1 } from './contexts.js';

export const VC_CONTEXT = [CREDENTIALS_V2, TEEKA_VACCINATION_V1] as const;
export const VC_TYPE = ['VerifiableCredential', 'VaccinationCertificate'] as const;
export const CRYPTOSUITE = 'eddsa-rdfc-2022';

export interface VaccinationEvent {
  type: 'VaccinationEvent';
  dose: number;
  totalDoses: number;
  date: string;
  disease: string;
  vaccine: string;
  vaccineCode: string;
  icd11Code?: string;
  manufacturer?: string;
  marketingAuthorisationHolder?: string;
  batch: string;
  country: string;
  facility: string;
  facilityId: string;
  vaccinator?: string;
}

export interface VaccinationCredential {
  '@context': string[];
  id: string;
  type: string[];
  issuer: { id: string; name: string; country: string };
  validFrom: string;
  validUntil?: string;
  certificateId: string;
  certificateVersion: number;
  certificateKind: CertificateRecord['kind'];
  credentialSubject: {
    type: 'Vaccinee';
    name: string;
    familyName: string;
    givenName?: string;
    birthDate: string;
    gender?: NonNullable<CertificateRecord['person']['sex']>;
    identityDocument?: { type: 'IdentityDocument'; documentType: string; documentNumber: string };
    nextDoseFrom?: string;
    vaccination: VaccinationEvent[];
  };
}

export interface DataIntegrityProofValue {
  type: 'DataIntegrityProof';
  cryptosuite: string;
  created: string;
  verificationMethod: string;
  proofPurpose: 'assertionMethod';
  proofValue: string;
}

export type SignedCredential = VaccinationCredential & { proof: DataIntegrityProofValue };

/** xsd:dateTimeStamp in whole seconds, as Data Integrity writes `created`. */
export function instant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an ISO instant: "${iso}"`);
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** `urn:teeka:<certificateId>`, with characters a URN may not hold percent-encoded. */
export function credentialId(certificateId: string): string {
  return `urn:teeka:${certificateId.replace(/[^A-Za-z0-9:._~!$&'()*+,;=@-]/gu, (c) => encodeURIComponent(c))}`;
}

/** The unsigned credential: a pure projection of the record. */
export function toCredential(record: CertificateRecord): VaccinationCredential {
  const { person } = record;
  const credential: VaccinationCredential = {
    '@context': [...VC_CONTEXT],
    id: credentialId(record.certificateId),
    type: [...VC_TYPE],
    issuer: { id: record.issuer.url, name: record.issuer.name, country: record.issuer.country },
    validFrom: instant(record.issuedAt),
    ...(record.validUntil ? { validUntil: instant(record.validUntil) } : {}),
    certificateId: record.certificateId,
    certificateVersion: record.version,
    certificateKind: record.kind,
    credentialSubject: {
      type: 'Vaccinee',
      name: person.name,
      familyName: person.familyName,
      ...(person.givenName ? { givenName: person.givenName } : {}),
      birthDate: person.birthDate,
      ...(person.sex ? { gender: person.sex } : {}),
      ...(person.identifier
        ? { identityDocument: { type: 'IdentityDocument', documentType: person.identifier.type, documentNumber: person.identifier.value } }
        : {}),
      ...(record.nextDoseFrom ? { nextDoseFrom: record.nextDoseFrom } : {}),
      vaccination: [...record.doses]
        .sort((a, b) => a.doseNumber - b.doseNumber)
        .map((dose) => ({
          type: 'VaccinationEvent',
          dose: dose.doseNumber,
          totalDoses: dose.totalDoses,
          date: dose.date,
          disease: COVID_19.display,
          vaccine: dose.vaccine.name,
          vaccineCode: dose.vaccine.code,
          ...(dose.vaccine.codes.icd11 ? { icd11Code: dose.vaccine.codes.icd11 } : {}),
          ...(dose.vaccine.manufacturer ? { manufacturer: dose.vaccine.manufacturer } : {}),
          ...(dose.vaccine.marketingAuthorisationHolder ? { marketingAuthorisationHolder: dose.vaccine.marketingAuthorisationHolder } : {}),
          batch: dose.lotNumber,
          country: dose.country,
          facility: dose.centre.name,
          facilityId: String(dose.centre.id),
          ...(dose.practitioner ? { vaccinator: dose.practitioner } : {}),
        })),
    },
  };
  // Fail at issue rather than sign something the verifier would call malformed.
  readCredential(JSON.parse(JSON.stringify({ ...credential, proof: PLACEHOLDER_PROOF })));
  return credential;
}

const PLACEHOLDER_PROOF: DataIntegrityProofValue = {
  type: 'DataIntegrityProof',
  cryptosuite: CRYPTOSUITE,
  created: '2000-01-01T00:00:00Z',
  verificationMethod: 'https://placeholder.example#key',
  proofPurpose: 'assertionMethod',
  proofValue: 'z1',
};

/** Why a parsed JSON value is not one of our credentials: `path` names the offending member. */
export class MalformedCredentialError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'MalformedCredentialError';
  }
}

type Json = unknown;
const MAX_TEXT = 512;
const MAX_DOSES = 20;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/u;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/u;
const PARTIAL_DATE = /^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$/u;
const COUNTRY = /^[A-Z]{2}$/u;
const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$/u;
const BASE58 = /^z[1-9A-HJ-NP-Za-km-z]+$/u;

function object(value: Json, path: string, required: readonly string[], optional: readonly string[] = []): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MalformedCredentialError(path, 'must be a JSON object');
  const record = value as Record<string, Json>;
  for (const key of Object.keys(record)) {
    if (!required.includes(key) && !optional.includes(key))
      throw new MalformedCredentialError(`${path}.${key}`, 'is not a term of this credential');
  }
  for (const key of required) {
    if (!(key in record)) throw new MalformedCredentialError(`${path}.${key}`, 'is missing');
  }
  return record;
}

function text(value: Json, path: string, pattern?: RegExp, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.trim() === '') throw new MalformedCredentialError(path, 'must be a non-empty string');
  if (!value.isWellFormed()) throw new MalformedCredentialError(path, 'is not well-formed Unicode (lone surrogate)');
  if (value.length > max) throw new MalformedCredentialError(path, `is longer than ${max} characters`);
  if (pattern && !pattern.test(value)) throw new MalformedCredentialError(path, `"${value.slice(0, 80)}" is not in the expected form`);
  return value;
}

function optionalText(value: Json, path: string, pattern?: RegExp): string | undefined {
  return value === undefined ? undefined : text(value, path, pattern);
}

function integer(value: Json, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MalformedCredentialError(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function exactly(value: Json, path: string, expected: string | readonly string[]): void {
  if (JSON.stringify(value) !== JSON.stringify(expected)) throw new MalformedCredentialError(path, `must be ${JSON.stringify(expected)}`);
}

function oneOf<T extends string>(value: Json, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw new MalformedCredentialError(path, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function validDate(value: string, path: string): void {
  // Shape checked by the pattern; reject calendar impossibilities such as 2021-02-30.
  if (new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value)
    throw new MalformedCredentialError(path, `"${value}" is not a calendar date`);
}

function validInstant(value: string, path: string): void {
  if (Number.isNaN(new Date(value).getTime())) throw new MalformedCredentialError(path, `"${value}" is not an instant`);
}

/**
 * Reads a parsed JSON value as one of our signed credentials, or throws MalformedCredentialError
 * naming the first member that is wrong. Unknown members are errors: a credential we issued has
 * none, and JSON-LD would otherwise have to decide what they mean.
 */
export function readCredential(value: Json): SignedCredential {
  const vc = object(
    value,
    '$',
    [
      '@context',
      'id',
      'type',
      'issuer',
      'validFrom',
      'certificateId',
      'certificateVersion',
      'certificateKind',
      'credentialSubject',
      'proof',
    ],
    ['validUntil'],
  );
  exactly(vc['@context'], '$.@context', VC_CONTEXT);
  exactly(vc.type, '$.type', VC_TYPE);
  const certificateId = text(vc.certificateId, '$.certificateId');
  exactly(vc.id, '$.id', credentialId(certificateId));
  const issuer = object(vc.issuer, '$.issuer', ['id', 'name', 'country']);
  text(issuer.id, '$.issuer.id', ABSOLUTE_IRI);
  text(issuer.name, '$.issuer.name');
  text(issuer.country, '$.issuer.country', COUNTRY);
  validInstant(text(vc.validFrom, '$.validFrom', ISO_INSTANT), '$.validFrom');
  const validUntil = optionalText(vc.validUntil, '$.validUntil', ISO_INSTANT);
  if (validUntil !== undefined) {
    validInstant(validUntil, '$.validUntil');
    if (new Date(validUntil) < new Date(vc.validFrom as string)) throw new MalformedCredentialError('$.validUntil', 'is before validFrom');
  }
  integer(vc.certificateVersion, '$.certificateVersion', 1, 10_000);
  oneOf(vc.certificateKind, '$.certificateKind', ['provisional', 'final', 'booster']);

  const subject = object(
    vc.credentialSubject,
    '$.credentialSubject',
    ['type', 'name', 'familyName', 'birthDate', 'vaccination'],
    ['givenName', 'gender', 'identityDocument', 'nextDoseFrom'],
  );
  exactly(subject.type, '$.credentialSubject.type', 'Vaccinee');
  text(subject.name, '$.credentialSubject.name');
  text(subject.familyName, '$.credentialSubject.familyName');
  optionalText(subject.givenName, '$.credentialSubject.givenName');
  text(subject.birthDate, '$.credentialSubject.birthDate', PARTIAL_DATE);
  if (subject.gender !== undefined) oneOf(subject.gender, '$.credentialSubject.gender', ['male', 'female', 'other', 'unknown']);
  if (subject.identityDocument !== undefined) {
    const document = object(subject.identityDocument, '$.credentialSubject.identityDocument', ['type', 'documentType', 'documentNumber']);
    exactly(document.type, '$.credentialSubject.identityDocument.type', 'IdentityDocument');
    text(document.documentType, '$.credentialSubject.identityDocument.documentType');
    text(document.documentNumber, '$.credentialSubject.identityDocument.documentNumber');
  }
  const nextDoseFrom = optionalText(subject.nextDoseFrom, '$.credentialSubject.nextDoseFrom', DATE);
  if (nextDoseFrom !== undefined) validDate(nextDoseFrom, '$.credentialSubject.nextDoseFrom');
  const doses = subject.vaccination;
  if (!Array.isArray(doses) || doses.length === 0 || doses.length > MAX_DOSES) {
    throw new MalformedCredentialError('$.credentialSubject.vaccination', `must be a list of 1 to ${MAX_DOSES} vaccination events`);
  }
  let previous = 0;
  doses.forEach((entry, index) => {
    const path = `$.credentialSubject.vaccination[${index}]`;
    const event = object(
      entry,
      path,
      ['type', 'dose', 'totalDoses', 'date', 'disease', 'vaccine', 'vaccineCode', 'batch', 'country', 'facility', 'facilityId'],
      ['icd11Code', 'manufacturer', 'marketingAuthorisationHolder', 'vaccinator'],
    );
    exactly(event.type, `${path}.type`, 'VaccinationEvent');
    const dose = integer(event.dose, `${path}.dose`, 1, 99);
    if (dose <= previous) throw new MalformedCredentialError(`${path}.dose`, 'doses must be listed in ascending order');
    previous = dose;
    integer(event.totalDoses, `${path}.totalDoses`, 1, 99);
    validDate(text(event.date, `${path}.date`, DATE), `${path}.date`);
    for (const key of ['disease', 'vaccine', 'vaccineCode', 'batch', 'facility', 'facilityId'] as const) text(event[key], `${path}.${key}`);
    for (const key of ['icd11Code', 'manufacturer', 'marketingAuthorisationHolder', 'vaccinator'] as const)
      optionalText(event[key], `${path}.${key}`);
    text(event.country, `${path}.country`, COUNTRY);
  });

  if (Array.isArray(vc.proof))
    throw new MalformedCredentialError('$.proof', 'must be a single proof (proof sets and chains are not issued here)');
  const proof = object(vc.proof, '$.proof', ['type', 'cryptosuite', 'created', 'verificationMethod', 'proofPurpose', 'proofValue']);
  exactly(proof.type, '$.proof.type', 'DataIntegrityProof');
  if (proof.cryptosuite !== CRYPTOSUITE) {
    throw new MalformedCredentialError(
      '$.proof.cryptosuite',
      `unknown cryptosuite ${JSON.stringify(proof.cryptosuite)} (expected "${CRYPTOSUITE}")`,
    );
  }
  validInstant(text(proof.created, '$.proof.created', ISO_INSTANT), '$.proof.created');
  text(proof.verificationMethod, '$.proof.verificationMethod', ABSOLUTE_IRI, 2048);
  exactly(proof.proofPurpose, '$.proof.proofPurpose', 'assertionMethod');
  text(proof.proofValue, '$.proof.proofValue', BASE58, 200);
  return value as SignedCredential;
}

/** What a verifier shows from a credential that passed `readCredential`. */
export function verifiedRecord(vc: SignedCredential): VerifiedRecord {
  return {
    certificateId: vc.certificateId,
    name: vc.credentialSubject.name,
    birthDate: vc.credentialSubject.birthDate,
    doses: vc.credentialSubject.vaccination.map((event) => ({
      doseNumber: event.dose,
      totalDoses: event.totalDoses,
      date: event.date,
      vaccine: event.vaccine,
      country: event.country,
    })),
    issuedAt: vc.validFrom,
  };
}

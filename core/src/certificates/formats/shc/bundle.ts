/**
 * The FHIR R4 bundle inside a SMART Health Card, kept as small as the specification asks
 * ("Health Cards are compact" and the SHC Vaccination IG's data-minimisation profiles):
 *
 * - no `Resource.id`, `meta`, `text`, `CodeableConcept.text` or `Coding.display`;
 * - `fullUrl` and references are short `resource:N` URIs;
 * - Patient: one `name` (family + given, no `use`) and `birthDate`; no gender, no identifiers
 *   (the card is checked against a photo ID by name and birth date; a passport number would only
 *   expose it to every verifier);
 * - Immunization: `status` "completed", `vaccineCode` (CVX, SNOMED CT, ICD-11), `patient`,
 *   `occurrenceDateTime` (date only), `lotNumber`, `performer[0].actor.display` (the centre).
 *   `protocolApplied` is left out: the IG sets it to 0..0 because it states the provider's intent,
 *   not an authoritative dose count; verifiers count the doses themselves.
 *
 * The certificate id (DDCC `hcid`) is `Bundle.identifier.value`: the bundle's persistent
 * identifier, which none of the profiles restrict, so a verifier can name the certificate and
 * check it against revocations without a look-up.
 */
import type { CertificateDose, CertificateRecord } from '../../record.js';

export const CODE_SYSTEMS = {
  cvx: 'http://hl7.org/fhir/sid/cvx',
  snomed: 'http://snomed.info/sct',
  /** ICD-11 MMS as the SMART Health Cards value sets (and WHO DDCC) write it. */
  icd11: 'http://id.who.int/icd11/mms',
} as const;

/** The HL7 terminology canonical for ICD-11 MMS: accepted when reading, never written. */
const ICD11_ALIASES = new Set([CODE_SYSTEMS.icd11, 'http://id.who.int/icd/release/11/mms']);

export interface FhirCoding {
  system: string;
  code: string;
}

export interface FhirPatient {
  resourceType: 'Patient';
  name: { family: string; given?: string[] }[];
  birthDate?: string;
}

export interface FhirImmunization {
  resourceType: 'Immunization';
  status: 'completed';
  vaccineCode: { coding: FhirCoding[] };
  patient: { reference: string };
  occurrenceDateTime: string;
  lotNumber?: string;
  performer?: { actor: { display: string } }[];
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'collection';
  identifier?: { value: string };
  entry: { fullUrl: string; resource: FhirPatient | FhirImmunization }[];
}

/** The record as a minimal bundle. Throws when a dose carries no code a verifier could read. */
export function recordToBundle(record: CertificateRecord): FhirBundle {
  if (record.doses.length === 0) throw new Error('SMART Health Card: the record has no doses to certify');
  const patientUrl = 'resource:0';
  const name: FhirPatient['name'][number] = { family: record.person.familyName };
  if (record.person.givenName?.trim()) name.given = [record.person.givenName.trim()];
  const patient: FhirPatient = { resourceType: 'Patient', name: [name] };
  if (record.person.birthDate) patient.birthDate = record.person.birthDate;
  return {
    resourceType: 'Bundle',
    type: 'collection',
    identifier: { value: record.certificateId },
    entry: [
      { fullUrl: patientUrl, resource: patient },
      ...record.doses.map((dose, index) => ({ fullUrl: `resource:${index + 1}`, resource: doseToImmunization(dose, patientUrl) })),
    ],
  };
}

function doseToImmunization(dose: CertificateDose, patientUrl: string): FhirImmunization {
  const coding: FhirCoding[] = [];
  const { cvx, snomed, icd11 } = dose.vaccine.codes;
  if (cvx) coding.push({ system: CODE_SYSTEMS.cvx, code: cvx });
  if (snomed) coding.push({ system: CODE_SYSTEMS.snomed, code: snomed });
  if (icd11) coding.push({ system: CODE_SYSTEMS.icd11, code: icd11 });
  if (coding.length === 0) {
    throw new Error(
      `SMART Health Card: dose ${dose.doseNumber} (${dose.vaccine.code}) has no CVX, SNOMED CT or ICD-11 code; add one to the tenant's vaccine list`,
    );
  }
  const immunization: FhirImmunization = {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: { coding },
    patient: { reference: patientUrl },
    occurrenceDateTime: dose.date,
  };
  if (dose.lotNumber) immunization.lotNumber = dose.lotNumber;
  if (dose.centre.name) immunization.performer = [{ actor: { display: dose.centre.name } }];
  return immunization;
}

/** What a verifier reads back from a bundle (any issuer's, so nothing is assumed). */
export interface BundleContent {
  certificateId?: string;
  name: string;
  birthDate: string;
  /** Completed, potent doses in date order. */
  doses: { date: string; vaccine: string }[];
}

const PARTIAL_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a bundle defensively: a sentence saying what is wrong, or its content. */
export function readBundle(bundle: unknown): BundleContent | { problem: string } {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') return { problem: 'fhirBundle is not a FHIR Bundle' };
  if (!Array.isArray(bundle.entry) || bundle.entry.length === 0) return { problem: 'the Bundle has no entries' };
  const patients: { url: unknown; resource: Record<string, unknown> }[] = [];
  const immunizations: Record<string, unknown>[] = [];
  for (const entry of bundle.entry) {
    if (!isObject(entry) || !isObject(entry.resource)) return { problem: 'a Bundle entry has no resource' };
    if (entry.resource.resourceType === 'Patient') patients.push({ url: entry.fullUrl, resource: entry.resource });
    if (entry.resource.resourceType === 'Immunization') immunizations.push(entry.resource);
  }
  if (patients.length !== 1)
    return { problem: patients.length === 0 ? 'the Bundle has no Patient' : 'the Bundle has more than one Patient' };
  if (immunizations.length === 0) return { problem: 'the Bundle has no Immunization' };
  const [{ url: patientUrl, resource: patient }] = patients;

  const name = readName(patient.name);
  if (!name) return { problem: 'the Patient has no name' };
  if (patient.birthDate !== undefined && (typeof patient.birthDate !== 'string' || !PARTIAL_DATE.test(patient.birthDate))) {
    return { problem: 'the Patient birthDate is not a FHIR date' };
  }

  const doses: BundleContent['doses'] = [];
  for (const immunization of immunizations) {
    if (!isObject(immunization.patient) || immunization.patient.reference !== patientUrl) {
      return { problem: 'an Immunization does not refer to the Patient' };
    }
    const date = immunization.occurrenceDateTime;
    if (typeof date !== 'string' || !DATE_TIME.test(date)) return { problem: 'an Immunization has no occurrenceDateTime' };
    const coding = isObject(immunization.vaccineCode) ? immunization.vaccineCode.coding : undefined;
    const codes = Array.isArray(coding)
      ? coding.filter((item): item is FhirCoding => isObject(item) && typeof item.system === 'string' && typeof item.code === 'string')
      : [];
    if (codes.length === 0) return { problem: 'an Immunization has no vaccineCode coding' };
    // Only completed, potent doses count (the IG: verifiers SHALL process status and isSubpotent).
    if (immunization.status !== 'completed' || immunization.isSubpotent === true) continue;
    doses.push({ date: date.slice(0, 10), vaccine: preferredCode(codes) });
  }
  if (doses.length === 0) return { problem: 'the Bundle has no completed Immunization' };
  doses.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const identifier = bundle.identifier;
  const certificateId = isObject(identifier) && typeof identifier.value === 'string' && identifier.value ? identifier.value : undefined;
  return { certificateId, name, birthDate: typeof patient.birthDate === 'string' ? patient.birthDate : '', doses };
}

function readName(names: unknown): string | undefined {
  if (!Array.isArray(names) || !isObject(names[0])) return undefined;
  const [name] = names;
  if (typeof name.text === 'string' && name.text.trim()) return name.text.trim();
  const given = Array.isArray(name.given) ? name.given.filter((part): part is string => typeof part === 'string') : [];
  const parts = [...given, typeof name.family === 'string' ? name.family : ''].map((part) => part.trim()).filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

/** The code shown for a dose: ICD-11 (the DDCC:VS vaccine code) first, then CVX, SNOMED CT, anything. */
function preferredCode(codes: FhirCoding[]): string {
  const bySystem = (test: (system: string) => boolean) => codes.find((coding) => test(coding.system))?.code;
  return (
    bySystem((system) => ICD11_ALIASES.has(system)) ??
    bySystem((system) => system === CODE_SYSTEMS.cvx) ??
    bySystem((system) => system === CODE_SYSTEMS.snomed) ??
    codes[0].code
  );
}

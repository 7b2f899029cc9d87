import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { todayIn } from '../scheduling/slots.js';
import { nextDose } from '../vaccination/dose-schedule.js';
import type { CertificateDose, CertificateRecord } from './record.js';

/** What the record is built from: the person and the doses they had, as the database holds them. */
export interface PersonDoses {
  beneficiaryId: string;
  accountId: string | null;
  person: CertificateRecord['person'];
  doses: (CertificateDose & { doseRecordId: string; vaccineCode: string })[];
}

/** A dose as the certificate reads it (see PERSON_DOSES_JSON). */
export interface DoseRow {
  id: string;
  vaccine: string;
  dose_number: number;
  given_on: string;
  facility_id: number | null;
  facility_name: string | null;
  lot_number: string | null;
  batch_manufacturer: string | null;
  vaccinator: string | null;
}

/** The person's columns a certificate reads, from `beneficiary b left join certificate_passport p`. */
export interface PersonRow {
  name: string;
  birth_year: number;
  birth_date: string | null;
  gender: string;
  account_id: string | null;
  passport_enc: Buffer | null;
}

export const PERSON_COLUMNS = `b.name, b.birth_year, to_char(b.birth_date, 'YYYY-MM-DD') as birth_date, b.gender, b.account_id,
  p.number_enc as passport_enc`;

/**
 * The doses of the person `b` (voided ones aside) in dose order, each with its batch's lot, the
 * centre and the vaccinator's name, as one JSON array of DoseRow: a subquery, so that a statement
 * reading more (issuance) reads them in the same round trip.
 */
export const PERSON_DOSES_JSON = `coalesce((select json_agg(json_build_object('id', d.id, 'vaccine', d.vaccine, 'dose_number', d.dose_number,
    'given_on', to_char(d.given_on, 'YYYY-MM-DD'), 'facility_id', d.facility_id, 'facility_name', f.name, 'lot_number', bt.lot_number,
    'batch_manufacturer', bt.manufacturer, 'vaccinator', su.display_name) order by d.dose_number)
  from dose_record d
  left join batch bt on bt.id = d.batch_id
  left join facility f on f.id = d.facility_id
  left join staff_user su on su.id = d.vaccinator_id
  where d.beneficiary_id = b.id and d.state <> 'voided'), '[]')`;

const SEX: Record<string, CertificateRecord['person']['sex']> = { M: 'male', F: 'female', O: 'other' };

/**
 * Reads a person and their doses (voided ones aside) for a certificate: the beneficiary's name,
 * birth and sex, the passport they asked to have printed, and each dose with its batch's lot, the
 * centre and the vaccinator's name. Undefined when the person is gone.
 */
export async function readPersonDoses(
  em: EntityManager,
  crypto: TenantCrypto,
  config: TenantConfig,
  beneficiaryId: string,
): Promise<PersonDoses | undefined> {
  const [row] = await em.execute<(PersonRow & { doses: DoseRow[] })[]>(
    `select ${PERSON_COLUMNS}, ${PERSON_DOSES_JSON} as doses
     from beneficiary b left join certificate_passport p on p.beneficiary_id = b.id where b.id = ?`,
    [beneficiaryId],
  );
  return row ? personDoses(crypto, config, beneficiaryId, row, row.doses) : undefined;
}

/** The person and their doses as the record is built from them, from the rows read. */
export function personDoses(
  crypto: TenantCrypto,
  config: TenantConfig,
  beneficiaryId: string,
  person: PersonRow,
  rows: readonly DoseRow[],
): PersonDoses {
  const started = config.vaccines.find((v) => v.code === rows[0]?.vaccine);
  return {
    beneficiaryId,
    accountId: person.account_id,
    person: {
      name: person.name,
      familyName: person.name,
      birthDate: person.birth_date ?? String(person.birth_year),
      sex: SEX[person.gender] ?? 'unknown',
      ...(person.passport_enc ? { identifier: { type: 'passport', value: crypto.decrypt(Buffer.from(person.passport_enc)) } } : {}),
    },
    doses: rows.map((row) => {
      const vaccine = config.vaccines.find((v) => v.code === row.vaccine);
      const codes = vaccine?.codes ?? {};
      return {
        doseRecordId: row.id,
        vaccineCode: row.vaccine,
        doseNumber: row.dose_number,
        totalDoses: started?.doses ?? vaccine?.doses ?? row.dose_number,
        date: row.given_on,
        vaccine: {
          code: row.vaccine,
          name: vaccine?.name ?? row.vaccine,
          ...(vaccine?.manufacturer || row.batch_manufacturer ? { manufacturer: vaccine?.manufacturer ?? row.batch_manufacturer! } : {}),
          ...(vaccine?.marketingAuthorisationHolder ? { marketingAuthorisationHolder: vaccine.marketingAuthorisationHolder } : {}),
          codes: {
            ...(codes.icd11 ? { icd11: codes.icd11 } : {}),
            ...(codes.cvx ? { cvx: codes.cvx } : {}),
            ...(codes.snomed ? { snomed: codes.snomed } : {}),
            ...(codes.euProduct ? { euProduct: codes.euProduct } : {}),
            ...(codes.euManufacturer ? { euManufacturer: codes.euManufacturer } : {}),
          },
        },
        // Doses recorded before batches were tracked have no lot: the DDCC requires one, so it says so.
        lotNumber: row.lot_number ?? 'UNKNOWN',
        country: config.country,
        centre: { id: row.facility_id ?? 0, name: row.facility_name ?? config.certificates.issuer.name },
        ...(row.vaccinator ? { practitioner: row.vaccinator } : {}),
      };
    }),
  };
}

/** provisional while primary doses are due, final when the series is complete, booster after it. */
export function certificateKind(doses: readonly CertificateDose[]): CertificateRecord['kind'] {
  const last = doses.at(-1);
  if (!last || last.doseNumber < last.totalDoses) return 'provisional';
  return last.doseNumber === last.totalDoses ? 'final' : 'booster';
}

/** The canonical record for a person's doses so far (the caller chooses id, version and time). */
export function buildRecord(
  found: PersonDoses,
  config: TenantConfig,
  issuer: CertificateRecord['issuer'],
  identity: { certificateId: string; version: number; issuedAt: Date },
): CertificateRecord {
  const doses: CertificateDose[] = found.doses.map(({ doseRecordId: _id, vaccineCode: _code, ...dose }) => dose);
  const due = nextDose(
    found.doses.map((dose) => ({ vaccine: dose.vaccineCode, doseNumber: dose.doseNumber, givenOn: dose.date })),
    config.vaccines,
    todayIn(config.timeZone, identity.issuedAt),
  );
  return {
    certificateId: identity.certificateId,
    version: identity.version,
    kind: certificateKind(doses),
    issuedAt: identity.issuedAt.toISOString(),
    issuer,
    person: found.person,
    doses,
    ...(due.status === 'due' && due.kind === 'primary' ? { nextDoseFrom: due.earliest } : {}),
  };
}

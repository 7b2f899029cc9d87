import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError, ValidationError } from '../../kernel/errors.js';

/** The dose a case follows, with what the case is linked to through it. */
export interface LinkedDose {
  id: string;
  beneficiaryId: string;
  /** The citizen account the person is registered under; null for walk-ins without one. */
  accountId: string | null;
  vaccine: string;
  doseNumber: number;
  /** ISO date in the tenant's calendar. */
  givenOn: string;
  facilityId: number | null;
  /** The batch the dose record names, if it names one. */
  batchId: string | null;
  /** The moment the dose was given, where the record holds one (else only its date is known). */
  givenAt: Date | null;
}

type DoseRow = {
  id: string;
  beneficiary_id: string;
  account_id: string | null;
  vaccine: string;
  dose_number: number;
  given_on: string;
  facility_id: number | null;
  batch_id: string | null;
  given_at: Date | null;
};

/** A voided record was not given: nothing can follow it. */
const DOSE = `select d.id, d.beneficiary_id, b.account_id, d.vaccine, d.dose_number, d.given_on::text as given_on, d.facility_id,
    d.batch_id, d.administered_at as given_at
  from dose_record d join beneficiary b on b.id = d.beneficiary_id
  where d.state <> 'voided'`;

function linked(row: DoseRow | undefined): LinkedDose {
  // Someone else's dose is "not found", never "forbidden": ids reveal nothing.
  if (!row) throw new NotFoundError('no such dose');
  return {
    id: row.id,
    beneficiaryId: row.beneficiary_id,
    accountId: row.account_id,
    vaccine: row.vaccine,
    doseNumber: row.dose_number,
    givenOn: row.given_on,
    facilityId: row.facility_id,
    batchId: row.batch_id,
    givenAt: row.given_at ? new Date(row.given_at) : null,
  };
}

export async function doseById(em: EntityManager, id: string): Promise<LinkedDose> {
  return linked((await em.execute<DoseRow[]>(`${DOSE} and d.id = ?`, [id]))[0]);
}

/** A dose of one of the account's own beneficiaries, by the beneficiary's reference id. */
export async function citizenDose(em: EntityManager, accountId: string, referenceId: string, doseNumber: number): Promise<LinkedDose> {
  const rows = await em.execute<DoseRow[]>(`${DOSE} and b.account_id = ? and b.reference_id = ? and d.dose_number = ?`, [
    accountId,
    referenceId,
    doseNumber,
  ]);
  return linked(rows[0]);
}

/**
 * The batch a case is linked to: the dose record's own, else the one the reporter names (by id or
 * lot number), which must be of the dose's vaccine. None when nobody knows it yet.
 */
export async function batchOf(
  em: EntityManager,
  dose: LinkedDose,
  named: { batchId?: string; lotNumber?: string },
): Promise<string | null> {
  if (dose.batchId) return dose.batchId;
  if (named.batchId) {
    const [row] = await em.execute<{ vaccine: string }[]>('select vaccine from batch where id = ?', [named.batchId]);
    if (!row) throw new ValidationError('no such batch', [{ path: '/batchId', code: 'batch-unknown' }]);
    if (row.vaccine !== dose.vaccine)
      throw new ValidationError('batch of another vaccine', [{ path: '/batchId', code: 'batch-vaccine-mismatch' }]);
    return named.batchId;
  }
  if (named.lotNumber) {
    const [row] = await em.execute<{ id: string }[]>('select id from batch where vaccine = ? and upper(lot_number) = upper(?)', [
      dose.vaccine,
      named.lotNumber,
    ]);
    if (!row) throw new ValidationError('no such lot of this vaccine', [{ path: '/lotNumber', code: 'batch-unknown' }]);
    return row.id;
  }
  return null;
}

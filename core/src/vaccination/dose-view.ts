import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../kernel/errors.js';
import type { DoseState, InjectionSite } from './dose-record.entity.js';

/** A dose record as staff see it. */
export interface DoseView {
  id: string;
  beneficiary: string;
  vaccine: string;
  doseNumber: number;
  givenOn: string;
  administeredAt: string | null;
  facilityId: number | null;
  sessionId: string | null;
  appointmentId: string | null;
  batch: { id: string; lotNumber: string; expiresOn: string } | null;
  injectionSite: InjectionSite | null;
  vaccinatorId: string | null;
  state: DoseState;
  intervalException: string | null;
  recordedBy: string | null;
  recordedAt: string;
}

interface DoseRow {
  id: string;
  reference_id: string;
  vaccine: string;
  dose_number: number;
  given_on: string;
  administered_at: Date | null;
  facility_id: number | null;
  session_id: string | null;
  appointment_id: string | null;
  batch_id: string | null;
  lot_number: string | null;
  expires_on: string | null;
  injection_site: InjectionSite | null;
  vaccinator_id: string | null;
  state: DoseState;
  interval_exception: string | null;
  recorded_by: string | null;
  recorded_at: Date;
}

const DOSES = `select d.id, b.reference_id, d.vaccine, d.dose_number, to_char(d.given_on, 'YYYY-MM-DD') as given_on, d.administered_at,
    d.facility_id, d.session_id, d.appointment_id, d.batch_id, bt.lot_number, bt.expires_on::text as expires_on, d.injection_site,
    d.vaccinator_id, d.state, d.interval_exception, d.recorded_by, d.recorded_at
  from dose_record d join beneficiary b on b.id = d.beneficiary_id left join batch bt on bt.id = d.batch_id`;

export async function doseView(em: EntityManager, id: string): Promise<DoseView> {
  const [row] = await em.execute<DoseRow[]>(`${DOSES} where d.id = ?`, [id]);
  if (!row) throw new NotFoundError('no such dose record');
  return view(row);
}

export async function dosesOf(em: EntityManager, beneficiaryId: string): Promise<DoseView[]> {
  const rows = await em.execute<DoseRow[]>(`${DOSES} where d.beneficiary_id = ? order by d.dose_number, d.recorded_at`, [beneficiaryId]);
  return rows.map(view);
}

function view(row: DoseRow): DoseView {
  return {
    id: row.id,
    beneficiary: row.reference_id,
    vaccine: row.vaccine,
    doseNumber: row.dose_number,
    givenOn: row.given_on,
    administeredAt: row.administered_at ? new Date(row.administered_at).toISOString() : null,
    facilityId: row.facility_id,
    sessionId: row.session_id,
    appointmentId: row.appointment_id,
    batch: row.batch_id ? { id: row.batch_id, lotNumber: row.lot_number ?? '', expiresOn: row.expires_on ?? '' } : null,
    injectionSite: row.injection_site,
    vaccinatorId: row.vaccinator_id,
    state: row.state,
    intervalException: row.interval_exception,
    recordedBy: row.recorded_by,
    recordedAt: new Date(row.recorded_at).toISOString(),
  };
}

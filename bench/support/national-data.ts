/**
 * National-scale data written straight into a tenant's database with SQL set operations
 * (generate_series), in seconds rather than hours: centres spread over every district the tenant's
 * seeds hold, sessions over the coming days, and (for the growth benchmark) accounts and
 * beneficiaries. Ids are fixed ranges so a run can name them: facilities from FIRST_FACILITY.
 */
import type pg from 'pg';
import type { Call } from './load-worker.js';

export const FIRST_FACILITY = 100_000;
export const SLOTS = ['09:00AM-11:00AM', '11:00AM-01:00PM', '01:00PM-03:00PM', '03:00PM-05:00PM'];
const VACCINES = ['covishield', 'covaxin', 'corbevax'];

export interface NationalData {
  districts: number[];
  facilities: number;
  sessions: number;
  /** ISO dates the sessions span, first to last. */
  from: string;
  to: string;
  ms: number;
}

/**
 * `facilities` centres round-robin over every district (`area` rows of the `district` level), and
 * `sessions` sessions: session n is at centre n mod facilities, on day (n div facilities) mod
 * `days`, of vaccine (n div facilities*days), so no centre has two sessions of one vaccine on a day.
 * Each session has dose 1 and dose 2 counters and `slots` time slots.
 */
export async function loadNational(
  client: pg.Client,
  options: {
    facilities: number;
    sessions: number;
    days: number;
    from: string;
    slots?: number;
    /** Only these districts (default: every one). */
    districts?: number[];
    /** Districts to leave out. */
    exclude?: number[];
    /** The first centre id (default FIRST_FACILITY) and the session ids' fourth group (default `a000`). */
    firstFacility?: number;
    sessionGroup?: string;
  },
): Promise<NationalData> {
  const started = Date.now();
  const slots = options.slots ?? SLOTS.length;
  const first = options.firstFacility ?? FIRST_FACILITY;
  const group = options.sessionGroup ?? 'a000';
  const { rows } = await client.query(`select id from area where level = 'district' order by id`);
  const excluded = new Set(options.exclude ?? []);
  const districts = (options.districts ?? rows.map((r: { id: number }) => r.id)).filter((id) => !excluded.has(id));
  if (districts.length === 0) throw new Error('no districts in the tenant database');
  await client.query('begin');
  await client.query(
    `insert into facility (id, name, address, area_level, area_id, postal_code, latitude, longitude, opens_at, closes_at, fee_type)
     select $1::int + n, 'Bench Centre ' || n, 'Bench Road ' || n, 'district', d.ids[1 + n % cardinality(d.ids)],
            (100000 + (n * 7919) % 899999)::text, round((8 + random() * 27)::numeric, 6), round((68 + random() * 29)::numeric, 6),
            '09:00', '17:00', 'free'
     from generate_series(0, $2::int - 1) as n, (select $3::int[] as ids) as d`,
    [first, options.facilities, districts],
  );
  const perDay = options.facilities;
  const perVaccine = options.facilities * options.days;
  if (options.sessions > perVaccine * VACCINES.length) throw new Error('more sessions than centres × days × vaccines');
  await client.query(
    `insert into vaccination_session (id, facility_id, date, vaccine, min_age)
     select ('00000000-0000-4000-' || $8::text || '-' || lpad(n::text, 12, '0'))::uuid, $1::int + n % $2::int,
            $3::date + ((n / $2::int) % $4::int), ($5::text[])[1 + n / $6::int], 18
     from generate_series(0, $7::int - 1) as n`,
    [first, perDay, options.from, options.days, VACCINES, perVaccine, options.sessions, group],
  );
  await client.query(
    `insert into session_capacity (session_id, dose_number, online_capacity, walkin_capacity)
     select s.id, d, 10000000, 10 from vaccination_session s, generate_series(1, 2) as d where s.facility_id between $1 and $1 + $2 - 1`,
    [first, options.facilities],
  );
  await client.query(
    `insert into session_slot (session_id, slot_index, label, capacity)
     select s.id, i - 1, ($2::text[])[i], 10000000 from vaccination_session s, generate_series(1, $3::int) as i
     where s.facility_id between $1 and $1 + $4 - 1`,
    [first, SLOTS, slots, options.facilities],
  );
  await client.query('commit');
  // Vacuumed too, so that autovacuum does not start on the fresh rows in the middle of a measurement.
  await client.query('vacuum analyze');
  const to = (await client.query(`select ($1::date + $2::int - 1)::text as to`, [options.from, options.days])).rows[0].to as string;
  return { districts, facilities: options.facilities, sessions: options.sessions, from: options.from, to, ms: Date.now() - started };
}

/** `count` beneficiaries, two per account, with fixed ids (`…-b000-<n>`) and throw-away hashes. */
export async function loadBeneficiaries(client: pg.Client, count: number): Promise<number> {
  const started = Date.now();
  const accounts = Math.ceil(count / 2);
  await client.query('begin');
  await client.query(
    `insert into account (id, phone_hash, phone_enc, language)
     select ('00000000-0000-4000-c000-' || lpad(n::text, 12, '0'))::uuid, encode(sha256(('bench-phone:' || n)::bytea), 'hex'), '\\x00', 'en'
     from generate_series(1, $1::int) as n`,
    [accounts],
  );
  await client.query(
    `insert into beneficiary (id, reference_id, account_id, name, birth_year, gender, document_type, document_verifier, document_hash,
       document_enc, document_masked, consent_version, consent_at)
     select ('00000000-0000-4000-b000-' || lpad(n::text, 12, '0'))::uuid, '8' || lpad(n::text, 13, '0'),
            ('00000000-0000-4000-c000-' || lpad((1 + (n - 1) / 2)::text, 12, '0'))::uuid, 'Bench ' || n, 1950 + n % 50, 'F',
            'passport', 'passport', encode(sha256(('bench-doc:' || n)::bytea), 'hex'), '\\x00', 'XXXX', '2021-01', now()
     from generate_series(1, $1::int) as n`,
    [count],
  );
  await client.query('commit');
  // Vacuumed too, so that autovacuum does not start on the fresh rows in the middle of a measurement.
  await client.query('vacuum analyze');
  return Date.now() - started;
}

const ddmmyyyy = (iso: string) => `${iso.slice(8, 10)}-${iso.slice(5, 7)}-${iso.slice(0, 4)}`;
const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * Every search of the run: each district × each day × the three endpoints. The `key` models the
 * platform's cache (scheduling/availability-cache.ts): one entry per district holds the whole
 * published window, so every day and endpoint of a district shares it.
 */
export function availabilityCalls(districts: number[], from: string, days: number): Call[] {
  const calls: Call[] = [];
  for (const district of districts) {
    const key = `district:${district}`;
    for (let day = 0; day < days; day++) {
      const date = addDays(from, day);
      calls.push(
        { path: `/api/v1/availability?area=district:${district}&from=${date}&days=7`, key },
        { path: `/cowin/v2/appointment/sessions/public/findByDistrict?district_id=${district}&date=${ddmmyyyy(date)}`, key },
        { path: `/cowin/v2/appointment/sessions/public/calendarByDistrict?district_id=${district}&date=${ddmmyyyy(date)}`, key },
      );
    }
  }
  return calls;
}

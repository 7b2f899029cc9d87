/**
 * Growth benchmark (not a test): the same availability searches and bookings at two sizes of one
 * tenant (`in`), small (10k beneficiaries, 200 centres, 5k sessions) and large (1M beneficiaries,
 * 20k centres, 500k sessions, times BENCH_GROWTH_SCALE: 1 by default, 0.1 for a quick run), each on
 * a server and database of its own, measured in turns; the ratio of the p99 latencies, large / small,
 * shows how cost grows with data (target ≤ 1.5). Data is written with SQL set operations. See bench/README.md.
 * `npm run bench:growth`.
 */
import 'reflect-metadata';
import { todayIn } from '@teeka/core/dist/src/scheduling/slots.js';
import pg from 'pg';
import { type Latency, latency, machine, numberFrom, report, round, say } from './support/common.js';
import { type Call, type LoadResult, load, rate } from './support/load.js';
import { availabilityCalls, loadBeneficiaries, loadNational, SLOTS } from './support/national-data.js';
import { type Database, startDatabase, startServer } from './support/server.js';
import { benchSecrets, citizenTokens } from './support/tokens.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 2);
const CLIENTS = numberFrom('BENCH_CLIENTS', 16);
const SCALE = numberFrom('BENCH_GROWTH_SCALE', 1);
/** Bookings prepared per size (each by a beneficiary of its own); the run stops early if they run out. */
const BOOKINGS = numberFrom('BENCH_BOOKINGS', 20_000);
const DAYS = 14;
/** Districts searched, each with PROBE_CENTRES centres (ids from PROBE_FIRST_FACILITY), one session a day each. */
const PROBES = 50;
const PROBE_CENTRES = 10;
const PROBE_FIRST_FACILITY = 90_000;
const TARGET = 1.5;
const SLICE_SECONDS = 2;
const HOST = 'in.localhost';

interface Size {
  name: string;
  beneficiaries: number;
  facilities: number;
  sessions: number;
}

interface Measured {
  size: Size;
  loadMs: number;
  availability: Latency & { rps: number };
  booking: Latency & { rps: number };
  failures: Record<string, number>;
}

interface Prepared {
  size: Size;
  loadMs: number;
  port: number;
  calls: Call[];
  bookings: Call[][];
  stop(): Promise<void>;
}

/** A server of its own with the size's data, the searches and the bookings to make. */
async function prepare(database: Database, size: Size): Promise<Prepared> {
  const secrets = benchSecrets('in');
  const server = await startServer({ database, tenants: ['in'], env: secrets });
  const client = new pg.Client({ connectionString: server.tenantUrl('in') });
  await client.connect();
  try {
    const started = Date.now();
    const from = todayIn('Asia/Kolkata');
    // The probe districts hold the same centres and sessions at both sizes: the searches measured
    // return the same answers, so only the size of the tables around them changes.
    const all = (await client.query(`select id from area where level = 'district' order by id`)).rows.map((r: { id: number }) => r.id);
    const probes = all.filter((_: number, i: number) => i % Math.floor(all.length / PROBES) === 0).slice(0, PROBES);
    const probe = await loadNational(client, {
      facilities: PROBES * PROBE_CENTRES,
      sessions: PROBES * PROBE_CENTRES * DAYS,
      days: DAYS,
      from,
      slots: 2,
      districts: probes,
      firstFacility: PROBE_FIRST_FACILITY,
      sessionGroup: 'a100',
    });
    const data = await loadNational(client, {
      facilities: size.facilities,
      sessions: size.sessions,
      days: DAYS,
      from,
      slots: 2,
      exclude: probes,
    });
    await loadBeneficiaries(client, size.beneficiaries);
    const loadMs = Date.now() - started;
    say(
      `${size.name}: ${size.beneficiaries} beneficiaries, ${data.facilities} centres, ${data.sessions} sessions written in ${(loadMs / 1000).toFixed(1)} s`,
    );

    // Bookings: beneficiaries 1…n (two per account), each into a random covishield session from tomorrow on.
    const count = Math.min(BOOKINGS, size.beneficiaries);
    const accounts = Array.from({ length: Math.ceil(count / 2) }, (_, i) => `00000000-0000-4000-c000-${String(i + 1).padStart(12, '0')}`);
    const tokens = await citizenTokens(client, 'in', secrets, accounts);
    const perVaccine = size.facilities * DAYS;
    const bookable = Math.min(size.sessions, perVaccine) - size.facilities; // covishield sessions not today
    const bookings: Call[][] = Array.from({ length: count }, (_, i) => {
      const n = size.facilities + Math.floor(Math.random() * bookable);
      return [
        {
          method: 'POST',
          path: '/api/v1/appointments',
          headers: { Authorization: `Bearer ${tokens[Math.floor(i / 2)]}` },
          body: {
            sessionId: `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`,
            slot: SLOTS[0],
            beneficiaries: [`8${String(i + 1).padStart(13, '0')}`],
          },
        },
      ];
    });
    // Two beneficiaries of one account never book at once: first every account's first, then the seconds.
    const ordered = [...bookings.filter((_, i) => i % 2 === 0), ...bookings.filter((_, i) => i % 2 === 1)];
    return {
      size,
      loadMs,
      port: server.port,
      calls: availabilityCalls(probe.districts, from, DAYS),
      bookings: ordered,
      stop: async () => {
        await server.stop();
      },
    };
  } finally {
    await client.end();
  }
}

/**
 * Both sizes measured in turns of SLICE_SECONDS until each had SECONDS, so load from elsewhere on
 * the machine hits both alike: first the searches, then the bookings.
 */
async function measure(sizes: Prepared[]): Promise<Measured[]> {
  const runs = sizes.map(() => ({ searched: [] as LoadResult[], booked: [] as LoadResult[] }));
  const offsets = sizes.map(() => 0);
  for (const prepared of sizes) {
    await load({ port: prepared.port, host: HOST, clients: CLIENTS, unit: 'requests', calls: prepared.calls, seconds: WARMUP_SECONDS });
  }
  for (const phase of ['searched', 'booked'] as const) {
    for (let done = 0; done < SECONDS; done += SLICE_SECONDS) {
      for (const [index, prepared] of sizes.entries()) {
        const base = { port: prepared.port, host: HOST, clients: CLIENTS, seconds: Math.min(SLICE_SECONDS, SECONDS - done) };
        if (phase === 'searched') runs[index].searched.push(await load({ ...base, unit: 'requests', calls: prepared.calls }));
        else {
          const result = await load({ ...base, unit: 'sequences', sequences: prepared.bookings.slice(offsets[index]) });
          offsets[index] += Object.values(result.statuses).reduce((sum, n) => sum + n, 0);
          if (result.exhausted) say(`${prepared.size.name}: the bookings ran out; raise BENCH_BOOKINGS`);
          runs[index].booked.push(result);
        }
      }
    }
  }
  return sizes.map((prepared, index) => {
    const searched = merge(runs[index].searched);
    const booked = merge(runs[index].booked);
    const failures = Object.fromEntries(
      [...Object.entries(searched.statuses), ...Object.entries(booked.statuses)].filter(([key]) => !key.startsWith('2')),
    );
    const result = {
      size: prepared.size,
      loadMs: prepared.loadMs,
      availability: { ...latency(searched.latencies), rps: round(rate(searched)) },
      booking: { ...latency(booked.latencies), rps: round(rate(booked)) },
      failures,
    };
    say(
      `${prepared.size.name}: availability ${result.availability.rps}/s p50 ${result.availability.p50} p99 ${result.availability.p99} ms; ` +
        `booking ${result.booking.rps}/s p50 ${result.booking.p50} p99 ${result.booking.p99} ms` +
        (Object.keys(failures).length ? `; not 2xx: ${JSON.stringify(failures)}` : ''),
    );
    return result;
  });
}

function merge(results: LoadResult[]): LoadResult {
  const statuses: Record<string, number> = {};
  for (const result of results) for (const [key, n] of Object.entries(result.statuses)) statuses[key] = (statuses[key] ?? 0) + n;
  return {
    elapsedMs: results.reduce((sum, r) => sum + r.elapsedMs, 0),
    ok: results.reduce((sum, r) => sum + r.ok, 0),
    latencies: results.flatMap((r) => r.latencies),
    statuses,
    hits: 0,
    misses: 0,
    bytes: results.reduce((sum, r) => sum + r.bytes, 0),
    exhausted: results.some((r) => r.exhausted),
  };
}

async function main(): Promise<void> {
  const database = await startDatabase();
  say(`database: ${database.description}, PostgreSQL ${database.version}`);
  try {
    const prepared = [
      await prepare(database, { name: 'small', beneficiaries: 10_000, facilities: 200, sessions: 5_000 }),
      await prepare(database, {
        name: `large (scale ${SCALE})`,
        beneficiaries: Math.round(1_000_000 * SCALE),
        facilities: Math.round(20_000 * SCALE),
        sessions: Math.round(500_000 * SCALE),
      }),
    ];
    let small: Measured;
    let large: Measured;
    try {
      [small, large] = await measure(prepared);
    } finally {
      for (const size of prepared) await size.stop();
    }
    const availabilityRatio = large.availability.p99 / small.availability.p99;
    const bookingRatio = large.booking.p99 / small.booking.p99;
    const ratio = Math.max(availabilityRatio, bookingRatio);
    say(`p99 large / small: availability ${availabilityRatio.toFixed(2)}, booking ${bookingRatio.toFixed(2)} (target <= ${TARGET})`);
    report({
      name: 'growth',
      figures: {
        smallAvailabilityP99Ms: small.availability.p99,
        largeAvailabilityP99Ms: large.availability.p99,
        smallBookingP99Ms: small.booking.p99,
        largeBookingP99Ms: large.booking.p99,
        availabilityRatio: round(availabilityRatio, 2),
        bookingRatio: round(bookingRatio, 2),
        largeBeneficiaries: large.size.beneficiaries,
        largeSessions: large.size.sessions,
        largeLoadSeconds: round(large.loadMs / 1000, 1),
      },
      ratio: round(ratio, 2),
      target: `<= ${TARGET}`,
      pass: ratio <= TARGET && Object.keys(small.failures).length + Object.keys(large.failures).length === 0,
      notes: `ratio = the larger of the two p99 ratios; ${SECONDS} s per measure, ${CLIENTS} clients; machine ${JSON.stringify(machine(database.version))}`,
    });
  } finally {
    await database.stop();
  }
}

await main();

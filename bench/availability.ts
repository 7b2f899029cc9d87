/**
 * Availability benchmark (not a test): searches per second on tenant `in` with national-scale data
 * (every district of the seeds, thousands of centres, sessions over 14 days), native
 * `GET /api/v1/availability` and Co-WIN `findByDistrict` / `calendarByDistrict`, random districts and
 * dates, next to a bare `node:http` server answering the same bytes under the same load generator
 * in the same run. See bench/README.md. `npm run bench:availability`.
 */
import 'reflect-metadata';
import { todayIn } from '@teeka/core/dist/src/scheduling/slots.js';
import pg from 'pg';
import { latency, machine, numberFrom, report, round, say } from './support/common.js';
import { type Call, type LoadResult, load, rate } from './support/load.js';
import { availabilityCalls, loadNational } from './support/national-data.js';
import { startBareServer, startDatabase, startServer } from './support/server.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 2);
const CLIENTS = numberFrom('BENCH_CLIENTS', 32);
const FACILITIES = numberFrom('BENCH_FACILITIES', 5_000);
const DAYS = 14;
const SESSIONS = numberFrom('BENCH_SESSIONS', FACILITIES * DAYS);
/** The platform's `scheduling.availabilityCacheSeconds` (the tenant's default). */
const CACHE_SECONDS = 10;
const HOST = 'in.localhost';
const TARGET = 0.5;

const summary = (name: string, result: LoadResult) => {
  const l = latency(result.latencies);
  const other = Object.entries(result.statuses).filter(([key]) => !key.startsWith('2'));
  say(
    `${name}: ${result.ok} answers in ${(result.elapsedMs / 1000).toFixed(1)} s = ${rate(result).toFixed(0)}/s, p50 ${l.p50} ms, p99 ${l.p99} ms` +
      `, ${(result.bytes / Math.max(1, result.ok) / 1024).toFixed(1)} KiB/answer${other.length ? `; not 2xx: ${JSON.stringify(Object.fromEntries(other))}` : ''}`,
  );
  return l;
};

async function main(): Promise<void> {
  const database = await startDatabase();
  say(`database: ${database.description}, PostgreSQL ${database.version}`);
  const server = await startServer({ database, tenants: ['in'] });
  const client = new pg.Client({ connectionString: server.tenantUrl('in') });
  await client.connect();
  try {
    const from = todayIn('Asia/Kolkata');
    const data = await loadNational(client, { facilities: FACILITIES, sessions: SESSIONS, days: DAYS, from });
    say(
      `data: ${data.districts.length} districts, ${data.facilities} centres, ${data.sessions} sessions ${data.from}…${data.to} in ${data.ms} ms`,
    );
    const calls = availabilityCalls(data.districts, from, DAYS);
    say(`${calls.length} distinct searches; ${CLIENTS} clients, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured per side`);
    const base = { port: server.port, host: HOST, clients: CLIENTS, unit: 'requests' as const, cacheSeconds: CACHE_SECONDS };

    await load({ ...base, calls, seconds: WARMUP_SECONDS });
    await server.startProfile();
    const platform = await load({ ...base, calls, seconds: SECONDS, keepBodies: true });
    const memory = server.memory();
    const profile = await server.stopProfile();
    const platformLatency = summary('platform', platform);
    const hitRatio = platform.hits / Math.max(1, platform.hits + platform.misses);
    say(
      `cache: ${platform.hits} hits, ${platform.misses} misses (modelled: the same search within ${CACHE_SECONDS} s) = ${(hitRatio * 100).toFixed(1)} %`,
    );

    // The baseline answers exactly the bytes the platform gave, for the searches the platform answered.
    const answers: Record<string, { type: string; body: string }> = {};
    const captured: Call[] = [];
    for (const [index, answer] of Object.entries(platform.bodies ?? {})) {
      const call = calls[Number(index)];
      answers[call.path] = answer;
      captured.push({ path: call.path });
    }
    const bare = await startBareServer(answers);
    let baseline: LoadResult;
    try {
      await load({ ...base, port: bare.port, calls: captured, seconds: WARMUP_SECONDS });
      baseline = await load({ ...base, port: bare.port, calls: captured, seconds: SECONDS });
    } finally {
      bare.stop();
    }
    const baselineLatency = summary(`bare node:http (${captured.length} captured answers)`, baseline);
    const ratio = rate(platform) / rate(baseline);
    say(`ratio platform / bare: ${ratio.toFixed(3)} (target >= ${TARGET}); server RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB`);
    const failed = Object.keys(platform.statuses).some((key) => !key.startsWith('2'));
    report({
      name: 'availability',
      figures: {
        rps: round(rate(platform)),
        p50Ms: platformLatency.p50,
        p99Ms: platformLatency.p99,
        cacheHitRatio: round(hitRatio, 3),
        baselineRps: round(rate(baseline)),
        baselineP99Ms: baselineLatency.p99,
        kibPerAnswer: round(platform.bytes / Math.max(1, platform.ok) / 1024, 1),
        districts: data.districts.length,
        centres: data.facilities,
        sessions: data.sessions,
        rssMiB: round(memory.rss / 2 ** 20),
      },
      ratio: round(ratio, 3),
      target: `>= ${TARGET}`,
      pass: ratio >= TARGET && !failed,
      profile: profile.length > 0 ? profile : undefined,
      notes: `${SECONDS} s per side, ${CLIENTS} clients; machine ${JSON.stringify(machine(database.version))}`,
    });
  } finally {
    await client.end();
    await server.stop();
    await database.stop();
  }
}

await main();

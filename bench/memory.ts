/**
 * Memory benchmark (not a test): resident memory (RSS, from /proc) of the server process with
 * every demo tenant active (demo sessions on) under load: each tenant's home page and availability
 * searches over its own areas and days, spread over all tenants. Reports RSS after start, the peak
 * (VmHWM) and RSS after the load. Target: peak < 400 MB. See bench/README.md. `npm run bench:memory`.
 */
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { projectPaths } from '@teeka/core/dist/src/kernel/config/paths.js';
import pg from 'pg';
import { latency, machine, numberFrom, report, round, say } from './support/common.js';
import { cpuMs } from './support/cpu.js';
import { type Call, load, rate } from './support/load.js';
import { startDatabase, startServer } from './support/server.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const CLIENTS = numberFrom('BENCH_CLIENTS', 32);
const SETTLE_SECONDS = numberFrom('BENCH_SETTLE_SECONDS', 5);
const TARGET_MIB = 400;
const MiB = 2 ** 20;
async function main(): Promise<void> {
  const codes = readdirSync(projectPaths().tenants)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length));
  const database = await startDatabase();
  say(`database: ${database.description}, PostgreSQL ${database.version}`);
  const server = await startServer({ database, tenants: codes, env: { TEEKA_DEMO_SESSIONS: 'on' } });
  try {
    const started = server.memory();
    const calls: Call[] = [];
    for (const code of codes) {
      const client = new pg.Client({ connectionString: server.tenantUrl(code) });
      await client.connect();
      const areas = (await client.query('select distinct area_level as level, area_id as id from facility')).rows as {
        level: string;
        id: number;
      }[];
      const days = (await client.query(`select distinct date::text as date from vaccination_session order by 1 limit 7`)).rows as {
        date: string;
      }[];
      await client.end();
      const host = `${code}.localhost`;
      calls.push({ path: '/', headers: { Host: host } });
      for (const area of areas) {
        for (const { date } of days)
          calls.push({ path: `/api/v1/availability?area=${area.level}:${area.id}&from=${date}`, headers: { Host: host } });
      }
    }
    say(
      `${codes.length} tenants (${codes.join(', ')}), ${calls.length} distinct requests; RSS after start ${(started.rss / MiB).toFixed(0)} MiB`,
    );
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(server.memory().rss), 250);
    // The server's CPU per answer tells whether a memory setting costs speed; on a shared machine
    // it varies far less than answers per second do.
    const cpuBefore = cpuMs(server.pid);
    const result = await load({ port: server.port, host: 'in.localhost', clients: CLIENTS, seconds: SECONDS, unit: 'requests', calls });
    const cpuPerAnswer = (cpuMs(server.pid) - cpuBefore) / Math.max(1, result.ok);
    clearInterval(sampler);
    const underLoad = server.memory();
    await new Promise((done) => setTimeout(done, SETTLE_SECONDS * 1000));
    const after = server.memory();
    const l = latency(result.latencies);
    const other = Object.entries(result.statuses).filter(([key]) => !key.startsWith('2'));
    say(
      `load: ${result.ok} answers = ${rate(result).toFixed(0)}/s, p50 ${l.p50} ms, p99 ${l.p99} ms, server CPU ${cpuPerAnswer.toFixed(2)} ms per answer${other.length ? `; not 2xx: ${JSON.stringify(Object.fromEntries(other))}` : ''}`,
    );
    const peak = Math.max(underLoad.peak, ...samples);
    say(
      `RSS: after start ${(started.rss / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, at the end of the load ${(underLoad.rss / MiB).toFixed(0)} MiB, ${SETTLE_SECONDS} s later ${(after.rss / MiB).toFixed(0)} MiB (target: peak < ${TARGET_MIB} MiB)`,
    );
    report({
      name: 'memory',
      figures: {
        tenants: codes.length,
        rssAfterStartMiB: round(started.rss / MiB),
        peakRssMiB: round(peak / MiB),
        rssAfterLoadMiB: round(after.rss / MiB),
        rps: round(rate(result)),
        p99Ms: l.p99,
        serverCpuMsPerAnswer: round(cpuPerAnswer, 2),
      },
      ratio: round(peak / MiB / TARGET_MIB, 3),
      target: `peak < ${TARGET_MIB} MiB`,
      pass: peak / MiB < TARGET_MIB && other.length === 0,
      notes: `ratio = peak / ${TARGET_MIB} MiB; ${SECONDS} s, ${CLIENTS} clients; machine ${JSON.stringify(machine(database.version))}`,
    });
  } finally {
    await server.stop();
    await database.stop();
  }
}

await main();

/**
 * Availability benchmark (not a test): searches per second on tenant `in` with national-scale data
 * (every district of the seeds, thousands of centres, sessions over 14 days), native
 * `GET /api/v1/availability` and Co-WIN `findByDistrict` / `calendarByDistrict`, random districts and
 * dates, next to a bare `node:http` server answering the same bytes under the same load generator
 * in the same run. See bench/README.md. `npm run bench:availability`.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectPaths } from '@teeka/core/dist/src/kernel/config/paths.js';
import { todayIn } from '@teeka/core/dist/src/scheduling/slots.js';
import pg from 'pg';
import { latency, machine, numberFrom, report, round, say } from './support/common.js';
import { cpuMs, postmasterOf, treeCpuMs } from './support/cpu.js';
import { type CpuCap, cpuCaps } from './support/cpu-cap.js';
import { type Call, type LoadResult, load, rate } from './support/load.js';
import { availabilityCalls, loadNational } from './support/national-data.js';
import {
  BENCH_LOG_LEVEL,
  benchProject,
  type Database,
  freePort,
  serverOutput,
  startBareServer,
  startDatabase,
  startServer,
  waitUntilReady,
} from './support/server.js';
import { printStatements, resetStatements } from './support/statements.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
/**
 * Long enough for the server's first render of every district (70,000 sessions in three shapes),
 * which a server that has been running for hours has long done: with 2 s, the measured 10 s were
 * mostly that first render (CPU per answer 0.42 ms at 10 s, 0.29 ms at 30 s, the same build).
 */
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 10);
const CLIENTS = numberFrom('BENCH_CLIENTS', 32);
const FACILITIES = numberFrom('BENCH_FACILITIES', 5_000);
const DAYS = 14;
const SESSIONS = numberFrom('BENCH_SESSIONS', FACILITIES * DAYS);
/** The platform's `scheduling.availabilityCacheSeconds` (the tenant's default). */
const CACHE_SECONDS = 10;
const HOST = 'in.localhost';
const TARGET = 0.5;
/** App process counts to compare under the same load (node:cluster, TEEKA_WORKERS=n); empty: no comparison. */
const PROCESSES = (process.env.BENCH_PROCESSES ?? '1,2')
  .split(',')
  .map((text) => text.trim())
  .filter(Boolean)
  .map(Number);
if (PROCESSES.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('BENCH_PROCESSES must list whole numbers, e.g. 1,2');
/**
 * The scale-out comparison runs twice: as the machine comes, then with each app process held to
 * this many cores (a cgroup CPU quota, as machines or containers of their own would hold them; see
 * support/cpu-cap.ts). 0: the second run is skipped. A quarter core, so that two processes'
 * quota, PostgreSQL (0.6-0.8 core at 1,300 answers/s) and the load generator still fit on a
 * 2-core machine: at half a core each, two processes answering 0.3 ms searches filled the machine
 * (1,073 -> 1,296 answers/s, 1.21x), which measures the machine, not the instances.
 */
const PROCESS_CPU = Number(process.env.BENCH_PROCESS_CPU ?? 0.25);
if (!Number.isFinite(PROCESS_CPU) || PROCESS_CPU < 0) throw new Error('BENCH_PROCESS_CPU must be a number of cores (0: none)');
/** Capped, the most processes must answer at least this many times what one does. */
const CAPPED_SCALE_OUT_TARGET = 1.5;

/** The platform's own cache counters (cache_lookups_total, from GET /metrics on the platform host). */
async function cacheCounts(port: number): Promise<Record<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Host: 'localhost' } });
  const text = await response.text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^cache_lookups_total\{tenant="in",cache="([^"]+)",result="([^"]+)"\} (\d+)/gm)) {
    counts[`${match[1]} ${match[2]}`] = Number(match[3]);
  }
  return counts;
}

function ratioOf(
  before: Record<string, number>,
  after: Record<string, number>,
  cache: string,
): { hits: number; misses: number; ratio: number } {
  const hits = (after[`${cache} hit`] ?? 0) - (before[`${cache} hit`] ?? 0);
  const misses = (after[`${cache} miss`] ?? 0) - (before[`${cache} miss`] ?? 0);
  return { hits, misses, ratio: hits / Math.max(1, hits + misses) };
}

/**
 * `n` app processes as production runs them (`node core/dist/src/main.js`, TEEKA_WORKERS=n), on the
 * benchmark's tenant database (same prefix) and bench configuration. Logs are read and discarded.
 */
async function startProcesses(
  n: number,
  database: Database,
  prefix: string,
  cap?: CpuCap,
): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const paths = benchProject();
  const main = [join(projectPaths().root, 'core', 'dist', 'src', 'main.js')];
  // In the group from its first instruction (the shell joins, then execs node: the same pid).
  const { command, args } = cap?.wrap(process.execPath, main) ?? { command: process.execPath, args: main };
  const output = serverOutput(paths.root);
  const child = spawn(command, args, {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      TEEKA_DEMO_SESSIONS: 'off',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.adminUrl,
      TEEKA_DB_PREFIX: prefix,
      TEEKA_TENANTS: 'in',
      TEEKA_ROOT: paths.root,
      LOG_LEVEL: BENCH_LOG_LEVEL,
      TEEKA_WORKERS: String(n),
    },
    stdio: ['ignore', output.fd, 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // With workers, the primary says "teeka: ready: n app processes" once all are.
  await waitUntilReady(child, output.file, output.fd);
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(paths.root, { recursive: true, force: true });
    },
  };
}

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
  let clientOpen = true;
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
    const countsBefore = await cacheCounts(server.port);
    // CPU time per answer, not only answers per second: on a shared machine it says what an answer
    // costs the server and PostgreSQL whatever else runs.
    const postmaster = await postmasterOf(client);
    await server.startProfile();
    await resetStatements(client);
    const cpuBefore = { server: cpuMs(server.pid), postgres: treeCpuMs(postmaster) };
    const platform = await load({ ...base, calls, seconds: SECONDS, keepBodies: true });
    const serverCpuMsPerAnswer = (cpuMs(server.pid) - cpuBefore.server) / Math.max(1, platform.ok);
    const postgresCpuMsPerAnswer = (treeCpuMs(postmaster) - cpuBefore.postgres) / Math.max(1, platform.ok);
    const memory = server.memory();
    const profile = await server.stopProfile();
    await printStatements(client, platform.ok, 'answer');
    const countsAfter = await cacheCounts(server.port);
    const platformLatency = summary('platform', platform);
    say(
      `CPU per answer: server ${serverCpuMsPerAnswer.toFixed(3)} ms, PostgreSQL ${postgresCpuMsPerAnswer.toFixed(3)} ms` +
        (database.description.includes('embedded') ? '' : ' (DATABASE_URL: PostgreSQL figures include other clients of that server)'),
    );
    const modelled = platform.hits / Math.max(1, platform.hits + platform.misses);
    const entry = ratioOf(countsBefore, countsAfter, 'availability-entry');
    const bytes = ratioOf(countsBefore, countsAfter, 'availability-answer');
    say(
      `cache, measured by the server: district entries ${entry.hits} hits, ${entry.misses} misses = ${(entry.ratio * 100).toFixed(1)} %; ` +
        `kept answer bytes ${bytes.hits} hits, ${bytes.misses} misses = ${(bytes.ratio * 100).toFixed(1)} %. ` +
        `Modelled (any search of the district within ${CACHE_SECONDS} s): ${(modelled * 100).toFixed(1)} %`,
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
    if (PROCESSES.length > 1) {
      // Each server of the comparison gets a database of its own, copied from this one: servers on
      // one database would answer from entries the other read (availability_snapshot), and the
      // comparison would measure neither. A copy needs nobody connected to its source.
      await server.halt();
      await client.end();
      clientOpen = false;
      const prefixes = new Map(PROCESSES.map((n) => [n, `${server.prefix}p${n}_`]));
      const admin = new pg.Client({ connectionString: database.adminUrl });
      await admin.connect();
      try {
        for (const copy of prefixes.values()) await admin.query(`create database "${copy}in" template "${server.prefix}in"`);
        await scaleOut(database, prefixes, calls, base, postmaster);
        if (PROCESS_CPU > 0) await scaleOut(database, prefixes, calls, base, postmaster, PROCESS_CPU);
      } finally {
        for (const copy of prefixes.values()) await admin.query(`drop database if exists "${copy}in" with (force)`);
        await admin.end();
      }
    }
    report({
      name: 'availability',
      figures: {
        rps: round(rate(platform)),
        serverCpuMsPerAnswer: round(serverCpuMsPerAnswer, 3),
        postgresCpuMsPerAnswer: round(postgresCpuMsPerAnswer, 3),
        p50Ms: platformLatency.p50,
        p99Ms: platformLatency.p99,
        cacheHitRatio: round(entry.ratio, 3),
        answerBytesHitRatio: round(bytes.ratio, 3),
        modelledHitRatio: round(modelled, 3),
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
    if (clientOpen) await client.end();
    await server.stop();
    await database.stop();
  }
}

/**
 * The same load against 1, 2, … app processes (each a fresh server on the same database), all
 * started and warmed first, then measured in turns of 2 s until each had BENCH_SECONDS, so load
 * from elsewhere on the machine hits each alike, each server on its own copy of the tenant
 * database (`prefixes`). Each process has its own cache, and the processes of one server share the
 * entries they read through their database; PostgreSQL shares the machine's cores with them. With
 * `coresEach`, the n processes of a server share a CPU quota of n × coresEach cores.
 */
async function scaleOut(
  database: Database,
  prefixes: Map<number, string>,
  calls: Call[],
  base: Omit<Parameters<typeof load>[0], 'calls' | 'seconds'>,
  postmaster: number,
  coresEach?: number,
) {
  const servers: { n: number; port: number; pid: number; stop(): Promise<void> }[] = [];
  const caps = coresEach === undefined ? new Map<number, CpuCap>() : cpuCaps(PROCESSES, coresEach);
  if (typeof caps === 'string') {
    say(`scale-out with ${coresEach} core per app process: skipped (${caps})`);
    return;
  }
  const capped = coresEach === undefined ? '' : `, each held to ${coresEach} core (cgroup CPU quota)`;
  try {
    for (const n of PROCESSES) servers.push({ n, ...(await startProcesses(n, database, prefixes.get(n)!, caps.get(n))) });
    for (const { port } of servers) await load({ ...base, port, calls, seconds: WARMUP_SECONDS });
    say(`${PROCESSES.join(' vs ')} app processes${capped}: ${CLIENTS} clients for ${SECONDS} s each, in turns of 2 s…`);
    const totals = new Map(
      servers.map(({ n }) => [n, { ok: 0, ms: 0, latencies: [] as number[], failed: 0, serverCpuMs: 0, postgresCpuMs: 0 }]),
    );
    for (let done = 0; done < SECONDS; done += 2) {
      for (const { n, port, pid } of servers) {
        const cpuBefore = { server: treeCpuMs(pid), postgres: treeCpuMs(postmaster) };
        const run = await load({ ...base, port, calls, seconds: Math.min(2, SECONDS - done) });
        const total = totals.get(n)!;
        // Every app process of the cluster (the primary and its workers).
        total.serverCpuMs += treeCpuMs(pid) - cpuBefore.server;
        total.postgresCpuMs += treeCpuMs(postmaster) - cpuBefore.postgres;
        total.ok += run.ok;
        total.ms += run.elapsedMs;
        total.latencies.push(...run.latencies);
        total.failed += Object.entries(run.statuses)
          .filter(([key]) => !key.startsWith('2'))
          .reduce((sum, [, k]) => sum + k, 0);
      }
    }
    const figures: Record<string, number> = {};
    for (const [n, total] of totals) {
      const rps = total.ok / (total.ms / 1000);
      const l = latency(total.latencies);
      const serverCpu = total.serverCpuMs / Math.max(1, total.ok);
      const postgresCpu = total.postgresCpuMs / Math.max(1, total.ok);
      say(
        `${n} app process${n > 1 ? 'es' : ''}: ${total.ok} answers = ${rps.toFixed(0)}/s, p50 ${l.p50} ms, p99 ${l.p99} ms, ${total.failed} not 2xx` +
          `; CPU per answer: app processes ${serverCpu.toFixed(3)} ms, PostgreSQL ${postgresCpu.toFixed(3)} ms`,
      );
      figures[`rps${n}Processes`] = round(rps);
      figures[`serverCpuMsPerAnswer${n}Processes`] = round(serverCpu, 3);
      figures[`postgresCpuMsPerAnswer${n}Processes`] = round(postgresCpu, 3);
      figures[`p99Ms${n}Processes`] = l.p99;
      figures[`failed${n}Processes`] = total.failed;
    }
    const first = figures[`rps${PROCESSES[0]}Processes`];
    const last = figures[`rps${PROCESSES.at(-1)}Processes`];
    const ratio = last / Math.max(1e-9, first);
    say(`scale-out${capped}: ${PROCESSES.at(-1)} processes / ${PROCESSES[0]}: ${ratio.toFixed(2)}`);
    const answered = [...totals.values()].every((total) => total.failed === 0);
    report(
      coresEach === undefined
        ? {
            name: 'availability-scale-out',
            figures,
            ratio: round(ratio, 3),
            target: 'reported (no target)',
            pass: answered,
            notes: `${SECONDS} s per process count in 2 s turns, ${CLIENTS} clients, the same random searches`,
          }
        : {
            name: 'availability-scale-out-capped',
            figures: { ...figures, coresPerProcess: coresEach },
            ratio: round(ratio, 3),
            target: `>= ${CAPPED_SCALE_OUT_TARGET} with ${coresEach} core per app process`,
            pass: answered && ratio >= CAPPED_SCALE_OUT_TARGET,
            notes: `each app process held to ${coresEach} core by a cgroup CPU quota, as on machines of their own; ${SECONDS} s per process count in 2 s turns, ${CLIENTS} clients`,
          },
    );
  } finally {
    for (const server of servers) await server.stop();
    for (const cap of caps.values()) cap.remove();
  }
}

await main();

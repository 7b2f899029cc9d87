/**
 * Booking benchmark (not a test): bookings per second through the real platform over HTTP, and the
 * same bookings as bare SQL run by pgbench against the same database in the same run, with the
 * ratio between the two. See bench/README.md. `npm run bench:booking`.
 */
import 'reflect-metadata';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { projectPaths } from '@teeka/core/dist/src/kernel/config/paths.js';
import { readSettings } from '@teeka/core/dist/src/kernel/config/settings.js';
import { dropDatabase } from '@teeka/core/dist/src/kernel/db/database-server.js';
import { EmbeddedPostgres } from '@teeka/core/dist/src/kernel/db/embedded-postgres.js';
import { createLogger } from '@teeka/core/dist/src/kernel/log/logger.js';
import { Platform } from '@teeka/core/dist/src/kernel/platform.js';
import { tunedCommand } from '@teeka/core/dist/src/kernel/runtime-tuning.js';
import { todayIn } from '@teeka/core/dist/src/scheduling/slots.js';
import { addDays } from '@teeka/core/dist/src/vaccination/dose-schedule.js';
import type { TestPlatform } from '@teeka/core/dist/test/support/platform.js';
import { makeCitizens } from '@teeka/core/dist/test/support/scheduling.js';
import pg from 'pg';
import type { LoadInput, LoadResult } from './load.js';
import { analyzeAfterWarmUp, drainJobs } from './support/common.js';
import { postmasterOf, treeCpuMs } from './support/cpu.js';
import { type CpuCap, cpuCaps } from './support/cpu-cap.js';
import { freePort } from './support/server.js';
import { printStatements, resetStatements, statementSettings } from './support/statements.js';

const run = promisify(execFile);

function numberFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const CLIENTS = numberFrom('BENCH_CLIENTS', 32);
const SESSIONS = numberFrom('BENCH_SESSIONS', 32);
const CITIZENS = numberFrom('BENCH_CITIZENS', 20_000);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 2);
const PGBENCH_POOL = numberFrom('BENCH_PGBENCH_POOL', 400_000);
/** A file to write the platform's CPU profile of the measured HTTP run to (open it in Chrome DevTools). */
const PROFILE = process.env.BENCH_CPU_PROFILE;
/** App process counts to measure as separate servers (`core/dist/src/main.js`, TEEKA_WORKERS=n), e.g. `1,2`. */
const PROCESSES = (process.env.BENCH_PROCESSES ?? '')
  .split(',')
  .map((n) => n.trim())
  .filter(Boolean)
  .map((n) => {
    const value = Number(n);
    if (!Number.isInteger(value) || value < 1) throw new Error('BENCH_PROCESSES must list whole numbers, e.g. 1,2');
    return value;
  });
const PGBENCH = process.env.PGBENCH ?? (existsSync('/usr/bin/pgbench') ? '/usr/bin/pgbench' : 'pgbench');
const CODE = 'in';
const HOST = 'in.localhost';
const FACILITY = 1004; // BKC Jumbo Vaccination Centre, Mumbai (tenants/in/facilities.json), open 09:00-20:00
const SLOT = '10:00AM-12:00PM';
const CAPACITY = 10_000_000;
const MIN_AGE = 18;
const BIRTH_YEAR = 1980;

/** Two processes should book more than one (on a 2-core machine PostgreSQL shares the cores). */
const SCALE_TARGET = 1.2;
/**
 * Cores each app process of BENCH_PROCESSES is held to (a cgroup CPU quota, as machines of their
 * own would hold them; support/cpu-cap.ts). Unset or 0: as the machine comes.
 */
const PROCESS_CPU = Number(process.env.BENCH_PROCESS_CPU ?? 0);
if (!Number.isFinite(PROCESS_CPU) || PROCESS_CPU < 0) throw new Error('BENCH_PROCESS_CPU must be a number of cores (0: none)');
/** The machine-readable result line(s) bench/run.ts parses: `BENCH_RESULT {json}`. */
const result = (value: { name: string; figures: Record<string, number>; ratio: number; target: number; pass: boolean }) =>
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(value)}\n`);
const say = (line: string) => process.stdout.write(`bench: ${line}\n`);
/** Session n (1-based) has a fixed id, so pgbench can name it from a random integer. */
const sessionId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function load(input: LoadInput): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load.js', import.meta.url), { workerData: input });
    worker.once('message', (message: { result?: LoadResult; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new Error(message.error));
    });
    worker.once('error', reject);
  });
}

async function startProfile(): Promise<{ stop(file: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

/**
 * `n` app processes as production runs them (`node core/dist/src/main.js`, TEEKA_WORKERS=n) on the
 * benchmark's database, with the same settings as the in-process platform. Their logs are discarded.
 */
async function startServers(
  n: number,
  env: Record<string, string>,
  root: string,
  cap?: CpuCap,
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  // Logs go to /dev/null (no pipe for this process to drain); readiness comes over IPC.
  const devNull = openSync('/dev/null', 'w');
  // With an IPC channel main.js does not re-execute itself with its memory settings (execve would
  // cut the channel), so the command it would run is given here, to measure what production runs.
  const main = join(root, 'core/dist/src/main.js');
  const baseEnv = { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', TEEKA_WORKERS: String(n) };
  const tuned = tunedCommand(process.execPath, [], [process.execPath, main], baseEnv);
  const argv = tuned ? tuned.args.slice(1) : [main];
  // Capped: a shell joins the group and execs node (the same process, its IPC descriptor kept).
  const { command, args } = cap?.wrap(process.execPath, argv) ?? { command: process.execPath, args: argv };
  const child = spawn(command, args, {
    env: tuned?.env ?? baseEnv,
    stdio: ['ignore', devNull, 'inherit', 'ipc'],
  });
  closeSync(devNull);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { teeka?: string }) => message?.teeka === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`the app processes exited with code ${code} before they were ready`)));
  });
  child.disconnect();
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU time (ms) the main thread (the platform's event loop) has used, from /proc; NaN elsewhere. */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime (fields 14 and 15 of stat, counted from the state field here), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

interface Integrity {
  booked: number;
  appointments: number;
  counterMismatches: number;
  slotMismatches: number;
  overCapacity: number;
}

async function integrity(client: pg.Client): Promise<Integrity> {
  const ids = Array.from({ length: SESSIONS }, (_, i) => sessionId(i + 1));
  const { rows } = await client.query(
    `with counted as (
       select session_id, count(*) filter (where state = 'booked')::int as n from appointment where session_id = any($1::uuid[]) group by session_id)
     select coalesce(sum(c.online_booked), 0)::int as booked,
            coalesce(sum(coalesce(n.n, 0)), 0)::int as appointments,
            count(*) filter (where c.online_booked <> coalesce(n.n, 0))::int as counter_mismatches,
            count(*) filter (where s.booked <> coalesce(n.n, 0))::int as slot_mismatches,
            count(*) filter (where c.online_booked > c.online_capacity or s.booked > s.capacity)::int as over_capacity
     from session_capacity c
     join session_slot s on s.session_id = c.session_id and s.slot_index = 0
     left join counted n on n.session_id = c.session_id
     where c.session_id = any($1::uuid[]) and c.dose_number = 1`,
    [ids],
  );
  const row = rows[0];
  return {
    booked: row.booked,
    appointments: row.appointments,
    counterMismatches: row.counter_mismatches,
    slotMismatches: row.slot_mismatches,
    overCapacity: row.over_capacity,
  };
}

const pgbenchScript = `\\set sid random(1, :sessions)
with c as (
  update session_capacity set online_booked = online_booked + 1
  where session_id = ('00000000-0000-4000-8000-' || lpad(:sid::text, 12, '0'))::uuid and dose_number = 1 and online_booked + 1 <= online_capacity
  returning session_id),
s as (
  update session_slot set booked = booked + 1
  where session_id = (select session_id from c) and slot_index = 0 and booked + 1 <= capacity
  returning session_id, slot_index),
b as (select nextval('bench_beneficiary_seq') as n)
insert into appointment (id, beneficiary_id, account_id, session_id, slot_index, dose_number, security_code, state)
select gen_random_uuid(), ('00000000-0000-4000-9000-' || lpad(b.n::text, 12, '0'))::uuid, :account::uuid, s.session_id, s.slot_index, 1,
       lpad(floor(random() * 10000)::int::text, 4, '0'), 'booked'
from s, b;
`;

async function main(): Promise<void> {
  const paths = projectPaths();
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await EmbeddedPostgres.start({
      projectDataDir: paths.data,
      projectRoot: paths.root,
      port: 0,
      name: `bench-cluster-${process.pid}`,
      ephemeral: true,
      settings: statementSettings(),
      log: say,
    });
    databaseUrl = embedded.adminUrl;
    say(embedded.description);
  } else say(`using DATABASE_URL (${new URL(databaseUrl).host})`);

  const settings = readSettings(
    { ...process.env, NODE_ENV: 'development', TEEKA_DEMO_SESSIONS: 'off' },
    {
      port: 0,
      listenHost: '127.0.0.1',
      databaseUrl,
      databasePrefix: `teekabench_${randomBytes(4).toString('hex')}_`,
      tenantCodes: [CODE],
      paths,
      logLevel: 'info',
    },
  );
  // Logs are written as in production (one JSON line per request, redacted) but thrown away.
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const platform = await Platform.start(settings, { logger: createLogger('info', sink) });
  const tenant = platform.tenants.byCode(CODE)!;
  const url = platform.database.urlFor(tenant.database);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const [{ server_version: version }] = (await client.query('show server_version')).rows as { server_version: string }[];
    const date = addDays(todayIn(tenant.config.timeZone), 1);
    say(`sessions: ${SESSIONS} at facility ${FACILITY} on ${date}, ${CAPACITY} places each; citizens: ${CITIZENS}`);
    for (let n = 1; n <= SESSIONS; n++) {
      await client.query(
        `insert into vaccination_session (id, facility_id, date, vaccine, min_age) values ($1, $2, $3, 'covishield', $4)`,
        [sessionId(n), FACILITY, date, MIN_AGE],
      );
      await client.query('insert into session_capacity (session_id, dose_number, online_capacity) values ($1, 1, $2)', [
        sessionId(n),
        CAPACITY,
      ]);
      await client.query('insert into session_slot (session_id, slot_index, label, capacity) values ($1, 0, $2, $3)', [
        sessionId(n),
        SLOT,
        CAPACITY,
      ]);
    }

    // Citizens written straight into the database, with tokens issued by the real session service.
    let started = Date.now();
    const app = { platform } as TestPlatform;
    // Small batches (each issues its tokens through a fresh EntityManager), four at a time.
    const batch = 250;
    const made: Awaited<ReturnType<typeof makeCitizens>> = [];
    const batches = Array.from({ length: Math.ceil(CITIZENS / batch) }, (_, i) => Math.min(batch, CITIZENS - i * batch));
    const makeNext = async () => {
      for (let size = batches.shift(); size !== undefined; size = batches.shift()) {
        made.push(
          ...(await makeCitizens(
            app,
            CODE,
            Array.from({ length: size }, () => [BIRTH_YEAR]),
          )),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, makeNext));
    const citizens = made.map((c) => ({ token: c.token, referenceId: c.beneficiaries[0].referenceId }));
    say(`${citizens.length} citizens in ${Date.now() - started} ms`);

    const input = (from: number, seconds: number): LoadInput => ({
      port: platform.port,
      host: HOST,
      clients: CLIENTS,
      seconds,
      sessionIds: Array.from({ length: SESSIONS }, (_, i) => sessionId(i + 1)),
      slot: SLOT,
      citizens: citizens.slice(from),
    });
    const warm = await load({ ...input(0, WARMUP_SECONDS), citizens: citizens.slice(0, Math.floor(citizens.length / 5)) });
    const warmed = Object.values(warm.statuses).reduce((sum, n) => sum + n, 0);
    const warmBooked = warm.statuses['201'] ?? 0;
    say(`warm-up: ${warmed} bookings in ${WARMUP_SECONDS} s`);
    // The warm-up's confirmation SMS jobs run now, not during the measurement.
    say(`jobs of the warm-up drained in ${await drainJobs(client)} ms`);
    await analyzeAfterWarmUp(client);
    say(`HTTP: ${CLIENTS} clients for ${SECONDS} s…`);
    const profiler = PROFILE ? await startProfile() : undefined;
    // PostgreSQL's CPU (every backend of the cluster, from /proc) per booking, on both sides: a
    // ratio of rates on two shared cores says how the two compare; this says where the cost is.
    const postmaster = await postmasterOf(client);
    const cpuBefore = mainThreadCpuMs();
    const dbBefore = treeCpuMs(postmaster);
    await resetStatements(client);
    const http = await load(input(warmed, SECONDS));
    const cpuPerBooking = (mainThreadCpuMs() - cpuBefore) / Math.max(1, http.statuses['201'] ?? 0);
    if (profiler) say(`CPU profile of the platform during the HTTP run: ${await profiler.stop(PROFILE!)}`);
    const httpOk = http.statuses['201'] ?? 0;
    // With the confirmation SMS jobs the run queued: a booking is paid for once its notice is sent.
    const drainedAfter = await drainJobs(client);
    await printStatements(client, http.statuses['201'] ?? 0, 'booking');
    const dbPerBooking = (treeCpuMs(postmaster) - dbBefore) / Math.max(1, httpOk);
    const cpuPerNoticedBooking = (mainThreadCpuMs() - cpuBefore) / Math.max(1, httpOk);
    const httpFailed = Object.entries(http.statuses).filter(([key]) => key !== '201');
    const afterHttp = await integrity(client);

    // The same storm against 1, 2, … app processes (separate servers, node:cluster), all started
    // first and then measured in turns of a second or two, so a burst of load from elsewhere on the
    // machine hits each alike. Each has a warm-up and citizens of its own.
    let used = warmed + Object.values(http.statuses).reduce((sum, n) => sum + n, 0);
    let processBooked = 0;
    const scaleOut: { processes: number; rate: number; ok: number; failed: [string, number][]; exhausted: boolean; p99: number }[] = [];
    const servers: { n: number; port: number; stop(): Promise<void> }[] = [];
    const env = {
      NODE_ENV: 'development',
      TEEKA_DEMO_SESSIONS: 'off',
      DATABASE_URL: databaseUrl,
      TEEKA_DB_PREFIX: settings.databasePrefix,
      TEEKA_TENANTS: CODE,
      LOG_LEVEL: 'info',
    };
    const caps = PROCESS_CPU > 0 ? cpuCaps(PROCESSES, PROCESS_CPU) : new Map<number, CpuCap>();
    if (typeof caps === 'string') throw new Error(`BENCH_PROCESS_CPU: ${caps}`);
    try {
      for (const n of PROCESSES) servers.push({ n, ...(await startServers(n, env, paths.root, caps.get(n))) });
      const count = (statuses: Record<string, number>) => Object.values(statuses).reduce((sum, k) => sum + k, 0);
      const totals = new Map(
        servers.map(({ n }) => [n, { ok: 0, ms: 0, latencies: [] as number[], failed: {} as Record<string, number>, exhausted: false }]),
      );
      for (const { port } of servers) {
        const warmRun = await load({ ...input(used, WARMUP_SECONDS), port });
        used += count(warmRun.statuses);
        processBooked += warmRun.statuses['201'] ?? 0;
      }
      // Each turn starts with no job due: the confirmation SMS of the bookings before it (the
      // in-process run's thousands, the last turn's) would otherwise be sent, by every process's
      // workers, during whichever turn comes next.
      let drained = 0;
      const capped = PROCESS_CPU > 0 ? `, each held to ${PROCESS_CPU} core (cgroup CPU quota)` : '';
      if (servers.length > 0) say(`${PROCESSES.join(' vs ')} app processes${capped}: ${CLIENTS} clients for ${SECONDS} s each, in turns…`);
      const slice = Math.min(2, SECONDS);
      for (let done = 0; done < SECONDS; done += slice) {
        for (const { n, port } of servers) {
          drained += await drainJobs(client);
          const measured = await load({ ...input(used, Math.min(slice, SECONDS - done)), port });
          used += count(measured.statuses);
          const total = totals.get(n)!;
          total.ok += measured.statuses['201'] ?? 0;
          total.ms += measured.elapsedMs;
          total.latencies.push(...measured.latencies);
          total.exhausted ||= measured.exhausted;
          for (const [key, k] of Object.entries(measured.statuses)) if (key !== '201') total.failed[key] = (total.failed[key] ?? 0) + k;
        }
      }
      say(`jobs drained before the turns in ${drained} ms in all`);
      for (const [n, total] of totals) {
        processBooked += total.ok;
        scaleOut.push({
          processes: n,
          rate: total.ok / (total.ms / 1000),
          ok: total.ok,
          failed: Object.entries(total.failed),
          exhausted: total.exhausted,
          p99: percentile(
            total.latencies.sort((x, y) => x - y),
            99,
          ),
        });
      }
    } finally {
      for (const server of servers) await server.stop();
      for (const cap of caps.values()) cap.remove();
    }
    const afterProcesses = await integrity(client);

    // pgbench: the same tables, the same conditional counter updates and appointment insert.
    started = Date.now();
    const account = randomUUID();
    await client.query(`insert into account (id, phone_hash, phone_enc, language) values ($1, $2, '\\x00', 'en')`, [
      account,
      randomBytes(32).toString('hex'),
    ]);
    await client.query(
      `insert into beneficiary (id, reference_id, account_id, name, birth_year, gender, document_type, document_verifier, document_hash,
         document_enc, document_masked, consent_version, consent_at)
       select ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid, '9' || lpad(n::text, 13, '0'), $1, 'Bench ' || n, $2, 'F',
              'passport', 'passport', encode(sha256(('bench:' || n)::bytea), 'hex'), '\\x00', 'XXXX', '2021-01', now()
       from generate_series(1, $3::int) as n`,
      [account, BIRTH_YEAR, PGBENCH_POOL],
    );
    await client.query('create sequence bench_beneficiary_seq');
    await client.query('analyze');
    say(`pgbench: ${PGBENCH_POOL} beneficiaries in ${Date.now() - started} ms; ${CLIENTS} clients for ${SECONDS} s, -M prepared…`);
    const dir = mkdtempSync(join(tmpdir(), 'teeka-bench-'));
    const before = (await client.query(`select count(*)::int as n from appointment where account_id = $1`, [account])).rows[0].n as number;
    const pgLatencies: number[] = [];
    let pgbenchOut: string;
    const dbBeforePgbench = treeCpuMs(postmaster);
    try {
      writeFileSync(join(dir, 'booking.sql'), pgbenchScript);
      const { stdout } = await run(
        PGBENCH,
        [
          '-n',
          '-M',
          'prepared',
          '-c',
          String(CLIENTS),
          '-j',
          String(Math.min(CLIENTS, cpus().length)),
          '-T',
          String(SECONDS),
          '-D',
          `sessions=${SESSIONS}`,
          '-D',
          `account=${account}`,
          '-f',
          join(dir, 'booking.sql'),
          '-l',
          '--log-prefix',
          join(dir, 'txn'),
          url,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      pgbenchOut = stdout;
      for (const file of readdirSync(dir).filter((name) => name.startsWith('txn'))) {
        for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
          const fields = line.split(' ');
          if (fields.length >= 3) pgLatencies.push(Number(fields[2]) / 1000);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const after = (await client.query(`select count(*)::int as n from appointment where account_id = $1`, [account])).rows[0].n as number;
    const tps = Number(/tps = ([0-9.]+) \(without initial connection time\)/.exec(pgbenchOut)?.[1]);
    const pgFailed = Number(/number of failed transactions: ([0-9]+)/.exec(pgbenchOut)?.[1] ?? 0);
    const pgRows = after - before;
    const dbPerPgbenchBooking = (treeCpuMs(postmaster) - dbBeforePgbench) / Math.max(1, pgRows);
    const afterPgbench = await integrity(client);

    // Report.
    const httpRate = httpOk / (http.elapsedMs / 1000);
    const pgRate = pgRows / SECONDS;
    const httpSorted = [...http.latencies].sort((a, b) => a - b);
    const pgSorted = pgLatencies.sort((a, b) => a - b);
    const ms = (value: number) => value.toFixed(1);
    const cpu = cpus();
    say('');
    say(
      `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.versions.node}; PostgreSQL ${version}${embedded ? ' (embedded, fsync off)' : ''}; ${PGBENCH}; load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
    );
    say('');
    say('| path                          | bookings | bookings/s | p50 ms | p99 ms |');
    say('|-------------------------------|---------:|-----------:|-------:|-------:|');
    say(
      `| HTTP POST /api/v1/appointments | ${String(httpOk).padStart(8)} | ${httpRate.toFixed(0).padStart(10)} | ${ms(percentile(httpSorted, 50)).padStart(6)} | ${ms(percentile(httpSorted, 99)).padStart(6)} |`,
    );
    say(
      `| pgbench, same SQL, -M prepared | ${String(pgRows).padStart(8)} | ${pgRate.toFixed(0).padStart(10)} | ${ms(percentile(pgSorted, 50)).padStart(6)} | ${ms(percentile(pgSorted, 99)).padStart(6)} |`,
    );
    say('');
    const ratio = httpRate / pgRate;
    say(`ratio HTTP / pgbench: ${ratio.toFixed(3)} (target >= 0.25)${ratio >= 0.25 ? '' : ' BELOW TARGET'}`);
    say(`pgbench tps ${tps.toFixed(0)}, failed transactions ${pgFailed}`);
    say(
      `CPU per booking: platform main thread ${cpuPerBooking.toFixed(2)} ms during the run, ${cpuPerNoticedBooking.toFixed(2)} ms with its confirmation SMS ` +
        `(jobs drained ${drainedAfter} ms after the run); PostgreSQL ${dbPerBooking.toFixed(2)} ms with it, ${dbPerPgbenchBooking.toFixed(2)} ms under pgbench`,
    );
    if (httpFailed.length > 0) say(`HTTP answers other than 201: ${httpFailed.map(([key, n]) => `${key} ×${n}`).join(', ')}`);
    if (http.exhausted) say(`HTTP run ran out of citizens after ${(http.elapsedMs / 1000).toFixed(1)} s: raise BENCH_CITIZENS`);
    for (const run of scaleOut) {
      say(
        `${run.processes} app process${run.processes === 1 ? '' : 'es'}: ${run.ok} bookings, ${run.rate.toFixed(0)}/s, p99 ${ms(run.p99)} ms` +
          (run.failed.length > 0 ? `; answers other than 201: ${run.failed.map(([key, n]) => `${key} ×${n}`).join(', ')}` : '') +
          (run.exhausted ? '; ran out of citizens: raise BENCH_CITIZENS' : ''),
      );
    }
    const one = scaleOut.find((run) => run.processes === 1);
    const most = scaleOut.reduce<(typeof scaleOut)[number] | undefined>((a, b) => (a && a.processes >= b.processes ? a : b), undefined);
    const scaleRatio = one && most && most !== one ? most.rate / one.rate : undefined;
    if (scaleRatio !== undefined)
      say(`scale-out: ${most!.processes} processes / 1 process = ${scaleRatio.toFixed(2)} (target >= ${SCALE_TARGET})`);
    const overbooked = [afterHttp, afterProcesses, afterPgbench].some((i) => i.counterMismatches + i.slotMismatches + i.overCapacity > 0);
    say(
      `overbooking: counters ${afterPgbench.booked} = appointments ${afterPgbench.appointments}; ` +
        `mismatched counters ${afterPgbench.counterMismatches}, slots ${afterPgbench.slotMismatches}, over capacity ${afterPgbench.overCapacity}` +
        ` (after HTTP: ${afterHttp.booked} = ${afterHttp.appointments}) → ${overbooked ? 'FAILED' : 'none'}`,
    );
    const lost = afterHttp.booked !== httpOk + warmBooked || afterProcesses.booked !== afterHttp.booked + processBooked;
    if (overbooked || lost) process.exitCode = 1;
    const unanswered = httpFailed.length > 0 || scaleOut.some((run) => run.failed.length > 0);
    const round = (value: number, digits = 1) => Number(value.toFixed(digits));
    // For bench/run.ts: one JSON line per figure, the booking one last.
    if (scaleRatio !== undefined) {
      const figures: Record<string, number> = {};
      for (const run of scaleOut) figures[`bookingsPerSecond${run.processes}Processes`] = round(run.rate);
      if (PROCESS_CPU > 0) figures.coresPerProcess = PROCESS_CPU;
      result({
        name: PROCESS_CPU > 0 ? 'scale-out-capped' : 'scale-out',
        figures,
        ratio: round(scaleRatio, 3),
        target: SCALE_TARGET,
        pass: scaleRatio >= SCALE_TARGET && !unanswered,
      });
    }
    result({
      name: 'booking',
      figures: {
        httpBookingsPerSecond: round(httpRate),
        pgbenchBookingsPerSecond: round(pgRate),
        httpP50Ms: round(percentile(httpSorted, 50)),
        httpP99Ms: round(percentile(httpSorted, 99)),
        pgbenchP50Ms: round(percentile(pgSorted, 50)),
        pgbenchP99Ms: round(percentile(pgSorted, 99)),
        httpNot201: httpFailed.reduce((sum, [, n]) => sum + n, 0),
        httpCpuMsPerBooking: round(cpuPerBooking, 2),
        httpCpuMsPerBookingWithNotice: round(cpuPerNoticedBooking, 2),
        postgresCpuMsPerBooking: round(dbPerBooking, 2),
        postgresCpuMsPerPgbenchBooking: round(dbPerPgbenchBooking, 2),
        overbookedSessions: afterPgbench.counterMismatches + afterPgbench.slotMismatches + afterPgbench.overCapacity,
      },
      ratio: round(ratio, 3),
      target: 0.25,
      pass: ratio >= 0.25 && !overbooked && !lost && !unanswered,
    });
  } finally {
    await client.end();
    await platform.stop();
    await dropDatabase(databaseUrl, tenant.database).catch(() => undefined);
    await embedded?.destroy();
  }
}

await main();

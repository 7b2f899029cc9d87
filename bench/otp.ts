/**
 * OTP sign-in benchmark (not a test): sign-ins per second over HTTP, each a new number:
 * `POST /api/v1/auth/otp`, the code read from the development outbox's row, then
 * `POST /api/v1/auth/otp/confirm` (new account, new session, a token). Next to it, in the same run on
 * the same database, pgbench running the SQL those two requests run. See bench/README.md.
 * `npm run bench:otp`.
 */
import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PLUGIN_APPEND_SQL } from '@teeka/core/dist/src/kernel/plugins/plugin-context.js';
import { SMS_OUTCOME_SQL } from '@teeka/core/dist/src/messaging/sms-dispatcher.js';
import { OTP_CONFIRM_SQL, OTP_GENERATE_SQL } from '@teeka/core/dist/src/registration/otp-service.js';
import pg from 'pg';
import { parse } from 'yaml';
import { analyzeAfterWarmUp, latency, machine, numberFrom, report, round, say } from './support/common.js';
import { postmasterOf, treeCpuMs } from './support/cpu.js';
import { load, rate } from './support/load.js';
import { pgbench } from './support/pgbench.js';
import { OVERLAY_FILE, startDatabase, startServer } from './support/server.js';
import { printStatements, resetStatements } from './support/statements.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 2);
const CLIENTS = numberFrom('BENCH_CLIENTS', 32);
const WORKERS = numberFrom('BENCH_WORKERS', 1);
const TARGET = 1000;
const HOST = 'in.localhost';

/** The rate limits the server runs with: the bench overlay's (bench/overlay/tenant.yaml). */
const LIMITS = parse(readFileSync(OVERLAY_FILE, 'utf8')).limits.rateLimits as { otpPerIpPerHour: number; otpPerNumberPerHour: number };

/**
 * The statements of one sign-in, taken from the platform's own exports so the baseline runs what the
 * server runs: OTP_GENERATE_SQL (both rate limits, the cooldown hold, the challenge and its SMS's
 * `queued` record, one statement), the outbox row the development gateway appends (PLUGIN_APPEND_SQL), the
 * SMS outcome (SMS_OUTCOME_SQL), then OTP_CONFIRM_SQL (the attempt, the confirmation, the account and
 * the session row, one statement). Each statement stands alone (autocommit), as in the server. The
 * parameters become SQL expressions of one pgbench variable, so the same number, challenge id and
 * code hash recur across the statements; hashing, encryption and the JWT are the platform's alone.
 * No colon inside a literal: pgbench would read it as a variable (chr(58) is ':').
 */
const phoneHash = `encode(sha256(:n::text::bytea), 'hex')`;
const txnId = `md5('t' || :n)::uuid`;
const codeHash = `encode(sha256(('code' || :n)::bytea), 'hex')`;
const smsId = `md5('m' || :n)::uuid`;
const ciphertext = `decode(repeat('00', 42), 'hex')`;
function bind(sql: string, values: string[]): string {
  return `${sql.replace(/\$(\d+)/g, (_, n: string) => `(${values[Number(n) - 1]})`).replace(/\s*\n\s*/g, ' ')};`;
}
const SCRIPT = [
  // From 9e18 values: drawn from 1e9, two of a run's ~40,000 transactions shared a number about
  // half the time, and the second's SMS record then collided with the first's (same id).
  '\\set n random(1, 9000000000000000000)',
  bind(OTP_GENERATE_SQL, [
    `concat_ws(chr(58), 'otp', 'ip', '127.0.0.1')`,
    String(LIMITS.otpPerIpPerHour),
    '3600',
    `concat_ws(chr(58), 'otp', 'phone', ${phoneHash})`,
    String(LIMITS.otpPerNumberPerHour),
    '60', // tenants/in.yaml limits.otp: resendCooldownSeconds, ttlSeconds, maxAttempts
    txnId,
    phoneHash,
    ciphertext,
    codeHash,
    '180',
    '5',
    smsId,
    `'+91******' || right(:n::text, 4)`,
  ]),
  // One row each (arrays of one): pgbench has no concurrent requests to batch.
  bind(PLUGIN_APPEND_SQL, [
    'array[gen_random_uuid()]',
    `array['dev-outbox']`,
    `array['outbox']`,
    `array[jsonb_build_object('to', '+91' || :n::text, 'text', 'Your code is 123456', 'reference', (${txnId})::text, 'encoding', 'GSM-7', 'parts', 1)]`,
  ]),
  bind(SMS_OUTCOME_SQL, [`array[${smsId}]`, `array['sent']`, `array['dev-outbox']`, `array[md5('g' || :n)]`, 'array[1]', 'array[null]']),
  bind(OTP_CONFIRM_SQL, [txnId, codeHash, `md5('a' || :n)::uuid`, `'en'`, `md5('s' || :n)::uuid`, `now() + interval '15 minutes'`]),
  '',
].join('\n');

async function main(): Promise<void> {
  const database = await startDatabase();
  say(`database: ${database.description}, PostgreSQL ${database.version}`);
  const server = await startServer({ database, tenants: ['in'], env: WORKERS > 1 ? { TEEKA_WORKERS: String(WORKERS) } : {} });
  const url = server.tenantUrl('in');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Bench only: lets the load generator find a code by its transaction id without a scan.
    await client.query(`create index bench_outbox_reference_idx on plugin_record ((data->>'reference')) where collection = 'outbox'`);
    const firstNumber = 9_000_000_000 + randomInt(0, 900) * 1_000_000;
    const base = { port: server.port, host: HOST, clients: CLIENTS, unit: 'otp' as const, databaseUrl: url };
    say(`HTTP: ${CLIENTS} clients, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured`);
    await load({ ...base, seconds: WARMUP_SECONDS, firstNumber });
    await analyzeAfterWarmUp(client);
    // CPU time used, not wall time: on a shared machine it says what a sign-in costs whatever else runs.
    const postmaster = await postmasterOf(client);
    // Transactions the tenant database committed: the server's statements (each its own) and the
    // load generator's outbox reads (one per sign-in).
    const commits = async () =>
      Number((await client.query('select xact_commit from pg_stat_database where datname = current_database()')).rows[0].xact_commit);
    await server.startProfile();
    await resetStatements(client);
    const commitsBefore = await commits();
    const cpuBefore = { app: treeCpuMs(server.pid), db: treeCpuMs(postmaster), load: process.cpuUsage() };
    const http = await load({ ...base, seconds: SECONDS, firstNumber: firstNumber + 500_000 });
    const appCpuMs = (treeCpuMs(server.pid) - cpuBefore.app) / Math.max(1, http.ok);
    const dbCpuMs = (treeCpuMs(postmaster) - cpuBefore.db) / Math.max(1, http.ok);
    // This process, whose worker thread is the load generator: its share of the machine's two cores.
    const loadUsage = process.cpuUsage(cpuBefore.load);
    const loadCpuMs = (loadUsage.user + loadUsage.system) / 1000 / Math.max(1, http.ok);
    // pg_stat_database is sent by each backend at most once a second: wait for the last report.
    await new Promise((done) => setTimeout(done, 1100));
    const commitsPerSignIn = ((await commits()) - commitsBefore) / Math.max(1, http.ok);
    say(
      `CPU per sign-in: server ${appCpuMs.toFixed(2)} ms, PostgreSQL ${dbCpuMs.toFixed(2)} ms, load generator ${loadCpuMs.toFixed(2)} ms`,
    );
    say(`PostgreSQL transactions per sign-in: ${commitsPerSignIn.toFixed(2)} (one of them the load generator's outbox read)`);
    await printStatements(client, http.ok, 'sign-in');
    const l = latency(http.latencies);
    const other = Object.entries(http.statuses).filter(([key]) => !key.startsWith('2'));
    say(
      `HTTP: ${http.ok} sign-ins in ${(http.elapsedMs / 1000).toFixed(1)} s = ${rate(http).toFixed(0)}/s, p50 ${l.p50} ms, p99 ${l.p99} ms`,
    );
    if (other.length > 0) say(`not 2xx: ${JSON.stringify(Object.fromEntries(other))}`);
    const memory = server.memory();
    const profile = await server.stopProfile();

    say(`pgbench: the same SQL, ${CLIENTS} clients, ${SECONDS} s, -M prepared…`);
    const rows = async () =>
      (
        await client.query<{ challenges: number; sessions: number }>(
          'select (select count(*)::int from otp_challenge) as challenges, (select count(*)::int from auth_session) as sessions',
        )
      ).rows[0];
    const before = await rows();
    const pgbenchCpuBefore = treeCpuMs(postmaster);
    const sql = await pgbench(url, SCRIPT, CLIENTS, SECONDS);
    const pgbenchDbCpuMsTotal = treeCpuMs(postmaster) - pgbenchCpuBefore;
    // Every challenge pgbench made must end in a session row (the code matched, the account and
    // session written), or the baseline would be cheaper than the server's work.
    const after = await rows();
    const signedIn = after.sessions - before.sessions;
    const pgbenchDbCpuMs = pgbenchDbCpuMsTotal / Math.max(1, signedIn);
    say(`pgbench: PostgreSQL CPU per sign-in ${pgbenchDbCpuMs.toFixed(2)} ms`);
    say(
      `pgbench: ${sql.tps.toFixed(0)} sign-ins/s, average ${sql.latencyMs} ms, failed ${sql.failed}; ${after.challenges - before.challenges} challenges, ${signedIn} sessions`,
    );
    const ratio = rate(http) / sql.tps;
    say(`ratio HTTP / pgbench: ${ratio.toFixed(3)}; target: >= ${TARGET} sign-ins/s (absolute)`);
    report({
      name: 'otp',
      figures: {
        signInsPerSecond: round(rate(http)),
        p50Ms: l.p50,
        p99Ms: l.p99,
        failed: other.reduce((sum, [, n]) => sum + n, 0),
        pgbenchPerSecond: round(sql.tps),
        serverCpuMsPerSignIn: round(appCpuMs, 2),
        postgresCpuMsPerSignIn: round(dbCpuMs, 2),
        loadGeneratorCpuMsPerSignIn: round(loadCpuMs, 2),
        pgbenchPostgresCpuMsPerSignIn: round(pgbenchDbCpuMs, 2),
        postgresTransactionsPerSignIn: round(commitsPerSignIn, 2),
        pgbenchChallengesWithoutSession: after.challenges - before.challenges - signedIn,
        // The primary's alone with BENCH_WORKERS > 1 (it serves nothing): not reported then.
        rssMiB: WORKERS > 1 ? null : round(memory.rss / 2 ** 20),
      },
      ratio: round(ratio, 3),
      target: `>= ${TARGET}/s`,
      pass: rate(http) >= TARGET && other.length === 0,
      profile: profile.length > 0 ? profile : undefined,
      notes: `${SECONDS} s, ${CLIENTS} clients; ratio = HTTP / pgbench of the same SQL; machine ${JSON.stringify(machine(database.version))}`,
    });
  } finally {
    await client.end();
    await server.stop();
    await database.stop();
  }
}

await main();

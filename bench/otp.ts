/**
 * OTP sign-in benchmark (not a test): sign-ins per second over HTTP, each a new number:
 * `POST /api/v1/auth/otp`, the code read from the development outbox's row, then
 * `POST /api/v1/auth/otp/confirm` (new account, new session, a token). Next to it, in the same run on
 * the same database, pgbench running the SQL those two requests run. See bench/README.md.
 * `npm run bench:otp`.
 */
import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { latency, machine, numberFrom, report, round, say } from './support/common.js';
import { load, rate } from './support/load.js';
import { pgbench } from './support/pgbench.js';
import { startDatabase, startServer } from './support/server.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 2);
/**
 * 8, not 32: OtpService.generate holds a pooled connection for its transaction and asks the pool for
 * a second one (the rate limiter), so with as many concurrent sign-ins as the pool has connections
 * (10) every one waits for the others and the server stops answering. See bench/README.md.
 */
const CLIENTS = numberFrom('BENCH_CLIENTS', 8);
const TARGET = 1000;
const HOST = 'in.localhost';

/**
 * The statements of one sign-in, as OtpService, the rate limiter, dev-outbox and SessionService run
 * them: generate (one transaction: per-number lock, cooldown check, two rate-limit counters, the
 * challenge), the outbox row, then confirm (count the attempt, mark it confirmed, upsert the account,
 * the session row). Hashing, encryption and the JWT are the platform's alone.
 */
// No colon inside a literal: pgbench would read it as a variable (chr(58) is ':').
const SCRIPT = `\\set n random(1, 1000000000)
begin;
select pg_advisory_xact_lock(hashtextextended('otp' || chr(58) || :n, 0));
select ceil(extract(epoch from (created_at + make_interval(secs => 60) - now())))::int as wait from otp_challenge
 where phone_hash = md5(:n::text) and confirmed_at is null and expires_at > now() and attempts < max_attempts
   and created_at > now() - make_interval(secs => 60) order by created_at desc limit 1;
insert into rate_limit (key, window_start, hits) values (concat_ws(chr(58), 'otp', 'ip', '127.0.0.1'), now(), 1)
 on conflict (key) do update set hits = case when rate_limit.window_start <= now() - make_interval(secs => 3600) then 1 else rate_limit.hits + 1 end,
 window_start = case when rate_limit.window_start <= now() - make_interval(secs => 3600) then now() else rate_limit.window_start end
 returning hits;
insert into rate_limit (key, window_start, hits) values (concat_ws(chr(58), 'otp', 'phone', md5(:n::text)), now(), 1)
 on conflict (key) do update set hits = case when rate_limit.window_start <= now() - make_interval(secs => 3600) then 1 else rate_limit.hits + 1 end,
 window_start = case when rate_limit.window_start <= now() - make_interval(secs => 3600) then now() else rate_limit.window_start end
 returning hits;
insert into otp_challenge (id, phone_hash, phone_enc, code_hash, created_at, expires_at, attempts, max_attempts)
 values (gen_random_uuid(), md5(:n::text), '\\x00', md5('code' || :n), now(), now() + make_interval(secs => 180), 0, 5) returning id as txn \\gset
commit;
insert into plugin_record (id, plugin_id, collection, data) values (gen_random_uuid(), 'dev-outbox', 'outbox',
 jsonb_build_object('to', '+91' || :n::text, 'text', 'Your code is 123456', 'reference', :txn::text, 'encoding', 'GSM-7', 'parts', 1)) returning created_at;
update otp_challenge set attempts = attempts + 1 where id = :txn and confirmed_at is null
 returning phone_enc, code_hash, attempts, max_attempts, expires_at <= now() as expired;
update otp_challenge set confirmed_at = now() where id = :txn and confirmed_at is null;
insert into account (id, phone_hash, phone_enc, language, created_at, last_sign_in_at) values (gen_random_uuid(), md5(:n::text), '\\x00', 'en', now(), now())
 on conflict (phone_hash) do update set last_sign_in_at = now(), language = excluded.language returning id \\gset acc_
insert into auth_session (id, subject_type, subject_id, expires_at, created_at) values (gen_random_uuid(), 'citizen', :acc_id, now() + interval '15 minutes', now());
`;

async function main(): Promise<void> {
  const database = await startDatabase();
  say(`database: ${database.description}, PostgreSQL ${database.version}`);
  const server = await startServer({ database, tenants: ['in'] });
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
    await server.startProfile();
    const http = await load({ ...base, seconds: SECONDS, firstNumber: firstNumber + 500_000 });
    const l = latency(http.latencies);
    const other = Object.entries(http.statuses).filter(([key]) => !key.startsWith('2'));
    say(
      `HTTP: ${http.ok} sign-ins in ${(http.elapsedMs / 1000).toFixed(1)} s = ${rate(http).toFixed(0)}/s, p50 ${l.p50} ms, p99 ${l.p99} ms`,
    );
    if (other.length > 0) say(`not 2xx: ${JSON.stringify(Object.fromEntries(other))}`);
    const memory = server.memory();
    const profile = await server.stopProfile();

    say(`pgbench: the same SQL, ${CLIENTS} clients, ${SECONDS} s, -M prepared…`);
    const sql = await pgbench(url, SCRIPT, CLIENTS, SECONDS);
    say(`pgbench: ${sql.tps.toFixed(0)} sign-ins/s, average ${sql.latencyMs} ms, failed ${sql.failed}`);
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
        rssMiB: round(memory.rss / 2 ** 20),
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

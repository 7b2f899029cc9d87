/**
 * Dose recording + certificate issuance benchmark (not a test): a vaccinator's two requests per
 * person over HTTP (`POST …/appointments/:id/verification` with the security code, then
 * `POST …/doses`), and the certificates the job issues from those doses (every format of the
 * tenant: EU DCC, SMART Health Card, W3C VC). The rate counts a dose only once its certificate
 * exists: doses / time until the last certificate. See bench/README.md. `npm run bench:doses`.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { TenantCrypto } from '@teeka/core/dist/src/kernel/crypto/tenant-crypto.js';
import { todayIn } from '@teeka/core/dist/src/scheduling/slots.js';
import { httpRequestTo } from '@teeka/core/dist/test/support/platform.js';
import pg from 'pg';
import { analyzeAfterWarmUp, latency, machine, numberFrom, report, round, say } from './support/common.js';
import { cpuMs, postmasterOf, treeCpuMs } from './support/cpu.js';
import { type Call, load, rate } from './support/load.js';
import { loadBeneficiaries } from './support/national-data.js';
import { startDatabase, startServer } from './support/server.js';
import { printStatements, resetStatements } from './support/statements.js';
import { benchSecrets } from './support/tokens.js';

const SECONDS = numberFrom('BENCH_SECONDS', 10);
const CLIENTS = numberFrom('BENCH_CLIENTS', 8);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 2);
/** People booked for the day; the run stops early (and says so) if the vaccinators get through them all. */
const PEOPLE = numberFrom('BENCH_PEOPLE', 20_000);
/** How long to wait, after the last dose, for the job to issue the remaining certificates. */
const DRAIN_SECONDS = numberFrom('BENCH_DRAIN_SECONDS', 120);
const TARGET = 800;
const HOST = 'in.localhost';
const KEM = 1001;
const PASSWORD = `bench-${randomBytes(8).toString('hex')}`;

async function call(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await httpRequestTo(port, HOST, path, { method, body, headers });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.json();
}

async function main(): Promise<void> {
  const database = await startDatabase();
  say(`database: ${database.description}, PostgreSQL ${database.version}`);
  // The tenant's keys are the benchmark's, so the people it writes have phone numbers the
  // platform can read (the certificate's SMS goes to them).
  const secrets = benchSecrets('in');
  const server = await startServer({
    database,
    tenants: ['in'],
    env: { ...secrets, TEEKA_IN_ADMIN_PASSWORD: PASSWORD, TEEKA_JOB_POLL_SECONDS: '0.5' },
  });
  const client = new pg.Client({ connectionString: server.tenantUrl('in') });
  await client.connect();
  try {
    const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      call(server.port, method, path, body, headers);
    const admin = {
      Authorization: `Bearer ${(await api('POST', '/api/v1/staff/sign-in', { username: 'admin', password: PASSWORD })).token}`,
    };
    await api(
      'POST',
      '/api/v1/staff/users',
      {
        username: 'bench-vaccinator',
        displayName: 'Bench Vaccinator',
        password: PASSWORD,
        roles: [{ role: 'vaccinator', scopeType: 'facility', scopeId: String(KEM) }],
      },
      admin,
    );
    const desk = {
      Authorization: `Bearer ${(await api('POST', '/api/v1/staff/sign-in', { username: 'bench-vaccinator', password: PASSWORD })).token}`,
    };
    // Stock: a batch received at a district store and moved to the centre.
    const inventory = (path: string, body: unknown) => api('POST', `/api/v1/staff/inventory${path}`, body, admin);
    const batch = (
      await inventory('/batches', { vaccine: 'covishield', lotNumber: `4121Z${randomBytes(3).toString('hex')}`, expiresOn: '2099-12-31' })
    ).id;
    const store = await inventory('/stores', { name: 'Bench Store', tier: 'district', area: 'district:395' });
    await inventory('/receipts', { location: store.location, batchId: batch, doses: PEOPLE + 10, reference: 'GRN' });
    const sent = await inventory('/transfers', { from: store.location, to: `facility:${KEM}`, batchId: batch, doses: PEOPLE });
    await inventory(`/transfers/${sent.transferId}/receive`, { doses: PEOPLE });
    const today = todayIn('Asia/Kolkata');
    const session = await api(
      'POST',
      '/api/v1/staff/sessions',
      {
        facilityId: KEM,
        date: today,
        vaccine: 'covishield',
        minAge: 18,
        slots: ['09:00AM-05:00PM'],
        capacities: [{ dose: 1, online: PEOPLE, walkin: 0 }],
      },
      admin,
    );
    // People and their appointments, straight into the database: booking is not what is measured here.
    const started = Date.now();
    await loadBeneficiaries(client, PEOPLE);
    // Each account's phone sealed with the tenant's key (loadBeneficiaries leaves a placeholder),
    // so that each certificate's SMS is sent, as for real people, rather than failing and retrying.
    const crypto = new TenantCrypto({
      tokenKey: secrets.TEEKA_IN_TOKEN_KEY,
      encryptionKey: secrets.TEEKA_IN_ENCRYPTION_KEY,
      hashKey: secrets.TEEKA_IN_HASH_KEY,
    });
    const accounts = (await client.query(`select id from account where phone_enc = '\\x00'::bytea order by id`)).rows.map(
      (row: { id: string }) => row.id,
    );
    const phones = accounts.map((_: string, n: number) => crypto.encrypt(`+9197${String(n).padStart(8, '0')}`));
    await client.query('update account a set phone_enc = p.enc from unnest($1::uuid[], $2::bytea[]) as p (id, enc) where a.id = p.id', [
      accounts,
      phones,
    ]);
    const { rows } = await client.query(
      `insert into appointment (id, beneficiary_id, account_id, session_id, slot_index, dose_number, security_code, state)
       select gen_random_uuid(), b.id, b.account_id, $1, 0, 1, lpad((floor(random() * 10000))::int::text, 4, '0'), 'booked'
       from beneficiary b where b.name like 'Bench %'
       returning id, security_code, (select reference_id from beneficiary where id = beneficiary_id) as reference_id`,
      [session.id],
    );
    await client.query('update session_capacity set online_booked = $2 where session_id = $1 and dose_number = 1', [
      session.id,
      rows.length,
    ]);
    await client.query('update session_slot set booked = $2 where session_id = $1 and slot_index = 0', [session.id, rows.length]);
    await client.query('analyze');
    say(`${rows.length} people booked at KEM today in ${Date.now() - started} ms; ${CLIENTS} vaccinator clients for ${SECONDS} s`);
    const sequences: Call[][] = rows.map((row: { id: string; security_code: string; reference_id: string }) => [
      {
        method: 'POST',
        path: `/api/v1/staff/vaccination/appointments/${row.id}/verification`,
        headers: desk,
        body: { securityCode: row.security_code },
      },
      {
        method: 'POST',
        path: '/api/v1/staff/vaccination/doses',
        headers: desk,
        body: { sessionId: session.id, beneficiary: row.reference_id, batchId: batch, doseNumber: 1, injectionSite: 'left-deltoid' },
      },
    ]);

    const warmUp = Math.floor(sequences.length / 10);
    const base = { port: server.port, host: HOST, clients: CLIENTS, unit: 'sequences' as const };
    await load({ ...base, seconds: WARMUP_SECONDS, sequences: sequences.slice(0, warmUp) });
    await analyzeAfterWarmUp(client);
    const postmaster = await postmasterOf(client);
    await server.startProfile();
    await resetStatements(client);
    const cpu0 = cpuMs(server.pid);
    const db0 = treeCpuMs(postmaster);
    const t0 = Date.now();
    const result = await load({ ...base, seconds: SECONDS, sequences: sequences.slice(warmUp) });
    const l = latency(result.latencies);
    const other = Object.entries(result.statuses).filter(([key]) => !key.startsWith('2'));
    say(
      `HTTP: ${result.ok} doses recorded in ${(result.elapsedMs / 1000).toFixed(1)} s = ${rate(result).toFixed(0)}/s, p50 ${l.p50} ms, p99 ${l.p99} ms (verify + dose)`,
    );
    if (other.length > 0) say(`not 2xx: ${JSON.stringify(Object.fromEntries(other))}`);
    if (result.exhausted) say('every booked person was vaccinated before the time was up: raise BENCH_PEOPLE');
    const doses = (
      await client.query('select count(*)::int as n from dose_record where session_id = $1 and recorded_at >= to_timestamp($2 / 1000.0)', [
        session.id,
        t0,
      ])
    ).rows[0].n as number;
    // Certificates: wait for the job to catch up with every dose.
    let certificates = 0;
    let lastAt = t0;
    const deadline = Date.now() + DRAIN_SECONDS * 1000;
    while (Date.now() < deadline) {
      const row = (
        await client.query(
          `select count(*)::int as n, extract(epoch from max(c.issued_at)) * 1000 as last from certificate c join dose_record d on d.id = c.dose_record_id where d.session_id = $1 and d.recorded_at >= to_timestamp($2 / 1000.0)`,
          [session.id, t0],
        )
      ).rows[0];
      certificates = row.n;
      lastAt = Number(row.last ?? t0);
      if (certificates >= doses) break;
      await new Promise((done) => setTimeout(done, 500));
    }
    await printStatements(client, doses, 'dose');
    const memory = server.memory();
    // The server's CPU for each dose of the measured run, its certificate included: less sensitive
    // than the rate to other load on the machine (it is what the doses cost, not how fast they came).
    const serverCpuMsPerDose = doses > 0 ? (cpuMs(server.pid) - cpu0) / doses : 0;
    // PostgreSQL's too (every backend of the cluster: the server's, pg-boss's, this process's polls).
    const postgresCpuMsPerDose = doses > 0 ? (treeCpuMs(postmaster) - db0) / doses : 0;
    const profile = await server.stopProfile();
    const withCertificates = Math.min(doses, certificates);
    const seconds = Math.max(result.elapsedMs, lastAt - t0) / 1000;
    const perSecond = withCertificates / seconds;
    say(
      `certificates: ${certificates} of ${doses} doses, the last ${((lastAt - t0) / 1000).toFixed(1)} s after the start → ${perSecond.toFixed(0)} doses with certificates/s`,
    );
    say(
      `CPU per dose with its certificate (verify + dose + certificate jobs): server ${serverCpuMsPerDose.toFixed(1)} ms, PostgreSQL ${postgresCpuMsPerDose.toFixed(1)} ms`,
    );
    report({
      name: 'doses',
      figures: {
        dosesWithCertificatesPerSecond: round(perSecond, 1),
        serverCpuMsPerDose: round(serverCpuMsPerDose, 1),
        postgresCpuMsPerDose: round(postgresCpuMsPerDose, 1),
        dosesRecordedPerSecond: round(rate(result), 1),
        p50Ms: l.p50,
        p99Ms: l.p99,
        doses,
        certificates,
        rssMiB: round(memory.rss / 2 ** 20),
      },
      ratio: round(perSecond / TARGET, 3),
      target: `>= ${TARGET}/s`,
      pass: perSecond >= TARGET && other.length === 0 && certificates >= doses,
      profile: profile.length > 0 ? profile : undefined,
      notes: `ratio = rate / target (absolute target, no baseline); ${SECONDS} s, ${CLIENTS} clients; machine ${JSON.stringify(machine(database.version))}`,
    });
  } finally {
    await client.end();
    await server.stop();
    await database.stop();
  }
}

await main();

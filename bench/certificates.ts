/**
 * Certificate benchmark (not a test): certificates issued and verified per second on one core, for
 * each format (EU DCC, SMART Health Card, W3C VC), next to the bare signature primitive the format
 * signs with (node:crypto ES256 or Ed25519 over a message of the format's payload size), measured
 * in the same run on the same thread. See bench/README.md. `npm run bench:certificates`.
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { newCertificateId } from '@teeka/core/dist/src/certificates/certificate-id.js';
import { certificateFormats } from '@teeka/core/dist/src/certificates/formats/index.js';
import { createAuthority, createSigningKey, type Issuer } from '@teeka/core/dist/src/certificates/keys/generate.js';
import type {
  CertificateDose,
  CertificateFormat,
  CertificateRecord,
  FormatId,
  SigningKey,
  TrustList,
} from '@teeka/core/dist/src/certificates/record.js';
import { vcVerificationMethod } from '@teeka/core/dist/src/certificates/verification-method.js';

function numberFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const SECONDS = numberFrom('BENCH_SECONDS', 5);
const WARMUP_SECONDS = numberFrom('BENCH_WARMUP_SECONDS', 1);
/** The format and its baseline take turns in slices this long, so a burst of load elsewhere hits both. */
const SLICE_SECONDS = Math.min(0.25, SECONDS);
const FORMATS = (process.env.BENCH_FORMATS ?? 'eu-dcc,shc,w3c-vc').split(',').map((id) => id.trim()) as FormatId[];
const ISSUER: Issuer = { name: 'Ministry of Health and Family Welfare', country: 'IN' };
const ISSUER_URL = 'https://in.teeka.example';

const say = (line: string) => process.stdout.write(`bench: ${line}\n`);
const print = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---- The record: a two-dose COVISHIELD series and a booster, a name in Devanagari.

const COVISHIELD: CertificateDose['vaccine'] = {
  code: 'covishield',
  name: 'COVISHIELD',
  manufacturer: 'Serum Institute of India',
  marketingAuthorisationHolder: 'Serum Institute of India Pvt. Ltd.',
  // As tenants/in.yaml codes it.
  codes: { icd11: 'XM9QW8', cvx: '210', snomed: '29061000087103', euProduct: 'Covishield', euManufacturer: 'ORG-100001981' },
};

function dose(doseNumber: number, date: string, lotNumber: string, centre: CertificateDose['centre']): CertificateDose {
  return {
    doseNumber,
    totalDoses: 2,
    date,
    vaccine: COVISHIELD,
    lotNumber,
    country: 'IN',
    centre,
    practitioner: 'डॉ. आशा कुलकर्णी',
  };
}

function makeRecord(): CertificateRecord {
  const kem = { id: 1001, name: 'KEM Hospital, Parel' };
  const bkc = { id: 1004, name: 'BKC Jumbo Vaccination Centre' };
  return {
    certificateId: newCertificateId('IN'),
    version: 3,
    kind: 'booster',
    issuedAt: new Date().toISOString(),
    issuer: { ...ISSUER, url: ISSUER_URL },
    person: {
      name: 'अनन्या राजेश देशपांडे',
      familyName: 'देशपांडे',
      givenName: 'अनन्या राजेश',
      birthDate: '1986-11-02',
      sex: 'female',
      identifier: { type: 'passport', value: 'Z4821937' },
    },
    doses: [dose(1, '2021-05-10', '4121Z040', kem), dose(2, '2021-08-09', '4121Z112', kem), dose(3, '2022-04-25', '4122Z131', bkc)],
  };
}

// ---- Keys, made the way the platform provisions them (keys/generate.ts), then loaded as key-store.ts does.

interface FormatKeys {
  key: SigningKey;
  trust: TrustList;
}

async function keysFor(format: FormatId): Promise<FormatKeys> {
  const authority = format === 'eu-dcc' ? await createAuthority(ISSUER) : undefined;
  const material = await createSigningKey(format, ISSUER, authority);
  const key: SigningKey = {
    kid: format === 'w3c-vc' ? vcVerificationMethod(ISSUER_URL, material.kid) : material.kid,
    algorithm: material.algorithm,
    privateKey: createPrivateKey({ key: material.privateKey, format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: material.publicJwk, format: 'jwk' }),
    ...(material.certificate ? { certificate: material.certificate } : {}),
  };
  const trust: TrustList = {
    country: ISSUER.country,
    issuerUrl: ISSUER_URL,
    keys: [
      {
        kid: key.kid,
        algorithm: key.algorithm,
        publicKey: key.publicKey,
        ...(key.certificate ? { certificate: key.certificate } : {}),
        notBefore: material.notBefore.toISOString(),
        notAfter: material.notAfter.toISOString(),
      },
    ],
    revoked: new Set(),
  };
  return { key, trust };
}

// ---- The bare primitive: node:crypto, the format's algorithm and key, a message of the payload's size.

function primitive(key: SigningKey, size: number) {
  const message = randomBytes(size);
  const es256 = key.algorithm === 'ES256';
  const signOnce = () =>
    es256 ? sign('sha256', message, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }) : sign(null, message, key.privateKey);
  const signature = signOnce();
  const verifyOnce = (publicKey: KeyObject) => {
    const ok = es256
      ? verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
      : verify(null, message, publicKey, signature);
    if (!ok) throw new Error('baseline signature does not verify');
  };
  return { sign: signOnce, verify: () => verifyOnce(key.publicKey) };
}

// ---- Measuring: one operation at a time on this thread, awaited before the next.

type Operation = () => unknown;

interface Sample {
  latencies: number[];
  wallNs: bigint;
  cpuUs: number;
}

const emptySample = (): Sample => ({ latencies: [], wallNs: 0n, cpuUs: 0 });

async function runFor(operation: Operation, seconds: number, into: Sample): Promise<void> {
  const budget = BigInt(Math.round(seconds * 1e9));
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  let now = start;
  while (now - start < budget) {
    const before = now;
    await operation();
    now = process.hrtime.bigint();
    into.latencies.push(Number(now - before) / 1000);
  }
  into.wallNs += now - start;
  const cpu = process.cpuUsage(cpuStart);
  into.cpuUs += cpu.user + cpu.system;
}

/** The format's operation and its baseline, in alternating slices until each has had `seconds`. */
async function alternate(subject: Operation, baseline: Operation, seconds: number): Promise<[Sample, Sample]> {
  const a = emptySample();
  const b = emptySample();
  for (let spent = 0; spent < seconds - 1e-9; spent += SLICE_SECONDS) {
    const slice = Math.min(SLICE_SECONDS, seconds - spent);
    await runFor(subject, slice, a);
    await runFor(baseline, slice, b);
  }
  return [a, b];
}

interface Row {
  format: FormatId;
  op: 'issue' | 'verify';
  ops: number;
  rate: number;
  p50: number;
  p99: number;
  cpu: number;
  perCpuSecond: number;
  baselineName: string;
  baselineRate: number;
}

function summarise(sample: Sample) {
  const sorted = Float64Array.from(sample.latencies).sort();
  const seconds = Number(sample.wallNs) / 1e9;
  return {
    ops: sorted.length,
    rate: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpu: sample.cpuUs / 1e6 / seconds,
    perCpuSecond: sorted.length / (sample.cpuUs / 1e6),
  };
}

async function benchFormat(format: CertificateFormat): Promise<{ rows: Row[]; payloadBytes: number }> {
  const { key, trust } = await keysFor(format.id);
  const record = makeRecord();
  const issued = await format.issue(record, key);
  const checked = await format.verify(issued.payload, trust);
  if (checked.status !== 'valid') throw new Error(`${format.id}: the issued certificate does not verify: ${JSON.stringify(checked)}`);
  const payloadBytes = Buffer.byteLength(issued.payload, 'utf8');
  const bare = primitive(key, payloadBytes);
  const issue = () => format.issue(record, key);
  const check = async () => {
    const result = await format.verify(issued.payload, trust);
    if (result.status !== 'valid') throw new Error(`${format.id}: verify answered ${result.status}`);
  };

  say(`${format.id}: warm-up ${WARMUP_SECONDS} s, then issue and verify ${SECONDS} s each (and as long for the baseline)…`);
  await alternate(issue, bare.sign, WARMUP_SECONDS / 2);
  await alternate(check, bare.verify, WARMUP_SECONDS / 2);
  const alg = key.algorithm;
  const rows: Row[] = [];
  for (const [op, subject, baseline, baselineName] of [
    ['issue', issue, bare.sign, `${alg} sign`],
    ['verify', check, bare.verify, `${alg} verify`],
  ] as const) {
    const [mine, base] = await alternate(subject, baseline, SECONDS);
    const measured = summarise(mine);
    rows.push({ format: format.id, op, ...measured, baselineName, baselineRate: summarise(base).rate });
  }
  return { rows, payloadBytes };
}

function machine(): string {
  const cpu = cpus();
  const models = [...new Set(cpu.map((c) => c.model.trim()))].join(', ') || 'unknown CPU';
  return `${cpu.length} cores × ${models}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.versions.node} (OpenSSL ${process.versions.openssl}); ${process.platform}/${process.arch}; load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`;
}

async function main(): Promise<void> {
  say(`machine: ${machine()}`);
  say('one core: operations run one at a time on the main thread (no workers), each awaited before the next');
  const rows: Row[] = [];
  const sizes: string[] = [];
  for (const id of FORMATS) {
    const format = certificateFormats[id];
    if (!format) throw new Error(`unknown format ${id} (BENCH_FORMATS): ${Object.keys(certificateFormats).join(', ')}`);
    const result = await benchFormat(format);
    rows.push(...result.rows);
    sizes.push(`${id} ${result.payloadBytes} B`);
  }

  const fixed = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  say('');
  say(`machine at the end: ${machine()}`);
  say(`${SECONDS} s per operation and as long for its baseline, in alternating ${SLICE_SECONDS} s slices; warm-up ${WARMUP_SECONDS} s`);
  say(`payloads (the baseline signs a random message of the same size): ${sizes.join(', ')}`);
  say('');
  print(
    '| format | op | ops/s per core | p50 µs | p99 µs | CPU (cores) | ops per CPU s | baseline (node:crypto) | baseline ops/s | ratio |',
  );
  print('|---|---|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const row of rows) {
    print(
      `| ${row.format} | ${row.op} | ${fixed(row.rate)} | ${fixed(row.p50)} | ${fixed(row.p99)} | ${fixed(row.cpu, 2)} | ${fixed(row.perCpuSecond)} | ${row.baselineName} | ${fixed(row.baselineRate)} | ${fixed(row.rate / row.baselineRate, 3)} |`,
    );
  }
  print('');
  say('ratio = format ops/s ÷ baseline ops/s (1 would mean the format costs no more than its signature)');
  say(
    'CPU (cores) = CPU time of the process ÷ wall time: below 1 when other processes took the core, above 1 when helper threads (GC) worked too',
  );
  // For bench/run.ts: one certificate in every format, per second of one core, against the 800/s of the busiest day.
  const issuing = rows.filter((row) => row.op === 'issue');
  const perCpuSecond = 1 / issuing.reduce((sum, row) => sum + 1 / row.perCpuSecond, 0);
  const figures: Record<string, number> = { certificatesAllFormatsPerCpuSecond: Math.round(perCpuSecond) };
  for (const row of rows) figures[`${row.format}-${row.op}-perCpuSecond`] = Math.round(row.perCpuSecond);
  print(
    `BENCH_RESULT ${JSON.stringify({ name: 'certificates', figures, ratio: Math.round((perCpuSecond / 800) * 1000) / 1000, target: '>= 800/CPU s, all formats', pass: perCpuSecond >= 800, notes: 'ratio = certificates in every format per CPU second / 800' })}`,
  );
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

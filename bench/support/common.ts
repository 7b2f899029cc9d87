/**
 * Shared by the benchmarks: settings from the environment, percentiles, the machine's description
 * and the `BENCH_RESULT {json}` line the runner (`bench/run.ts`) reads from each benchmark's stdout.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import type pg from 'pg';

export function numberFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

export const say = (line: string) => process.stdout.write(`bench: ${line}\n`);

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
}

export function latency(values: number[]): Latency {
  const sorted = Float64Array.from(values).sort();
  return { count: sorted.length, p50: round(percentile(sorted, 50), 2), p99: round(percentile(sorted, 99), 2) };
}

export const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface Machine {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  postgres?: string;
  loadAverage: number[];
  platform: string;
}

export function machine(postgres?: string): Machine {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    ramGiB: round(totalmem() / 2 ** 30, 1),
    node: process.versions.node,
    postgres,
    loadAverage: loadavg().map((n) => round(n, 2)),
    platform: `${process.platform}/${process.arch}`,
  };
}

export interface BenchResult {
  name: string;
  /** Absolute figures (rates, latencies in ms, bytes...), flat. */
  figures: Record<string, number | string | null>;
  /** The figure the target is about, usually benchmark / baseline. */
  ratio: number | null;
  /** The target as text, e.g. ">= 0.5". */
  target: string;
  pass: boolean;
  notes?: string;
  /** With BENCH_SERVER_PROFILE=1: where the server's CPU went during the measured run. */
  profile?: string[];
}

/** The last line of every benchmark's stdout: what the runner summarises and records. */
export function report(result: BenchResult): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

/**
 * `analyze` after a warm-up: statistics as a platform that has been running would have them (as
 * pgbench's side gets). Without it the tables the warm-up filled from empty (appointments, SMS
 * records, jobs) keep the plans made while they were empty (a sequential scan of every SMS record
 * per SMS sent) until autovacuum's next visit, up to a minute away.
 */
export async function analyzeAfterWarmUp(client: pg.Client): Promise<void> {
  await client.query('analyze');
}

/**
 * Waits until no job is due or running (the confirmation SMS of earlier bookings, say), so that
 * work one measurement queued is not done, and counted, in the next one. Answers the ms waited.
 */
export async function drainJobs(client: pg.Client, timeoutMs = 120_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pgboss.job where state <= 'active' and start_after <= now()`,
    );
    if (rows[0].n === 0 || Date.now() - started > timeoutMs) return Date.now() - started;
    await new Promise((done) => setTimeout(done, 200));
  }
}

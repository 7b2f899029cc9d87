import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PGBENCH = process.env.PGBENCH ?? (existsSync('/usr/bin/pgbench') ? '/usr/bin/pgbench' : 'pgbench');

/** Runs `script` with pgbench for `seconds` (prepared statements); answers its transactions per second. */
export async function pgbench(
  url: string,
  script: string,
  clients: number,
  seconds: number,
): Promise<{ tps: number; failed: number; latencyMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'teeka-pgbench-'));
  try {
    writeFileSync(join(dir, 'script.sql'), script);
    const { stdout } = await run(
      PGBENCH,
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(clients),
        '-j',
        String(Math.min(clients, cpus().length)),
        '-T',
        String(seconds),
        '-f',
        join(dir, 'script.sql'),
        url,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return {
      tps: Number(/tps = ([0-9.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? Number.NaN),
      failed: Number(/number of failed transactions: ([0-9]+)/.exec(stdout)?.[1] ?? 0),
      latencyMs: Number(/latency average = ([0-9.]+) ms/.exec(stdout)?.[1] ?? Number.NaN),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

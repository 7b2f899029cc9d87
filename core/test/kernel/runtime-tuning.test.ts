import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { HEAP_GROWING_PERCENT, MALLOC_ENV, SEMI_SPACE_MIB, tunedCommand } from '../../src/kernel/runtime-tuning.js';

const NODE = '/usr/bin/node24';
const MAIN = '/app/core/dist/src/main.js';
const FLAG = `--max-semi-space-size=${SEMI_SPACE_MIB}`;
const GROWING = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;

test('a plain launch gets the semi-space and heap-growing flags before its own node flags, and the malloc settings', (t) => {
  const command = tunedCommand(NODE, ['--inspect=127.0.0.1:0'], [NODE, MAIN, 'extra'], { PATH: '/bin', PORT: '0' });
  t.deepEqual(command?.args, [NODE, FLAG, GROWING, '--inspect=127.0.0.1:0', MAIN, 'extra']);
  t.like(command?.env, { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' });
  t.is(command?.env.PORT, '0', 'the environment is kept');
  t.is(tunedCommand(NODE, [], [NODE, MAIN], command!.env), undefined, 'marked: the new process never re-executes again');
});

test('the operator’s own settings win, in node flags, NODE_OPTIONS (dashes or underscores) or the environment', (t) => {
  const argv = [NODE, MAIN];
  const all = tunedCommand(NODE, ['--max-semi-space-size=64', '--heap-growing-percent=300'], argv, {
    MALLOC_ARENA_MAX: '8',
    MALLOC_MMAP_THRESHOLD_: '65536',
  });
  t.is(all, undefined, 'nothing to add: no re-execution');
  const semi = tunedCommand(NODE, [], argv, { NODE_OPTIONS: '--enable-source-maps --max_semi_space_size=32' });
  t.deepEqual(semi?.args, [NODE, GROWING, MAIN], 'the semi-space flag is not added');
  t.like(semi?.env, MALLOC_ENV);
  const growing = tunedCommand(NODE, ['--heap_growing_percent=50'], argv, {});
  t.deepEqual(growing?.args, [NODE, FLAG, '--heap_growing_percent=50', MAIN], 'the heap-growing flag is not added');
  const arena = tunedCommand(NODE, [], argv, { MALLOC_ARENA_MAX: '4' });
  t.deepEqual(arena?.args, [NODE, FLAG, GROWING, MAIN]);
  t.like(arena?.env, { MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '131072' });
});

test('TEEKA_RUNTIME_TUNING=off runs the process as launched', (t) => {
  for (const off of ['off', 'OFF', '0', 'false', 'no'])
    t.is(tunedCommand(NODE, [], [NODE, MAIN], { TEEKA_RUNTIME_TUNING: off }), undefined);
  t.truthy(tunedCommand(NODE, [], [NODE, MAIN], { TEEKA_RUNTIME_TUNING: 'on' }));
});

/** Runs a script that tunes itself and reports what it runs with. */
function run(env: NodeJS.ProcessEnv, ipc = false): Promise<{ pid: number; report: Record<string, unknown>; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'teeka-tuning-'));
  const script = join(dir, 'report.mjs');
  const tuning = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'kernel', 'runtime-tuning.js')).href;
  writeFileSync(
    script,
    `import { getHeapStatistics } from 'node:v8';
     const { tuneRuntime } = await import(${JSON.stringify(tuning)});
     tuneRuntime();
     process.send?.({ connected: true });
     console.log(JSON.stringify({ pid: process.pid, ipc: Boolean(process.channel), execArgv: process.execArgv, argv: process.argv.slice(2),
       arena: process.env.MALLOC_ARENA_MAX ?? null, mmap: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, heapLimit: getHeapStatistics().heap_size_limit }));`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, 'an-argument'], {
      env: { ...env },
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      try {
        resolve({ pid: child.pid!, report: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`no report: ${stdout} ${stderr}`));
      }
    });
  });
}

test('a real process replaces itself: same pid and arguments, V8 given the flag, glibc the malloc settings', async (t) => {
  const env = { ...process.env };
  for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS', 'TEEKA_RUNTIME_TUNING', 'TEEKA_RUNTIME_TUNED'])
    delete env[name];
  const tuned = await run(env);
  const plain = await run({ ...env, TEEKA_RUNTIME_TUNING: 'off' });
  t.is(tuned.report.pid, tuned.pid, 'the same process: signals and the pid a supervisor holds still reach it');
  t.deepEqual(tuned.report.execArgv, [FLAG, GROWING]);
  t.deepEqual(tuned.report.argv, ['an-argument']);
  t.is(tuned.report.arena, MALLOC_ENV.MALLOC_ARENA_MAX);
  t.is(tuned.report.mmap, MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
  t.is(tuned.stderr, '', 'no warning: this Node knows both flags');
  t.deepEqual(plain.report.execArgv, []);
  t.is(plain.report.arena, null);
  t.is(plain.report.mmap, null);
  // V8's heap limit counts the young generation: smaller semi-spaces, smaller limit (equal only
  // on a machine so small that V8 picks 16 MiB or less by itself).
  t.true((tuned.report.heapLimit as number) <= (plain.report.heapLimit as number));
});

test('a process with an IPC channel to its parent is not replaced: the channel would be cut', async (t) => {
  const env = { ...process.env };
  for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS', 'TEEKA_RUNTIME_TUNING', 'TEEKA_RUNTIME_TUNED'])
    delete env[name];
  const forked = await run(env, true);
  t.true(forked.report.ipc, 'the parent still hears from it');
  t.deepEqual(forked.report.execArgv, [], 'run as launched');
  t.is(forked.report.arena, null);
});

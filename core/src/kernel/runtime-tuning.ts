/**
 * Memory settings of the server process. They can only be given when a process starts (V8 sizes
 * its young generation, and glibc its malloc arenas, before any of our code runs), so `main.ts`
 * applies them by replacing itself with the same command plus the settings: `process.execve`,
 * same pid, before any platform module is loaded. Measured with `npm run bench:memory` (6 tenants,
 * bench/README.md): RSS after start ~375 → 200–230 MiB; the peak under load, see each setting.
 *
 * - `--max-semi-space-size=16`: Node 24's V8 lets each of the young generation's two semi-spaces
 *   grow to 64 MiB on a machine with several GiB of RAM, and start-up's bursts of long-lived
 *   objects make them grow to the full 128 MiB, which then stay resident. 16 MiB is what Node 20
 *   used (on the same 2-core, 23.5 GiB machine: new space at most 32 MiB against 128 MiB, and the
 *   same heap limit as Node 24 with this flag). Requests leave short-lived garbage, so scavenges
 *   stay cheap; they run more often.
 * - `--heap-growing-percent=100`: after a full collection V8 lets the old generation grow to up
 *   to four times what survived (its factor rises when collections are fast, which they are for
 *   a heap of ~85 MB) before it collects again; under load, objects that lived across a few
 *   scavenges (requests in flight, answers being written) pile up there as garbage until then.
 *   Twice is enough: in `npm run bench:memory` (10 s, 3,600–4,300 req/s, back to back) the peak
 *   went from 368–459 to 294–308 MiB, for 0.02–0.03 ms more CPU per answer (0.23–0.25 → 0.26–0.27)
 *   and 2–5 % more per OTP sign-in (more full collections; its p99 91 → 110 ms).
 * - glibc malloc (Linux): `MALLOC_ARENA_MAX=2`: every thread that mallocs (V8's compiler and GC
 *   threads, libuv's pool) gets an arena of its own, up to 8 per core, each keeping freed memory;
 *   Node mallocs mostly on the main thread. `MALLOC_MMAP_THRESHOLD_=131072`: glibc's own starting
 *   value, fixed. Left alone, glibc raises it each time a large block is freed, up to 32 MiB, and
 *   then keeps such blocks in the arenas after they are freed: scrypt's 16 MiB per staff password
 *   (registration/staff/passwords.ts) stayed resident, in every pool thread that ran one. Fixed,
 *   blocks of 128 KiB and more go back to the system when freed. Other C libraries ignore both.
 *
 * Not done when the process has an IPC channel to its parent (it would be cut). An operator's own
 * value wins: a `--max-semi-space-size` or `--heap-growing-percent` in the node flags or
 * NODE_OPTIONS, or a malloc setting in the environment, is kept. `TEEKA_RUNTIME_TUNING=off`
 * starts the process as it was launched (to compare, or on a platform where execve misbehaves).
 */

export const SEMI_SPACE_FLAG = '--max-semi-space-size';
export const SEMI_SPACE_MIB = 16;
export const HEAP_GROWING_FLAG = '--heap-growing-percent';
export const HEAP_GROWING_PERCENT = 100;
/** glibc's malloc settings, each set unless the environment has it. */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };
/** Set in the re-executed process, so that it never re-executes again. */
const TUNED = 'TEEKA_RUNTIME_TUNED';

export interface TunedCommand {
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * The command line and environment the process should run with, or undefined when it already does
 * (or tuning is off). Pure, for the tests: `execArgv` are node's flags, `argv` as `process.argv`.
 */
export function tunedCommand(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): TunedCommand | undefined {
  if (env[TUNED] || ['off', '0', 'false', 'no'].includes((env.TEEKA_RUNTIME_TUNING ?? '').trim().toLowerCase())) return undefined;
  const flags: string[] = [];
  // V8 takes its flags with dashes or underscores.
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!given.some((flag) => /^--max[-_]semi[-_]space[-_]size\b/.test(flag))) flags.push(`${SEMI_SPACE_FLAG}=${SEMI_SPACE_MIB}`);
  if (!given.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag))) flags.push(`${HEAP_GROWING_FLAG}=${HEAP_GROWING_PERCENT}`);
  const extraEnv = Object.fromEntries(Object.entries(MALLOC_ENV).filter(([name]) => env[name] === undefined));
  if (flags.length === 0 && Object.keys(extraEnv).length === 0) return undefined;
  return { args: [execPath, ...flags, ...execArgv, ...argv.slice(1)], env: { ...env, ...extraEnv, [TUNED]: '1' } };
}

/** Re-executes this process with the memory settings when it lacks them; returns when it has them. */
export function tuneRuntime(): void {
  if (typeof process.execve !== 'function') return; // Windows, or a Node without it: run as launched.
  // A parent that talks to us over IPC (pm2's fork mode, a test or benchmark harness waiting for
  // `{ teeka: 'ready' }`) would lose the channel: execve closes it. Such a parent starts us with the
  // settings itself (tunedCommand gives them) or goes without.
  if (process.channel) return;
  const command = tunedCommand(process.execPath, process.execArgv, process.argv, process.env);
  if (!command) return;
  try {
    process.execve(process.execPath, command.args, command.env);
  } catch (error) {
    process.stderr.write(`teeka: running without the memory settings (${(error as Error).message})\n`);
  }
}

/**
 * The platform under benchmark: a PostgreSQL server (DATABASE_URL, or a throw-away embedded
 * cluster), a copy of the project's configuration with the bench overlay (bench/overlay/tenant.yaml)
 * merged into every tenant file, and the real server (`core/dist/src/main.js`) in a child process
 * of its own, so the load generator never shares its event loop and its memory can be read alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ProjectPaths, projectPaths } from '@teeka/core/dist/src/kernel/config/paths.js';
import { dropDatabase, withDatabase } from '@teeka/core/dist/src/kernel/db/database-server.js';
import { EmbeddedPostgres } from '@teeka/core/dist/src/kernel/db/embedded-postgres.js';
import { projectCopy } from '@teeka/core/dist/test/support/project-copy.js';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { say } from './common.js';
import { attachProfiler } from './profile.js';
import { statementSettings } from './statements.js';

const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OVERLAY_FILE = join(BENCH_ROOT, 'overlay', 'tenant.yaml');
const NODE = process.execPath;

export interface Database {
  adminUrl: string;
  description: string;
  version: string;
  stop(): Promise<void>;
}

export async function startDatabase(): Promise<Database> {
  const paths = projectPaths();
  let embedded: EmbeddedPostgres | undefined;
  let adminUrl = process.env.DATABASE_URL;
  let description: string;
  if (adminUrl) description = `DATABASE_URL (${new URL(adminUrl).host})`;
  else {
    embedded = await EmbeddedPostgres.start({
      projectDataDir: paths.data,
      projectRoot: paths.root,
      port: 0,
      name: `bench-cluster-${process.pid}`,
      ephemeral: true,
      settings: statementSettings(),
      log: () => undefined,
    });
    adminUrl = embedded.adminUrl;
    description = `${embedded.description} (embedded, fsync off)`;
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const version = (await client.query('show server_version')).rows[0].server_version as string;
  await client.end();
  return {
    adminUrl,
    description,
    version,
    stop: async () => {
      await embedded?.destroy();
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isObject(base) || !isObject(overlay)) return overlay;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = key in base ? deepMerge(base[key], value) : value;
  return merged;
}

/** A temporary copy of tenants/, locales/, themes/ (plugins linked) with the overlay merged into every tenant. */
export function benchProject(): ProjectPaths {
  const overlay = parse(readFileSync(OVERLAY_FILE, 'utf8'));
  const codes = readdirSync(projectPaths().tenants)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length));
  return projectCopy({
    tenants: Object.fromEntries(codes.map((code) => [code, (text: string) => stringify(deepMerge(parse(text), overlay))])),
  });
}

export interface Server {
  port: number;
  pid: number;
  prefix: string;
  /** The tenant's own database. */
  tenantUrl(code: string): string;
  /** Resident set size now and its peak (VmHWM), in bytes, from /proc. */
  memory(): { rss: number; peak: number };
  /** With BENCH_SERVER_PROFILE=1: starts a CPU profile of the server (through its inspector). */
  startProfile(): Promise<void>;
  /** Stops it and answers where the server's CPU went, top first (empty without BENCH_SERVER_PROFILE). */
  stopProfile(): Promise<string[]>;
  /** Stops the server and keeps its databases (stop() drops them). */
  halt(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  database: Database;
  /** Tenant codes to run; every tenant when empty. */
  tenants: string[];
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** A free TCP port on 127.0.0.1, for app processes that must share a known one (a node:cluster). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The level app processes under benchmark log at: production's default, so each request's log line
 * is paid for as in production (about 6 µs of CPU a line, measured; LOG_LEVEL=warn would skip it).
 */
export const BENCH_LOG_LEVEL = 'info';

/**
 * Standard output for an app process under benchmark: a file in its project copy (`<root>/server.log`),
 * deleted with it. Not a pipe: this process would then read every request's log line, on the CPU
 * bench:otp counts as the load generator's. Readiness is read from the file (waitUntilReady), not
 * over IPC: main.js may replace itself at start (runtime-tuning.ts, process.execve), which keeps
 * its stdout but not an IPC channel.
 */
export function serverOutput(root: string): { file: string; fd: number } {
  const file = join(root, 'server.log');
  return { file, fd: openSync(file, 'a') };
}

/**
 * Waits until the app process (or, with TEEKA_WORKERS, its primary) writes that it is ready, and
 * answers the port it said it listens on (the first, 0 when it said none).
 */
export async function waitUntilReady(child: ChildProcess, file: string, fd: number, stderr: () => string = () => ''): Promise<number> {
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  for (;;) {
    const text = readFileSync(file, 'utf8');
    if (/^teeka: ready(?:: \d+ app processes)?$/m.test(text)) {
      return Number(/^teeka(?: \[\d+\])?: listening on port (\d+)/m.exec(text)?.[1] ?? 0);
    }
    if (exited !== undefined) throw new Error(`the server exited (${exited}) before it was ready: ${`${text}${stderr()}`.slice(-2000)}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

export async function startServer(options: ServerOptions): Promise<Server> {
  const paths = benchProject();
  const prefix = `teekabench_${randomBytes(4).toString('hex')}_`;
  const profiling = process.env.BENCH_SERVER_PROFILE ? ['--inspect=127.0.0.1:0'] : [];
  // e.g. `--perf-basic-prof` (names JIT frames for Linux perf, which counts CPU time, not wall time).
  profiling.push(...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const output = serverOutput(paths.root);
  const child: ChildProcess = spawn(
    NODE,
    [...profiling, ...(options.nodeArgs ?? []), join(projectPaths().root, 'core', 'dist', 'src', 'main.js')],
    {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        TEEKA_DEMO_SESSIONS: 'off',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: options.database.adminUrl,
        TEEKA_DB_PREFIX: prefix,
        TEEKA_TENANTS: options.tenants.join(','),
        TEEKA_ROOT: paths.root,
        LOG_LEVEL: BENCH_LOG_LEVEL,
        ...options.env,
      },
      stdio: ['ignore', output.fd, 'pipe'],
    },
  );
  const errors: string[] = [];
  let inspector: string | undefined;
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    // The last one: main.js may re-execute itself with its memory settings (same pid, a new inspector).
    inspector = /Debugger listening on (ws:\/\/\S+)/.exec(text)?.[1] ?? inspector;
    errors.push(text);
    if (errors.length > 100) errors.shift();
  });
  const port = await waitUntilReady(child, output.file, output.fd, () => errors.join(''));
  say(`server pid ${child.pid} on port ${port}, tenants ${options.tenants.join(',') || 'all'}`);
  let profiler: Awaited<ReturnType<typeof attachProfiler>> | undefined;
  const halt = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  };
  const tenantUrl = (code: string) => withDatabase(options.database.adminUrl, `${prefix}${code}`);
  return {
    port,
    pid: child.pid!,
    prefix,
    tenantUrl,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    async startProfile() {
      if (!inspector) return;
      // BENCH_SERVER_PROFILE=<file>.cpuprofile: the whole profile is kept in that file as well.
      const file = process.env.BENCH_SERVER_PROFILE?.endsWith('.cpuprofile') ? process.env.BENCH_SERVER_PROFILE : undefined;
      profiler = await attachProfiler(inspector, file);
      await profiler.start();
    },
    async stopProfile() {
      if (!profiler) return [];
      const top = await profiler.stop();
      profiler.close();
      profiler = undefined;
      say(`server CPU (self time by package, share of busy time): ${top.join(', ')}`);
      return top;
    },
    halt,
    async stop() {
      await halt();
      const codes =
        options.tenants.length > 0
          ? options.tenants
          : readdirSync(paths.tenants)
              .filter((n) => n.endsWith('.yaml'))
              .map((n) => n.slice(0, -5));
      for (const code of codes) await dropDatabase(options.database.adminUrl, `${prefix}${code}`).catch(() => undefined);
      rmSync(paths.root, { recursive: true, force: true });
    },
  };
}

/** Starts the bare baseline server (support/bare-server.ts) on the answers given; answers its port and a stop. */
export async function startBareServer(answers: Record<string, { type: string; body: string }>): Promise<{ port: number; stop(): void }> {
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'teeka-bare-'));
  const file = join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify(answers));
  const child = spawn(NODE, [join(dirname(fileURLToPath(import.meta.url)), 'bare-server.js'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening (\d+)/.exec(line);
      if (match) done(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
  });
  return {
    port,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

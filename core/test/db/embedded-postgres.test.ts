import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import pg from 'pg';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { ensureDatabase, withDatabase } from '../../src/kernel/db/database-server.js';
import { EmbeddedPostgres } from '../../src/kernel/db/embedded-postgres.js';
import { openTenantOrm } from '../../src/kernel/db/orm.js';
import { isDatabaseUnavailable } from '../../src/kernel/db/unavailable.js';

/**
 * The zero-set-up server `npm start` uses, on a data folder of its own: data survives a restart
 * and a `kill -9` of the process that started it.
 */
const paths = projectPaths();

function options(dataDir: string) {
  return { projectDataDir: dataDir, projectRoot: dataDir, port: 0, name: 'pg', ephemeral: true };
}

async function query(server: EmbeddedPostgres, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: server.adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** mkdtemp makes private (0700) folders; a project folder others can traverse is 0755. */
function reachableDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'teeka-embedded-'));
  chmodSync(dir, 0o755);
  return dir;
}

test.serial('data is kept across a stop and a start', async (t) => {
  const dataDir = reachableDir();
  const first = await EmbeddedPostgres.start(options(dataDir));
  t.not(first.port, 5432);
  t.is(first.dataDir, join(dataDir, 'pg', 'pgdata'));
  await query(first, "create table kept (v text); insert into kept values ('still here')");
  await first.stop();
  const second = await EmbeddedPostgres.start(options(dataDir));
  try {
    t.deepEqual((await query(second, 'select v from kept')).rows, [{ v: 'still here' }]);
  } finally {
    await second.destroy();
  }
});

test.serial('as root, a data folder the postgres user cannot reach moves to a per-project temp folder', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('only root runs the server as another user');
  const privateDir = mkdtempSync(join(tmpdir(), 'teeka-private-')); // 0700
  const notes: string[] = [];
  const server = await EmbeddedPostgres.start({ ...options(privateDir), log: (line) => notes.push(line) });
  try {
    t.false(server.dataDir.startsWith(privateDir));
    t.true(server.dataDir.startsWith(tmpdir()));
    t.true(
      notes.some((line) => line.includes('cannot reach')),
      'start-up says where the data went',
    );
    t.deepEqual((await query(server, 'select 1 as one')).rows, [{ one: 1 }]);
  } finally {
    await server.destroy();
  }
});

test.serial('a server orphaned by kill -9 of its parent is cleaned up and the data kept', async (t) => {
  const dataDir = reachableDir();
  const module = join(paths.root, 'core', 'dist', 'src', 'kernel', 'db', 'embedded-postgres.js');
  const script = `
    const { EmbeddedPostgres } = await import(${JSON.stringify(module)});
    const server = await EmbeddedPostgres.start(${JSON.stringify(options(dataDir))});
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: server.adminUrl });
    await client.connect();
    await client.query("create table survivor (v text); insert into survivor values ('after kill -9')");
    await client.end();
    console.log('ready');
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: paths.root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    parent.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    parent.on('exit', () => reject(new Error('the parent exited early')));
  });
  parent.kill('SIGKILL');
  await sleep(300);
  const pidFile = join(dataDir, 'pg', 'pgdata', 'postmaster.pid');
  t.true(existsSync(pidFile), 'the orphaned server still holds the data folder');
  const orphan = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);

  const server = await EmbeddedPostgres.start(options(dataDir));
  try {
    t.deepEqual((await query(server, 'select v from survivor')).rows, [{ v: 'after kill -9' }]);
    t.throws(() => process.kill(orphan, 0), undefined, 'the orphan is gone');
  } finally {
    await server.destroy();
  }
});

test.serial('port 5432 is never used', async (t) => {
  const dataDir = reachableDir();
  await t.throwsAsync(EmbeddedPostgres.start({ ...options(dataDir), port: 5432 }), { message: /never uses port 5432/ });
});

/** Where a query arrived: the server's address over TCP, null over a Unix socket. */
async function serverAddress(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ addr: string | null }>('select host(inet_server_addr()) as addr')).rows[0].addr;
  } finally {
    await client.end();
  }
}

test.serial('its URLs go through a Unix socket, for pg and MikroORM alike; 127.0.0.1 answers too', async (t) => {
  const dataDir = reachableDir();
  const server = await EmbeddedPostgres.start(options(dataDir));
  try {
    t.is(server.socketDir, join(dataDir, 'pg', 'socket'));
    t.is(new URL(server.adminUrl).searchParams.get('host') ?? undefined, server.socketDir);
    t.is(await serverAddress(server.adminUrl), null, 'pg: through the socket');
    const tcp = new URL(server.adminUrl);
    tcp.searchParams.delete('host');
    t.is(await serverAddress(tcp.toString()), '127.0.0.1', 'host and port still answer');

    await ensureDatabase(server.adminUrl, 'sockets');
    const orm = await openTenantOrm(withDatabase(server.adminUrl, 'sockets'), { poolMax: 1 });
    try {
      const [row] = await orm.em.fork().execute<{ addr: string | null }[]>('select host(inet_server_addr()) as addr');
      t.is(row.addr, null, 'MikroORM: through the socket, not the URL host');
    } finally {
      await orm.close(true);
    }
    // Stopped, the server removes its socket: connecting fails with ENOENT, an outage (503), not a bug.
    await server.stop();
    const down = await serverAddress(server.adminUrl).catch((error: unknown) => error);
    t.like(down, { code: 'ENOENT', syscall: 'connect' });
    t.true(isDatabaseUnavailable(down), 'a missing socket is a database outage');
    const missingFile = (() => {
      try {
        readFileSync(join(dataDir, 'no-such-file'));
      } catch (error) {
        return error;
      }
    })();
    t.false(isDatabaseUnavailable(missingFile), 'a missing file is not');
  } finally {
    await server.destroy();
  }
});

test.serial('a data folder too deep for a socket path is served over TCP alone', async (t) => {
  const deep = join(reachableDir(), 'a-folder-name-long-enough-that-the-socket-path-would-not-fit-in-sun-path');
  mkdirSync(deep, { mode: 0o755 });
  const server = await EmbeddedPostgres.start(options(deep));
  try {
    t.is(server.socketDir, undefined);
    t.false(server.adminUrl.includes('?host='));
    t.is(await serverAddress(server.adminUrl), '127.0.0.1');
  } finally {
    await server.destroy();
  }
});

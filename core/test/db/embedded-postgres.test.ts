import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import pg from 'pg';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { EmbeddedPostgres } from '../../src/kernel/db/embedded-postgres.js';

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

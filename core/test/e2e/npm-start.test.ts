import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { httpRequestTo } from '../support/platform.js';

/**
 * What `npm start` does for a developer, end to end: no DATABASE_URL, so the embedded server starts
 * with data in the project; SIGTERM stops cleanly; a restart keeps the data, and so does a restart
 * after `kill -9`. Runs on a copy of the project so it never touches the real .data folder.
 */
const source = projectPaths();
const MAIN = join(source.root, 'core', 'dist', 'src', 'main.js');

function projectCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'teeka-start-'));
  chmodSync(root, 0o755);
  for (const folder of ['locales', 'themes', 'tenants']) cpSync(join(source.root, folder), join(root, folder), { recursive: true });
  mkdirSync(join(root, 'plugins'));
  for (const plugin of readdirSync(source.plugins)) symlinkSync(join(source.plugins, plugin), join(root, 'plugins', plugin));
  return root;
}

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function start(root: string): Promise<Running> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEEKA_ROOT: root,
    PORT: '0',
    HOST: '127.0.0.1',
    TEEKA_EMBEDDED_PG_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 600; i++) {
    const port = output.match(/listening on port (\d+)/)?.[1];
    if (port && /^teeka: ready$/m.test(output)) return { child, port: Number(port), output: () => output };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`npm start did not come up:\n${output}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

function postgresPid(root: string): number {
  return Number(readFileSync(join(root, '.data', 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('npm start: embedded database in the project, clean SIGTERM, data kept across restarts and kill -9', async (t) => {
  const root = projectCopy();
  const running: ChildProcess[] = [];
  t.teardown(() => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  const track = (process: Running) => {
    running.push(process.child);
    return process;
  };

  const first = track(await start(root));
  t.regex(first.output(), new RegExp(`data in ${join(root, '.data', 'postgres')}`), 'the data lives under the project');
  t.regex(first.output(), /tenant in \(India, en\+hi\): http:\/\/in\.localhost:\d+\//);
  const credentials = first.output().match(/tenant in: staff sign-in (\S+) \/ (\S+) /);
  t.truthy(credentials, 'start-up prints the first administrator of each tenant');
  const staff = await httpRequestTo(first.port, 'in.localhost', '/api/v1/staff/sign-in', {
    method: 'POST',
    body: { username: credentials![1], password: credentials![2] },
  });
  t.is(staff.status, 200, 'the printed credentials work');
  const sent = await httpRequestTo(first.port, 'in.localhost', '/dev/sms', { method: 'POST', body: { to: '+919811112222', text: 'kept' } });
  t.is(sent.status, 202);
  const server = postgresPid(root);
  first.child.kill('SIGTERM');
  t.is(await exited(first.child), 0, 'SIGTERM exits cleanly');
  t.false(alive(server), 'the embedded server stopped with the app');

  const second = track(await start(root));
  const outbox = (await httpRequestTo(second.port, 'in.localhost', '/dev/outbox')).json<{ text: string }[]>();
  t.true(
    outbox.some((m) => m.text === 'kept'),
    'data kept across a restart',
  );
  second.child.kill('SIGKILL');
  await exited(second.child);

  const third = track(await start(root));
  try {
    const after = (await httpRequestTo(third.port, 'in.localhost', '/dev/outbox')).json<{ text: string }[]>();
    t.true(
      after.some((m) => m.text === 'kept'),
      'data kept after kill -9',
    );
    t.regex(third.output(), /stopping a stale PostgreSQL server/);
    t.true(third.output().includes(`staff sign-in ${credentials![1]} / ${credentials![2]} `), 'the same credentials after restarts');
  } finally {
    third.child.kill('SIGTERM');
    await exited(third.child);
  }
});

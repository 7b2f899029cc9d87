// Runs docs/operators/onboarding.md as CI, so the operator docs cannot drift from the software.
//
//   node_modules/.bin/node .ci/onboarding.mjs
//
// 1. Copies the working tree (tracked and untracked files, not ignored ones, plus the build output
//    so the build is incremental) to a temporary folder; node_modules is linked, not installed.
// 2. Runs every ```sh onboarding block of the page exactly as written, in order, with bash
//    (`set -euo pipefail`), in that copy. The ```sh onboarding-start block is started in the
//    background and waited for (`teeka: ready`).
// 3. Checks what the page says the operator should see: the Kenya portal answers over HTTP in its
//    language, with its wording and theme; the ke-nid plugin passed its contract kit and is the
//    tenant's ID verifier (a bad check digit is refused, a good number registered); the imported
//    hospitals are found by county.
// 4. Stops the platform, drops the databases it made (DATABASE_URL) and deletes the copy.
//
// The database: the embedded PostgreSQL server in the copy, or DATABASE_URL when set (then the
// tenant's database gets a unique prefix, TEEKA_DB_PREFIX, and is dropped at the end).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = join('docs', 'operators', 'onboarding.md');
const started = Date.now();
const say = (line) => process.stdout.write(`onboarding: ${line}\n`);

/** The ```sh onboarding and ```sh onboarding-start blocks of a Markdown page, in order. */
export function onboardingBlocks(markdown) {
  const found = [];
  let open;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^```(.*)$/.exec(text);
    if (!open && fence) {
      const info = fence[1].trim().split(/\s+/);
      open = { kind: info[0] === 'sh' && /^onboarding(-start)?$/.test(info[1] ?? '') ? info[1] : undefined, line: index + 1, lines: [] };
    } else if (open && /^```\s*$/.test(text)) {
      if (open.kind) found.push({ kind: open.kind, line: open.line, code: open.lines.join('\n') });
      open = undefined;
    } else if (open) open.lines.push(text);
  });
  return found;
}

/** A copy of the working tree with node_modules linked: workspace packages point into the copy. */
function copyProject() {
  const root = mkdtempSync(join(tmpdir(), 'teeka-onboarding-'));
  // mkdtemp makes it private; the embedded server's `postgres` user must reach .data/ inside it.
  chmodSync(root, 0o755);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(join(repo, file)));
  for (const file of files) cpSync(join(repo, file), join(root, file), { preserveTimestamps: true, verbatimSymlinks: true });
  // The build output, so that `npm run build` in the copy only builds what changed.
  const outputs = ['core/dist', 'core/plugin-sdk/dist', ...readdirSync(join(repo, 'plugins')).map((name) => `plugins/${name}/dist`)];
  for (const dist of outputs.filter((path) => existsSync(join(repo, path)))) {
    cpSync(join(repo, dist), join(root, dist), { recursive: true, preserveTimestamps: true });
  }
  const modules = join(repo, 'node_modules');
  mkdirSync(join(root, 'node_modules'));
  for (const name of readdirSync(modules)) {
    if (name === '@teeka' || name === '.bin') {
      // Relative links (../../core, ../@teeka/core/bin/teeka.mjs): recreated as they are, they
      // point into the copy, so `npx teeka` and the plugins' @teeka/plugin-sdk are the copy's.
      mkdirSync(join(root, 'node_modules', name));
      for (const entry of readdirSync(join(modules, name))) {
        const link = join(modules, name, entry);
        let target;
        try {
          target = readlinkSync(link);
        } catch {
          target = link;
        }
        symlinkSync(target, join(root, 'node_modules', name, entry));
      }
    } else symlinkSync(join(modules, name), join(root, 'node_modules', name));
  }
  return root;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs one block with bash; resolves with its output, rejects when it exits non-zero. */
function runBlock(block, cwd, env) {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', block.code], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code, signal) =>
      code === 0 ? resolveRun(output) : reject(new Error(`${DOC}:${block.line}: the block exited with ${code ?? signal}`)),
    );
  });
}

/** Starts the ```sh onboarding-start block in its own process group and waits for `teeka: ready`. */
function startBlock(block, cwd, env) {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', block.code], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const ready = new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${DOC}:${block.line}: not ready after 150 s`)), 150_000);
    const keep = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
      if (/teeka: ready/.test(output)) {
        clearTimeout(timer);
        resolveReady(output);
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${DOC}:${block.line}: the platform exited (${code}) before it was ready`));
    });
  });
  /** SIGTERM to the whole group (bash, npm, the platform, its embedded server), then waits until every one has gone. */
  const stop = async () => {
    const alive = () => {
      try {
        process.kill(-child.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (!alive()) return;
    process.kill(-child.pid, 'SIGTERM');
    for (let waited = 0; alive(); waited += 250) {
      if (waited === 30_000) process.kill(-child.pid, 'SIGKILL');
      await new Promise((done) => setTimeout(done, 250));
    }
  };
  return { ready, stop };
}

/** One HTTP request to the platform with a tenant's Host header. */
function http(port, host, method, path, { body, headers = {} } = {}) {
  return new Promise((resolveRequest, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host, ...(data ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolveRequest({ status: res.statusCode, text, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  say(`ok: ${message}`);
}

async function checkPortal(port) {
  const host = `ke.localhost:${port}`;
  const page = await http(port, host, 'GET', '/');
  check(page.status === 200, `GET http://${host}/ answers 200 (got ${page.status})`);
  check(/<html lang="en" dir="ltr"/.test(page.text), 'the portal is in English, left to right');
  check(page.text.includes('Kenya national vaccination portal'), "the portal shows Kenya's own wording (tenants/ke/locales)");
  check(page.text.includes('--brand:#006600'), "the portal has the Kenya theme's brand colour");

  const nairobi = await http(port, host, 'GET', '/api/v1/facilities?area=county:47');
  const names = nairobi.status === 200 ? nairobi.json().facilities.map((facility) => facility.name) : [];
  check(
    names.includes('Kenyatta National Hospital') && names.includes('Mbagathi County Hospital'),
    `the imported hospitals are found by county (Nairobi City, 047: ${names.join(', ') || nairobi.status})`,
  );

  const mobile = '0712345678';
  const otp = await http(port, host, 'POST', '/api/v1/auth/otp', { body: { mobile } });
  check(otp.status === 200, `an OTP is sent to a Kenyan mobile number (got ${otp.status} ${otp.text.slice(0, 200)})`);
  const outbox = (await http(port, host, 'GET', '/dev/outbox')).json();
  const code = outbox.find((message) => message.to === '+254712345678')?.text.match(/\b(\d{6})\b/)?.[1];
  check(Boolean(code), 'the OTP is in the development outbox');
  const confirmed = await http(port, host, 'POST', '/api/v1/auth/otp/confirm', { body: { txnId: otp.json().txnId, otp: code } });
  check(confirmed.status === 200, `the OTP signs the citizen in (got ${confirmed.status})`);
  const auth = { authorization: `Bearer ${confirmed.json().token}` };
  const person = { name: 'Wanjiku Kamau', gender: 'F', birthYear: 1985, consentVersion: '1' };
  const bad = await http(port, host, 'POST', '/api/v1/beneficiaries', {
    body: { ...person, document: { type: 'ke-nid', number: '12345678' } },
    headers: auth,
  });
  check(
    bad.status === 422 && bad.text.includes('document-checksum'),
    `ke-nid refuses a number with a wrong check digit (got ${bad.status} ${bad.text.slice(0, 300)})`,
  );
  const good = await http(port, host, 'POST', '/api/v1/beneficiaries', {
    body: { ...person, document: { type: 'ke-nid', number: '12345674' } },
    headers: auth,
  });
  check(good.status === 201, `ke-nid accepts a good number and the person is registered (got ${good.status} ${good.text.slice(0, 300)})`);
}

async function dropDatabases(url, prefix) {
  const { default: pg } = await import(join(repo, 'node_modules', 'pg', 'lib', 'index.js'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('select datname from pg_database where starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await client.end();
  }
}

async function main() {
  const blocks = onboardingBlocks(readFileSync(join(repo, DOC), 'utf8'));
  if (blocks.filter((block) => block.kind === 'onboarding-start').length !== 1)
    throw new Error(`${DOC}: needs one sh onboarding-start block`);
  const root = copyProject();
  say(`project copied to ${root} (${Math.round((Date.now() - started) / 1000)} s)`);
  const port = await freePort();
  const prefix = `onboarding_${randomBytes(4).toString('hex')}_`;
  const env = { ...process.env, PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  for (const name of ['TEEKA_ROOT', 'TEEKA_TENANTS', 'NODE_ENV', 'TEEKA_DB_PREFIX']) delete env[name];
  if (env.DATABASE_URL) env.TEEKA_DB_PREFIX = prefix;
  let platform;
  try {
    let kitOutput = '';
    for (const block of blocks) {
      say(`${DOC}:${block.line} (${Math.round((Date.now() - started) / 1000)} s)\n$ ${block.code.replace(/\n/g, '\n$ ')}`);
      if (block.kind === 'onboarding-start') {
        platform = startBlock(block, root, env);
        await platform.ready;
        await checkPortal(port);
      } else {
        const output = await runBlock(block, root, env);
        if (block.code.includes('plugins/ke-nid/dist/test')) kitOutput = output;
      }
    }
    const passed = Number(/(\d+) tests? passed/.exec(kitOutput)?.[1] ?? 0);
    check(passed > 0 && !/failed/.test(kitOutput), `the ke-nid plugin passed its contract kit (${passed} tests)`);
    say(`all good in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await platform?.stop();
    if (process.env.DATABASE_URL) await dropDatabases(process.env.DATABASE_URL, prefix);
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    say(`cleaned up: platform stopped, ${process.env.DATABASE_URL ? `databases ${prefix}* dropped, ` : ''}${root} deleted`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`onboarding: ${error.message}\n`);
    process.exit(1);
  });
}

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { testDatabaseUrl } from '../support/platform.js';

/**
 * Start-up as an operator sees it: `node core/dist/src/main.js` on a copy of the project with one
 * thing broken. It must stop (exit 1) before touching any database and say what is wrong.
 */
const paths = projectPaths();
const MAIN = join(paths.root, 'core', 'dist', 'src', 'main.js');

function projectCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'teeka-root-'));
  for (const folder of ['locales', 'themes', 'tenants']) cpSync(join(paths.root, folder), join(root, folder), { recursive: true });
  mkdirSync(join(root, 'plugins'));
  for (const plugin of ['aadhaar', 'dev-outbox', 'passport']) symlinkSync(join(paths.plugins, plugin), join(root, 'plugins', plugin));
  return root;
}

function start(root: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, TEEKA_ROOT: root, PORT: '0', DATABASE_URL: testDatabaseUrl(), TEEKA_DB_PREFIX: 'teekatest_never_', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // Generous: seven start-ups run at once, and a loaded CI machine makes each one slow.
    const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function edit(file: string, change: (text: string) => string): void {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}

test('a broken tenant file stops start-up, naming the file and the path in it', async (t) => {
  const root = projectCopy();
  edit(join(root, 'tenants', 'mx.yaml'), (text) => text.replace('timeZone: America/Mexico_City', 'timeZone: 42'));
  const result = await start(root);
  t.is(result.code, 1);
  t.regex(result.stderr, /tenants\/mx\.yaml:\n\s+\/timeZone: must be string/);
  t.notRegex(result.stderr, /at \w+ \(/, 'no stack trace');
});

test('a plugin manifest for another API version stops start-up', async (t) => {
  const root = projectCopy();
  const plugin = join(root, 'plugins', 'future-sms');
  mkdirSync(plugin);
  writeFileSync(
    join(plugin, 'package.json'),
    JSON.stringify({
      name: 'future-sms',
      teeka: { id: 'future-sms', kind: 'sms-gateway', version: '1.0.0', apiVersion: 2, countries: ['*'] },
    }),
  );
  const result = await start(root);
  t.is(result.code, 1);
  t.regex(
    result.stderr,
    /Plugin "future-sms" \(plugins\/future-sms\/package\.json\) targets plugin API version 2, but this Teeka provides version 1/,
  );
});

test('an invalid plugin manifest stops start-up with the field named', async (t) => {
  const root = projectCopy();
  const plugin = join(root, 'plugins', 'broken');
  mkdirSync(plugin);
  writeFileSync(
    join(plugin, 'package.json'),
    JSON.stringify({
      name: 'broken',
      teeka: { id: 'Broken Plugin', kind: 'fax-gateway', version: '1', apiVersion: 1, countries: ['india'] },
    }),
  );
  const result = await start(root);
  t.is(result.code, 1);
  t.regex(result.stderr, /Invalid plugin manifest in plugins\/broken\/package\.json/);
  t.regex(result.stderr, /\/id: "Broken Plugin" does not match/);
  t.regex(result.stderr, /\/kind: must be one of "id-verifier", "sms-gateway", "language", "theme"/);
});

test('two plugins with the same id stop start-up', async (t) => {
  const root = projectCopy();
  const plugin = join(root, 'plugins', 'aadhaar-copy');
  mkdirSync(plugin);
  const original = JSON.parse(readFileSync(join(paths.plugins, 'aadhaar', 'package.json'), 'utf8'));
  const main = join(paths.plugins, 'aadhaar', 'dist', 'src', 'index.js');
  writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'aadhaar-copy', main, teeka: original.teeka }));
  const result = await start(root);
  t.is(result.code, 1);
  t.regex(
    result.stderr,
    /Duplicate plugin id "aadhaar": declared by plugins\/aadhaar\/package\.json and by plugins\/aadhaar-copy\/package\.json/,
  );
});

test('a tenant config that fails its plugin’s schema stops start-up', async (t) => {
  const root = projectCopy();
  edit(join(root, 'tenants', 'in.yaml'), (text) =>
    text.replace('    - id: aadhaar\n', '    - id: aadhaar\n      config: { documentTypes: [ration-card] }\n'),
  );
  const result = await start(root);
  t.is(result.code, 1);
  t.regex(
    result.stderr,
    /tenants\/in\.yaml:\n\s+\/plugins\/idVerifiers\/0\/config\/documentTypes\/0: must be one of "aadhaar" \(checked against plugin "aadhaar"'s config schema\)/,
  );
});

test('a tenant naming a plugin that is not installed stops start-up', async (t) => {
  const root = projectCopy();
  edit(join(root, 'tenants', 'mx.yaml'), (text) => text.replace('    id: dev-outbox', '    id: telcel-sms'));
  const result = await start(root);
  t.is(result.code, 1);
  t.regex(result.stderr, /\/plugins\/sms\/id: unknown plugin "telcel-sms" \(installed sms-gateway plugins: dev-outbox\)/);
});

test('production mode refuses the development outbox and names every missing secret', async (t) => {
  const root = projectCopy();
  const result = await start(root, { NODE_ENV: 'production' });
  t.is(result.code, 1);
  t.regex(result.stderr, /\/plugins\/sms\/id: plugin "dev-outbox" is for development only and is refused in production mode/);
});

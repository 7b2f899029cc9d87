import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { projectCopy } from '../support/project-copy.js';
import { teeka } from './cli.js';

test('teeka --help lists every command; a command and a group have their own help', async (t) => {
  const { root } = projectCopy();
  const main = await teeka(root, ['--help']);
  t.is(main.code, 0);
  for (const command of [
    'tenant new',
    'tenant check',
    'tenant provision',
    'import',
    'plugin new',
    'keys rotate',
    'migrate',
    'translations missing',
  ]) {
    t.true(main.stdout.includes(command), command);
  }
  const group = await teeka(root, ['tenant', '--help']);
  t.is(group.code, 0);
  t.regex(group.stdout, /Usage: teeka tenant <new\|check\|provision>/);
  const one = await teeka(root, ['tenant', 'new', '--help']);
  t.is(one.code, 0);
  t.regex(one.stdout, /--time-zone/);
});

test('usage errors exit 2 with the command’s usage', async (t) => {
  const { root } = projectCopy();
  for (const args of [
    ['bogus'],
    ['tenant', 'new'],
    ['tenant', 'new', 'ke', '--nope'],
    ['tenant', 'new', 'k1'],
    ['plugin', 'new', 'x'],
    ['tenant'],
  ]) {
    const result = await teeka(root, args);
    t.is(result.code, 2, args.join(' '));
    t.regex(result.stderr, /teeka|Usage/, args.join(' '));
  }
  const unknownCountry = await teeka(root, ['tenant', 'new', 'zz']);
  t.is(unknownCountry.code, 2);
  const noDefaults = await teeka(root, ['tenant', 'new', 'fr']);
  t.is(noDefaults.code, 2);
  t.regex(noDefaults.stderr, /give --time-zone, --currency, --languages/);
});

test('tenant new scaffolds a tenant that tenant check passes', async (t) => {
  const { root } = projectCopy();
  const created = await teeka(root, ['tenant', 'new', 'ke']);
  t.is(created.code, 0, created.stderr);
  const yaml = readFileSync(join(root, 'tenants', 'ke.yaml'), 'utf8');
  t.regex(yaml, /timeZone: Africa\/Nairobi/);
  t.regex(yaml, /currency: KES/);
  t.regex(yaml, /countryCode: "254"/);
  t.regex(yaml, /enabled: \[en\]/, 'Swahili has no pack yet');
  t.true(existsSync(join(root, 'themes', 'kenya', 'theme.json')));
  t.true(existsSync(join(root, 'tenants', 'ke', 'locales', 'en')));
  const again = await teeka(root, ['tenant', 'new', 'ke']);
  t.is(again.code, 2, 'an existing file is not overwritten');

  // A country outside the table, with flags.
  const france = await teeka(root, ['tenant', 'new', 'fr', '--time-zone', 'Europe/Paris', '--currency', 'EUR', '--languages', 'fr,en']);
  t.is(france.code, 0, france.stderr);

  const checked = await teeka(root, ['tenant', 'check', 'ke']);
  t.is(checked.code, 0, checked.stdout + checked.stderr);
  t.regex(checked.stdout, /tenants\/ke\.yaml: ok/);
  const all = await teeka(root, ['tenant', 'check', '--no-translations']);
  t.is(all.code, 0, all.stdout + all.stderr);
});

test('a broken tenant file: exit 1 and the report names the file and the problems', async (t) => {
  const { root } = projectCopy({
    tenants: {
      ng: (yaml) => yaml.replace('timeZone: Africa/Lagos', 'timeZone: Africa/Atlantis').replace('id: dev-outbox', 'id: no-such-sms'),
    },
  });
  const result = await teeka(root, ['tenant', 'check', '--no-translations']);
  t.is(result.code, 1);
  t.regex(result.stdout, /tenants\/ng\.yaml: 1 problem/);
  t.regex(result.stdout, /\/timeZone: "Africa\/Atlantis" is not an IANA time zone/);
  t.regex(result.stdout, /tenants\/in\.yaml: ok/, 'the other tenants are still checked');
  writeFileSync(
    join(root, 'tenants', 'ng.yaml'),
    readFileSync(join(root, 'tenants', 'ng.yaml'), 'utf8').replace('Africa/Atlantis', 'Africa/Lagos'),
  );
  const plugin = await teeka(root, ['tenant', 'check', 'ng', '--no-translations']);
  t.is(plugin.code, 1);
  t.regex(plugin.stdout, /\/plugins\/sms\/id: unknown plugin "no-such-sms"/);
});

test('translations missing lists a key deleted from a language pack', async (t) => {
  const { root } = projectCopy();
  const before = await teeka(root, ['translations', 'missing', 'hi']);
  t.is(before.code, 0, before.stdout + before.stderr);
  const file = join(root, 'locales', 'hi', 'common.json');
  const common = JSON.parse(readFileSync(file, 'utf8'));
  delete common.site.name;
  writeFileSync(file, JSON.stringify(common, null, 2));
  const after = await teeka(root, ['translations', 'missing', 'hi']);
  t.is(after.code, 1);
  t.regex(after.stdout, /^common:site\.name\tlocales\/hi\/common\.json\t\(in\)$/m);
  t.regex(after.stdout, /hi: 1 missing key/);
  const check = await teeka(root, ['tenant', 'check', 'in']);
  t.is(check.code, 1);
  t.regex(check.stdout, /translations\/hi: missing common:site\.name/);
});

test('`npx teeka` works: npm links the committed launcher, which runs the built CLI', async (t) => {
  const bin = join(projectPaths().root, 'node_modules', '.bin', 'teeka');
  t.true(existsSync(bin), 'npm linked the teeka bin at install time');
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    // The launcher's `#!/usr/bin/env node` finds the project's Node first on npm's PATH.
    const child = spawn(bin, ['--help'], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => resolve({ code, out }));
  });
  t.is(result.code, 0);
  t.regex(result.out, /^Usage: teeka/);
});

test('tenant check with NODE_ENV=production names every missing secret, the plugins’ included, and never a value', async (t) => {
  const { root } = projectCopy();
  const production = { NODE_ENV: 'production', TEEKA_NG_TOKEN_KEY: 'set-in-the-environment' };
  const missing = await teeka(root, ['tenant', 'check', 'ng', '--no-translations'], production);
  t.is(missing.code, 1, missing.stdout + missing.stderr);
  for (const name of ['TEEKA_NG_ENCRYPTION_KEY', 'TEEKA_NG_HASH_KEY', 'TEEKA_NG_NIN_REGISTRY_API_KEY']) {
    t.regex(missing.stdout, new RegExp(`secrets: ${name} is not set`), name);
  }
  t.notRegex(missing.stdout, /TEEKA_NG_TOKEN_KEY|set-in-the-environment/, 'a secret that is set is not reported');
  const all = await teeka(root, ['tenant', 'check', 'ng', '--no-translations'], {
    ...production,
    TEEKA_NG_ENCRYPTION_KEY: 'x'.repeat(32),
    TEEKA_NG_HASH_KEY: 'y'.repeat(32),
    TEEKA_NG_NIN_REGISTRY_API_KEY: 'z'.repeat(16),
  });
  t.notRegex(all.stdout, /secrets:/, all.stdout);
});

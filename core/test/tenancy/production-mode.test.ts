import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectPaths } from '../../src/kernel/config/paths.js';
import { ConfigError } from '../../src/kernel/errors.js';
import { startTestPlatform } from '../support/platform.js';

/** A copy of the project whose tenants send SMS through a gateway allowed in production. */
function productionProject(): ReturnType<typeof projectPaths> {
  const source = projectPaths();
  const root = mkdtempSync(join(tmpdir(), 'teeka-prod-'));
  for (const folder of ['locales', 'themes', 'tenants']) cpSync(join(source.root, folder), join(root, folder), { recursive: true });
  mkdirSync(join(root, 'plugins'));
  for (const plugin of readdirSync(source.plugins)) symlinkSync(join(source.plugins, plugin), join(root, 'plugins', plugin));
  symlinkSync(join(source.root, 'core', 'test', 'fixtures', 'sms-sink'), join(root, 'plugins', 'sms-sink'));
  for (const file of readdirSync(join(root, 'tenants')).filter((name) => name.endsWith('.yaml'))) {
    const path = join(root, 'tenants', file);
    writeFileSync(path, readFileSync(path, 'utf8').replace('    id: dev-outbox', '    id: sms-sink'));
  }
  return projectPaths(root);
}

const SECRET_NAMES = ['TOKEN_KEY', 'ENCRYPTION_KEY', 'HASH_KEY', 'SMS_SINK_API_KEY'];

test.serial('production mode stops start-up when secrets are missing, naming each one', async (t) => {
  const paths = productionProject();
  const error = await t.throwsAsync(startTestPlatform({ env: { NODE_ENV: 'production' }, settings: { mode: 'production', paths } }), {
    instanceOf: ConfigError,
  });
  for (const code of ['IN', 'MX', 'AE']) {
    for (const name of SECRET_NAMES) t.regex(error!.message, new RegExp(`TEEKA_${code}_${name}`));
  }
});

test.serial('production mode serves only configured hostnames and has no development routes', async (t) => {
  const paths = productionProject();
  // Every secret production asks for: the tenants' own and their plugins' (registry API keys...).
  const missing = await startTestPlatform({ settings: { mode: 'production', paths } }).then(
    () => '',
    (error: Error) => error.message,
  );
  for (const name of missing.match(/TEEKA_[A-Z0-9_]+/g) ?? []) process.env[name] = `secret-for-${name}`;
  const app = await startTestPlatform({ settings: { mode: 'production', paths } });
  try {
    t.is((await app.request('in.teeka.example', '/')).status, 200);
    t.is((await app.request('in.localhost', '/')).status, 404, '<code>.localhost is a development convenience');
    t.is((await app.request('localhost', '/')).status, 404, 'no tenant list in production');
    const outbox = await app.request('in.teeka.example', '/dev/outbox');
    t.is(outbox.status, 404);
    t.is(outbox.json().code, 'not-found');
    t.regex(String((await app.request('in.teeka.example', '/')).headers['strict-transport-security']), /max-age=/);
  } finally {
    await app.stop();
  }
});

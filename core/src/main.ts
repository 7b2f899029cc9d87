import 'reflect-metadata';
import { readSettings } from './kernel/config/settings.js';
import { ConfigError } from './kernel/errors.js';
import { Platform } from './kernel/platform.js';

/** `npm start`: the platform with every tenant under tenants/, on PORT (default 3000). */
async function main(): Promise<void> {
  const settings = readSettings();
  const say = (line: string) => process.stdout.write(`teeka: ${line}\n`);
  say(`starting in ${settings.mode} mode`);
  let platform: Platform;
  try {
    platform = await Platform.start(settings, { notice: say });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`\nTeeka cannot start: ${error.message}\n\n`);
      process.exit(1);
    }
    throw error;
  }
  say(`listening on port ${platform.port}`);
  if (settings.mode === 'development') say(`platform page: http://localhost:${platform.port}/`);
  for (const tenant of platform.tenants.all) {
    const urls =
      settings.mode === 'development' ? [platform.tenantUrl(tenant.code)] : tenant.config.hostnames.map((host) => `https://${host}/`);
    say(`tenant ${tenant.code} (${tenant.countryName('en')}, ${tenant.config.languages.enabled.join('+')}): ${urls.join(' ')}`);
  }
  say('ready');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: finishing requests in flight, then stopping`);
    platform.stop().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();

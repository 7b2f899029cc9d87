import cluster, { type Worker } from 'node:cluster';
import type { Platform } from './kernel/platform.js';
import { tuneRuntime } from './kernel/runtime-tuning.js';

// First, before the platform's modules load: this may replace the process with the same command
// plus its memory settings (same pid; see runtime-tuning.ts). Hence the dynamic imports in main().
tuneRuntime();

const say = (line: string) => process.stdout.write(`teeka${cluster.isWorker ? ` [${cluster.worker!.id}]` : ''}: ${line}\n`);

/** `npm start`: the platform with every tenant under tenants/, on PORT (default 3000). */
async function main(): Promise<void> {
  await import('reflect-metadata');
  const [{ readSettings }, { ConfigError }, { Platform }] = await Promise.all([
    import('./kernel/config/settings.js'),
    import('./kernel/errors.js'),
    import('./kernel/platform.js'),
  ]);
  const settings = readSettings();
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
  // To the cluster's primary, or a parent that started us with an IPC channel (bench/booking.ts).
  process.send?.({ teeka: 'ready' });
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

/**
 * `TEEKA_WORKERS=n` (n > 1): n app processes sharing one port (node:cluster). They keep no state
 * that must be shared: rate limits, OTP throttles, sessions, fair-opening pools and the notice
 * outbox are in PostgreSQL and pg-boss runs each job once; only the availability cache is per
 * process (its Age header says how old each answer is), and its entries are shared through
 * PostgreSQL (availability_snapshot). The first process starts alone (it
 * creates and migrates the databases), then the others. A process that dies is replaced.
 * Needs DATABASE_URL: an embedded cluster belongs to one process.
 */
async function primary(count: number): Promise<void> {
  if (!process.env.DATABASE_URL) {
    process.stderr.write('\nTeeka cannot start: TEEKA_WORKERS above 1 needs DATABASE_URL (a PostgreSQL server the processes share)\n\n');
    process.exit(1);
  }
  let stopping = false;
  const ready = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      worker.on('message', (message: { teeka?: string }) => message?.teeka === 'ready' && resolve());
      worker.once('exit', (code) => reject(new Error(`app process ${worker.id} exited with code ${code} while starting`)));
    });
  const fork = () => {
    const worker = cluster.fork();
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      say(`app process ${worker.id} ended (${signal ?? code}); starting another`);
      fork();
    });
    return worker;
  };
  try {
    await ready(fork());
    await Promise.all(Array.from({ length: count - 1 }, () => ready(fork())));
  } catch (error) {
    process.stderr.write(`\nTeeka cannot start: ${(error as Error).message}\n\n`);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(1);
  }
  say(`ready: ${count} app processes`);
  // For a parent that started us with an IPC channel (bench/booking.ts).
  process.send?.({ teeka: 'ready' });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping ${count} app processes`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const workers = Number(process.env.TEEKA_WORKERS ?? 1);
if (cluster.isPrimary && Number.isInteger(workers) && workers > 1) await primary(workers);
else await main();

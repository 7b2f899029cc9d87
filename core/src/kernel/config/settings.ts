import { type ProjectPaths, projectPaths } from './paths.js';

export type Mode = 'development' | 'production';

/** Platform-wide settings, read once from the environment at start. */
export interface Settings {
  mode: Mode;
  port: number;
  /** Interface to listen on. */
  listenHost: string;
  /** External PostgreSQL server; when absent an embedded server is started. */
  databaseUrl?: string;
  /** Prefix of tenant database names: `teeka_` normally, something else for test runs. */
  databasePrefix: string;
  /** Port for the embedded server; 0 picks a free one. Never 5432. */
  embeddedPort: number;
  logLevel: string;
  /** Run only these tenants (TEEKA_TENANTS=in,mx); all tenant files when empty. */
  tenantCodes: string[];
  /** Hosts that show the platform's tenant list in production (development: localhost). */
  platformHosts: string[];
  /**
   * Development only: create the demo sessions tenants plan in tenants/<code>/demo-sessions.json
   * (TEEKA_DEMO_SESSIONS=off to start without them). Production never creates them.
   */
  demoSessions: boolean;
  /** How often idle job workers look for due jobs, in seconds (TEEKA_JOB_POLL_SECONDS, at least 0.5). */
  jobPollSeconds: number;
  paths: ProjectPaths;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Settings> = {}): Settings {
  const mode: Mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  return {
    mode,
    port: Number(env.PORT ?? 3000),
    listenHost: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    databasePrefix: env.TEEKA_DB_PREFIX ?? 'teeka_',
    embeddedPort: Number(env.TEEKA_EMBEDDED_PG_PORT ?? 0),
    logLevel: env.LOG_LEVEL ?? 'info',
    tenantCodes: (env.TEEKA_TENANTS ?? '')
      .split(',')
      .map((code) => code.trim().toLowerCase())
      .filter(Boolean),
    platformHosts: (env.TEEKA_PLATFORM_HOSTS ?? '')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
    demoSessions: !['off', '0', 'false', 'no'].includes((env.TEEKA_DEMO_SESSIONS ?? '').trim().toLowerCase()),
    jobPollSeconds: Math.max(0.5, Number(env.TEEKA_JOB_POLL_SECONDS ?? 2) || 2),
    paths: projectPaths(env.TEEKA_ROOT),
    ...overrides,
  };
}

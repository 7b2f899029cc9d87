import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Db, type Job, type JobResult, PgBoss } from 'pg-boss';
import { foreignStatement, run } from '../db/prepared.js';
import { statementSent } from '../db/statement-count.js';
import { TOKENS } from '../di/tokens.js';
import type { Logger } from '../log/logger.js';
import type { Tenant } from '../tenancy/tenant.js';
import type { JobContext, JobDefinition, Translate } from './job.js';

/** The schema pg-boss keeps its tables in, in each tenant's database. */
export const JOB_SCHEMA = 'pgboss';

export interface JobQueueOptions {
  /** The tenant's database. */
  url: string;
  tenant: Tenant;
  definitions: readonly JobDefinition[];
  log: Logger;
  /** How often an idle worker looks for due jobs, in seconds (pg-boss allows 0.5 and up). */
  pollSeconds?: number;
  /** Connections pg-boss may hold on the tenant's database. */
  poolMax?: number;
  /** Start no workers: the queue only sends (a process that must not run jobs). */
  sendOnly?: boolean;
}

export interface SendOptions {
  /**
   * What makes this job the same as an earlier one (`booked:<appointment id>`): a second send
   * with the same key, while the first job is kept (7 days after it ran), is ignored.
   */
  key?: string;
  /** Not before this moment; at once when absent or past. */
  startAfter?: Date;
  /**
   * The transaction to store the job in (an EntityManager inside `em.begin()`/`inTransaction`):
   * the job exists exactly when that transaction commits, so work a change makes necessary is
   * neither lost by a crash after the commit nor done for a change that rolled back.
   */
  em?: EntityManager;
}

/**
 * pg-boss's statements run through an EntityManager, so in its open transaction, each prepared on
 * the transaction's connection (kernel/db/prepared.ts).
 */
export function jobDatabase(em: EntityManager): Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const statement = (values.length > 0 && foreignStatement(JOB_SCHEMA, text)) || { name: '', text };
      return { rows: await run(em, statement, values) };
    },
  };
}

type ExecuteSql = (text: unknown, values?: unknown[], options?: unknown) => Promise<unknown>;

/**
 * pg-boss sends its statements (fetch, complete, insert: several per job) as text with parameters,
 * so PostgreSQL parsed and planned each one again: about 2.4 ms of its CPU per dose recorded. Its
 * database object is given the statement as a named one instead (`pg` takes a query config
 * wherever it takes a text), for statements with parameters only: one without may hold several
 * commands, which a prepared statement cannot.
 */
export function prepareJobStatements(db: { executeSql: ExecuteSql }): void {
  const execute = db.executeSql.bind(db);
  db.executeSql = (text, values, options) => {
    // pg-boss's own connections, outside the ORM pool: counted here for the request that sends (a job sent without `em`).
    statementSent();
    const statement =
      typeof text === 'string' && Array.isArray(values) && values.length > 0 ? foreignStatement(JOB_SCHEMA, text) : undefined;
    return statement ? execute({ name: statement.name, text, values }, undefined, options) : execute(text, values, options);
  };
}

/** A stable job id from a job name and key, so that sending twice stores one job. */
export function jobId(name: string, key: string): string {
  const hex = createHash('sha256').update(`${name}\n${key}`).digest('hex');
  // UUID layout with version 8 (custom) and the RFC 9562 variant.
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A tenant's jobs, on pg-boss in the tenant's own database (schema `pgboss`). Every app process
 * runs workers for every job kind; pg-boss claims each job with `FOR UPDATE SKIP LOCKED`, so a job
 * runs in one process only, however many share the database. Jobs are retried with back-off when
 * their handler throws. pg-boss reports only through events, which go to our logger.
 */
export class JobQueue {
  private readonly definitions = new Map<string, JobDefinition>();

  private constructor(
    private readonly boss: PgBoss,
    private readonly options: JobQueueOptions,
  ) {
    for (const definition of options.definitions) {
      if (this.definitions.has(definition.name)) throw new Error(`two job definitions are named "${definition.name}"`);
      this.definitions.set(definition.name, definition);
    }
  }

  static async start(options: JobQueueOptions): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString: options.url,
      schema: JOB_SCHEMA,
      application_name: 'teeka-jobs',
      max: options.poolMax ?? 4,
      // No cron schedules: every job is sent with its own start time.
      schedule: false,
      instanceName: `teeka-${options.tenant.code}`,
    });
    const { log } = options;
    boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
    boss.on('warning', (warning) => log.warn({ warning: warning.message, data: warning.data }, 'job queue warning'));
    prepareJobStatements(boss.getDb() as unknown as { executeSql: ExecuteSql });
    const queue = new JobQueue(boss, options);
    // Several processes may start at once on a fresh database: pg-boss installs its schema under
    // an advisory lock, and a second try covers one that lost a race.
    await boss.start({ attempts: 3 });
    for (const definition of queue.definitions.values()) {
      const policy = definition.policy ?? {};
      await boss.createQueue(definition.name, {
        retryLimit: policy.retries ?? 3,
        retryDelay: policy.retryDelaySeconds ?? 30,
        retryBackoff: true,
        expireInSeconds: policy.timeoutSeconds ?? 300,
      });
      if (options.sendOnly) continue;
      // A worker takes a batch and, while batches come back full, fetches the next at once
      // (burstWhenBatchFull). With one job per fetch, pg-boss waits the polling interval after
      // every job, so a backlog (certificates after a busy hour) drained at about one job per
      // worker per interval. Each job still succeeds or fails alone (perJobResults); the jobs of one
      // fetch run one after another, or at once for a kind that asks for it (JobPolicy.together).
      await boss.work(
        definition.name,
        {
          pollingIntervalSeconds: options.pollSeconds ?? 2,
          batchSize: policy.batchSize ?? 10,
          burstWhenBatchFull: true,
          perJobResults: true,
          localConcurrency: policy.concurrency ?? 2,
        },
        async (jobs: Job<object>[]) => {
          const result = async (job: Job<object>): Promise<JobResult> => {
            try {
              await queue.run(definition, job);
              return { id: job.id, status: 'completed' };
            } catch (error) {
              return { id: job.id, status: 'failed', output: { message: error instanceof Error ? error.message : String(error) } };
            }
          };
          if (policy.together) return Promise.all(jobs.map(result));
          const results: JobResult[] = [];
          for (const job of jobs) results.push(await result(job));
          return results;
        },
      );
    }
    return queue;
  }

  /**
   * Stores a job to run (after `startAfter`). Answers its id, or null when a job with the same key
   * was sent before. With `em`, the job is stored in that transaction; without, at once (call it
   * after the transaction that made the job necessary has committed).
   */
  async send<T extends object>(definition: JobDefinition<T>, data: T, options: SendOptions = {}): Promise<string | null> {
    if (this.definitions.get(definition.name) !== (definition as JobDefinition)) {
      throw new Error(`job "${definition.name}" is not one of the definitions this queue was started with`);
    }
    return this.boss.send(definition.name, data, {
      ...(options.key ? { id: jobId(definition.name, options.key) } : {}),
      ...(options.startAfter && options.startAfter.getTime() > Date.now() ? { startAfter: options.startAfter } : {}),
      ...(options.em ? { db: jobDatabase(options.em) } : {}),
    });
  }

  /**
   * Stores many jobs of one kind in one statement (as `send` each, keys included: a key sent
   * before stores nothing). Answers nothing: for batches, such as the notice outbox's relay.
   */
  async sendMany<T extends object>(definition: JobDefinition<T>, jobs: { data: T; key: string; startAfter?: Date }[]): Promise<void> {
    if (this.definitions.get(definition.name) !== (definition as JobDefinition)) {
      throw new Error(`job "${definition.name}" is not one of the definitions this queue was started with`);
    }
    if (jobs.length === 0) return;
    await this.boss.insert(
      definition.name,
      jobs.map(({ data, key, startAfter }) => ({
        id: jobId(definition.name, key),
        data,
        ...(startAfter && startAfter.getTime() > Date.now() ? { startAfter } : {}),
      })),
    );
  }

  /** A job's state and start time (for tests and staff tools), by the key it was sent with. */
  async find(definition: JobDefinition, key: string): Promise<{ id: string; state: string; startAfter: Date; data: object } | null> {
    const [job] = await this.boss.findJobs<object>(definition.name, { id: jobId(definition.name, key) });
    return job ? { id: job.id, state: job.state, startAfter: job.startAfter, data: job.data } : null;
  }

  /** Jobs waiting in each queue (queued, deferred included), from pg-boss's cached counts: one cheap query. */
  async queueDepths(): Promise<{ queue: string; depth: number }[]> {
    return (await this.boss.getQueues([...this.definitions.keys()])).map((q) => ({ queue: q.name, depth: q.queuedCount }));
  }

  /** Stops fetching jobs, lets running ones finish for up to `graceMs`, and closes its connections. */
  async stop(graceMs = 5_000): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: graceMs, close: true });
  }

  private async run(definition: JobDefinition, job: Job<object>): Promise<void> {
    const { tenant } = this.options;
    const log = this.options.log.child({ job: definition.name, jobId: job.id, attempt: job.retryCount + 1 });
    const em = tenant.orm.em.fork();
    const container = tenant.container.createChildContainer();
    const useLanguage = (wanted: string) => {
      const lng = tenant.config.languages.enabled.includes(wanted) ? wanted : tenant.defaultLanguage;
      const fixed = tenant.i18n.getFixedT(lng);
      const t: Translate = (key, options) => String(fixed(key, options as never));
      container.registerInstance(TOKENS.Language, lng);
      container.registerInstance(TOKENS.Translate, t);
      return { lng, t };
    };
    container.registerInstance(TOKENS.EntityManager, em);
    container.registerInstance(TOKENS.Logger, log);
    useLanguage(tenant.defaultLanguage);
    const context: JobContext = { tenant, container, em, log, jobId: job.id, retryCount: job.retryCount, useLanguage };
    const started = Date.now();
    try {
      await definition.handle(job.data, context);
      log.debug({ ms: Date.now() - started }, 'job done');
    } catch (error) {
      log.warn({ err: error, ms: Date.now() - started }, 'job failed; pg-boss retries it while tries remain');
      throw error;
    } finally {
      container.dispose();
    }
  }
}

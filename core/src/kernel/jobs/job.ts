import type { EntityManager } from '@mikro-orm/postgresql';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from '../log/logger.js';
import type { Tenant } from '../tenancy/tenant.js';

export type Translate = (key: string, options?: Record<string, unknown>) => string;

/**
 * What a job handler runs in: a scope like a request's, a child of the tenant's container with
 * its own EntityManager fork and a logger that names the job. The scope speaks the tenant's
 * default language until the handler picks the person's with `useLanguage`.
 */
export interface JobContext {
  tenant: Tenant;
  container: DependencyContainer;
  em: EntityManager;
  log: Logger;
  jobId: string;
  /** How many times this job was tried before (0 on the first run). */
  retryCount: number;
  /**
   * Switches the scope to a language (Language and Translate in the container, for services
   * resolved afterwards) and returns its t(). A language the tenant no longer enables falls back
   * to the default.
   */
  useLanguage(lng: string): { lng: string; t: Translate };
}

/** Retry and lifetime of a job kind; pg-boss's queue options under our names. */
export interface JobPolicy {
  /** Tries after the first failure (default 3). */
  retries?: number;
  /** Seconds before the first retry, doubling after (default 30). */
  retryDelaySeconds?: number;
  /** Seconds a run may take before it counts as failed (default 300). */
  timeoutSeconds?: number;
  /** Runs at once per process (default 2). */
  concurrency?: number;
  /** Jobs a worker takes per fetch, run one after another unless `together` (default 10). */
  batchSize?: number;
  /**
   * The jobs of one fetch run at once rather than one after another (default false). For jobs that
   * mostly wait on the database and a gateway (SMS notices): their statements then share round trips
   * (WriteBatch), and the gateway's latency is paid once per fetch rather than once per job. Up to
   * `concurrency` × `batchSize` run at once per process.
   */
  together?: boolean;
}

/**
 * A kind of job: a name (its pg-boss queue), the data it carries and what runs it. Data is
 * stored in the tenant's database as JSON: ids only, never phone numbers or health data.
 */
export interface JobDefinition<T extends object = object> {
  /** Letters, digits, `.`, `-`, `_`: `notice.appointment-booked`. */
  readonly name: string;
  readonly policy?: JobPolicy;
  handle(data: T, context: JobContext): Promise<void>;
}

export function defineJob<T extends object>(definition: JobDefinition<T>): JobDefinition<T> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(definition.name)) throw new Error(`job name "${definition.name}": use a-z, 0-9, ".", "-", "_"`);
  return definition;
}

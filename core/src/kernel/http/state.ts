import type { EntityManager } from '@mikro-orm/postgresql';
import type { ParameterizedContext } from 'koa';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from '../log/logger.js';
import type { Site } from '../site.js';
import type { Tenant } from '../tenancy/tenant.js';

/** Everything a request carries, declared once: no ad-hoc properties on ctx. */
export interface AppState {
  requestId: string;
  log: Logger;
  /** What renders pages and errors for this host: a tenant, or the platform itself. */
  site: Site;
  /** The request's language, one of the site's enabled languages. */
  lng: string;
  t: (key: string, options?: Record<string, unknown>) => string;
  /** Set for tenant hosts by the request scope. */
  tenant?: Tenant;
  /** Made on first read (request scope). */
  container?: DependencyContainer;
  /** Forked on first read (request scope). */
  em?: EntityManager;
  /** Set by requireCitizen() for a signed-in citizen. */
  citizen?: { accountId: string; sessionId: string };
  /** Set by requireStaff() for a signed-in member of staff. */
  staff?: { userId: string; sessionId: string };
}

export type AppContext = ParameterizedContext<AppState>;

/**
 * For routes that only exist on tenant hosts: the request scope has run. The request's state itself,
 * so that the container and the fork are only made if the route reads them.
 */
export function tenantScope(ctx: AppContext): { tenant: Tenant; container: DependencyContainer; em: EntityManager } {
  const state = ctx.state;
  if (!state.tenant || !('container' in state) || !('em' in state)) throw new Error('tenant route reached without a request scope');
  return state as AppState & { tenant: Tenant; container: DependencyContainer; em: EntityManager };
}

export function isApiRequest(ctx: AppContext): boolean {
  return ['/api/', '/cowin/', '/dev/', '/hooks/'].some((prefix) => ctx.path.startsWith(prefix));
}

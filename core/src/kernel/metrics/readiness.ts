import type { PluginHealth } from '@teeka/plugin-sdk';
import type { Tenant } from '../tenancy/tenant.js';

/** How long each check may take before it counts as failed: a probe must answer quickly. */
export const CHECK_TIMEOUT_MS = 2_000;

export type DatabaseState = 'ok' | 'unreachable';
/** `unknown`: none of the tenant's gateways reports its health (the SDK's `health()` is optional). */
export type SmsState = 'ok' | 'unhealthy' | 'unknown';

export interface TenantReadiness {
  database: DatabaseState;
  sms: SmsState;
}

export interface Readiness {
  /** `unavailable` when a tenant's database does not answer; `degraded` when only SMS is unwell. */
  status: 'ready' | 'degraded' | 'unavailable';
  tenants: Record<string, TenantReadiness>;
  /** Each tenant's database alone, as /readyz has always reported it. */
  databases: Record<string, DatabaseState>;
}

/** What the readiness check needs of a tenant. */
type Checked = Pick<Tenant, 'code' | 'orm' | 'smsGateways' | 'log'>;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function databaseState(tenant: Checked, timeoutMs: number): Promise<DatabaseState> {
  try {
    await within(timeoutMs, tenant.orm.em.getConnection().execute('select 1'));
    return 'ok';
  } catch (error) {
    tenant.log.warn({ err: error }, 'readiness: the tenant database does not answer');
    return 'unreachable';
  }
}

/** Every gateway the tenant sends through (primary and fallback) that reports its health must be ok. */
async function smsState(tenant: Checked, timeoutMs: number): Promise<SmsState> {
  const reporting = tenant.smsGateways.filter(({ gateway }) => typeof gateway.health === 'function');
  if (reporting.length === 0) return 'unknown';
  const results = await Promise.all(
    reporting.map(async ({ id, gateway }) => {
      const health: PluginHealth = await within(timeoutMs, gateway.health!()).catch((error: Error) => ({
        ok: false,
        detail: error.message,
      }));
      // The detail may name hosts: it goes to the log, not to the (public) probe's answer.
      if (!health.ok) tenant.log.warn({ gateway: id, detail: health.detail }, 'readiness: SMS gateway unhealthy');
      return health.ok;
    }),
  );
  return results.every(Boolean) ? 'ok' : 'unhealthy';
}

/**
 * Each tenant's database (`select 1`) and SMS gateways (their `health()`), checked at once, each
 * within a short timeout. A database down makes the platform unavailable (503); an SMS gateway
 * down only degrades it (200: sign-in codes and notices suffer, the rest works).
 */
export async function checkReadiness(tenants: readonly Checked[], timeoutMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const checked = await Promise.all(
    tenants.map(async (tenant) => {
      const [database, sms] = await Promise.all([databaseState(tenant, timeoutMs), smsState(tenant, timeoutMs)]);
      return [tenant.code, { database, sms }] as const;
    }),
  );
  const states = checked.map(([, state]) => state);
  const status = states.some((s) => s.database !== 'ok') ? 'unavailable' : states.some((s) => s.sms === 'unhealthy') ? 'degraded' : 'ready';
  return {
    status,
    tenants: Object.fromEntries(checked),
    databases: Object.fromEntries(checked.map(([code, state]) => [code, state.database])),
  };
}

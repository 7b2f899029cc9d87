import { createHmac, randomInt } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings } from '../kernel/config/settings.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { defineJob, type JobContext } from '../kernel/jobs/job.js';
import type { JobQueue } from '../kernel/jobs/job-queue.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { type AvailabilityEvent, AvailabilityEvents, type AvailabilityFilter, matches } from './events.js';

/** A delivery gives up waiting for the receiver after this long. */
export const DELIVERY_TIMEOUT_MS = 5_000;
/** The longest wait between two tries of one notice. */
const MAX_RETRY_DELAY_SECONDS = 3600;

// --- Signing ------------------------------------------------------------------------------------

/**
 * `Teeka-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
 * subscription's secret as UTF-8 (Stripe's scheme). Receivers recompute it over the raw body and
 * refuse old timestamps (docs/subscriptions.md).
 */
export function signature(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

// --- Where deliveries may go ----------------------------------------------------------------------

/** Private, loopback, link-local, shared, multicast and reserved ranges (IPv4 and IPv6). */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) {
    const v4 = address.slice(7);
    if (isIP(v4) === 4) return PRIVATE.check(v4, 'ipv4');
  }
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether private targets are allowed: the tenant's setting, else only in development. */
export function privateTargetsAllowed(config: TenantConfig, settings: Settings): boolean {
  return config.subscriptions.allowPrivateTargets ?? settings.mode === 'development';
}

/**
 * A DNS lookup that refuses private addresses. Used as the connection's own lookup, so the
 * address checked is the address connected to (a name cannot resolve to a public address for the
 * check and a private one for the request).
 */
function publicOnlyLookup(): LookupFunction {
  return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const refused = addresses.find((a) => isPrivateAddress(a.address));
      if (refused || addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} resolves to a private address`), { code: 'EPRIVATE' }));
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  }) as LookupFunction;
}

export interface Delivered {
  ok: boolean;
  /** Why it failed, short, for the subscription's record. */
  failure?: string;
  status?: number;
}

/**
 * POSTs a notice: at most DELIVERY_TIMEOUT_MS in all, redirects never followed (a 3xx is a
 * failure, so a receiver cannot send the notice on to another host), the answer's body ignored.
 */
export function post(url: string, body: string, headers: Record<string, string>, allowPrivate: boolean): Promise<Delivered> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Delivered) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
        ...(allowPrivate ? {} : { lookup: publicOnlyLookup() }),
        agent: false,
      },
      (res: IncomingMessage) => {
        res.resume();
        const status = res.statusCode ?? 0;
        res.on('end', () => undefined);
        if (status >= 200 && status < 300) finish({ ok: true, status });
        else if (status >= 300 && status < 400) finish({ ok: false, status, failure: `HTTP ${status} (redirects are not followed)` });
        else finish({ ok: false, status, failure: `HTTP ${status}` });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error('timed out'));
      finish({ ok: false, failure: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` });
    }, DELIVERY_TIMEOUT_MS);
    req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, failure: (error.code ?? error.message).slice(0, 200) }));
    req.end(body);
  });
}

// --- Jobs -----------------------------------------------------------------------------------------

interface Delivery {
  subscriptionId: string;
  /** The event itself (public data): a retry hours later does not depend on the replay table. */
  event: AvailabilityEvent;
  /** 1 for the first try. */
  attempt: number;
}

interface SubscriptionRow {
  id: string;
  url: string;
  secret_enc: Buffer;
  disabled_at: Date | null;
}

/**
 * One notice to one webhook. A failed try is counted on the subscription (consecutive failures,
 * the last reason) and the notice is sent again later as a new job, after the tenant's
 * `retryDelaySeconds` doubling with each try (with jitter), up to `attemptsPerNotice` tries. Past
 * `maxFailures` failures in a row the subscription is disabled, with the reason, and nothing more
 * goes to it until it is enabled again. A success resets the count.
 */
export const webhookDeliveryJob = defineJob<Delivery>({
  name: 'subscriptions.webhook-delivery',
  policy: { retries: 2, retryDelaySeconds: 30, timeoutSeconds: 60, concurrency: 8 },
  async handle(data, context) {
    const [row] = await context.em.execute<SubscriptionRow[]>(
      'select id, url, secret_enc, disabled_at from webhook_subscription where id = ?',
      [data.subscriptionId],
    );
    if (!row || row.disabled_at) return void context.log.info({ subscriptionId: data.subscriptionId }, 'webhook gone or disabled');
    const crypto = context.container.resolve<TenantCrypto>(TOKENS.Crypto);
    const config = context.tenant.config;
    const settings = context.container.resolve<Settings>(TOKENS.Settings);
    const body = JSON.stringify({ id: data.event.id, type: `availability.${data.event.type}`, data: data.event });
    const secret = crypto.decrypt(Buffer.from(row.secret_enc));
    const outcome = await post(
      row.url,
      body,
      {
        'Teeka-Signature': signature(secret, body),
        'Teeka-Event-Id': data.event.id,
        'Teeka-Delivery-Attempt': String(data.attempt),
        'User-Agent': 'Teeka-Webhooks/1',
      },
      privateTargetsAllowed(config, settings),
    );
    if (outcome.ok) {
      await context.em.execute(
        'update webhook_subscription set consecutive_failures = 0, last_success_at = now() where id = ?',
        [row.id],
        'run',
      );
      context.log.info({ subscriptionId: row.id, eventId: data.event.id, attempt: data.attempt }, 'webhook delivered');
      return;
    }
    await failed(context, data, outcome.failure ?? 'failed');
  },
});

async function failed(context: JobContext, data: Delivery, reason: string): Promise<void> {
  const { maxFailures, attemptsPerNotice, retryDelaySeconds } = context.tenant.config.subscriptions;
  const [row] = await context.em.execute<{ consecutive_failures: number; disabled: boolean }[]>(
    `update webhook_subscription set
       consecutive_failures = consecutive_failures + 1, last_failure = ?, last_failure_at = now(),
       disabled_at = case when consecutive_failures + 1 >= ? then now() else disabled_at end,
       disabled_reason = case when consecutive_failures + 1 >= ? then ? else disabled_reason end
     where id = ? and disabled_at is null
     returning consecutive_failures, disabled_at is not null as disabled`,
    [reason, maxFailures, maxFailures, `${maxFailures} deliveries failed in a row; the last: ${reason}`.slice(0, 300), data.subscriptionId],
  );
  const log = context.log.child({ subscriptionId: data.subscriptionId, eventId: data.event.id, attempt: data.attempt });
  if (!row) return;
  if (row.disabled) {
    log.warn({ failures: row.consecutive_failures, reason }, 'webhook disabled after repeated failures');
    return;
  }
  if (data.attempt >= attemptsPerNotice) {
    log.warn({ reason }, 'webhook notice given up');
    return;
  }
  const base = Math.min(MAX_RETRY_DELAY_SECONDS, retryDelaySeconds * 2 ** (data.attempt - 1));
  const delayMs = Math.round(base * 1000 * (0.8 + randomInt(0, 401) / 1000));
  const queue = context.tenant.jobs;
  await queue.send(
    webhookDeliveryJob,
    { ...data, attempt: data.attempt + 1 },
    { key: `${data.subscriptionId}:${data.event.id}:${data.attempt + 1}`, startAfter: new Date(Date.now() + delayMs) },
  );
  log.info({ reason, retryInMs: delayMs }, 'webhook failed; tried again later');
}

/** A fair opening's `bookableFrom` has passed: its places are announced now. */
export const sessionOpensJob = defineJob<{ sessionId: string }>({
  name: 'subscriptions.session-opens',
  async handle(data, context) {
    await context.container.resolve(AvailabilityEvents).placesOpened(data.sessionId);
  },
});

export const subscriptionJobs = [webhookDeliveryJob, sessionOpensJob];

interface CandidateRow {
  id: string;
  area_level: string | null;
  area_id: number | null;
  postal_code: string | null;
  vaccine: string | null;
  dose: number | null;
  age: number | null;
}

/** Queues one delivery per enabled subscription whose filter the event matches. */
export async function queueDeliveries(em: EntityManager, jobs: JobQueue, event: AvailabilityEvent, log: Logger): Promise<void> {
  const areas = event.area.map((a) => a.split(':'));
  const candidates = await em.execute<CandidateRow[]>(
    `select id, area_level, area_id, postal_code, vaccine, dose, age from webhook_subscription
     where disabled_at is null and (postal_code = ? ${areas.map(() => 'or (area_level = ? and area_id = ?)').join(' ')})`,
    [event.postalCode ?? '', ...areas.flatMap(([level, id]) => [level, Number(id)])],
  );
  for (const row of candidates) {
    if (!matches(filterOf(row), event)) continue;
    try {
      await jobs.send(webhookDeliveryJob, { subscriptionId: row.id, event, attempt: 1 }, { key: `${row.id}:${event.id}:1` });
    } catch (error) {
      log.error({ err: error, subscriptionId: row.id, eventId: event.id }, 'webhook notice not queued');
    }
  }
}

export function filterOf(row: Omit<CandidateRow, 'id'>): AvailabilityFilter {
  return {
    ...(row.area_level && row.area_id !== null ? { area: `${row.area_level}:${row.area_id}` } : {}),
    ...(row.postal_code ? { postalCode: row.postal_code } : {}),
    ...(row.vaccine ? { vaccine: row.vaccine } : {}),
    ...(row.dose !== null ? { dose: row.dose } : {}),
    ...(row.age !== null ? { age: row.age } : {}),
  };
}

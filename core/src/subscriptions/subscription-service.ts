import { randomBytes, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import type { Settings } from '../kernel/config/settings.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { AvailabilityFilter } from './events.js';
import { WebhookSubscription } from './subscription.entity.js';
import { filterOf, isPrivateAddress, privateTargetsAllowed } from './webhooks.js';

export interface SubscriptionView {
  id: string;
  url: string;
  filters: AvailabilityFilter;
  state: 'active' | 'disabled';
  consecutiveFailures: number;
  lastFailure: string | null;
  lastFailureAt: string | null;
  lastSuccessAt: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  createdAt: string;
}

/** What creation answers, once: the secret that signs notices and the token that manages them. */
export interface CreatedSubscription extends SubscriptionView {
  secret: string;
  managementToken: string;
}

export interface NewSubscriptionInput {
  url: string;
  filters: AvailabilityFilter;
}

const TOKEN_PURPOSE = 'subscription-token';

/**
 * Webhook subscriptions of third-party notifiers (no citizen account): created with a URL and a
 * filter, each answered with a signing secret and a management token shown once. A caller that
 * already holds a token may send it to add the subscription under the same token. The token lists,
 * deletes and re-enables its subscriptions.
 */
@injectable()
export class SubscriptionService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Settings) private readonly settings: Settings,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
  ) {}

  async create(input: NewSubscriptionInput, existingToken?: string): Promise<CreatedSubscription> {
    await this.checkUrl(input.url);
    const filters = input.filters;
    if (filters.vaccine !== undefined && !this.tenant.vaccines.some((v) => v.code === filters.vaccine)) {
      throw new ValidationError('no such vaccine', [{ path: '/filters/vaccine', code: 'choice' }]);
    }
    const managementToken = existingToken ?? `tkm_${randomBytes(32).toString('base64url')}`;
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const [level, id] = filters.area?.split(':') ?? [];
    const subscription = this.em.create(WebhookSubscription, {
      id: randomUUID(),
      ownerHash: this.crypto.keyedHash(TOKEN_PURPOSE, managementToken),
      url: input.url,
      secretEnc: this.crypto.encrypt(secret),
      areaLevel: level ?? null,
      areaId: id === undefined ? null : Number(id),
      postalCode: filters.postalCode ?? null,
      vaccine: filters.vaccine ?? null,
      dose: filters.dose ?? null,
      age: filters.age ?? null,
      consecutiveFailures: 0,
      createdAt: new Date(),
    });
    await this.em.persist(subscription).flush();
    return { ...view(subscription), secret, managementToken };
  }

  async list(token: string): Promise<SubscriptionView[]> {
    const found = await this.em.find(
      WebhookSubscription,
      { ownerHash: this.crypto.keyedHash(TOKEN_PURPOSE, token) },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return found.map(view);
  }

  async get(token: string, id: string): Promise<SubscriptionView> {
    return view(await this.owned(token, id));
  }

  async delete(token: string, id: string): Promise<void> {
    const subscription = await this.owned(token, id);
    await this.em.remove(subscription).flush();
  }

  /** Enables a subscription again (after it was disabled for failures), with its count reset. */
  async enable(token: string, id: string): Promise<SubscriptionView> {
    const subscription = await this.owned(token, id);
    await this.em.execute(
      `update webhook_subscription set disabled_at = null, disabled_reason = null, consecutive_failures = 0 where id = ?`,
      [subscription.id],
      'run',
    );
    return view(await this.em.findOneOrFail(WebhookSubscription, { id }, { refresh: true }));
  }

  /** Whether a token holds any subscription (the SSE stream needs none). */
  private async owned(token: string, id: string): Promise<WebhookSubscription> {
    const subscription = await this.em.findOne(
      WebhookSubscription,
      { id, ownerHash: this.crypto.keyedHash(TOKEN_PURPOSE, token) },
      { refresh: true },
    );
    // Another token's subscription is as unknown as one that does not exist.
    if (!subscription) throw new NotFoundError('no such subscription');
    return subscription;
  }

  /** http or https (https only in production); never a private address unless the tenant allows it. */
  private async checkUrl(text: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ValidationError('not a URL', [{ path: '/url', code: 'format' }]);
    }
    const production = this.settings.mode === 'production';
    if (url.protocol !== 'https:' && (url.protocol !== 'http:' || production)) {
      throw new ValidationError('the webhook must use https', [{ path: '/url', code: 'url-scheme' }]);
    }
    if (url.username || url.password) throw new ValidationError('no credentials in the URL', [{ path: '/url', code: 'format' }]);
    if (privateTargetsAllowed(this.tenant, this.settings)) return;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw new ValidationError('the host is not found', [{ path: '/url', code: 'url-host' }]);
    }
    // Checked again at every delivery, on the address actually connected to.
    if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
      throw new ValidationError('the webhook points to a private address', [{ path: '/url', code: 'url-private' }]);
    }
  }
}

function view(s: WebhookSubscription): SubscriptionView {
  const iso = (value: Date | null | undefined) => (value ? new Date(value).toISOString() : null);
  return {
    id: s.id,
    url: s.url,
    filters: filterOf({
      area_level: s.areaLevel ?? null,
      area_id: s.areaId ?? null,
      postal_code: s.postalCode ?? null,
      vaccine: s.vaccine ?? null,
      dose: s.dose ?? null,
      age: s.age ?? null,
    }),
    state: s.disabledAt ? 'disabled' : 'active',
    consecutiveFailures: s.consecutiveFailures,
    lastFailure: s.lastFailure ?? null,
    lastFailureAt: iso(s.lastFailureAt),
    lastSuccessAt: iso(s.lastSuccessAt),
    disabledAt: iso(s.disabledAt),
    disabledReason: s.disabledReason ?? null,
    createdAt: iso(s.createdAt)!,
  };
}

import type { Mode } from '../config/settings.js';
import type { Tenant } from './tenant.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Active tenants by code and by host name. */
export class TenantRegistry {
  private readonly hosts = new Map<string, Tenant>();
  readonly all: Tenant[] = [];

  constructor(
    private readonly mode: Mode,
    /** Hosts that show the platform's tenant list (production: none unless configured). */
    private readonly platformHosts: string[] = [],
  ) {}

  add(tenant: Tenant): void {
    this.all.push(tenant);
    if (this.mode === 'development') this.hosts.set(`${tenant.code}.localhost`, tenant);
    for (const host of tenant.config.hostnames) {
      const existing = this.hosts.get(host);
      if (existing && existing !== tenant) throw new Error(`Host ${host} is claimed by tenants ${existing.code} and ${tenant.code}`);
      this.hosts.set(host.toLowerCase(), tenant);
    }
  }

  byHost(host: string): Tenant | undefined {
    return this.hosts.get(host);
  }

  byCode(code: string): Tenant | undefined {
    return this.all.find((tenant) => tenant.code === code);
  }

  isPlatformHost(host: string): boolean {
    return (this.mode === 'development' && LOCAL_HOSTS.has(host)) || this.platformHosts.includes(host);
  }
}

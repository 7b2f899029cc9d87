import type { Mode } from '../kernel/config/settings.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import type { CertificateRecord } from './record.js';

/**
 * The tenant's public URL (no trailing slash): the SMART Health Cards `iss`, the VC issuer and
 * where `/.well-known/jwks.json` is served. Production: `https://<first hostname>`; development:
 * `http://<code>.localhost:<port>`. Registered in the tenant's container once the platform
 * listens (the port is known only then).
 */
export const ISSUER_URL = Symbol('IssuerUrl');

export function issuerUrlOf(tenant: Tenant, mode: Mode, port: number): string {
  const host = tenant.config.hostnames[0];
  return mode === 'production' && host ? `https://${host}` : `http://${tenant.code}.localhost:${port}`;
}

export function registerIssuerUrl(tenant: Tenant, mode: Mode, port: number): void {
  tenant.container.registerInstance(ISSUER_URL, issuerUrlOf(tenant, mode, port));
}

/** The issuer as the record carries it, from the tenant file and the tenant's URL. */
export function recordIssuer(tenant: Tenant): CertificateRecord['issuer'] {
  const url = tenant.container.isRegistered(ISSUER_URL, true) ? tenant.container.resolve<string>(ISSUER_URL) : undefined;
  if (!url) throw new Error(`tenant ${tenant.code}: its public URL is not known yet`);
  const { issuer } = tenant.config.certificates;
  return { name: issuer.name, country: issuer.country, url };
}

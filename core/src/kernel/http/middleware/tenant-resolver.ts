import type { Next } from 'koa';
import { NotFoundError } from '../../errors.js';
import { negotiateLanguage } from '../../i18n/negotiate.js';
import type { PlatformSite } from '../../platform-site.js';
import type { TenantRegistry } from '../../tenancy/tenant-registry.js';
import type { AppContext } from '../state.js';

/**
 * Host header -> tenant, ignoring case and port. Never from anything else the client chooses.
 * The platform host (localhost in development) shows the tenant list; any other unknown host is
 * a 404 in the platform's pages, never some default tenant.
 */
export function tenantResolver(tenants: TenantRegistry, platform: PlatformSite) {
  return async function tenantResolver(ctx: AppContext, next: Next): Promise<void> {
    const host = (ctx.get('Host') || '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    const tenant = tenants.byHost(host);
    if (tenant) {
      ctx.state.tenant = tenant;
      ctx.state.site = tenant;
      return next();
    }
    ctx.state.site = platform;
    const lng = negotiateLanguage(
      { query: ctx.query.lng as string, acceptLanguage: ctx.get('Accept-Language') },
      [...platform.languages.keys()],
      platform.defaultLanguage,
    );
    ctx.state.lng = lng;
    const t = platform.i18n.getFixedT(lng);
    ctx.state.t = (key, options) => String(t(key, options as never));
    if (tenants.isPlatformHost(host)) return next();
    throw new NotFoundError(`no tenant for host ${host}`);
  };
}

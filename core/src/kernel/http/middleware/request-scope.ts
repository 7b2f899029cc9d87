import type { Next } from 'koa';
import { TOKENS } from '../../di/tokens.js';
import { negotiateLanguage } from '../../i18n/negotiate.js';
import type { AppContext } from '../state.js';

const LANGUAGE_COOKIE = 'lng';
const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * The request's own scope on a tenant host: a child DI container, a forked EntityManager (its
 * own identity map), the negotiated language and its t(). The only place these are created.
 */
export function requestScope() {
  return async function requestScope(ctx: AppContext, next: Next): Promise<void> {
    const tenant = ctx.state.tenant;
    if (!tenant) return next();
    const enabled = tenant.config.languages.enabled;
    const query = typeof ctx.query.lng === 'string' ? ctx.query.lng : undefined;
    const lng = negotiateLanguage(
      { query, cookie: ctx.cookies.get(LANGUAGE_COOKIE), acceptLanguage: ctx.get('Accept-Language') },
      enabled,
      tenant.config.languages.default,
    );
    if (query && enabled.includes(lng) && query.replace('_', '-').split('-')[0].toLowerCase() === lng) {
      ctx.cookies.set(LANGUAGE_COOKIE, lng, { maxAge: YEAR_MS, sameSite: 'lax', httpOnly: true, overwrite: true });
    }
    ctx.set('Content-Language', lng);
    ctx.vary('Accept-Language');
    ctx.vary('Cookie');
    const fixed = tenant.i18n.getFixedT(lng);
    const t = (key: string, options?: Record<string, unknown>) => String(fixed(key, options as never));
    const em = tenant.orm.em.fork();
    const container = tenant.container.createChildContainer();
    container.registerInstance(TOKENS.EntityManager, em);
    container.registerInstance(TOKENS.Language, lng);
    container.registerInstance(TOKENS.Translate, t);
    container.registerInstance(TOKENS.RequestOrigin, { ip: ctx.ip, userAgent: ctx.get('User-Agent') });
    // Services log through the request's logger, so every line carries the request id.
    container.registerInstance(TOKENS.Logger, ctx.state.log);
    Object.assign(ctx.state, { lng, t, em, container });
    try {
      await next();
    } finally {
      container.dispose();
    }
  };
}

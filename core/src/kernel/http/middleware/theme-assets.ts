import type { Next } from 'koa';
import type { AppContext } from '../state.js';

/** Serves the site's fingerprinted theme assets from memory, cacheable for a year. */
export function themeAssets() {
  return async function themeAssets(ctx: AppContext, next: Next): Promise<void> {
    if (!ctx.path.startsWith('/assets/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const asset = ctx.state.site.theme.assetsByUrl.get(ctx.path);
    if (!asset) return next();
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.set('ETag', asset.etag);
    ctx.type = asset.contentType;
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  };
}

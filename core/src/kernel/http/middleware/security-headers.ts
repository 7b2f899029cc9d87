import helmet from 'koa-helmet';
import type { Mode } from '../../config/settings.js';

/**
 * Security headers via helmet. Pages load only our own fingerprinted assets, so the content
 * security policy allows nothing from elsewhere; inline styles carry the brand tokens.
 */
export function securityHeaders(mode: Mode) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(mode === 'production' ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: mode === 'production',
    crossOriginEmbedderPolicy: false,
  });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { Next } from 'koa';
import type { Mode } from '../../config/settings.js';
import type { AppContext } from '../state.js';

/** The content security policy and the rest of helmet's settings for this mode. */
export function helmetOptions(mode: Mode): HelmetOptions {
  return {
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
  };
}

/**
 * Security headers via helmet. Pages load only our own fingerprinted assets, so the content
 * security policy allows nothing from elsewhere; inline styles carry the brand tokens.
 *
 * Our options have no per-request parts (no nonces, no functions), so helmet's headers are the
 * same for every response: helmet runs once, here, and each request gets the headers it wrote
 * (running helmet's dozen middlewares per request was ~1 % of a cached availability answer).
 */
export function securityHeaders(mode: Mode) {
  const set: [string, string | number | readonly string[]][] = [];
  const removed: string[] = [];
  let finished = false;
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.push([name, value]);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  helmet(helmetOptions(mode))({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // helmet calls its middlewares one after the other, synchronously, when nothing is per request.
  if (!finished || set.length === 0) throw new Error('helmet did not set its headers synchronously');
  return async function securityHeaders(ctx: AppContext, next: Next): Promise<void> {
    for (const [name, value] of set) ctx.res.setHeader(name, value);
    for (const name of removed) ctx.res.removeHeader(name);
    return next();
  };
}

import type { Next } from 'koa';
import type { AppContext } from './state.js';

/** Answers that hold a code, a session or people's details are never kept by a cache. */
export async function noStore(ctx: AppContext, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await next();
}

/**
 * A public answer computed at `computedAt` and cached for `lifetimeSeconds`: how much longer it
 * stays fresh (`Cache-Control: max-age`) and how old it is (`Age`). Names and messages follow the
 * request's language, which may come from the header or the language cookie.
 */
export function freshness(ctx: AppContext, computedAt: number, lifetimeSeconds: number): void {
  const age = Math.max(0, Math.floor((Date.now() - computedAt) / 1000));
  ctx.set('Cache-Control', lifetimeSeconds > 0 ? `public, max-age=${Math.max(0, lifetimeSeconds - age)}` : 'no-cache');
  ctx.set('Age', String(age));
  ctx.vary('Accept-Language');
  ctx.vary('Cookie');
}

import type { Next } from 'koa';
import { UnauthorizedError } from '../kernel/errors.js';
import { type AppContext, isApiRequest, tenantScope } from '../kernel/http/state.js';
import { SessionService, type SubjectType } from './session-service.js';

/** Cookie for the server-rendered pages; APIs use `Authorization: Bearer <token>`. */
export const SESSION_COOKIE = 'teeka_session';
export const STAFF_SESSION_COOKIE = 'teeka_staff';

function bearer(ctx: AppContext): string | undefined {
  const header = ctx.get('Authorization');
  return header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

async function authenticate(ctx: AppContext, subjectType: SubjectType, cookie: string) {
  const token = bearer(ctx) ?? ctx.cookies.get(cookie);
  if (!token) throw new UnauthorizedError();
  return tenantScope(ctx).container.resolve(SessionService).verify(token, subjectType);
}

/** Routes behind it need a signed-in citizen; pages redirect to sign-in instead of erroring. */
export function requireCitizen() {
  return async function requireCitizen(ctx: AppContext, next: Next): Promise<void> {
    try {
      const { subjectId, sessionId } = await authenticate(ctx, 'citizen', SESSION_COOKIE);
      ctx.state.citizen = { accountId: subjectId, sessionId };
    } catch (error) {
      if (error instanceof UnauthorizedError && !isApiRequest(ctx) && ctx.method === 'GET') {
        ctx.redirect('/sign-in');
        return;
      }
      throw error;
    }
    await next();
  };
}

export function requireStaff() {
  return async function requireStaff(ctx: AppContext, next: Next): Promise<void> {
    const { subjectId, sessionId } = await authenticate(ctx, 'staff', STAFF_SESSION_COOKIE);
    ctx.state.staff = { userId: subjectId, sessionId };
    await next();
  };
}

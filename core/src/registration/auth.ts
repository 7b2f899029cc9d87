import type { Next } from 'koa';
import { UnauthorizedError } from '../kernel/errors.js';
import { type AppContext, isApiRequest, tenantScope } from '../kernel/http/state.js';
import { SessionService, type SubjectType } from './session-service.js';
import { signedInStaff } from './staff/staff-context.js';

/** Cookie for the server-rendered pages; APIs use `Authorization: Bearer <token>`. */
export const SESSION_COOKIE = 'teeka_session';
export const STAFF_SESSION_COOKIE = 'teeka_staff';

function bearer(ctx: AppContext): string | undefined {
  const header = ctx.get('Authorization');
  return header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function tokenOf(ctx: AppContext, cookie: string): string {
  const token = bearer(ctx) ?? ctx.cookies.get(cookie);
  if (!token) throw new UnauthorizedError();
  return token;
}

async function authenticate(ctx: AppContext, subjectType: SubjectType, cookie: string) {
  return tenantScope(ctx).container.resolve(SessionService).verify(tokenOf(ctx, cookie), subjectType);
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

/**
 * For a citizen API route whose own first statement checks that the session is live (as
 * BookingService.book does with `liveSession`): the token's signature, tenant and expiry here, and
 * no statement of its own, so booking is one round trip fewer. A route behind it that does not
 * check the session in its statement lets a signed-out token through until the token expires: use
 * requireCitizen() everywhere else.
 */
export function requireCitizenToken() {
  return async function requireCitizenToken(ctx: AppContext, next: Next): Promise<void> {
    const { subjectId, sessionId } = tenantScope(ctx).container.resolve(SessionService).claims(tokenOf(ctx, SESSION_COOKIE), 'citizen');
    ctx.state.citizen = { accountId: subjectId, sessionId };
    await next();
  };
}

export function requireStaff() {
  return async function requireStaff(ctx: AppContext, next: Next): Promise<void> {
    // The token's claims, then the session, the account and its roles in one statement.
    const { subjectId, sessionId } = tenantScope(ctx).container.resolve(SessionService).claims(tokenOf(ctx, STAFF_SESSION_COOKIE), 'staff');
    const staff = await signedInStaff(ctx, { userId: subjectId, sessionId });
    ctx.state.staff = { userId: staff.user.id, sessionId };
    await next();
  };
}

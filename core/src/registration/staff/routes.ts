import Router from '@koa/router';
import { noStore } from '../../kernel/http/cache-headers.js';
import { type AppContext, type AppState, tenantScope } from '../../kernel/http/state.js';
import { validate } from '../../kernel/http/validate.js';
import { requireStaff } from '../auth.js';
import { AuditQuery, NewStaffUser, RoleGrant, SignIn, TotpConfirmation } from './schemas.js';
import { currentStaff } from './staff-context.js';
import { StaffService } from './staff-service.js';

const AUDIT_DEFAULT_LIMIT = 50;
const AUDIT_MAX_LIMIT = 500;

function staffService(ctx: AppContext): StaffService {
  return tenantScope(ctx).container.resolve(StaffService);
}

/**
 * The staff side of the native API: sign-in (password, then TOTP when enabled), the signed-in
 * member's profile and TOTP enrolment, staff accounts with scoped roles, and the audit log.
 */
export function staffRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1/staff' });

  router.post('/sign-in', noStore, async (ctx) => {
    const body = validate(SignIn, ctx.request.body);
    const { token, expiresAt } = await staffService(ctx).signIn(body);
    ctx.body = { token, expiresAt: expiresAt.toISOString() };
  });

  router.post('/sign-out', noStore, requireStaff(), async (ctx) => {
    await staffService(ctx).signOut(await currentStaff(ctx));
    ctx.status = 204;
  });

  router.get('/me', noStore, requireStaff(), async (ctx) => {
    ctx.body = await staffService(ctx).me(await currentStaff(ctx));
  });

  router.post('/totp', noStore, requireStaff(), async (ctx) => {
    ctx.body = await staffService(ctx).startTotp(await currentStaff(ctx));
  });

  router.post('/totp/confirm', noStore, requireStaff(), async (ctx) => {
    const body = validate(TotpConfirmation, ctx.request.body);
    ctx.body = await staffService(ctx).confirmTotp(await currentStaff(ctx), body.code);
  });

  router.get('/users', noStore, requireStaff(), async (ctx) => {
    ctx.body = { users: await staffService(ctx).listUsers(await currentStaff(ctx)) };
  });

  router.post('/users', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(NewStaffUser, ctx.request.body);
    ctx.status = 201;
    ctx.body = await staffService(ctx).createUser(actor, body);
  });

  router.post('/users/:id/roles', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(RoleGrant, ctx.request.body);
    ctx.body = await staffService(ctx).grant(actor, ctx.params.id, body);
  });

  router.delete('/users/:id/roles', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(RoleGrant, ctx.request.body);
    ctx.body = await staffService(ctx).revoke(actor, ctx.params.id, body);
  });

  router.get('/audit', noStore, requireStaff(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const query = validate(AuditQuery, { ...ctx.query });
    const limit = Math.min(Number(query.limit ?? AUDIT_DEFAULT_LIMIT), AUDIT_MAX_LIMIT);
    ctx.body = { entries: await staffService(ctx).auditEntries(actor, limit) };
  });

  return router;
}

import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import { NotFoundError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireCitizen } from './auth.js';
import { BeneficiaryChanges, NewBeneficiary, OtpConfirmation, OtpRequest } from './beneficiary-schemas.js';
import { BeneficiaryService } from './beneficiary-service.js';
import { OtpService } from './otp-service.js';
import { isReferenceId } from './reference-id.js';
import { SessionService } from './session-service.js';

function citizenOf(ctx: AppContext): string {
  return ctx.state.citizen!.accountId;
}

function referenceParam(ctx: AppContext & { params: Record<string, string> }): string {
  const referenceId = ctx.params.referenceId;
  if (!isReferenceId(referenceId)) throw new NotFoundError('no such beneficiary');
  return referenceId;
}

/** The citizen side of the native API: OTP sign-in and the account's beneficiaries. */
export function citizenApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const resolve = <T>(ctx: AppContext, service: InjectionToken<T>): T => tenantScope(ctx).container.resolve(service);

  router.post('/auth/otp', async (ctx) => {
    const body = validate(OtpRequest, ctx.request.body);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await resolve(ctx, OtpService).generate(body.mobile);
  });

  router.post('/auth/otp/confirm', async (ctx) => {
    const body = validate(OtpConfirmation, ctx.request.body);
    const { token, expiresAt } = await resolve(ctx, OtpService).confirm(body.txnId, body.otp, ctx.state.lng);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token, expiresAt: expiresAt.toISOString() };
  });

  router.post('/auth/sign-out', requireCitizen(), async (ctx) => {
    await resolve(ctx, SessionService).revoke(ctx.state.citizen!.sessionId);
    ctx.status = 204;
  });

  router.get('/document-types', (ctx) => {
    ctx.body = resolve(ctx, BeneficiaryService)
      .documentTypes()
      .map(({ type, labelKey, inputMask, example }) => ({ type, label: ctx.state.t(labelKey), inputMask, example }));
  });

  router.get('/beneficiaries', requireCitizen(), async (ctx) => {
    const { tenant } = tenantScope(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      beneficiaries: await resolve(ctx, BeneficiaryService).list(citizenOf(ctx)),
      limit: tenant.config.limits.beneficiariesPerAccount,
    };
  });

  router.post('/beneficiaries', requireCitizen(), async (ctx) => {
    const body = validate(NewBeneficiary, ctx.request.body);
    ctx.status = 201;
    ctx.body = await resolve(ctx, BeneficiaryService).create(citizenOf(ctx), body);
  });

  router.get('/beneficiaries/:referenceId', requireCitizen(), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await resolve(ctx, BeneficiaryService).get(citizenOf(ctx), referenceParam(ctx));
  });

  router.patch('/beneficiaries/:referenceId', requireCitizen(), async (ctx) => {
    const referenceId = referenceParam(ctx);
    const body = validate(BeneficiaryChanges, ctx.request.body);
    ctx.body = await resolve(ctx, BeneficiaryService).update(citizenOf(ctx), referenceId, body);
  });

  router.delete('/beneficiaries/:referenceId', requireCitizen(), async (ctx) => {
    await resolve(ctx, BeneficiaryService).remove(citizenOf(ctx), referenceParam(ctx));
    ctx.status = 204;
  });

  return router;
}

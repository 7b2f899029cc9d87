import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import { noStore } from '../kernel/http/cache-headers.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireStaff } from '../registration/auth.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { CentreDay } from './centre-day.js';
import { CheckInService } from './check-in-service.js';
import { DoseCorrections } from './dose-corrections.js';
import { DoseRecording } from './dose-recording.js';
import { CodeVerification, Correction, DayQuery, DocumentVerification, IdempotencyKey, NewDose, Void, WalkIn } from './schemas.js';

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidParam(ctx: AppContext, what: string): string {
  if (!Uuid.test(ctx.params.id)) throw new NotFoundError(`no such ${what}`);
  return ctx.params.id.toLowerCase();
}

/**
 * The vaccination workflow at the centre for staff, under /api/v1/staff/vaccination: the day's
 * sessions and people, arrival and verification (security code or identity document), walk-in
 * registration, recording doses, a person's doses, and supervisors' corrections. See
 * docs/vaccination.md.
 */
export function vaccinationApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1/staff/vaccination' });
  router.use(noStore, requireStaff());
  const resolve = <T>(ctx: AppContext, service: InjectionToken<T>): T => tenantScope(ctx).container.resolve(service);

  router.get('/day', async (ctx) => {
    const actor = await currentStaff(ctx);
    const query = validate(DayQuery, { ...ctx.query });
    ctx.body = await resolve(ctx, CentreDay).day(actor, Number(query.facility), query.date);
  });

  router.post('/appointments/:id/arrival', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = await resolve(ctx, CheckInService).arrival(actor, uuidParam(ctx, 'appointment'));
  });

  router.post('/appointments/:id/verification', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = uuidParam(ctx, 'appointment');
    ctx.body = await resolve(ctx, CheckInService).verifyCode(actor, id, validate(CodeVerification, ctx.request.body).securityCode);
  });

  router.post('/document-verification', async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(DocumentVerification, ctx.request.body);
    ctx.body = await resolve(ctx, CheckInService).verifyDocument(actor, body.sessionId, body.document);
  });

  router.post('/walk-ins', async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(WalkIn, ctx.request.body);
    ctx.status = 201;
    ctx.body = await resolve(ctx, CheckInService).registerWalkIn(actor, body);
  });

  router.post('/doses', async (ctx) => {
    const actor = await currentStaff(ctx);
    const { idempotencyKey: inBody, ...body } = validate(NewDose, ctx.request.body);
    const header = ctx.get('Idempotency-Key');
    const inHeader = header ? validate(IdempotencyKey, header) : undefined;
    if (inHeader && inBody && inHeader !== inBody) {
      throw new ValidationError('two different idempotency keys', [{ path: '/idempotencyKey', code: 'choice' }]);
    }
    const { dose, replayed } = await resolve(ctx, DoseRecording).record(actor, body, inHeader ?? inBody);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = 201;
    ctx.body = dose;
  });

  router.get('/beneficiaries/:referenceId/doses', async (ctx) => {
    const actor = await currentStaff(ctx);
    if (!/^[0-9]{14}$/.test(ctx.params.referenceId)) throw new NotFoundError('no such beneficiary');
    ctx.body = await resolve(ctx, CentreDay).doses(actor, ctx.params.referenceId);
  });

  router.post('/doses/:id/correction', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = uuidParam(ctx, 'dose record');
    ctx.body = await resolve(ctx, DoseCorrections).correct(actor, id, validate(Correction, ctx.request.body));
  });

  router.post('/doses/:id/void', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = uuidParam(ctx, 'dose record');
    ctx.body = await resolve(ctx, DoseCorrections).void(actor, id, validate(Void, ctx.request.body).reason);
  });

  return router;
}

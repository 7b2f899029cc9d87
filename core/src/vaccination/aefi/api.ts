import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import { TOKENS } from '../../kernel/di/tokens.js';
import { NotFoundError } from '../../kernel/errors.js';
import { noStore } from '../../kernel/http/cache-headers.js';
import { type AppContext, type AppState, tenantScope } from '../../kernel/http/state.js';
import { validate } from '../../kernel/http/validate.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import { requireCitizen, requireStaff } from '../../registration/auth.js';
import { currentStaff } from '../../registration/staff/staff-context.js';
import { AefiCases } from './aefi-cases.js';
import { AefiService } from './aefi-service.js';
import { BatchSignals } from './batch-signals.js';
import { CAUSALITIES, OUTCOMES, SERIOUS_CRITERIA, SEVERITIES } from './codes.js';
import { BatchCountQuery, CaseQuery, CitizenReport, FollowUp, ScopeQuery, StaffReport, StatusChange } from './schemas.js';

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function caseParam(ctx: AppContext): string {
  if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such case');
  return ctx.params.id.toLowerCase();
}

const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);

/**
 * Adverse events following immunisation. Citizens report for their own beneficiaries' doses and
 * see those cases; staff report, follow up and investigate within their scope, district officers
 * work the queue of serious cases, and counts per batch show a bad batch.
 */
export function aefiApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });

  /** The codes a report uses, with their names in the request's language (for forms). */
  router.get('/aefi/vocabulary', (ctx) => {
    const { t } = ctx.state;
    const config = tenantScope(ctx).container.resolve<TenantConfig>(TOKENS.TenantConfig);
    const named = (group: string, codes: readonly string[]) => codes.map((code) => ({ code, label: t(`aefi:${group}.${code}`) }));
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = {
      symptoms: named('symptoms', config.aefi.symptoms),
      severities: named('severities', SEVERITIES),
      seriousCriteria: named('seriousCriteria', SERIOUS_CRITERIA),
      outcomes: named('outcomes', OUTCOMES),
      causalities: named('causalities', CAUSALITIES),
    };
  });

  router.post('/aefi', noStore, requireCitizen(), async (ctx) => {
    const body = validate(CitizenReport, ctx.request.body);
    const accountId = ctx.state.citizen!.accountId;
    const id = await resolve(ctx, AefiService).reportByCitizen(accountId, body);
    ctx.status = 201;
    ctx.body = (await resolve(ctx, AefiCases).ofCitizen(accountId, id))[0];
  });

  router.get('/aefi', noStore, requireCitizen(), async (ctx) => {
    ctx.body = { cases: await resolve(ctx, AefiCases).ofCitizen(ctx.state.citizen!.accountId) };
  });

  const staff = new Router<AppState>({ prefix: '/staff/aefi' });
  staff.use(noStore, requireStaff());

  staff.post('/cases', async (ctx) => {
    const actor = await currentStaff(ctx);
    const body = validate(StaffReport, ctx.request.body);
    const id = await resolve(ctx, AefiService).reportByStaff(actor, body);
    ctx.status = 201;
    ctx.body = await resolve(ctx, AefiCases).get(actor, id);
  });

  staff.get('/cases', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = { cases: await resolve(ctx, AefiCases).list(actor, validate(CaseQuery, { ...ctx.query })) };
  });

  staff.get('/cases/:id', async (ctx) => {
    ctx.body = await resolve(ctx, AefiCases).get(await currentStaff(ctx), caseParam(ctx));
  });

  staff.post('/cases/:id/follow-ups', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = caseParam(ctx);
    await resolve(ctx, AefiService).followUp(actor, id, validate(FollowUp, ctx.request.body));
    ctx.status = 201;
    ctx.body = await resolve(ctx, AefiCases).get(actor, id);
  });

  staff.post('/cases/:id/status', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = caseParam(ctx);
    await resolve(ctx, AefiService).changeStatus(actor, id, validate(StatusChange, ctx.request.body));
    ctx.body = await resolve(ctx, AefiCases).get(actor, id);
  });

  staff.get('/serious-queue', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = { cases: await resolve(ctx, AefiCases).seriousQueue(actor, validate(ScopeQuery, { ...ctx.query })) };
  });

  staff.get('/batches', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = await resolve(ctx, BatchSignals).perBatch(actor, validate(BatchCountQuery, { ...ctx.query }));
  });

  router.use(staff.routes());
  return router;
}

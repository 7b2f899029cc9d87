import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import { NotFoundError, type TeekaError, ValidationError } from '../kernel/errors.js';
import { type FormProblem, formBody, formProblem, noStore, renderPage, seeOther, submitForm, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import { currentStaff, type StaffContext } from '../registration/staff/staff-context.js';
import { requireStaffPage } from '../scheduling/staff-pages.js';
import { instantLabel } from './certificate-view.js';
import { CorrectionDesk, REJECT_REASONS, type RejectReason } from './corrections.js';
import { CorrectionQuery } from './schemas.js';

const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);
const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATES = ['requested', 'approved', 'rejected'] as const;

function correctionId(ctx: AppContext): string {
  const id = text(ctx.params.id);
  if (!Uuid.test(id)) throw new NotFoundError('no such correction');
  return id.toLowerCase();
}

const when = (ctx: AppContext, iso: string) => instantLabel(tenantScope(ctx).tenant, ctx.state.lng, iso);

async function showCorrection(ctx: AppContext, actor: StaffContext, id: string, reason = '', problem?: FormProblem): Promise<void> {
  const { t } = ctx.state;
  const found = await resolve(ctx, CorrectionDesk).get(actor, id);
  const labels = new Map(
    resolve(ctx, BeneficiaryService)
      .documentTypes()
      .map(({ type, labelKey }) => [type, t(labelKey)]),
  );
  const { current } = found;
  const currentValue =
    found.field === 'name'
      ? current.name
      : found.field === 'birthDate'
        ? current.birthDate
        : found.field === 'passport'
          ? current.passport
          : current.document && `${labels.get(current.document.type) ?? current.document.type} ${current.document.masked}`;
  renderPage(ctx, 'staff-correction', {
    title: t('certificates:officer.requestTitle'),
    section: 'corrections',
    correction: {
      id: found.id,
      certificateId: found.certificateId,
      beneficiary: found.beneficiary,
      name: found.name,
      field: t(`certificates:correction.fields.${found.field}`),
      requested: found.value,
      current: currentValue ?? t('certificates:officer.none'),
      reason: found.reason,
      state: found.state,
      stateLabel: t(`certificates:correction.states.${found.state}`),
      requestedAt: when(ctx, found.requestedAt),
      decidedAt: found.decidedAt ? when(ctx, found.decidedAt) : undefined,
      pending: found.state === 'requested',
    },
    reasons: REJECT_REASONS.map((code) => ({ code, label: t(`certificates:officer.reasons.${code}`), checked: reason === code })),
    problem,
    errors: problem?.fields ?? {},
  });
}

function problemOf(ctx: AppContext, error: TeekaError): FormProblem {
  return formProblem(ctx, error, (path) =>
    path === '/reason' ? { id: 'reason', label: ctx.state.t('certificates:officer.rejectReason') } : undefined,
  );
}

/**
 * The officers' pages for certificate corrections, under /staff/corrections: the requests in their
 * scope, and one request with the requested change beside the person's current details, approved
 * or rejected (with a coded reason) through CorrectionDesk, as the API does: same rules, same audit.
 */
export function correctionPageRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/staff/corrections' });
  router.use(noStore, requireStaffPage());

  router.get('/', async (ctx) => {
    const { t } = ctx.state;
    const asked = text(ctx.query.state);
    const { state = 'requested' } = validate(CorrectionQuery, asked ? { state: asked } : {});
    const list = await resolve(ctx, CorrectionDesk).list(await currentStaff(ctx), state);
    const done = text(ctx.query.done);
    renderPage(ctx, 'staff-corrections', {
      title: t('certificates:officer.title'),
      section: 'corrections',
      done: done === 'approved' || done === 'rejected' ? t(`certificates:officer.done.${done}`) : undefined,
      states: STATES.map((code) => ({ code, label: t(`certificates:correction.states.${code}`), current: code === state })),
      pending: state === 'requested',
      corrections: list.map((c) => ({
        url: `/staff/corrections/${c.id}`,
        name: c.name,
        beneficiary: c.beneficiary,
        field: t(`certificates:correction.fields.${c.field}`),
        requestedAt: when(ctx, c.requestedAt),
        stateLabel: t(`certificates:correction.states.${c.state}`),
      })),
    });
  });

  router.get('/:id', async (ctx) => {
    await showCorrection(ctx, await currentStaff(ctx), correctionId(ctx));
  });

  router.post('/:id/approve', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = correctionId(ctx);
    await submitForm(
      ctx,
      async () => {
        await resolve(ctx, CorrectionDesk).approve(actor, id);
        seeOther(ctx, '/staff/corrections?done=approved');
      },
      (error) => showCorrection(ctx, actor, id, '', problemOf(ctx, error)),
    );
  });

  router.post('/:id/reject', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = correctionId(ctx);
    const reason = text(formBody(ctx).reason);
    await submitForm(
      ctx,
      async () => {
        if (!REJECT_REASONS.includes(reason as RejectReason)) {
          throw new ValidationError('a reason is needed', [{ path: '/reason', code: reason ? 'choice' : 'required' }]);
        }
        await resolve(ctx, CorrectionDesk).reject(actor, id, reason as RejectReason);
        seeOther(ctx, '/staff/corrections?done=rejected');
      },
      (error) => showCorrection(ctx, actor, id, reason, problemOf(ctx, error)),
    );
  });

  return router;
}

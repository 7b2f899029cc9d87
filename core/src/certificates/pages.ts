import Router from '@koa/router';
import type { Next } from 'koa';
import type { InjectionToken } from 'tsyringe';
import type { TeekaError } from '../kernel/errors.js';
import { formBody, formProblem, noStore, renderPage, seeOther, submitForm, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireCitizen } from '../registration/auth.js';
import { isCertificateId } from './certificate-id.js';
import { certificatePdf } from './certificate-pdf.js';
import { CertificateService } from './certificate-service.js';
import { type CertificateView, centreName, certificateView, dayLabel, instantLabel } from './certificate-view.js';
import { qrImage } from './qr.js';
import type { FormatId } from './record.js';
import { CorrectionRequest } from './schemas.js';

const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);
const accountOf = (ctx: AppContext): string => ctx.state.citizen!.accountId;
const FIELDS = ['name', 'birthDate', 'document', 'passport'] as const;

/** Where a certificate's page is: the id percent-encoded (`#` is `%23`), as the SMS links to it. */
export const certificateUrl = (certificateId: string, rest = ''): string => `/certificates/${encodeURIComponent(certificateId)}${rest}`;

/** The certificate's PDF, for the citizen's page and the native API alike. */
export async function sendCertificatePdf(ctx: AppContext, certificateId: string): Promise<void> {
  const { tenant, container } = tenantScope(ctx);
  const view = await certificateView(container, accountOf(ctx), certificateId, ctx.state.t);
  const pdf = await certificatePdf(tenant, ctx.state.lng, view, ctx.state.t);
  ctx.type = 'application/pdf';
  ctx.attachment(`certificate-${view.certificateId.replace(/[^0-9A-Za-z]+/g, '-')}.pdf`);
  ctx.body = pdf;
}

const escapeAttribute = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A format's QR code as inline SVG, named for screen readers. */
async function qrSvg(spec: CertificateView['formats'][number]['qr'][number], label: string): Promise<string> {
  const svg = String(await qrImage(spec, 'svg')).trim();
  return svg.replace(/^<svg /, `<svg role="img" aria-label="${escapeAttribute(label)}" class="qr" `);
}

async function showCertificate(
  ctx: AppContext,
  certificateId: string,
  sent: { field?: string; value?: string; reason?: string } = {},
  error?: TeekaError,
) {
  const { tenant, container } = tenantScope(ctx);
  const { t, lng } = ctx.state;
  const view = await certificateView(container, accountOf(ctx), certificateId, t);
  const corrections = await resolve(ctx, CertificateService).corrections(accountOf(ctx), certificateId);
  const { record } = view;
  const problem =
    error &&
    formProblem(
      ctx,
      error,
      (path) => {
        const id = path.replace(/^\//, '').split('/')[0];
        return ['field', 'value', 'reason'].includes(id) ? { id, label: t(`certificates:correction.${id}`) } : undefined;
      },
      ['field', 'value', 'reason'],
    );
  const formats = await Promise.all(
    view.formats.map(async (issued) => {
      const name = t(`certificates:format.${issued.format}`);
      return {
        id: issued.format,
        name,
        qrs: await Promise.all(issued.qr.map((spec) => qrSvg(spec, t('certificates:detail.qrLabel', { format: name })))),
        // The VC is also handed over as a file (a wallet imports it); alone that way when it has no QR.
        json: issued.format === 'w3c-vc',
        noQr: issued.qr.length === 0,
      };
    }),
  );
  renderPage(ctx, 'certificate', {
    title: t('certificates:title'),
    url: certificateUrl(view.certificateId),
    certificateId: view.certificateId,
    kind: t(`certificates:kindTitle.${view.kind}`),
    active: view.state === 'active',
    state: view.state,
    stateLabel: t(`certificates:state.${view.state}`),
    name: record.person.name,
    birthDate: record.person.birthDate,
    sex: record.person.sex ? t(`certificates:sex.${record.person.sex}`) : undefined,
    document: view.document,
    passport: record.person.identifier?.type === 'passport' ? record.person.identifier.value : undefined,
    referenceId: view.referenceId,
    issuer: record.issuer.name,
    issuedAt: instantLabel(tenant, lng, record.issuedAt),
    version: record.version,
    nextDose: record.nextDoseFrom ? dayLabel(tenant, lng, record.nextDoseFrom) : undefined,
    doses: record.doses.map((dose) => ({
      dose:
        dose.doseNumber > dose.totalDoses
          ? t('certificates:doses.boosterNumber', { number: dose.doseNumber })
          : t('certificates:doses.number', { number: dose.doseNumber, total: dose.totalDoses }),
      day: dayLabel(tenant, lng, dose.date),
      vaccine: dose.vaccine.name,
      manufacturer: dose.vaccine.manufacturer,
      lot: dose.lotNumber,
      centre: centreName(view, dose.centre, lng),
      vaccinator: dose.practitioner,
    })),
    formats,
    corrections: corrections.map((c) => ({
      field: t(`certificates:correction.fields.${c.field}`),
      state: c.state,
      stateLabel: t(`certificates:correction.states.${c.state}`),
      requestedAt: instantLabel(tenant, lng, new Date(c.requestedAt).toISOString()),
      decidedAt: c.decidedAt ? instantLabel(tenant, lng, new Date(c.decidedAt).toISOString()) : undefined,
    })),
    fields: FIELDS.map((field) => ({ value: field, label: t(`certificates:correction.fields.${field}`), selected: sent.field === field })),
    values: { value: sent.value ?? '', reason: sent.reason ?? '' },
    requested: ctx.query.requested !== undefined,
    problem,
    errors: problem?.fields ?? {},
  });
}

/**
 * The citizen's certificate pages: the account's certificates (current ones, and replaced or
 * revoked ones marked), one certificate with its dose history, QR codes and PDF, and a form to ask
 * for a correction. `/certificates/{id}` is where the SMS sent on issue links to. No JavaScript.
 */
export function certificatePageRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/certificates', noStore, requireCitizen(), async (ctx) => {
    const { tenant } = tenantScope(ctx);
    const { t, lng } = ctx.state;
    const all = await resolve(ctx, CertificateService).list(accountOf(ctx));
    const shown = all.map((c) => ({
      url: certificateUrl(c.certificateId),
      pdf: certificateUrl(c.certificateId, '.pdf'),
      certificateId: c.certificateId,
      name: c.name,
      kind: t(`certificates:kindTitle.${c.kind}`),
      version: c.version,
      state: c.state,
      stateLabel: t(`certificates:state.${c.state}`),
      issuedAt: instantLabel(tenant, lng, c.issuedAt),
    }));
    renderPage(ctx, 'certificates', {
      title: t('certificates:list.title'),
      current: shown.filter((c) => c.state === 'active'),
      earlier: shown.filter((c) => c.state !== 'active'),
      any: shown.length > 0,
    });
  });

  // `/certificates/{id}` and `/certificates/{id}.pdf`. Anything that is not a certificate id is left
  // to other routes (and is "not found" if none wants it).
  router.get('/certificates/:id', noStore, async (ctx: AppContext & { params: Record<string, string> }, next: Next) => {
    const pdf = ctx.params.id.endsWith('.pdf');
    const id = pdf ? ctx.params.id.slice(0, -4) : ctx.params.id;
    if (!isCertificateId(id)) return next();
    await requireCitizen()(ctx, async () => {
      if (pdf) await sendCertificatePdf(ctx, id);
      else await showCertificate(ctx, id);
    });
  });

  /** A format as a file: the VC, which is too large for a QR code, is handed over this way. */
  router.get('/certificates/:id/:file', noStore, async (ctx: AppContext & { params: Record<string, string> }, next: Next) => {
    const format = /^(eu-dcc|shc|w3c-vc)\.json$/.exec(ctx.params.file)?.[1] as FormatId | undefined;
    if (!format || !isCertificateId(ctx.params.id)) return next();
    await requireCitizen()(ctx, async () => {
      const issued = await resolve(ctx, CertificateService).payload(accountOf(ctx), ctx.params.id, format);
      ctx.type = format === 'w3c-vc' ? 'application/vc+ld+json' : 'text/plain; charset=utf-8';
      ctx.attachment(`certificate-${format}.${format === 'w3c-vc' ? 'json' : 'txt'}`);
      ctx.body = issued.payload;
    });
  });

  router.post('/certificates/:id/corrections', noStore, requireCitizen(), async (ctx) => {
    const id = ctx.params.id;
    const form = formBody(ctx);
    const sent = { field: text(form.field), value: text(form.value).trim(), reason: text(form.reason).trim() };
    await submitForm(
      ctx,
      async () => {
        const input = validate(CorrectionRequest, sent);
        await resolve(ctx, CertificateService).requestCorrection(accountOf(ctx), id, input);
        seeOther(ctx, certificateUrl(id, '?requested=1#corrections'));
      },
      (error) => showCertificate(ctx, id, sent, error),
    );
  });

  return router;
}

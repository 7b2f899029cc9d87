import { createHash } from 'node:crypto';
import Router from '@koa/router';
import { TOKENS } from '../kernel/di/tokens.js';
import { formBody, noStore, renderPage, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import type { RateLimiter } from '../kernel/rate-limit/rate-limiter.js';
import { CertificateService } from './certificate-service.js';
import type { FormatId, Verification, VerifiedRecord } from './record.js';
import { verifyPayload } from './verification.js';

/**
 * The public verification page, `/verify`: paste (or, with JavaScript, scan) a certificate's QR
 * text and read the answer in the verifier's language. Without JavaScript the form posts here
 * and the server verifies against the tenant's trust list. With it, `verify.js` checks EU DCC and
 * SMART Health Cards in the browser against the trust list a service worker (`/verify-sw.js`,
 * scope `/verify`) keeps, so the page goes on working offline once it has been opened.
 */
export const VERIFY_PATH = '/verify';
export const SERVICE_WORKER_PATH = '/verify-sw.js';
export const TRUST_LIST_PATH = '/api/v1/certificates/trust-list';
/** The same budget as the API's: the page is the API with a form in front. */
const VERIFY_PER_IP_PER_MINUTE = 120;
/** A QR holds at most 4296 characters; the textarea allows room for a pasted VC. */
const MAX_PAYLOAD = 64 * 1024;
const STATUSES = ['valid', 'revoked', 'unknown-issuer', 'invalid-signature', 'expired', 'malformed'] as const;
const FORMATS: FormatId[] = ['eu-dcc', 'shc', 'w3c-vc'];

interface ResultView {
  status: Verification['status'];
  heading: string;
  message: string;
  good: boolean;
  format?: string;
  record?: {
    name: string;
    birthDate: string;
    certificateId: string;
    doses: { label: string; vaccine: string; day: string; country: string }[];
  };
}

const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A YYYY-MM-DD date in the verifier's language; a partial date (a year) as it is. */
function day(value: string, locale: string): string {
  if (!FULL_DATE.test(value)) return value;
  const when = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(when.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(when);
}

function resultView(ctx: AppContext, result: Verification, vaccines: Map<string, string>): ResultView {
  const { t } = ctx.state;
  const { locale } = tenantScope(ctx).tenant.renderData(ctx.state.lng);
  const view: ResultView = {
    status: result.status,
    heading: t(`certificates:verifyPage.status.${result.status}`),
    message: t(`certificates:verification.${result.status}`),
    good: result.status === 'valid',
    ...(result.format ? { format: t(`certificates:verifyPage.format.${result.format}`) } : {}),
  };
  if (result.status === 'valid' || result.status === 'revoked') {
    const record: VerifiedRecord = result.record;
    view.record = {
      name: record.name,
      birthDate: day(record.birthDate, locale),
      certificateId: record.certificateId,
      doses: record.doses.map((dose) => ({
        label:
          dose.totalDoses > 0
            ? t('certificates:verifyPage.doseOf', { number: dose.doseNumber, total: dose.totalDoses })
            : t('certificates:verifyPage.dose', { number: dose.doseNumber }),
        vaccine: vaccines.get(dose.vaccine) ?? dose.vaccine,
        day: day(dose.date, locale),
        country: dose.country,
      })),
    };
  }
  return view;
}

/** Every code the tenant's vaccines carry (EU product, CVX, ICD-11, SNOMED CT), to its brand name. */
function vaccineNames(ctx: AppContext): Map<string, string> {
  const names = new Map<string, string>();
  for (const vaccine of tenantScope(ctx).tenant.config.vaccines) {
    names.set(vaccine.code, vaccine.name);
    for (const code of Object.values(vaccine.codes ?? {})) if (typeof code === 'string' && code) names.set(code, vaccine.name);
  }
  return names;
}

/** What the browser script needs, in the page's language: every sentence it may show. */
function browserConfig(ctx: AppContext, vaccines: Map<string, string>): string {
  const { t, lng } = ctx.state;
  const { tenant } = tenantScope(ctx);
  const data = tenant.renderData(lng);
  const key = (name: string) => t(`certificates:verifyPage.${name}`);
  return JSON.stringify({
    locale: data.locale,
    timeZone: data.timeZone,
    trustList: TRUST_LIST_PATH,
    verifyApi: '/api/v1/certificates/verify',
    serviceWorker: SERVICE_WORKER_PATH,
    scope: VERIFY_PATH,
    vaccines: Object.fromEntries(vaccines),
    messages: {
      status: Object.fromEntries(STATUSES.map((status) => [status, key(`status.${status}`)])),
      sentence: Object.fromEntries(STATUSES.map((status) => [status, t(`certificates:verification.${status}`)])),
      format: Object.fromEntries(FORMATS.map((format) => [format, key(`format.${format}`)])),
      // Placeholders stay for the script to fill: {{number}}, {{total}}, {{date}}.
      doseOf: t('certificates:verifyPage.doseOf', { number: '{{number}}', total: '{{total}}' }),
      dose: t('certificates:verifyPage.dose', { number: '{{number}}' }),
      trustListFrom: t('certificates:verifyPage.trustListFrom', { date: '{{date}}' }),
      ...Object.fromEntries(
        [
          'name',
          'birthDate',
          'doses',
          'certificateId',
          'formatLabel',
          'checkedOnDevice',
          'checkedOnline',
          'trustListMissing',
          'offlineReady',
          'vcOnline',
          'verifying',
          'empty',
          'scan',
          'stopScan',
          'photo',
          'noCamera',
          'cameraFailed',
          'noQrFound',
          'scanned',
        ].map((name) => [name, key(name)]),
      ),
    },
  });
}

function showPage(ctx: AppContext, extra: Record<string, unknown> = {}): void {
  const vaccines = vaccineNames(ctx);
  renderPage(ctx, 'verify', {
    title: ctx.state.t('certificates:verifyPage.title'),
    config: browserConfig(ctx, vaccines),
    maxLength: MAX_PAYLOAD,
    ...extra,
  });
}

/** The service worker: its asset with the URLs it keeps, which change whenever an asset does. */
function serviceWorker(ctx: AppContext): string {
  const { theme } = tenantScope(ctx).tenant;
  const logo = theme.tokens.logo ? theme.assetUrl(theme.tokens.logo) : '';
  const precache = [VERIFY_PATH, theme.assetUrl('verify.js'), theme.assetUrl('site.css'), logo, TRUST_LIST_PATH].filter(Boolean);
  const source = theme.assets.get('verify-sw.js')?.body.toString('utf8') ?? '';
  const version = createHash('sha256').update(JSON.stringify(precache)).update(source).digest('hex').slice(0, 12);
  const settings = { version, page: VERIFY_PATH, trustList: TRUST_LIST_PATH, precache };
  return `self.TEEKA_VERIFY = ${JSON.stringify(settings)};\n${source}`;
}

export function verifyPageRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get(VERIFY_PATH, (ctx) => {
    // Revalidated on every visit (the service worker keeps its own copy for offline use).
    ctx.set('Cache-Control', 'no-cache');
    showPage(ctx);
  });

  router.post(VERIFY_PATH, noStore, async (ctx) => {
    await tenantScope(ctx)
      .container.resolve<RateLimiter>(TOKENS.RateLimiter)
      .hit(`certificate-verify:ip:${ctx.ip}`, VERIFY_PER_IP_PER_MINUTE, 60);
    const payload = text(formBody(ctx).payload);
    if (!payload.trim()) {
      ctx.status = 422;
      const message = ctx.state.t('certificates:verifyPage.empty');
      showPage(ctx, {
        problem: { title: ctx.state.t('certificates:verifyPage.emptyTitle'), items: [{ href: '#payload', text: message }], fields: {} },
        payloadError: message,
      });
      return;
    }
    const result: Verification =
      payload.length > MAX_PAYLOAD
        ? { status: 'malformed', detail: 'longer than any certificate' }
        : await verifyPayload(payload, await tenantScope(ctx).container.resolve(CertificateService).trustList());
    ctx.state.log.debug({ status: result.status, format: result.format }, 'certificate verified on the page');
    showPage(ctx, { result: resultView(ctx, result, vaccineNames(ctx)), checkedAt: new Date() });
  });

  router.get(SERVICE_WORKER_PATH, (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = serviceWorker(ctx);
  });

  return router;
}

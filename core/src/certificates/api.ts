import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Next } from 'koa';
import type { InjectionToken } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import type { RateLimiter } from '../kernel/rate-limit/rate-limiter.js';
import { requireCitizen, requireStaff } from '../registration/auth.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { CertificateService } from './certificate-service.js';
import { CorrectionDesk } from './corrections.js';
import { jwks } from './formats/shc.js';
import type { SigningKeyStore } from './keys/key-store.js';
import { sendCertificatePdf } from './pages.js';
import { qrImage } from './qr.js';
import type { FormatId } from './record.js';
import { CorrectionQuery, CorrectionRequest, RotateRequest, VerifyRequest } from './schemas.js';
import { verificationAnswer, verifyPayload } from './verification.js';
// Registers the dose-event hook that issues certificates.
import './dose-hook.js';
import { noStore } from '../kernel/http/cache-headers.js';

/** Verifications per IP per minute: enough for a checkpoint scanning a queue, not for a scraper. */
const VERIFY_PER_IP_PER_MINUTE = 120;
const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);

/** Public documents verifiers fetch from anywhere: CORS open, cacheable for a while. */
function publicDocument(maxAgeSeconds: number) {
  return async function publicDocument(ctx: AppContext, next: Next): Promise<void> {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    ctx.set('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    await next();
  };
}

function etagged(ctx: AppContext, body: unknown, identity: unknown): void {
  const etag = `"${createHash('sha256').update(JSON.stringify(identity)).digest('base64url').slice(0, 27)}"`;
  ctx.set('ETag', etag);
  if (ctx.get('If-None-Match') === etag) {
    ctx.status = 304;
    return;
  }
  ctx.body = body;
}

function correctionParam(ctx: AppContext): string {
  if (!Uuid.test(ctx.params.id)) throw new NotFoundError('no such correction');
  return ctx.params.id.toLowerCase();
}

/**
 * Certificates: the trust list and revocations verifiers download, the verification endpoint, a
 * citizen's certificates (payloads and QR codes) and their correction requests, and the officers'
 * decisions on corrections and key rotation.
 */
export function certificateApiRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/.well-known/jwks.json', publicDocument(300), async (ctx) => {
    ctx.body = await jwks(await resolve(ctx, CertificateService).trustList('shc'));
  });

  const api = new Router<AppState>({ prefix: '/api/v1/certificates' });

  api.get('/trust-list', publicDocument(300), async (ctx) => {
    const document = await resolve(ctx, CertificateService).trustListDocument();
    const { generatedAt: _at, ...identity } = document;
    etagged(ctx, document, identity);
  });

  /** The country signing authority (EU DCC CSCA), PEM, for verifier apps to pin. */
  api.get('/authority.pem', publicDocument(3600), async (ctx) => {
    const der = await resolve(ctx, CertificateService).keys.authorityCertificate();
    if (!der) throw new NotFoundError('this tenant has no signing authority');
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    ctx.type = 'application/x-pem-file';
    ctx.body = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  });

  api.get('/revocations', publicDocument(60), async (ctx) => {
    const list = await resolve(ctx, CertificateService).revocations();
    etagged(ctx, list, list.revoked);
  });

  api.options('/verify', (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Access-Control-Allow-Methods', 'POST');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type, Accept-Language');
    ctx.set('Access-Control-Max-Age', '86400');
    ctx.status = 204;
  });

  api.post('/verify', noStore, async (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    await resolve<RateLimiter>(ctx, TOKENS.RateLimiter).hit(`certificate-verify:ip:${ctx.ip}`, VERIFY_PER_IP_PER_MINUTE, 60);
    const { payload } = validate(VerifyRequest, ctx.request.body);
    const service = resolve(ctx, CertificateService);
    ctx.body = verificationAnswer(await verifyPayload(payload, await service.trustList()), ctx.state.t);
  });

  api.get('/', noStore, requireCitizen(), async (ctx) => {
    ctx.body = { certificates: await resolve(ctx, CertificateService).list(ctx.state.citizen!.accountId) };
  });

  api.get('/:id', noStore, requireCitizen(), async (ctx) => {
    // `{id}.pdf`: the printable certificate (an id never ends in ".pdf": its check character is one character).
    if (ctx.params.id.endsWith('.pdf')) return sendCertificatePdf(ctx, ctx.params.id.slice(0, -4));
    ctx.body = await resolve(ctx, CertificateService).get(ctx.state.citizen!.accountId, ctx.params.id);
  });

  api.get('/:id/qr/:file', noStore, requireCitizen(), async (ctx) => {
    const match = /^(eu-dcc|shc|w3c-vc)\.(png|svg)$/.exec(ctx.params.file);
    if (!match) throw new NotFoundError('no such QR code');
    const issued = await resolve(ctx, CertificateService).payload(ctx.state.citizen!.accountId, ctx.params.id, match[1] as FormatId);
    const spec = issued.qr[Number(ctx.query.index ?? 0)];
    if (!spec) throw new NotFoundError('this format has no QR code');
    ctx.type = match[2] === 'png' ? 'image/png' : 'image/svg+xml';
    ctx.body = await qrImage(spec, match[2] as 'png' | 'svg');
  });

  api.post('/:id/corrections', noStore, requireCitizen(), async (ctx) => {
    const body = validate(CorrectionRequest, ctx.request.body);
    ctx.status = 201;
    ctx.body = await resolve(ctx, CertificateService).requestCorrection(ctx.state.citizen!.accountId, ctx.params.id, body);
  });

  api.get('/:id/corrections', noStore, requireCitizen(), async (ctx) => {
    ctx.body = { corrections: await resolve(ctx, CertificateService).corrections(ctx.state.citizen!.accountId, ctx.params.id) };
  });

  const staff = new Router<AppState>({ prefix: '/api/v1/staff/certificates' });
  staff.use(noStore, requireStaff());

  staff.get('/corrections', async (ctx) => {
    const { state } = validate(CorrectionQuery, { ...ctx.query });
    ctx.body = { corrections: await resolve(ctx, CorrectionDesk).list(await currentStaff(ctx), state) };
  });

  staff.post('/corrections/:id/approve', async (ctx) => {
    ctx.body = await resolve(ctx, CorrectionDesk).approve(await currentStaff(ctx), correctionParam(ctx));
  });

  staff.post('/corrections/:id/reject', async (ctx) => {
    ctx.body = await resolve(ctx, CorrectionDesk).reject(await currentStaff(ctx), correctionParam(ctx));
  });

  /** Retires the format's key (still published until its end) and signs with a new one from now on. */
  staff.post('/keys/rotate', async (ctx) => {
    const actor = await currentStaff(ctx);
    if (!actor.roles.some((grant) => grant.role === 'tenant-admin' || grant.role === 'platform-operator')) throw new ForbiddenError();
    const { format } = validate(RotateRequest, ctx.request.body);
    const service = resolve(ctx, CertificateService);
    if (!service.keys || !tenantScope(ctx).tenant.config.certificates.formats.includes(format)) {
      throw new NotFoundError('this tenant does not issue that format');
    }
    const store: SigningKeyStore = service.keys;
    const kid = await store.rotate(format);
    ctx.body = {
      format,
      kid: (await store.published(service.issuerUrl)).find((key) => key.state === 'active' && key.format === format)?.kid ?? kid,
    };
  });

  router.use(api.routes(), staff.routes());
  return router;
}

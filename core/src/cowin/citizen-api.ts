import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import svgCaptcha from 'svg-captcha';
import type { InjectionToken } from 'tsyringe';
import { CertificateService } from '../certificates/certificate-service.js';
import { sendCertificatePdf } from '../certificates/pages.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, TeekaError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { Account } from '../registration/account.entity.js';
import { requireCitizen } from '../registration/auth.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import { OtpService } from '../registration/otp-service.js';
import { type AppointmentView, BookingService } from '../scheduling/booking-service.js';
import { FacilityService, type FacilityView } from '../scheduling/facility-service.js';
import { appointmentOf } from '../scheduling/pages.js';
import { slipPdf } from '../scheduling/slip-pdf.js';
import { areaIndex, centreFields, cowinDate, type Projection } from './centres.js';
import { CowinInputError, cowinErrors, integer, scopes } from './public-api.js';

/**
 * Co-WIN's protected citizen API (spec 2.1, as production served it) at `/cowin/v2`: sign-in in
 * each of its forms, the account's beneficiaries, and booking, rescheduling and cancelling. Every
 * call goes to the native services (OTP, beneficiaries, BookingService): no second booking path.
 * A token from any sign-in works on every Bearer endpoint, native or Co-WIN: an HS256 JWT with `exp`.
 */

const GENDERS = [
  { id: 1, code: 'M', name: 'Male' },
  { id: 2, code: 'F', name: 'Female' },
  { id: 3, code: 'O', name: 'Others' },
] as const;

const TTL = 24;

function body(ctx: AppContext): Record<string, unknown> {
  const value = ctx.request.body;
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A body field that must be a non-empty string (Co-WIN sent numbers as strings and sometimes as numbers). */
function field(ctx: AppContext, name: string): string {
  const value = body(ctx)[name];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.trim() === '') throw new CowinInputError('missing', name);
  return value.trim();
}

function digest(ctx: AppContext): string {
  const otp = field(ctx, 'otp');
  if (!/^[0-9a-fA-F]{64}$/.test(otp)) throw new CowinInputError('invalid', 'otp');
  return otp;
}

function uuid(ctx: AppContext, name: string): string {
  const value = field(ctx, name);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new CowinInputError('invalid', name);
  return value;
}

/** "******1403": the account's number as Co-WIN showed it. */
function masked(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `******${digits.slice(-4)}`;
}

/** The account's booked appointments that one Co-WIN appointment id stands for: everyone booked into that session together. */
async function group(ctx: AppContext, appointmentId: string): Promise<AppointmentView[]> {
  const accountId = ctx.state.citizen!.accountId;
  const all = await tenantScope(ctx).container.resolve(BookingService).list(accountId);
  const named = all.find((a) => a.id === appointmentId);
  if (!named) throw new NotFoundError('no such appointment');
  return all.filter((a) => a.state === 'booked' && a.sessionId === named.sessionId);
}

export function cowinCitizenRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/cowin/v2' });
  router.use(cowinErrors);
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);

  // Sign-in: the public form, the partner form (an x-api-key header is accepted, not required)
  // and the citizen web app's form (its `secret` is an opaque client credential: any non-empty text).
  for (const path of ['/auth/public/generateOTP', '/auth/generateOTP', '/auth/generateMobileOTP']) {
    router.post(path, async (ctx) => {
      const mobile = field(ctx, 'mobile');
      if (path.endsWith('MobileOTP')) field(ctx, 'secret');
      ctx.body = await resolve(ctx, OtpService).generate(mobile);
    });
  }
  for (const path of ['/auth/public/confirmOTP', '/auth/confirmOTP', '/auth/validateMobileOtp']) {
    router.post(path, async (ctx) => {
      const otp = digest(ctx);
      const txnId = uuid(ctx, 'txnId');
      const { token, isNewAccount } = await resolve(ctx, OtpService).confirmDigest(txnId, otp, ctx.state.lng);
      ctx.body = path === '/auth/confirmOTP' ? { token, isNewAccount: isNewAccount ? 'Y' : 'N' } : { token };
    });
  }

  router.get('/registration/beneficiary/idTypes', requireCitizen(), (ctx) => {
    const { tenant } = tenantScope(ctx);
    const english = tenant.i18n.getFixedT('en');
    const types = resolve(ctx, BeneficiaryService).documentTypes();
    const localised = ctx.get('Accept-Language').trim() !== '';
    ctx.body = {
      types: types.map((type, index) => ({
        type: english(type.labelKey),
        ...(localised ? { type_l: ctx.state.t(type.labelKey) } : {}),
        id: index + 1,
        code: type.type,
      })),
      ttl: TTL,
    };
  });

  router.get('/registration/beneficiary/genders', requireCitizen(), (ctx) => {
    const localised = ctx.get('Accept-Language').trim() !== '';
    ctx.body = {
      genders: GENDERS.map((g) => ({
        gender: g.name,
        ...(localised ? { gender_l: ctx.state.t(`registration:gender.${g.code}`) } : {}),
        id: g.id,
      })),
      ttl: TTL,
    };
  });

  router.post('/registration/beneficiary/new', requireCitizen(), async (ctx) => {
    const people = resolve(ctx, BeneficiaryService);
    const types = people.documentTypes();
    const idType = field(ctx, 'photo_id_type');
    // Co-WIN's numeric id from idTypes, or the type's own code.
    const type = /^\d+$/.test(idType) ? types[Number(idType) - 1]?.type : types.find((t) => t.type === idType)?.type;
    if (!type) throw new CowinInputError('invalid', 'photo_id_type');
    const gender = GENDERS.find((g) => String(g.id) === field(ctx, 'gender_id'));
    if (!gender) throw new CowinInputError('invalid', 'gender_id');
    const birthYear = integer(ctx, 'birth_year', field(ctx, 'birth_year'));
    const comorbidity = body(ctx).comorbidity_ind === undefined ? 'N' : field(ctx, 'comorbidity_ind').toUpperCase();
    if (comorbidity !== 'Y' && comorbidity !== 'N') throw new CowinInputError('invalid', 'comorbidity_ind');
    const config = tenantScope(ctx).container.resolve<TenantConfig>(TOKENS.TenantConfig);
    const created = await people.create(ctx.state.citizen!.accountId, {
      name: field(ctx, 'name'),
      gender: gender.code,
      birthYear,
      document: { type, number: field(ctx, 'photo_id_number') },
      // Co-WIN only asked whether there is one; which one is checked at the centre.
      comorbidities: comorbidity === 'Y' ? ['other'] : [],
      consentVersion: typeof body(ctx).consent_version === 'string' ? field(ctx, 'consent_version') : config.registration.consentVersion,
    });
    ctx.body = { beneficiary_reference_id: created.referenceId };
  });

  router.post('/registration/beneficiary/delete', requireCitizen(), async (ctx) => {
    await resolve(ctx, BeneficiaryService).remove(ctx.state.citizen!.accountId, field(ctx, 'beneficiary_reference_id'));
    ctx.status = 204;
  });

  router.get('/appointment/beneficiaries', requireCitizen(), async (ctx) => {
    const accountId = ctx.state.citizen!.accountId;
    const { em, container } = tenantScope(ctx);
    const tenant = container.resolve<TenantConfig>(TOKENS.TenantConfig);
    const crypto = container.resolve<TenantCrypto>(TOKENS.Crypto);
    const account = await em.findOneOrFail(Account, { id: accountId });
    const mobile = masked(crypto.decrypt(Buffer.from(account.phoneEnc)));
    const people = await resolve(ctx, BeneficiaryService).list(accountId);
    const doses = await dosesOf(em, accountId);
    const appointments = (await resolve(ctx, BookingService).list(accountId)).filter((a) => a.state === 'booked');
    const { english } = scopes(ctx);
    const facilities = new Map<number, FacilityView>();
    for (const id of new Set(appointments.map((a) => a.facilityId))) facilities.set(id, await english.resolve(FacilityService).get(id));
    const projection: Projection = { tenant, areas: await areaIndex(em, undefined) };
    const inEnglish = tenantScope(ctx).tenant.i18n.getFixedT('en');
    const typeLabels = new Map(
      resolve(ctx, BeneficiaryService)
        .documentTypes()
        .map((t) => [t.type, inEnglish(t.labelKey)]),
    );
    ctx.body = {
      beneficiaries: people.map((person) => {
        const given = doses.filter((d) => d.reference_id === person.referenceId);
        const series = tenant.vaccines.find((v) => v.code === given[0]?.vaccine)?.doses ?? 2;
        const status = given.length === 0 ? 'Not Vaccinated' : given.length < series ? 'Partially Vaccinated' : 'Vaccinated';
        const on = (dose: number) => given.find((d) => d.dose_number === dose)?.given_on;
        return {
          beneficiary_reference_id: person.referenceId,
          name: person.name,
          birth_year: String(person.birthYear),
          gender: GENDERS.find((g) => g.code === person.gender)?.name ?? 'Others',
          mobile_number: mobile,
          photo_id_type: typeLabels.get(person.document.type) ?? person.document.type,
          photo_id_number: person.document.masked,
          comorbidity_ind: person.comorbidities.length > 0 ? 'Y' : 'N',
          vaccination_status: status,
          vaccine: given[0] ? (tenant.vaccines.find((v) => v.code === given[0].vaccine)?.name ?? given[0].vaccine).toUpperCase() : '',
          dose1_date: on(1) ? cowinDate(on(1)!) : '',
          dose2_date: on(2) ? cowinDate(on(2)!) : '',
          appointments: appointments
            .filter((a) => a.beneficiary === person.referenceId)
            .map((a) => ({
              ...centreFields(facilities.get(a.facilityId)!, projection),
              appointment_id: a.id,
              session_id: a.sessionId,
              date: cowinDate(a.date),
              slot: a.slot,
              dose: a.dose,
            })),
        };
      }),
    };
  });

  // Clients call this before every booking whether or not the captcha is checked: always answered.
  router.post('/auth/getRecaptcha', requireCitizen(), async (ctx) => {
    const { container, em } = tenantScope(ctx);
    const crypto = container.resolve<TenantCrypto>(TOKENS.Crypto);
    const captcha = svgCaptcha.create({ size: 5, noise: 2, ignoreChars: '0oO1iIlL' });
    const sessionId = ctx.state.citizen!.sessionId;
    await em.execute(
      `insert into cowin_captcha (session_id, answer_hash, created_at) values (?, ?, now())
       on conflict (session_id) do update set answer_hash = excluded.answer_hash, created_at = now()`,
      [sessionId, crypto.keyedHash('cowin-captcha', `${sessionId}:${captcha.text.toLowerCase()}`)],
      'run',
    );
    ctx.body = { captcha: captcha.data };
  });

  router.post('/appointment/schedule', requireCitizen(), async (ctx) => {
    const sessionId = uuid(ctx, 'session_id');
    const slot = field(ctx, 'slot');
    integer(ctx, 'dose', field(ctx, 'dose'));
    const people = body(ctx).beneficiaries;
    if (!Array.isArray(people) || people.length === 0 || !people.every((p) => typeof p === 'string')) {
      throw new CowinInputError('missing', 'beneficiaries');
    }
    if (tenantScope(ctx).container.resolve<TenantConfig>(TOKENS.TenantConfig).cowin.captcha) await checkCaptcha(ctx);
    const key = ctx.get('Idempotency-Key') || undefined;
    const { booked } = await resolve(ctx, BookingService).book(
      ctx.state.citizen!.accountId,
      { sessionId, slot, beneficiaries: people as string[] },
      key,
    );
    // One confirmation for the booking, as Co-WIN gave (its spec named it appointment_id: both are sent).
    const first = booked.appointments[0].id;
    ctx.body = { appointment_confirmation_no: first, appointment_id: first };
  });

  router.post('/appointment/reschedule', requireCitizen(), async (ctx) => {
    const appointmentId = uuid(ctx, 'appointment_id');
    const sessionId = uuid(ctx, 'session_id');
    const slot = field(ctx, 'slot');
    const together = (await group(ctx, appointmentId)).map((a) => a.id);
    await resolve(ctx, BookingService).rescheduleTogether(ctx.state.citizen!.accountId, together, { sessionId, slot });
    ctx.status = 204;
  });

  router.post('/appointment/cancel', requireCitizen(), async (ctx) => {
    const appointmentId = uuid(ctx, 'appointment_id');
    const only = body(ctx).beneficiariesToCancel;
    const chosen = Array.isArray(only) && only.length > 0 ? new Set(only.map(String)) : undefined;
    const targets = (await group(ctx, appointmentId)).filter((a) => !chosen || chosen.has(a.beneficiary));
    if (targets.length === 0) throw new CowinInputError('invalid', 'beneficiariesToCancel');
    const bookings = resolve(ctx, BookingService);
    for (const appointment of targets) await bookings.cancel(ctx.state.citizen!.accountId, appointment.id);
    ctx.status = 204;
  });

  // Downloads as PDF: the beneficiary's current certificate (both of Co-WIN's paths) and an appointment slip.
  for (const path of ['/registration/certificate/public/download', '/registration/certificate/download']) {
    router.get(path, requireCitizen(), async (ctx) => {
      const reference = typeof ctx.query.beneficiary_reference_id === 'string' ? ctx.query.beneficiary_reference_id : '';
      if (!reference) throw new CowinInputError('missing', 'beneficiary_reference_id');
      const certificates = await resolve(ctx, CertificateService).list(ctx.state.citizen!.accountId);
      const current = certificates.find((c) => c.beneficiary === reference && c.state === 'active');
      if (!current) throw new NotFoundError('no certificate for this beneficiary');
      await sendCertificatePdf(ctx, current.certificateId);
    });
  }

  router.get('/appointment/appointmentslip/download', requireCitizen(), async (ctx) => {
    const id = typeof ctx.query.appointment_id === 'string' ? ctx.query.appointment_id : '';
    if (!id) throw new CowinInputError('missing', 'appointment_id');
    const slip = await appointmentOf(ctx, id);
    ctx.type = 'application/pdf';
    ctx.attachment(`appointment-${slip.id}.pdf`);
    ctx.body = await slipPdf(tenantScope(ctx).tenant, ctx.state.lng, slip, ctx.state.t);
  });

  return router;
}

/** The answer to this login's last captcha, used once; a wrong or missing one is Co-WIN's APPOIN0044. */
async function checkCaptcha(ctx: AppContext): Promise<void> {
  const { container, em } = tenantScope(ctx);
  const crypto = container.resolve<TenantCrypto>(TOKENS.Crypto);
  const sessionId = ctx.state.citizen!.sessionId;
  const answer = typeof body(ctx).captcha === 'string' ? String(body(ctx).captcha).trim().toLowerCase() : '';
  const [row] = await em.execute<{ answer_hash: string }[]>(
    `delete from cowin_captcha where session_id = ? and created_at > now() - interval '10 minutes' returning answer_hash`,
    [sessionId],
  );
  if (!row || !answer || !crypto.sameHash(row.answer_hash, crypto.keyedHash('cowin-captcha', `${sessionId}:${answer}`))) {
    throw new CaptchaError();
  }
}

class CaptchaError extends TeekaError {
  constructor() {
    super('captcha-invalid', 400, 'the captcha answer is wrong');
  }
}

async function dosesOf(em: EntityManager, accountId: string) {
  return em.execute<{ reference_id: string; vaccine: string; dose_number: number; given_on: string }[]>(
    `select b.reference_id, d.vaccine, d.dose_number, to_char(d.given_on, 'YYYY-MM-DD') as given_on
     from dose_record d join beneficiary b on b.id = d.beneficiary_id
     where b.account_id = ? and d.state <> 'voided'
     order by d.dose_number`,
    [accountId],
  );
}

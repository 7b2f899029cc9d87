import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import type { Settings } from '../kernel/config/settings.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, type TeekaError } from '../kernel/errors.js';
import {
  asciiDigits,
  type FormProblem,
  formBody,
  formProblem,
  noStore,
  renderPage,
  seeOther,
  submitForm,
  text,
} from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireCitizen, SESSION_COOKIE } from './auth.js';
import { BeneficiaryChanges, NewBeneficiary, OtpConfirmation, OtpRequest } from './beneficiary-schemas.js';
import { BeneficiaryService, type BeneficiaryView } from './beneficiary-service.js';
import { OtpService } from './otp-service.js';
import { isReferenceId } from './reference-id.js';
import { SessionService } from './session-service.js';

/** The form field (element id) each API path of a field error belongs to, and its label; in page order. */
const FIELDS: Record<string, { id: string; label: string }> = {
  '/mobile': { id: 'mobile', label: 'registration:signIn.mobile' },
  '/otp': { id: 'otp', label: 'registration:verify.otp' },
  '/name': { id: 'name', label: 'registration:form.name' },
  '/gender': { id: 'gender', label: 'registration:form.gender' },
  '/birthYear': { id: 'birthYear', label: 'registration:form.birthYear' },
  '/birthDate': { id: 'birthDate', label: 'registration:form.birthDate' },
  '/document/type': { id: 'documentType', label: 'registration:form.documentType' },
  '/document': { id: 'documentNumber', label: 'registration:form.documentNumber' },
  '/document/number': { id: 'documentNumber', label: 'registration:form.documentNumber' },
  '/comorbidities': { id: 'comorbidities', label: 'registration:form.comorbidities' },
  '/consentVersion': { id: 'consent', label: 'registration:form.consentLabel' },
};

const FIELD_ORDER = [...new Set(Object.values(FIELDS).map((field) => field.id))];

/** `/comorbidities/2` belongs to `/comorbidities`: the nearest known ancestor of a path. */
function fieldOf(path: string): { id: string; label: string } | undefined {
  for (let parts = path.split('/'); parts.length > 1; parts.pop()) {
    const found = FIELDS[parts.join('/')];
    if (found) return found;
  }
  return undefined;
}

/** A refusal as the registration forms show it: messages by field, in the page's order. */
function problemOf(ctx: AppContext, error: TeekaError): FormProblem {
  const { t } = ctx.state;
  return formProblem(
    ctx,
    error,
    (path) => {
      const field = fieldOf(path);
      return field && { id: field.id, label: t(field.label) };
    },
    FIELD_ORDER,
  );
}

/** Runs what a form asks for; a service's refusal shows the form again with its messages. */
function submit(ctx: AppContext, action: () => Promise<void>, showForm: (problem: FormProblem) => Promise<void> | void) {
  return submitForm(ctx, action, (error) => showForm(problemOf(ctx, error)));
}

const resolve = <T>(ctx: AppContext, service: InjectionToken<T>): T => tenantScope(ctx).container.resolve(service);

/** Drops the keys whose value is undefined: an empty optional field is not sent at all. */
function present(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function sessionCookieOptions(ctx: AppContext) {
  const { tenant } = tenantScope(ctx);
  const secure = tenant.container.resolve<Settings>(TOKENS.Settings).mode === 'production';
  return { httpOnly: true, sameSite: 'lax' as const, secure, overwrite: true };
}

function accountOf(ctx: AppContext): string {
  return ctx.state.citizen!.accountId;
}

function referenceParam(ctx: AppContext & { params: Record<string, string> }): string {
  const referenceId = ctx.params.referenceId;
  if (!isReferenceId(referenceId)) throw new NotFoundError('no such beneficiary');
  return referenceId;
}

// ---- sign-in ----

function showSignIn(ctx: AppContext, mobile = '', problem?: FormProblem): void {
  const { tenant } = tenantScope(ctx);
  renderPage(ctx, 'sign-in', {
    title: ctx.state.t('registration:signIn.title'),
    country: tenant.countryName(ctx.state.lng),
    mobile,
    problem,
    errors: problem?.fields ?? {},
  });
}

function showVerify(ctx: AppContext, txnId: string, problem?: FormProblem): void {
  renderPage(ctx, 'sign-in-verify', { title: ctx.state.t('registration:verify.title'), txnId, problem, errors: problem?.fields ?? {} });
}

// ---- beneficiaries ----

/** A beneficiary form as posted: text as typed, checkboxes as lists. */
interface FormValues {
  name: string;
  gender: string;
  birthYear: string;
  birthDate: string;
  documentType: string;
  /** Only ever sent to the service; never put back into a page. */
  documentNumber: string;
  comorbidities: string[];
  consent: boolean;
}

function formValues(ctx: AppContext): FormValues {
  const form = formBody(ctx);
  const checked = (Array.isArray(form.comorbidities) ? form.comorbidities : [form.comorbidities]).map(text).filter(Boolean);
  return {
    name: text(form.name).trim(),
    gender: text(form.gender),
    birthYear: asciiDigits(text(form.birthYear)).trim(),
    birthDate: text(form.birthDate).trim(),
    documentType: text(form.documentType),
    documentNumber: text(form.documentNumber).trim(),
    comorbidities: [...new Set(checked)],
    consent: text(form.consent) === 'yes',
  };
}

const optional = (value: string): string | undefined => (value === '' ? undefined : value);
const integer = (value: string): number | string | undefined => (/^[0-9]{1,6}$/.test(value) ? Number(value) : optional(value));

/** The form in the shape of the API's NewBeneficiary. */
function newBeneficiary(values: FormValues, consentVersion: string): unknown {
  return present({
    name: optional(values.name),
    gender: optional(values.gender),
    birthYear: integer(values.birthYear),
    birthDate: optional(values.birthDate),
    document: present({ type: optional(values.documentType), number: optional(values.documentNumber) }),
    comorbidities: values.comorbidities,
    consentVersion: values.consent ? consentVersion : undefined,
  });
}

/**
 * The form in the shape of the API's BeneficiaryChanges. The edit form shows every field, so an
 * emptied date of birth is removed and unticked conditions are cleared. An empty document number
 * keeps the registered document, unless its type was changed.
 */
function beneficiaryChanges(values: FormValues, current: BeneficiaryView): unknown {
  const documentChanged = values.documentNumber !== '' || values.documentType !== current.document.type;
  return present({
    name: optional(values.name),
    gender: optional(values.gender),
    birthYear: integer(values.birthYear),
    birthDate: optional(values.birthDate) ?? null,
    document: documentChanged ? present({ type: optional(values.documentType), number: optional(values.documentNumber) }) : undefined,
    comorbidities: values.comorbidities,
  });
}

const EMPTY_FORM: FormValues = {
  name: '',
  gender: '',
  birthYear: '',
  birthDate: '',
  documentType: '',
  documentNumber: '',
  comorbidities: [],
  consent: false,
};

function valuesOf(view: BeneficiaryView): FormValues {
  return {
    name: view.name,
    gender: view.gender,
    birthYear: String(view.birthYear),
    birthDate: view.birthDate ?? '',
    documentType: view.document.type,
    documentNumber: '',
    comorbidities: view.comorbidities,
    consent: true,
  };
}

function documentTypes(ctx: AppContext) {
  return resolve(ctx, BeneficiaryService)
    .documentTypes()
    .map(({ type, labelKey, example }) => ({ type, label: ctx.state.t(labelKey), example }));
}

async function showList(ctx: AppContext, problem?: FormProblem): Promise<void> {
  const { tenant } = tenantScope(ctx);
  const { t } = ctx.state;
  const people = await resolve(ctx, BeneficiaryService).list(accountOf(ctx));
  const labels = new Map(documentTypes(ctx).map(({ type, label }) => [type, label]));
  const limit = tenant.config.limits.beneficiariesPerAccount;
  renderPage(ctx, 'beneficiaries', {
    title: t('registration:beneficiaries.title'),
    beneficiaries: people.map((person) => ({
      referenceId: person.referenceId,
      name: person.name,
      gender: person.gender,
      birthYear: person.birthYear,
      documentLabel: labels.get(person.document.type) ?? person.document.type,
      masked: person.document.masked,
    })),
    canAdd: people.length < limit,
    limit,
    problem,
  });
}

function showForm(ctx: AppContext, values: FormValues, current?: BeneficiaryView, problem?: FormProblem): void {
  const { tenant } = tenantScope(ctx);
  const { t } = ctx.state;
  const types = documentTypes(ctx);
  const chosenType = values.documentType || types[0]?.type;
  const checked = new Set(values.comorbidities);
  renderPage(ctx, 'beneficiary-form', {
    title: current ? t('registration:form.editTitle') : t('registration:form.addTitle'),
    action: current ? `/beneficiaries/${current.referenceId}` : '/beneficiaries',
    editing: Boolean(current),
    masked: current?.document.masked,
    // What was typed comes back, except the document number: the person types it again.
    values: { name: values.name, gender: values.gender, birthYear: values.birthYear, birthDate: values.birthDate, consent: values.consent },
    retypeDocument: problem !== undefined && values.documentNumber !== '',
    documentTypes: types.map((type) => ({ ...type, selected: type.type === chosenType })),
    severalDocumentTypes: types.length > 1,
    comorbidities: tenant.config.registration.comorbidities.map((code) => ({
      code,
      label: t(`registration:comorbidity.${code}`, { defaultValue: code }),
      checked: checked.has(code),
    })),
    problem,
    errors: problem?.fields ?? {},
  });
}

/** Server-rendered pages for citizens: OTP sign-in and the people registered under the account. */
export function citizenPageRoutes(): Router<AppState> {
  const router = new Router<AppState>();

  router.get('/sign-in', noStore, (ctx) => showSignIn(ctx));

  router.post('/sign-in', noStore, async (ctx) => {
    const mobile = text(formBody(ctx).mobile);
    await submit(
      ctx,
      async () => {
        const input = validate(OtpRequest, present({ mobile: optional(mobile.trim()) }));
        const { txnId } = await resolve(ctx, OtpService).generate(input.mobile);
        seeOther(ctx, `/sign-in/verify?txn=${encodeURIComponent(txnId)}`);
      },
      (problem) => showSignIn(ctx, mobile, problem),
    );
  });

  router.get('/sign-in/verify', noStore, (ctx) => {
    const txnId = text(ctx.query.txn);
    if (txnId === '') return ctx.redirect('/sign-in');
    showVerify(ctx, txnId);
  });

  router.post('/sign-in/verify', noStore, async (ctx) => {
    const form = formBody(ctx);
    const txnId = text(form.txnId);
    await submit(
      ctx,
      async () => {
        const otp = optional(asciiDigits(text(form.otp)).trim());
        const input = validate(OtpConfirmation, present({ txnId: optional(txnId), otp }));
        const { token } = await resolve(ctx, OtpService).confirm(input.txnId, input.otp, ctx.state.lng);
        const { tenant } = tenantScope(ctx);
        ctx.cookies.set(SESSION_COOKIE, token, {
          ...sessionCookieOptions(ctx),
          maxAge: tenant.config.limits.citizenSessionSeconds * 1000,
        });
        seeOther(ctx, '/beneficiaries');
      },
      (problem) => showVerify(ctx, txnId, problem),
    );
  });

  router.post('/sign-out', noStore, requireCitizen(), async (ctx) => {
    await resolve(ctx, SessionService).revoke(ctx.state.citizen!.sessionId);
    ctx.cookies.set(SESSION_COOKIE, null, sessionCookieOptions(ctx));
    seeOther(ctx, '/');
  });

  router.get('/beneficiaries', noStore, requireCitizen(), (ctx) => showList(ctx));

  router.get('/beneficiaries/new', noStore, requireCitizen(), (ctx) => showForm(ctx, EMPTY_FORM));

  router.post('/beneficiaries', noStore, requireCitizen(), async (ctx) => {
    const { tenant } = tenantScope(ctx);
    const values = formValues(ctx);
    await submit(
      ctx,
      async () => {
        const input = validate(NewBeneficiary, newBeneficiary(values, tenant.config.registration.consentVersion));
        await resolve(ctx, BeneficiaryService).create(accountOf(ctx), input);
        seeOther(ctx, '/beneficiaries');
      },
      (problem) => showForm(ctx, values, undefined, problem),
    );
  });

  router.get('/beneficiaries/:referenceId/edit', noStore, requireCitizen(), async (ctx) => {
    const current = await resolve(ctx, BeneficiaryService).get(accountOf(ctx), referenceParam(ctx));
    showForm(ctx, valuesOf(current), current);
  });

  router.post('/beneficiaries/:referenceId', noStore, requireCitizen(), async (ctx) => {
    const service = resolve(ctx, BeneficiaryService);
    const current = await service.get(accountOf(ctx), referenceParam(ctx));
    const values = formValues(ctx);
    await submit(
      ctx,
      async () => {
        const changes = validate(BeneficiaryChanges, beneficiaryChanges(values, current));
        await service.update(accountOf(ctx), current.referenceId, changes);
        seeOther(ctx, '/beneficiaries');
      },
      (problem) => showForm(ctx, values, current, problem),
    );
  });

  router.post('/beneficiaries/:referenceId/delete', noStore, requireCitizen(), async (ctx) => {
    const referenceId = referenceParam(ctx);
    await submit(
      ctx,
      async () => {
        await resolve(ctx, BeneficiaryService).remove(accountOf(ctx), referenceId);
        seeOther(ctx, '/beneficiaries');
      },
      (problem) => showList(ctx, problem),
    );
  });

  return router;
}

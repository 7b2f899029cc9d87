import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import { InventoryService } from '../inventory/inventory-service.js';
import { NotFoundError, type TeekaError } from '../kernel/errors.js';
import {
  asciiDigits,
  type FieldOf,
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
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import type { Grant } from '../registration/staff/permissions.js';
import { currentStaff, type StaffContext } from '../registration/staff/staff-context.js';
import { dayLabel, doseLabel, formatsOf } from '../scheduling/page-views.js';
import { requireStaffPage } from '../scheduling/staff-pages.js';
import { CentreDay } from '../vaccination/centre-day.js';
import { CheckInService, type PersonAtCentre } from '../vaccination/check-in-service.js';
import { DoseRecording } from '../vaccination/dose-recording.js';
import { CodeVerification, DocumentVerification, NewDose, WalkIn } from '../vaccination/schemas.js';
import { chosenFacility, facilityParam } from './centre-facilities.js';
import { findPerson, personFacts, sessionView, siteOptions } from './day-views.js';
import { batchOption } from './stock-views.js';

/** Everyone who vaccinates at a centre: its vaccinators and manager, district officers, administrators. */
const VACCINATE_ROLES: ReadonlySet<Grant['role']> = new Set([
  'platform-operator',
  'tenant-admin',
  'district-officer',
  'facility-manager',
  'vaccinator',
]);
type Values = Record<string, string>;

const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);
const uuid = (value: string | undefined) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value ?? '') ? value!.toLowerCase() : undefined;
const digits = (value: string | undefined) => asciiDigits(value ?? '').trim();

function valuesOf(ctx: AppContext, keys: string[]): Values {
  const body = formBody(ctx);
  return Object.fromEntries(keys.map((key) => [key, text(body[key])]));
}

/** The centre a page is about, with today at it; 404 for a centre the staff member does not work at. */
async function today(ctx: AppContext, actor: StaffContext, asked: unknown) {
  const { facility, choices } = await chosenFacility(ctx, actor, VACCINATE_ROLES, asked);
  const id = facilityParam(asked);
  if (!facility || (id !== undefined && id !== facility.id)) return { choices };
  const day = await resolve(ctx, CentreDay).day(actor, facility.id);
  return { facility: { id: facility.id, name: facility.name }, choices, day };
}

/** Field errors of the desk forms by API path, with their labels (registration's for the person's details). */
const LABELS: Record<string, [string, string]> = {
  securityCode: ['securityCode', 'centre:verify.code'],
  'document/type': ['documentType', 'registration:form.documentType'],
  document: ['documentNumber', 'registration:form.documentNumber'],
  'document/number': ['documentNumber', 'registration:form.documentNumber'],
  name: ['name', 'registration:form.name'],
  gender: ['gender', 'registration:form.gender'],
  birthYear: ['birthYear', 'registration:form.birthYear'],
  mobile: ['mobile', 'centre:walkIn.mobile'],
  consentVersion: ['consent', 'registration:form.consentLabel'],
  batchId: ['batchId', 'centre:dose.batch'],
  injectionSite: ['injectionSite', 'centre:dose.site'],
  doseNumber: ['doseNumber', 'centre:dose.doseNumber'],
};
const ORDER = [...new Set(Object.values(LABELS).map(([id]) => id))];

function problemOf(ctx: AppContext, error: TeekaError): FormProblem {
  const fieldOf: FieldOf = (path) => {
    const found = LABELS[path.slice(1)] ?? LABELS[path.split('/')[1]];
    return found && { id: found[0], label: ctx.state.t(found[1]) };
  };
  return formProblem(ctx, error, fieldOf, ORDER);
}

function documentTypes(ctx: AppContext, chosen: string) {
  const types = resolve(ctx, BeneficiaryService).documentTypes();
  return types.map(({ type, labelKey, example }, index) => ({
    type,
    label: ctx.state.t(labelKey),
    example,
    selected: chosen ? type === chosen : index === 0,
  }));
}

/** Where a verified person goes next: the dose form, with the dose their appointment or schedule says. */
function doseUrl(facilityId: string, sessionId: string, person: PersonAtCentre): string {
  const dose = person.appointment?.dose ?? (person.due.status === 'due' ? person.due.doseNumber : undefined);
  return `/staff/day/dose?facility=${facilityParam(facilityId)}&session=${sessionId}&person=${person.referenceId}${dose ? `&dose=${dose}` : ''}`;
}

async function showDay(ctx: AppContext, actor: StaffContext): Promise<void> {
  const { t } = ctx.state;
  const { facility, choices, day } = await today(ctx, actor, ctx.query.facility);
  if (!facility || !day) {
    if (ctx.query.facility !== undefined && choices.length > 0) throw new NotFoundError('not a centre of this member of staff');
    return renderPage(ctx, 'staff-day', { title: t('centre:day.title'), section: 'day', noFacility: true });
  }
  const f = formatsOf(ctx);
  renderPage(ctx, 'staff-day', {
    title: t('centre:day.title'),
    section: 'day',
    facility,
    choices: choices.length > 1 ? choices : undefined,
    today: dayLabel(f, day.date),
    sessions: day.sessions.map((session) => sessionView(f, session)),
    recorded: text(ctx.query.done) === 'dose',
  });
}

/** A desk page about one session (and maybe one person in it): 404 unless it is today's at the centre. */
async function deskContext(ctx: AppContext, actor: StaffContext, values: Values) {
  const { facility, day } = await today(ctx, actor, values.facility);
  if (!facility || !day) throw new NotFoundError('not a centre of this member of staff');
  const session = day.sessions.find((s) => s.id === uuid(values.session));
  return { facility, day, session };
}

async function showVerify(ctx: AppContext, actor: StaffContext, values: Values, problem?: FormProblem): Promise<void> {
  const { facility, day } = await deskContext(ctx, actor, values);
  const found = findPerson(day, { appointmentId: uuid(values.appointment) });
  if (!found) throw new NotFoundError('no such appointment today');
  renderPage(ctx, 'staff-day-verify', {
    title: ctx.state.t('centre:verify.title'),
    section: 'day',
    facility,
    session: { id: found.session.id },
    appointment: values.appointment,
    person: personFacts(formatsOf(ctx), found.session, found.person),
    locked: problem !== undefined && ctx.status === 409,
    problem,
    errors: problem?.fields ?? {},
  });
}

async function showDocument(ctx: AppContext, actor: StaffContext, values: Values, problem?: FormProblem): Promise<void> {
  const { facility, session } = await deskContext(ctx, actor, values);
  if (!session) throw new NotFoundError('no such session today');
  renderPage(ctx, 'staff-day-document', {
    title: ctx.state.t('centre:document.title'),
    section: 'day',
    facility,
    session: { id: session.id },
    documentTypes: documentTypes(ctx, values.documentType ?? ''),
    problem,
    errors: problem?.fields ?? {},
  });
}

async function showWalkIn(ctx: AppContext, actor: StaffContext, values: Values, problem?: FormProblem): Promise<void> {
  const { facility, session } = await deskContext(ctx, actor, values);
  if (!session) throw new NotFoundError('no such session today');
  const f = formatsOf(ctx);
  const view = sessionView(f, session);
  renderPage(ctx, 'staff-day-walk-in', {
    title: ctx.state.t('centre:walkIn.title'),
    section: 'day',
    facility,
    session: { id: session.id, vaccine: view.vaccine, ages: view.ages, places: view.places },
    documentTypes: documentTypes(ctx, values.documentType ?? ''),
    // What was typed comes back, except the document number: it is typed again.
    values: {
      name: values.name,
      gender: values.gender,
      birthYear: values.birthYear,
      mobile: values.mobile,
      consent: values.consent === 'yes',
    },
    problem,
    errors: problem?.fields ?? {},
  });
}

/** The dose form: the person, the batch (stock at hand of the session's vaccine), the injection site. */
async function showDose(ctx: AppContext, actor: StaffContext, values: Values, problem?: FormProblem): Promise<void> {
  const { t } = ctx.state;
  const { facility, day } = await deskContext(ctx, actor, values);
  const found = findPerson(day, { sessionId: uuid(values.session), referenceId: digits(values.person) });
  if (!found) throw new NotFoundError('nobody checked in with this reference today');
  const { session, person } = found;
  const f = formatsOf(ctx);
  const inventory = resolve(ctx, InventoryService);
  const here = [
    ...(await inventory.balances(actor, `session:${session.id}`)).batches,
    ...(await inventory.balances(actor, `facility:${facility.id}`)).batches,
  ].filter((b) => b.usable && b.doses > 0 && b.vaccine === session.vaccine);
  const batches = [...new Map(here.map((b) => [b.batchId, b])).values()].map((b) =>
    batchOption(
      f,
      { id: b.batchId, vaccine: b.vaccine, lotNumber: b.lotNumber, expiresOn: b.expiresOn, doses: b.doses },
      values.batchId ?? '',
    ),
  );
  const known = person.dose ?? (digits(values.dose) ? Number(digits(values.dose)) : undefined);
  const vaccine = tenantScope(ctx).tenant.config.vaccines.find((v) => v.code === session.vaccine);
  const most = Math.max(1, (vaccine?.doses ?? 1) + (vaccine?.booster ? 1 : 0));
  renderPage(ctx, 'staff-day-dose', {
    title: t('centre:dose.title'),
    section: 'day',
    facility,
    session: { id: session.id },
    person: personFacts(f, session, person),
    referenceId: person.beneficiary,
    doseNumber: known,
    doseText: known ? doseLabel(f, known) : undefined,
    doseChoices: known
      ? undefined
      : Array.from({ length: most }, (_, i) => ({
          value: i + 1,
          label: doseLabel(f, i + 1),
          selected: String(i + 1) === values.doseNumber,
        })),
    batches,
    sites: siteOptions(f, values.injectionSite ?? ''),
    // A fresh key for each form shown: a double submit of this form records one dose.
    idempotencyKey: randomUUID(),
    problem,
    errors: problem?.fields ?? {},
  });
}

/**
 * The vaccinator's pages, under /staff/day: today's sessions at the centre with the people
 * expected and where they are; verifying a booked person by their 4-digit code or anyone by their
 * identity document; registering a walk-in; recording the dose. They call the vaccination
 * workflow's services as its API does; a refusal shows the form again with localised messages.
 */
export function dayPageRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/staff/day' });
  router.use(noStore, requireStaffPage());

  router.get('/', async (ctx) => showDay(ctx, await currentStaff(ctx)));

  router.get('/verify', async (ctx) => {
    const actor = await currentStaff(ctx);
    await showVerify(ctx, actor, { facility: text(ctx.query.facility), appointment: text(ctx.query.appointment) });
  });

  router.post('/verify', async (ctx) => {
    const actor = await currentStaff(ctx);
    const values = valuesOf(ctx, ['facility', 'session', 'appointment', 'securityCode']);
    await submitForm(
      ctx,
      async () => {
        const appointment = uuid(values.appointment);
        if (!appointment) throw new NotFoundError('no such appointment');
        const { securityCode } = validate(CodeVerification, { securityCode: digits(values.securityCode) });
        const person = await resolve(ctx, CheckInService).verifyCode(actor, appointment, securityCode);
        seeOther(ctx, doseUrl(values.facility, uuid(values.session) ?? '', person));
      },
      (error) => showVerify(ctx, actor, values, problemOf(ctx, error)),
    );
  });

  router.get('/document', async (ctx) => {
    const actor = await currentStaff(ctx);
    await showDocument(ctx, actor, { facility: text(ctx.query.facility), session: text(ctx.query.session) });
  });

  router.post('/document', async (ctx) => {
    const actor = await currentStaff(ctx);
    const values = valuesOf(ctx, ['facility', 'session', 'documentType', 'documentNumber']);
    await submitForm(
      ctx,
      async () => {
        const input = validate(DocumentVerification, {
          sessionId: uuid(values.session) ?? values.session,
          document: { type: values.documentType, number: values.documentNumber.trim() },
        });
        const person = await resolve(ctx, CheckInService).verifyDocument(actor, input.sessionId, input.document);
        seeOther(ctx, doseUrl(values.facility, input.sessionId, person));
      },
      (error) => {
        // Nobody registered with this document: say so plainly and offer the walk-in registration.
        const problem =
          error instanceof NotFoundError
            ? {
                title: ctx.state.t('centre:document.notFoundTitle'),
                items: [{ text: ctx.state.t('centre:document.notFound') }],
                fields: {},
              }
            : problemOf(ctx, error);
        return showDocument(ctx, actor, values, problem);
      },
    );
  });

  router.get('/walk-in', async (ctx) => {
    const actor = await currentStaff(ctx);
    await showWalkIn(ctx, actor, { facility: text(ctx.query.facility), session: text(ctx.query.session) });
  });

  router.post('/walk-in', async (ctx) => {
    const actor = await currentStaff(ctx);
    const values = valuesOf(ctx, [
      'facility',
      'session',
      'name',
      'gender',
      'birthYear',
      'documentType',
      'documentNumber',
      'mobile',
      'consent',
    ]);
    await submitForm(
      ctx,
      async () => {
        const birthYear = digits(values.birthYear);
        const mobile = values.mobile.trim();
        const input = validate(WalkIn, {
          sessionId: uuid(values.session) ?? values.session,
          name: values.name.trim(),
          gender: values.gender || undefined,
          birthYear: /^[0-9]{4}$/.test(birthYear) ? Number(birthYear) : birthYear || undefined,
          document: { type: values.documentType, number: values.documentNumber.trim() },
          consentVersion: values.consent === 'yes' ? tenantScope(ctx).tenant.config.registration.consentVersion : undefined,
          ...(mobile ? { mobile } : {}),
        });
        const person = await resolve(ctx, CheckInService).registerWalkIn(actor, input);
        seeOther(ctx, doseUrl(values.facility, input.sessionId, person));
      },
      (error) => showWalkIn(ctx, actor, values, problemOf(ctx, error)),
    );
  });

  router.get('/dose', async (ctx) => {
    const actor = await currentStaff(ctx);
    const query = Object.fromEntries(['facility', 'session', 'person', 'dose'].map((key) => [key, text(ctx.query[key])]));
    await showDose(ctx, actor, query);
  });

  router.post('/dose', async (ctx) => {
    const actor = await currentStaff(ctx);
    const values = valuesOf(ctx, ['facility', 'session', 'person', 'dose', 'doseNumber', 'batchId', 'injectionSite', 'idempotencyKey']);
    await submitForm(
      ctx,
      async () => {
        const dose = digits(values.doseNumber || values.dose);
        const { idempotencyKey, ...input } = validate(NewDose, {
          sessionId: uuid(values.session) ?? values.session,
          beneficiary: digits(values.person),
          batchId: values.batchId,
          doseNumber: /^[0-9]{1,2}$/.test(dose) ? Number(dose) : dose || undefined,
          injectionSite: values.injectionSite || undefined,
          ...(values.idempotencyKey ? { idempotencyKey: values.idempotencyKey } : {}),
        });
        await resolve(ctx, DoseRecording).record(actor, input, idempotencyKey);
        seeOther(ctx, `/staff/day?facility=${facilityParam(values.facility)}&done=dose`);
      },
      (error) => showDose(ctx, actor, values, problemOf(ctx, error)),
    );
  });

  return router;
}

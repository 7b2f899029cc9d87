import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InjectionToken } from 'tsyringe';
import { TOKENS } from '../../kernel/di/tokens.js';
import { NotFoundError, type TeekaError } from '../../kernel/errors.js';
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
  texts,
} from '../../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../../kernel/http/state.js';
import { validate } from '../../kernel/http/validate.js';
import { dateTimeFormat } from '../../kernel/i18n/intl-cache.js';
import { zonedInstant } from '../../kernel/i18n/zoned-time.js';
import { requireCitizen } from '../../registration/auth.js';
import { currentStaff, type StaffContext } from '../../registration/staff/staff-context.js';
import { dayLabel, doseLabel, formatsOf, vaccineName } from '../../scheduling/page-views.js';
import { requireStaffPage } from '../../scheduling/staff-pages.js';
import { AefiCases, type CaseDetail, type CaseSummary } from './aefi-cases.js';
import { AefiService, INVESTIGATION_ROLES } from './aefi-service.js';
import { CAUSALITIES, type CaseStatus, NEXT_STATUS, OUTCOMES, SERIOUS_CRITERIA, SEVERITIES, STATUSES } from './codes.js';
import { coverageSql } from './coverage.js';
import { CaseQuery, CitizenReport, FollowUp, StaffReport, StatusChange } from './schemas.js';

/**
 * AEFI pages, server-rendered and without JavaScript. Citizens report a side effect after one of
 * their people's recorded doses and follow their reports; staff report from the centre, list the
 * cases in their scope and (district officers, administrators) investigate and close them. Every
 * rule is the services' (AefiService, AefiCases), as for the API: the pages only translate forms.
 */
type Values = Record<string, string | string[]>;

const resolve = <T>(ctx: AppContext, token: InjectionToken<T>): T => tenantScope(ctx).container.resolve(token);
const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = (value: unknown) => (Uuid.test(text(value)) ? text(value).toLowerCase() : undefined);
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
const many = (value: string | string[] | undefined) => (Array.isArray(value) ? value : value ? [value] : []);

/** The fields of the event form, by API path: element id and label key. */
const LABELS: Record<string, [string, string]> = {
  beneficiary: ['dose', 'aefi:page.dose'],
  doseNumber: ['dose', 'aefi:page.dose'],
  doseRecordId: ['dose', 'aefi:page.dose'],
  symptoms: ['symptoms', 'aefi:page.symptoms'],
  otherSymptom: ['otherSymptom', 'aefi:page.otherSymptom'],
  onsetAt: ['onsetAt', 'aefi:page.onset'],
  severity: ['severity', 'aefi:page.severity'],
  seriousCriteria: ['seriousCriteria', 'aefi:page.seriousCriteria'],
  outcome: ['outcome', 'aefi:page.outcome'],
  description: ['description', 'aefi:page.description'],
  lotNumber: ['lotNumber', 'aefi:page.lotNumber'],
  batchId: ['lotNumber', 'aefi:page.lotNumber'],
  at: ['at', 'aefi:page.followUpAt'],
  note: ['note', 'aefi:page.note'],
  status: ['status', 'aefi:page.newStatus'],
  causality: ['causality', 'aefi:page.causality'],
};
const ORDER = [...new Set(Object.values(LABELS).map(([id]) => id))];

function problemOf(ctx: AppContext, error: TeekaError): FormProblem {
  return formProblem(
    ctx,
    error,
    (path) => {
      const found = LABELS[path.split('/')[1] ?? ''];
      return found && { id: found[0], label: ctx.state.t(found[1]) };
    },
    ORDER,
  );
}

/** `YYYY-MM-DDTHH:MM` on the tenant's clock as an ISO instant; what is not one is passed on as typed. */
export function localToInstant(local: string, timeZone: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) return local;
  const instant = zonedInstant(match[1], Number(match[2]) * 60 + Number(match[3]), timeZone);
  return Number.isNaN(instant.getTime()) ? local : instant.toISOString();
}

/** The event as the form sent it, in the API's shape (the services validate everything else). */
function eventOf(ctx: AppContext, values: Values) {
  const severity = one(values.severity);
  const otherSymptom = one(values.otherSymptom).trim();
  const description = one(values.description).trim();
  const lotNumber = one(values.lotNumber).trim();
  const criteria = many(values.seriousCriteria);
  return {
    severity: severity || undefined,
    ...(criteria.length ? { seriousCriteria: criteria } : {}),
    symptoms: many(values.symptoms),
    ...(otherSymptom ? { otherSymptom } : {}),
    ...(description ? { description } : {}),
    onsetAt: one(values.onsetAt)
      ? localToInstant(asciiDigits(one(values.onsetAt)).trim(), tenantScope(ctx).tenant.config.timeZone)
      : undefined,
    ...(one(values.outcome) ? { outcome: one(values.outcome) } : {}),
    ...(lotNumber ? { lotNumber } : {}),
  };
}

function formValues(ctx: AppContext, keys: string[], multi: string[] = []): Values {
  const body = formBody(ctx);
  return Object.fromEntries([...keys.map((key) => [key, text(body[key])]), ...multi.map((key) => [key, texts(body[key])])]);
}

const EVENT_KEYS = ['severity', 'otherSymptom', 'description', 'onsetAt', 'outcome', 'lotNumber'];
const EVENT_MULTI = ['symptoms', 'seriousCriteria'];

/** The choices of the event form, with what was sent checked again. */
function eventChoices(ctx: AppContext, values: Values) {
  const { t } = ctx.state;
  const symptoms = tenantScope(ctx).tenant.config.aefi.symptoms;
  const checked = (list: string[], code: string) => list.includes(code);
  return {
    symptoms: symptoms.map((code) => ({ code, label: t(`aefi:symptoms.${code}`), checked: checked(many(values.symptoms), code) })),
    severities: SEVERITIES.map((code) => ({
      code,
      label: t(`aefi:severities.${code}`),
      hint: t(`aefi:page.severityHint.${code}`),
      checked: one(values.severity) === code,
    })),
    criteria: SERIOUS_CRITERIA.map((code) => ({
      code,
      label: t(`aefi:seriousCriteria.${code}`),
      checked: checked(many(values.seriousCriteria), code),
    })),
    outcomes: OUTCOMES.map((code) => ({ code, label: t(`aefi:outcomes.${code}`), selected: (one(values.outcome) || 'unknown') === code })),
    values: {
      otherSymptom: one(values.otherSymptom),
      description: one(values.description),
      onsetAt: one(values.onsetAt),
      lotNumber: one(values.lotNumber),
    },
  };
}

function instant(ctx: AppContext, iso: string): string {
  const { tenant } = tenantScope(ctx);
  return dateTimeFormat(tenant.locale(ctx.state.lng), { dateStyle: 'medium', timeStyle: 'short', timeZone: tenant.config.timeZone })
    .format(new Date(iso))
    .replace(/\u202f/g, '\u00a0');
}

/** A case as the pages show it: codes in words, dates in the language. */
function caseView(ctx: AppContext, found: CaseSummary | CaseDetail, base: string) {
  const { t } = ctx.state;
  const f = formatsOf(ctx);
  const detail = 'followUps' in found ? found : undefined;
  return {
    id: found.id,
    url: `${base}/${found.id}`,
    name: found.beneficiary.name,
    referenceId: found.beneficiary.referenceId,
    dose: `${vaccineName(f, found.dose.vaccine)}, ${doseLabel(f, found.dose.doseNumber)}`,
    givenOn: dayLabel(f, found.dose.givenOn, 'medium'),
    lot: found.batch?.lotNumber,
    reporter: t(`aefi:page.reporters.${found.reporter}`),
    severity: found.severity,
    severityLabel: t(`aefi:severities.${found.severity}`),
    criteria: found.seriousCriteria.map((code) => t(`aefi:seriousCriteria.${code}`)),
    symptoms: found.symptoms.map((code) => t(`aefi:symptoms.${code}`)),
    onset: instant(ctx, found.onsetAt),
    outcome: t(`aefi:outcomes.${found.outcome}`),
    status: found.status,
    statusLabel: t(`aefi:statuses.${found.status}`),
    causality: found.causality ? t(`aefi:causalities.${found.causality}`) : undefined,
    reportedAt: instant(ctx, found.reportedAt),
    otherSymptom: detail?.otherSymptom ?? undefined,
    description: detail?.description ?? undefined,
    history: detail?.followUps.map((entry) => ({
      at: instant(ctx, entry.at),
      note: entry.note ?? undefined,
      outcome: entry.outcome ? t(`aefi:outcomes.${entry.outcome}`) : undefined,
      status: entry.status ? t(`aefi:statuses.${entry.status}`) : undefined,
      causality: entry.causality ? t(`aefi:causalities.${entry.causality}`) : undefined,
    })),
  };
}

// ---------------------------------------------------------------- citizens

interface CitizenDose {
  reference_id: string;
  name: string;
  dose_number: number;
  vaccine: string;
  given_on: string;
}

/** The account's people's recorded doses (voided ones aside), newest first. */
async function citizenDoses(ctx: AppContext): Promise<CitizenDose[]> {
  const em = resolve<EntityManager>(ctx, TOKENS.EntityManager);
  return em.execute<CitizenDose[]>(
    `select b.reference_id, b.name, d.dose_number, d.vaccine, d.given_on::text as given_on
       from dose_record d join beneficiary b on b.id = d.beneficiary_id
      where b.account_id = ? and d.state <> 'voided'
      order by d.given_on desc, b.name, d.dose_number desc limit 100`,
    [ctx.state.citizen!.accountId],
  );
}

async function showCitizenForm(ctx: AppContext, values: Values, problem?: FormProblem): Promise<void> {
  const { t } = ctx.state;
  const f = formatsOf(ctx);
  const doses = (await citizenDoses(ctx)).map((dose) => {
    const value = `${dose.reference_id}:${dose.dose_number}`;
    return {
      value,
      label: t('aefi:page.doseOption', {
        name: dose.name,
        dose: doseLabel(f, dose.dose_number),
        vaccine: vaccineName(f, dose.vaccine),
        date: dayLabel(f, dose.given_on, 'medium'),
      }),
      selected: one(values.dose) === value,
    };
  });
  renderPage(ctx, 'aefi-report', {
    title: t('aefi:page.reportTitle'),
    action: '/side-effects',
    back: '/side-effects',
    citizen: true,
    doses,
    noDoses: doses.length === 0,
    ...eventChoices(ctx, values),
    problem,
    errors: problem?.fields ?? {},
  });
}

function citizenRoutes(router: Router<AppState>): void {
  router.get('/side-effects', noStore, requireCitizen(), async (ctx) => {
    const cases = await resolve(ctx, AefiCases).ofCitizen(ctx.state.citizen!.accountId);
    renderPage(ctx, 'aefi-reports', {
      title: ctx.state.t('aefi:page.listTitle'),
      cases: cases.map((found) => caseView(ctx, found, '/side-effects')),
    });
  });

  router.get('/side-effects/new', noStore, requireCitizen(), async (ctx) => {
    await showCitizenForm(ctx, { dose: text(ctx.query.dose) });
  });

  router.post('/side-effects', noStore, requireCitizen(), async (ctx) => {
    const values = formValues(ctx, ['dose', ...EVENT_KEYS], EVENT_MULTI);
    await submitForm(
      ctx,
      async () => {
        const [beneficiary, doseNumber] = one(values.dose).split(':');
        const input = validate(CitizenReport, {
          beneficiary: beneficiary || undefined,
          doseNumber: /^[0-9]{1,2}$/.test(doseNumber ?? '') ? Number(doseNumber) : undefined,
          ...eventOf(ctx, values),
        });
        const id = await resolve(ctx, AefiService).reportByCitizen(ctx.state.citizen!.accountId, input);
        seeOther(ctx, `/side-effects/${id}?reported=1`);
      },
      (error) => showCitizenForm(ctx, values, problemOf(ctx, error)),
    );
  });

  router.get('/side-effects/:id', noStore, requireCitizen(), async (ctx) => {
    const id = uuid(ctx.params.id);
    const [found] = id ? await resolve(ctx, AefiCases).ofCitizen(ctx.state.citizen!.accountId, id) : [];
    if (!found) throw new NotFoundError('no such case');
    renderPage(ctx, 'aefi-case', {
      title: ctx.state.t('aefi:page.caseTitle'),
      back: '/side-effects',
      citizen: true,
      reported: ctx.query.reported !== undefined,
      case: caseView(ctx, found, '/side-effects'),
    });
  });
}

// ---------------------------------------------------------------- staff

interface StaffDose {
  id: string;
  name: string;
  reference_id: string;
  dose_number: number;
  vaccine: string;
  given_on: string;
  batch_id: string | null;
}

/** A person's recorded doses at the facilities the member of staff reaches (nobody else's: as if absent). */
async function staffDoses(ctx: AppContext, actor: StaffContext, referenceId: string): Promise<StaffDose[]> {
  if (!/^[1-9][0-9]{13}$/.test(referenceId)) return [];
  const coverage = await resolve(ctx, AefiCases).narrowed(
    actor,
    new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager', 'vaccinator']),
    {},
  );
  const { cte, where } = coverageSql(coverage, 'd.facility_id');
  const em = resolve<EntityManager>(ctx, TOKENS.EntityManager);
  return em.execute<StaffDose[]>(
    `${cte} select d.id, b.name, b.reference_id, d.dose_number, d.vaccine, d.given_on::text as given_on, d.batch_id
       from dose_record d join beneficiary b on b.id = d.beneficiary_id
      where b.reference_id = ? and d.state <> 'voided' and ${where}
      order by d.given_on desc, d.dose_number desc limit 20`,
    [referenceId],
  );
}

const isOfficer = (actor: StaffContext) => actor.roles.some((grant) => INVESTIGATION_ROLES.has(grant.role));

async function showStaffForm(ctx: AppContext, actor: StaffContext, values: Values, problem?: FormProblem): Promise<void> {
  const { t } = ctx.state;
  const f = formatsOf(ctx);
  const person = asciiDigits(one(values.person)).trim();
  const found = person ? await staffDoses(ctx, actor, person) : [];
  const doses = found.map((dose) => ({
    value: dose.id,
    label: t('aefi:page.staffDoseOption', {
      dose: doseLabel(f, dose.dose_number),
      vaccine: vaccineName(f, dose.vaccine),
      date: dayLabel(f, dose.given_on, 'medium'),
    }),
    selected: one(values.dose) === dose.id,
  }));
  renderPage(ctx, 'aefi-report', {
    title: t('aefi:page.staffReportTitle'),
    section: 'aefi',
    facility: one(values.facility) ? { id: one(values.facility) } : undefined,
    action: '/staff/aefi/new',
    back: one(values.facility) ? `/staff/day?facility=${encodeURIComponent(one(values.facility))}` : '/staff/aefi',
    staff: true,
    person,
    personName: found[0]?.name,
    personNotFound: person !== '' && found.length === 0,
    doses,
    noDoses: doses.length === 0,
    ...eventChoices(ctx, values),
    problem,
    errors: problem?.fields ?? {},
  });
}

async function showStaffCase(ctx: AppContext, actor: StaffContext, id: string, values: Values = {}, problem?: FormProblem) {
  const { t } = ctx.state;
  const found = await resolve(ctx, AefiCases).get(actor, id);
  const open = found.status !== 'closed';
  const next = NEXT_STATUS[found.status as CaseStatus];
  renderPage(ctx, 'aefi-case', {
    title: t('aefi:page.caseTitle'),
    section: 'aefi',
    back: '/staff/aefi',
    staff: true,
    reported: ctx.query.reported !== undefined,
    done: ctx.query.done === 'follow-up' || ctx.query.done === 'status' ? t(`aefi:page.done.${ctx.query.done}`) : undefined,
    case: caseView(ctx, found, '/staff/aefi'),
    followUp: open,
    outcomes: OUTCOMES.map((code) => ({ code, label: t(`aefi:outcomes.${code}`), selected: one(values.outcome) === code })),
    statusForm: open && isOfficer(actor),
    statuses: next.map((code) => ({ code, label: t(`aefi:statuses.${code}`), checked: one(values.status) === code })),
    causalities: CAUSALITIES.map((code) => ({ code, label: t(`aefi:causalities.${code}`), checked: one(values.causality) === code })),
    values: { note: one(values.note), statusNote: one(values.statusNote), at: one(values.at) },
    problem,
    errors: problem?.fields ?? {},
  });
}

function staffRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/staff/aefi' });
  router.use(noStore, requireStaffPage());

  /** The cases in the caller's scope, newest first, filtered as asked; a filter that is not one is a 400 page. */
  router.get('/', async (ctx) => {
    const { t } = ctx.state;
    const actor = await currentStaff(ctx);
    const asked = Object.fromEntries(
      ['status', 'severity', 'from', 'to'].map((key) => [key, text(ctx.query[key])]).filter(([, value]) => value !== ''),
    );
    const query = validate(CaseQuery, asked);
    const cases = await resolve(ctx, AefiCases).list(actor, query);
    renderPage(ctx, 'aefi-cases', {
      title: t('aefi:page.casesTitle'),
      section: 'aefi',
      cases: cases.map((found) => caseView(ctx, found, '/staff/aefi')),
      statuses: STATUSES.map((code) => ({ code, label: t(`aefi:statuses.${code}`), selected: query.status === code })),
      severities: SEVERITIES.map((code) => ({ code, label: t(`aefi:severities.${code}`), selected: query.severity === code })),
      from: query.from ?? '',
      to: query.to ?? '',
    });
  });

  router.get('/new', async (ctx) => {
    const actor = await currentStaff(ctx);
    await showStaffForm(ctx, actor, { facility: text(ctx.query.facility), person: text(ctx.query.person) });
  });

  router.post('/new', async (ctx) => {
    const actor = await currentStaff(ctx);
    const values = formValues(ctx, ['facility', 'person', 'dose', ...EVENT_KEYS], EVENT_MULTI);
    await submitForm(
      ctx,
      async () => {
        const { lotNumber, ...event } = eventOf(ctx, values);
        const input = validate(StaffReport, { doseRecordId: one(values.dose) || undefined, ...event, ...(lotNumber ? { lotNumber } : {}) });
        const id = await resolve(ctx, AefiService).reportByStaff(actor, input);
        seeOther(ctx, `/staff/aefi/${id}?reported=1`);
      },
      (error) => showStaffForm(ctx, actor, values, problemOf(ctx, error)),
    );
  });

  router.get('/:id', async (ctx) => {
    const id = uuid(ctx.params.id);
    if (!id) throw new NotFoundError('no such case');
    await showStaffCase(ctx, await currentStaff(ctx), id);
  });

  router.post('/:id/follow-up', async (ctx) => {
    const id = uuid(ctx.params.id);
    if (!id) throw new NotFoundError('no such case');
    const actor = await currentStaff(ctx);
    const values = formValues(ctx, ['at', 'note', 'outcome']);
    await submitForm(
      ctx,
      async () => {
        const note = one(values.note).trim();
        const at = one(values.at) ? localToInstant(asciiDigits(one(values.at)).trim(), tenantScope(ctx).tenant.config.timeZone) : undefined;
        const input = validate(FollowUp, {
          ...(at ? { at } : {}),
          ...(note ? { note } : {}),
          ...(one(values.outcome) ? { outcome: one(values.outcome) } : {}),
        });
        await resolve(ctx, AefiService).followUp(actor, id, input);
        seeOther(ctx, `/staff/aefi/${id}?done=follow-up`);
      },
      (error) => showStaffCase(ctx, actor, id, values, problemOf(ctx, error)),
    );
  });

  router.post('/:id/status', async (ctx) => {
    const id = uuid(ctx.params.id);
    if (!id) throw new NotFoundError('no such case');
    const actor = await currentStaff(ctx);
    const values = formValues(ctx, ['status', 'causality', 'statusNote']);
    await submitForm(
      ctx,
      async () => {
        const note = one(values.statusNote).trim();
        const input = validate(StatusChange, {
          status: one(values.status) || undefined,
          ...(one(values.causality) ? { causality: one(values.causality) } : {}),
          ...(note ? { note } : {}),
        });
        await resolve(ctx, AefiService).changeStatus(actor, id, input);
        seeOther(ctx, `/staff/aefi/${id}?done=status`);
      },
      (error) => showStaffCase(ctx, actor, id, values, problemOf(ctx, error)),
    );
  });

  return router;
}

/** The citizens' side-effect pages (/side-effects) and the staff's case pages (/staff/aefi). */
export function aefiPageRoutes(): Router<AppState> {
  const router = new Router<AppState>();
  citizenRoutes(router);
  router.use(staffRoutes().routes());
  return router;
}

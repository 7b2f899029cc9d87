import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { InjectionToken } from 'tsyringe';
import { NotFoundError, type TeekaError, UnauthorizedError, ValidationError } from '../kernel/errors.js';
import { formBody, formProblem, noStore, renderPage, seeOther, submitForm, text, texts } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireCitizen, SESSION_COOKIE } from '../registration/auth.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import { SessionService as AuthSessions } from '../registration/session-service.js';
import { addDays } from '../vaccination/dose-schedule.js';
import { AvailabilityService } from './availability-service.js';
import { type AppointmentView, BookingService } from './booking-service.js';
import { FacilityService } from './facility-service.js';
import { appointmentCard, centreCard, dayLabel, formatsOf, sessionChoice, slotLabel, vaccineName } from './page-views.js';
import { centreSearchRoutes } from './search-pages.js';
import { IdempotencyKey, NewBooking } from './session-schemas.js';
import { SessionService } from './session-service.js';
import { slipPdf } from './slip-pdf.js';
import { qrSvg } from './slip-qr.js';
import { todayIn } from './slots.js';

/** How many days a centre's page offers. */
const DAYS = 7;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const resolve = <T>(ctx: AppContext, service: InjectionToken<T>): T => tenantScope(ctx).container.resolve(service);

/** The citizen signed in on this browser, if any: a centre's page is public, booking from it is not. */
async function signedIn(ctx: AppContext): Promise<string | undefined> {
  const token = ctx.cookies.get(SESSION_COOKIE);
  if (!token) return undefined;
  try {
    return (await resolve(ctx, AuthSessions).verify(token, 'citizen')).subjectId;
  } catch (error) {
    if (error instanceof UnauthorizedError) return undefined;
    throw error;
  }
}

const accountOf = (ctx: AppContext): string => ctx.state.citizen!.accountId;

function appointmentParam(ctx: AppContext & { params: Record<string, string> }): string {
  if (!UUID.test(ctx.params.id)) throw new NotFoundError('no such appointment');
  return ctx.params.id.toLowerCase();
}

/** One of the account's appointments, with the person's name and the centre, as pages show it. */
export async function appointmentOf(ctx: AppContext, id: string) {
  const appointment = (await resolve(ctx, BookingService).list(accountOf(ctx))).find((a) => a.id === id);
  if (!appointment) throw new NotFoundError('no such appointment');
  return (await cards(ctx, [appointment]))[0];
}

async function cards(ctx: AppContext, appointments: AppointmentView[]) {
  const f = formatsOf(ctx);
  const people = new Map((await resolve(ctx, BeneficiaryService).list(accountOf(ctx))).map((p) => [p.referenceId, p]));
  const facilities = resolve(ctx, FacilityService);
  const centres = new Map<number, Awaited<ReturnType<FacilityService['get']>> | undefined>();
  for (const id of new Set(appointments.map((a) => a.facilityId))) {
    centres.set(id, await facilities.get(id).catch((error) => (error instanceof NotFoundError ? undefined : Promise.reject(error))));
  }
  return appointments.map((a) => appointmentCard(f, a, people.get(a.beneficiary), centres.get(a.facilityId)));
}

/** What the centre page's booking form sent (or a confirmation page carries along). */
interface Choice {
  /** `<sessionId>/<slot label>`, the value of the chosen radio button. */
  choice: string;
  beneficiaries: string[];
  /** Set when an existing appointment is being moved instead of a new one booked. */
  reschedule?: string;
}

function choiceOf(values: Record<string, unknown>): Choice {
  const reschedule = text(values.reschedule);
  return {
    choice: text(values.choice),
    beneficiaries: texts(values.beneficiaries),
    reschedule: UUID.test(reschedule) ? reschedule.toLowerCase() : undefined,
  };
}

function splitChoice(choice: string): { sessionId?: string; slot?: string } {
  const at = choice.indexOf('/');
  if (at < 0) return {};
  return { sessionId: choice.slice(0, at), slot: choice.slice(at + 1) };
}

/** A beneficiary's checkbox, by its position in what was sent (`/beneficiaries/1`). */
function bookingFields(ctx: AppContext, people: { referenceId: string; name: string }[], chosen: string[]) {
  return (path: string) => {
    if (path === '/sessionId' || path === '/slot') return { id: 'choice', label: ctx.state.t('scheduling:centre.slotLegend') };
    const index = /^\/beneficiaries(?:\/(\d+))?/.exec(path);
    if (!index) return undefined;
    const person = index[1] === undefined ? undefined : people.find((p) => p.referenceId === chosen[Number(index[1])]);
    return person
      ? { id: `person-${person.referenceId}`, label: person.name }
      : { id: 'beneficiaries', label: ctx.state.t('scheduling:centre.peopleLegend') };
  };
}

/** The centre's page: its sessions over the coming days and, for a signed-in citizen, the booking form. */
async function showCentre(ctx: AppContext, facilityId: number, chosen: Choice, error?: TeekaError): Promise<void> {
  const f = formatsOf(ctx);
  const { tenant } = tenantScope(ctx);
  const from = todayIn(tenant.config.timeZone);
  const found = await resolve(ctx, AvailabilityService).byCentre(facilityId, from, DAYS);
  if (!found) throw new NotFoundError(`no facility ${facilityId}`);
  const accountId = ctx.state.citizen?.accountId ?? (await signedIn(ctx));
  const people = accountId ? await resolve(ctx, BeneficiaryService).list(accountId) : [];
  const moving = chosen.reschedule && accountId ? await movingAppointment(ctx, accountId, chosen.reschedule) : undefined;
  const problem = error && formProblem(ctx, error, bookingFields(ctx, people, chosen.beneficiaries), ['choice', 'beneficiaries']);
  const days = Array.from({ length: DAYS }, (_, index) => addDays(from, index)).map((date) => ({
    isoDate: date,
    label: dayLabel(f, date),
    sessions: found.sessions.filter((s) => s.date === date).map((s) => sessionChoice(f, s, chosen.choice)),
  }));
  const checked = new Set(chosen.beneficiaries);
  renderPage(ctx, 'centre', {
    title: found.facility.name,
    centre: centreCard(f, found.facility),
    days: days.filter((day) => day.sessions.length > 0),
    anySession: found.sessions.length > 0,
    signedIn: Boolean(accountId),
    moving,
    people: people.map((p) => ({
      referenceId: p.referenceId,
      name: p.name,
      checked: checked.has(p.referenceId),
      error: problem?.fields[`person-${p.referenceId}`],
    })),
    problem,
    errors: problem?.fields ?? {},
  });
}

async function movingAppointment(ctx: AppContext, accountId: string, id: string) {
  const appointment = (await resolve(ctx, BookingService).list(accountId)).find((a) => a.id === id && a.state === 'booked');
  if (!appointment) throw new NotFoundError('no such appointment');
  return (await cards(ctx, [appointment]))[0];
}

/** The confirmation page: what is about to be booked (or moved), and the form that does it. */
async function showConfirm(ctx: AppContext, facilityId: number, chosen: Choice): Promise<void> {
  const f = formatsOf(ctx);
  const { tenant } = tenantScope(ctx);
  const { sessionId, slot } = splitChoice(chosen.choice);
  // Read live, not from the availability cache: this is the last look before booking.
  const facility = await resolve(ctx, FacilityService).get(facilityId);
  const from = todayIn(tenant.config.timeZone);
  const sessions = await resolve(ctx, SessionService).between([facilityId], from, addDays(from, DAYS - 1));
  const session = sessions.find((s) => s.id === sessionId);
  const moving = chosen.reschedule ? await movingAppointment(ctx, accountOf(ctx), chosen.reschedule) : undefined;
  const people = (await resolve(ctx, BeneficiaryService).list(accountOf(ctx))).filter((p) => chosen.beneficiaries.includes(p.referenceId));
  const missing: { path: string; code: string }[] = [];
  if (!session || !slot || !session.slots.some((s) => s.label === slot)) missing.push({ path: '/slot', code: 'required' });
  if (!moving && people.length === 0) missing.push({ path: '/beneficiaries', code: 'too-few' });
  if (!session || !slot || missing.length > 0) {
    ctx.status = 422;
    return showCentre(ctx, facilityId, chosen, new ValidationError('nothing chosen', missing));
  }
  renderPage(ctx, 'booking-confirm', {
    title: ctx.state.t(moving ? 'scheduling:confirm.moveTitle' : 'scheduling:confirm.title'),
    centre: centreCard(f, facility),
    day: dayLabel(f, session.date),
    slot: slotLabel(f, slot),
    vaccine: vaccineName(f, session.vaccine),
    moving,
    action: moving ? `/appointments/${moving.id}/reschedule` : '/appointments',
    people: people.map((p) => ({ referenceId: p.referenceId, name: p.name })),
    choice: chosen.choice,
    facilityId,
    idempotencyKey: randomUUID(),
  });
}

function facilityParam(ctx: AppContext & { params: Record<string, string> }): number {
  if (!/^[0-9]{1,9}$/.test(ctx.params.facilityId)) throw new NotFoundError('no such centre');
  return Number(ctx.params.facilityId);
}

function facilityField(values: Record<string, unknown>): number {
  const id = text(values.facilityId);
  if (!/^[0-9]{1,9}$/.test(id)) throw new NotFoundError('no such centre');
  return Number(id);
}

/**
 * The citizen's scheduling pages: find a centre, choose a session, slot and people, confirm,
 * then see, move, cancel and print appointments. Every step is a plain form (no JavaScript).
 */
export function schedulingPageRoutes(): Router<AppState> {
  const router = new Router<AppState>();
  router.use(centreSearchRoutes().routes());

  router.get('/centres/:facilityId', noStore, async (ctx) => {
    await showCentre(ctx, facilityParam(ctx), choiceOf(ctx.query));
  });

  // A GET: choosing is not yet booking, and the back button works.
  router.get('/centres/:facilityId/confirm', noStore, requireCitizen(), async (ctx) => {
    await showConfirm(ctx, facilityParam(ctx), choiceOf(ctx.query));
  });

  router.post('/appointments', noStore, requireCitizen(), async (ctx) => {
    const form = formBody(ctx);
    const facilityId = facilityField(form);
    const chosen = choiceOf(form);
    const { sessionId, slot } = splitChoice(chosen.choice);
    await submitForm(
      ctx,
      async () => {
        const input = validate(NewBooking, { sessionId: sessionId ?? '', slot: slot ?? '', beneficiaries: chosen.beneficiaries });
        const key = validate(IdempotencyKey, text(form.idempotencyKey));
        const { booked } = await resolve(ctx, BookingService).book(accountOf(ctx), input, key);
        seeOther(ctx, `/appointments?booked=${booked.appointments.map((a) => a.id).join(',')}`);
      },
      (error) => showCentre(ctx, facilityId, chosen, error),
    );
  });

  router.get('/appointments', noStore, requireCitizen(), async (ctx) => {
    const all = await resolve(ctx, BookingService).list(accountOf(ctx));
    const fresh = new Set(text(ctx.query.booked).split(','));
    const shown = await cards(ctx, all);
    renderPage(ctx, 'appointments', {
      title: ctx.state.t('scheduling:appointments.title'),
      upcoming: shown.filter((a) => a.active).map((a) => ({ ...a, fresh: fresh.has(a.id) })),
      past: shown.filter((a) => !a.active),
      booked: shown.some((a) => fresh.has(a.id)),
      moved: ctx.query.moved !== undefined,
      cancelled: ctx.query.cancelled !== undefined,
    });
  });

  router.get('/appointments/:id/cancel', noStore, requireCitizen(), async (ctx) => {
    const appointment = await appointmentOf(ctx, appointmentParam(ctx));
    renderPage(ctx, 'appointment-cancel', { title: ctx.state.t('scheduling:cancel.title'), appointment });
  });

  router.post('/appointments/:id/cancel', noStore, requireCitizen(), async (ctx) => {
    const id = appointmentParam(ctx);
    const appointment = await appointmentOf(ctx, id);
    await submitForm(
      ctx,
      async () => {
        await resolve(ctx, BookingService).cancel(accountOf(ctx), id);
        seeOther(ctx, '/appointments?cancelled=1');
      },
      (error) =>
        renderPage(ctx, 'appointment-cancel', {
          title: ctx.state.t('scheduling:cancel.title'),
          appointment,
          problem: formProblem(ctx, error, () => undefined),
        }),
    );
  });

  router.post('/appointments/:id/reschedule', noStore, requireCitizen(), async (ctx) => {
    const id = appointmentParam(ctx);
    const form = formBody(ctx);
    const facilityId = facilityField(form);
    const chosen = { ...choiceOf(form), reschedule: id };
    const { sessionId, slot } = splitChoice(chosen.choice);
    await submitForm(
      ctx,
      async () => {
        if (!sessionId || !slot || !UUID.test(sessionId))
          throw new ValidationError('nothing chosen', [{ path: '/slot', code: 'required' }]);
        await resolve(ctx, BookingService).reschedule(accountOf(ctx), id, { sessionId, slot });
        seeOther(ctx, '/appointments?moved=1');
      },
      (error) => showCentre(ctx, facilityId, chosen, error),
    );
  });

  router.get('/appointments/:id/slip', noStore, requireCitizen(), async (ctx) => {
    const appointment = await appointmentOf(ctx, appointmentParam(ctx));
    renderPage(ctx, 'appointment-slip', {
      title: ctx.state.t('scheduling:slip.title'),
      appointment,
      qr: await qrSvg(appointment.id, ctx.state.t('scheduling:slip.qrLabel')),
    });
  });

  router.get('/appointments/:id/slip.pdf', noStore, requireCitizen(), async (ctx) => {
    const appointment = await appointmentOf(ctx, appointmentParam(ctx));
    const { tenant } = tenantScope(ctx);
    ctx.type = 'application/pdf';
    ctx.attachment(`appointment-${appointment.id}.pdf`);
    ctx.body = await slipPdf(tenant, ctx.state.lng, appointment, ctx.state.t);
  });

  return router;
}

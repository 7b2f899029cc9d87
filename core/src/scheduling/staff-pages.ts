import Router from '@koa/router';
import type { Next } from 'koa';
import type { Settings } from '../kernel/config/settings.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { type TeekaError, UnauthorizedError, ValidationError } from '../kernel/errors.js';
import { asciiDigits, formBody, formProblem, noStore, renderPage, seeOther, submitForm, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { requireStaff, STAFF_SESSION_COOKIE } from '../registration/auth.js';
import { SignIn } from '../registration/staff/schemas.js';
import { currentStaff, type StaffContext } from '../registration/staff/staff-context.js';
import { StaffService } from '../registration/staff/staff-service.js';
import { AreaService } from './area-service.js';
import { FacilityService, type FacilityView } from './facility-service.js';
import { NewSession } from './session-schemas.js';
import { SessionService } from './session-service.js';

const SESSION_ROLES = new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager']);
const CSV_EXAMPLE = '1001,2030-01-15,covishield,18,,50,10,50,0,09:00AM-11:00AM|11:00AM-01:00PM';

/** Staff pages need a signed-in member of staff; a page asked for without one goes to sign-in. */
export function requireStaffPage() {
  const check = requireStaff();
  return async function requireStaffPage(ctx: AppContext, next: Next): Promise<void> {
    try {
      await check(ctx, async () => undefined);
    } catch (error) {
      if (error instanceof UnauthorizedError && ctx.method === 'GET') return ctx.redirect('/staff/sign-in');
      throw error;
    }
    await next();
  };
}

/** The centres where the member of staff may create sessions: everywhere, in an area, or their own. */
async function manageable(ctx: AppContext, actor: StaffContext): Promise<FacilityView[]> {
  const { tenant, container } = tenantScope(ctx);
  const facilities = container.resolve(FacilityService);
  const found = new Map<number, FacilityView>();
  const add = (list: FacilityView[]) => {
    for (const facility of list) found.set(facility.id, facility);
  };
  for (const grant of actor.roles.filter((g) => SESSION_ROLES.has(g.role))) {
    if (grant.scopeType === 'platform' || grant.scopeType === 'tenant') {
      const top = tenant.config.areas.levels[0];
      for (const area of await container.resolve(AreaService).list({ level: top })) add(await facilities.inArea(top, area.id));
    } else if (grant.scopeType === 'area' && grant.scopeId) {
      const [level, id] = grant.scopeId.split(':');
      if (level && /^\d+$/.test(id ?? '')) add(await facilities.inArea(level, Number(id)).catch(() => []));
    } else if (grant.scopeType === 'facility' && /^\d+$/.test(grant.scopeId ?? '')) {
      add(
        await facilities.get(Number(grant.scopeId)).then(
          (f) => [f],
          () => [],
        ),
      );
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
}

/** The doses a session can offer: the longest primary series of the tenant's vaccines, plus a booster. */
function doseNumbers(ctx: AppContext): number[] {
  const { vaccines } = tenantScope(ctx).tenant.config;
  const most = Math.max(1, ...vaccines.map((v) => v.doses + (v.booster ? 1 : 0)));
  return Array.from({ length: most }, (_, index) => index + 1);
}

const integer = (value: string): number | string | undefined => {
  const typed = asciiDigits(value).trim();
  if (typed === '') return undefined;
  return /^[0-9]{1,6}$/.test(typed) ? Number(typed) : typed;
};

const slotLines = (value: string) =>
  value
    .split(/[\n|]/)
    .map((line) => line.trim())
    .filter(Boolean);

/** One session form (or CSV line) in the shape of the API's NewSession. */
function sessionInput(fields: {
  facilityId: string;
  date: string;
  vaccine: string;
  minAge: string;
  maxAge: string;
  capacities: { dose: number; online: string; walkin: string }[];
  slots: string;
}): unknown {
  const maxAge = integer(fields.maxAge);
  return {
    facilityId: integer(fields.facilityId),
    date: fields.date.trim(),
    vaccine: fields.vaccine.trim(),
    minAge: integer(fields.minAge),
    ...(maxAge === undefined ? {} : { maxAge }),
    slots: slotLines(fields.slots),
    capacities: fields.capacities
      .filter((c) => c.online.trim() !== '' || c.walkin.trim() !== '')
      .map((c) => ({ dose: c.dose, online: integer(c.online) ?? 0, ...(c.walkin.trim() === '' ? {} : { walkin: integer(c.walkin) }) })),
  };
}

type Values = Record<string, string>;

function showSingle(ctx: AppContext, facilities: FacilityView[], values: Values, error?: TeekaError, created = false): void {
  const { t } = ctx.state;
  const { tenant } = tenantScope(ctx);
  const labels: Record<string, string> = {
    facilityId: t('scheduling:staff.facility'),
    date: t('scheduling:staff.date'),
    vaccine: t('scheduling:staff.vaccine'),
    minAge: t('scheduling:staff.minAge'),
    maxAge: t('scheduling:staff.maxAge'),
    capacities: t('scheduling:staff.capacitiesLegend'),
    slots: t('scheduling:staff.slots'),
  };
  const fieldOf = (path: string) => {
    const top = path.split('/')[1] === 'slotCapacities' ? 'slots' : path.split('/')[1];
    return labels[top] ? { id: top, label: labels[top] } : undefined;
  };
  const problem = error && formProblem(ctx, error, fieldOf, Object.keys(labels));
  renderPage(ctx, 'staff-session-form', {
    title: t('scheduling:staff.sessionsTitle'),
    created,
    facilities: facilities.map((f) => ({ id: f.id, name: f.name, selected: String(f.id) === values.facilityId })),
    vaccines: tenant.config.vaccines.map((v) => ({ code: v.code, name: v.name, selected: v.code === values.vaccine })),
    doses: doseNumbers(ctx).map((dose) => ({ dose, online: values[`online${dose}`] ?? '', walkin: values[`walkin${dose}`] ?? '' })),
    values,
    problem,
    errors: problem?.fields ?? {},
  });
}

function showBulk(ctx: AppContext, csv: string, problem?: ReturnType<typeof formProblem>, created?: number): void {
  renderPage(ctx, 'staff-session-bulk', {
    title: ctx.state.t('scheduling:staff.bulkTitle'),
    csv,
    example: CSV_EXAMPLE,
    created: created === undefined ? undefined : String(created),
    problem,
    errors: problem?.fields ?? {},
  });
}

/** CSV lines (a header line and blank lines skipped) with their line numbers. */
function csvRows(csv: string): { line: number; cells: string[] }[] {
  return csv
    .split(/\r?\n/)
    .map((content, index) => ({ line: index + 1, cells: content.split(',').map((cell) => cell.trim()) }))
    .filter(({ cells }) => cells.some((cell) => cell !== ''))
    .filter(({ cells }, index) => !(index === 0 && !/^\d/.test(asciiDigits(cells[0]))));
}

/** A bulk refusal with each field problem named by its CSV line: "Line 3: Choose today or a later date." */
function bulkProblem(ctx: AppContext, error: TeekaError, lines: number[]) {
  const { t } = ctx.state;
  const problem = formProblem(ctx, error, () => undefined);
  if (error instanceof ValidationError && error.fields.length > 0) {
    problem.items = error.fields.map(({ path, code }) => {
      const message = t(`errors:fields.${code === 'type' ? 'format' : code}`);
      const index = /^\/(\d+)/.exec(path)?.[1];
      return { text: index === undefined ? message : t('scheduling:staff.lineError', { line: lines[Number(index)], message }) };
    });
    problem.fields = { csv: problem.items.map((item) => item.text).join(' ') };
  }
  return problem;
}

function cookieOptions(ctx: AppContext) {
  const { tenant } = tenantScope(ctx);
  const secure = tenant.container.resolve<Settings>(TOKENS.Settings).mode === 'production';
  return { httpOnly: true, sameSite: 'strict' as const, secure, overwrite: true };
}

/** Staff pages: sign-in, and creating sessions one at a time or many from CSV (all or none). */
export function staffSessionPageRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/staff' });

  router.get('/sign-in', noStore, (ctx) => renderPage(ctx, 'staff-sign-in', { title: ctx.state.t('scheduling:staff.signInTitle') }));

  router.post('/sign-in', noStore, async (ctx) => {
    const form = formBody(ctx);
    const username = text(form.username).trim();
    await submitForm(
      ctx,
      async () => {
        const totp = asciiDigits(text(form.totp)).trim();
        const input = validate(SignIn, { username, password: text(form.password), ...(totp ? { totp } : {}) });
        const { token, expiresAt } = await tenantScope(ctx).container.resolve(StaffService).signIn(input);
        ctx.cookies.set(STAFF_SESSION_COOKIE, token, { ...cookieOptions(ctx), expires: expiresAt });
        // Centre work first (today's sessions); the menu leads on to stock and session planning.
        seeOther(ctx, '/staff/day');
      },
      (error) =>
        renderPage(ctx, 'staff-sign-in', {
          title: ctx.state.t('scheduling:staff.signInTitle'),
          username,
          problem: formProblem(ctx, error, () => undefined),
        }),
    );
  });

  router.post('/sign-out', noStore, requireStaffPage(), async (ctx) => {
    await tenantScope(ctx)
      .container.resolve(StaffService)
      .signOut(await currentStaff(ctx));
    ctx.cookies.set(STAFF_SESSION_COOKIE, null, cookieOptions(ctx));
    seeOther(ctx, '/staff/sign-in');
  });

  router.get('/sessions/new', noStore, requireStaffPage(), async (ctx) => {
    const actor = await currentStaff(ctx);
    showSingle(ctx, await manageable(ctx, actor), { minAge: '18' }, undefined, ctx.query.created !== undefined);
  });

  router.post('/sessions', noStore, requireStaffPage(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const form = formBody(ctx);
    const values: Values = Object.fromEntries(Object.entries(form).map(([key, value]) => [key, text(value)]));
    await submitForm(
      ctx,
      async () => {
        const input = validate(
          NewSession,
          sessionInput({
            ...(values as Record<'facilityId' | 'date' | 'vaccine' | 'minAge' | 'maxAge' | 'slots', string>),
            capacities: doseNumbers(ctx).map((dose) => ({
              dose,
              online: values[`online${dose}`] ?? '',
              walkin: values[`walkin${dose}`] ?? '',
            })),
          }),
        );
        await tenantScope(ctx)
          .container.resolve(SessionService)
          .create(actor, [input], () => '');
        seeOther(ctx, '/staff/sessions/new?created=1');
      },
      async (error) => showSingle(ctx, await manageable(ctx, actor), values, error),
    );
  });

  router.get('/sessions/bulk', noStore, requireStaffPage(), async (ctx) => {
    await currentStaff(ctx);
    showBulk(ctx, '', undefined, ctx.query.created === undefined ? undefined : Number(text(ctx.query.created)) || 0);
  });

  router.post('/sessions/bulk', noStore, requireStaffPage(), async (ctx) => {
    const actor = await currentStaff(ctx);
    const csv = text(formBody(ctx).csv);
    const rows = csvRows(csv);
    await submitForm(
      ctx,
      async () => {
        if (rows.length === 0) throw new ValidationError('no sessions', [{ path: '/csv', code: 'required' }]);
        // Every line is checked before anything is stored, and the service stores all or none.
        const problems: { path: string; code: string }[] = [];
        const inputs = rows.map(({ cells }, index) => {
          if (cells.length !== 10) {
            problems.push({ path: `/${index}`, code: 'columns' });
            return undefined;
          }
          const [facilityId, date, vaccine, minAge, maxAge, online1, walkin1, online2, walkin2, slots] = cells;
          try {
            return validate(
              NewSession,
              sessionInput({
                facilityId,
                date,
                vaccine,
                minAge,
                maxAge,
                slots,
                capacities: [
                  { dose: 1, online: online1, walkin: walkin1 },
                  { dose: 2, online: online2, walkin: walkin2 },
                ],
              }),
            );
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            problems.push(...error.fields.map((field) => ({ path: `/${index}${field.path}`, code: field.code })));
            return undefined;
          }
        });
        if (problems.length > 0) throw new ValidationError('some lines are not valid', problems);
        const created = await tenantScope(ctx)
          .container.resolve(SessionService)
          .create(
            actor,
            inputs.filter((input) => input !== undefined),
            (index) => `/${index}`,
          );
        seeOther(ctx, `/staff/sessions/bulk?created=${created.length}`);
      },
      (error) =>
        showBulk(
          ctx,
          csv,
          bulkProblem(
            ctx,
            error,
            rows.map((row) => row.line),
          ),
        ),
    );
  });

  return router;
}

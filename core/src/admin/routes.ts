import Router from '@koa/router';
import { type AreaInfo, DashboardService } from '../dashboard/dashboard-service.js';
import { dashboardView } from '../dashboard/dashboard-view.js';
import { InventoryService } from '../inventory/inventory-service.js';
import { type Coverage, InventoryReports } from '../inventory/reports.js';
import { Recall } from '../inventory/schemas.js';
import { ForbiddenError, NotFoundError, type TeekaError } from '../kernel/errors.js';
import { asciiDigits, formBody, formProblem, noStore, renderPage, seeOther, submitForm, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { type Grant, grantableRoles, ROLES, type Role } from '../registration/staff/permissions.js';
import { NewStaffUser, RoleGrant } from '../registration/staff/schemas.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { StaffService, type StaffUserView } from '../registration/staff/staff-service.js';
import { dayLabel, formatsOf } from '../scheduling/page-views.js';
import { requireStaffPage } from '../scheduling/staff-pages.js';
import { type AdminArea, AdminDirectory, AreaInput, FacilityInput } from './admin-directory.js';
import { type AdminScope, type AreaRef, adminScope, areaKey, areaScope, inScope, parseAreaRef } from './admin-scope.js';
import { settingsView } from './settings-view.js';

/**
 * The administration pages (`/staff/admin`), for tenant administrators and district officers, each
 * within their scope: areas, facilities, sessions (the session pages), staff and roles, inventory,
 * dashboards for their area and the tenant's settings (read-only). Server-rendered, no JavaScript.
 */
const PAGE_SIZE = 20;
type Values = Record<string, string>;

async function scopeOf(ctx: AppContext): Promise<AdminScope> {
  return adminScope(await currentStaff(ctx));
}

function show(ctx: AppContext, page: string, section: string, title: string, data: Record<string, unknown> = {}): void {
  renderPage(ctx, page, { ...data, title, section });
}

/** A form's fields as trimmed text (names kept as typed; numbers read through `asciiDigits` where they are read). */
const values = (form: Record<string, unknown>): Values =>
  Object.fromEntries(Object.entries(form).map(([key, value]) => [key, text(value).trim()]));

/** The tenant's languages other than the default, for the "name in <language>" fields. */
function otherLanguages(ctx: AppContext, values: Values = {}, errors: Record<string, string> = {}) {
  const { config } = tenantScope(ctx).tenant;
  return config.languages.enabled
    .filter((lng) => lng !== config.languages.default)
    .map((lng) => ({ lng, label: languageName(ctx, lng), value: values[`name-${lng}`] ?? '', error: errors[`name-${lng}`] }));
}

/** The tenant's default language, the one of a place's main name. */
function mainLanguage(ctx: AppContext) {
  const lng = tenantScope(ctx).tenant.config.languages.default;
  return { lng, label: languageName(ctx, lng) };
}

function languageName(ctx: AppContext, lng: string): string {
  try {
    return new Intl.DisplayNames([ctx.state.lng], { type: 'language' }).of(lng) ?? lng;
  } catch {
    return lng;
  }
}

function namesFrom(ctx: AppContext, values: Values): Record<string, string> {
  const names: Record<string, string> = {};
  for (const { lng } of otherLanguages(ctx)) if (values[`name-${lng}`]) names[lng] = values[`name-${lng}`];
  return names;
}

const levelLabel = (ctx: AppContext, level: string) => ctx.state.t(`admin:level.${level}`, { defaultValue: level });

/** A refusal as the form shows it: `/names/hi` is the field `name-hi`, `/fees/x` is `fee-x`. */
function problemOf(ctx: AppContext, error: TeekaError, labels: Record<string, string>) {
  const fieldOf = (path: string) => {
    const [, top, sub] = path.split('/');
    const id = top === 'names' ? `name-${sub}` : top === 'fees' && sub ? `fee-${sub}` : top;
    return labels[id] ? { id, label: labels[id] } : undefined;
  };
  return formProblem(ctx, error, fieldOf, Object.keys(labels));
}

function grouped(ctx: AppContext, areas: AdminArea[], selected: string) {
  const levels = tenantScope(ctx).tenant.config.areas.levels;
  return levels
    .map((level) => ({
      label: levelLabel(ctx, level),
      options: areas.filter((a) => a.level === level).map((a) => ({ value: a.key, name: a.name, selected: a.key === selected })),
    }))
    .filter((group) => group.options.length > 0);
}

// --- areas ----------------------------------------------------------------------------------------

function areaLabels(ctx: AppContext): Record<string, string> {
  const { t } = ctx.state;
  const labels: Record<string, string> = { level: t('admin:areas.level'), parent: t('admin:areas.parent'), name: t('admin:form.name') };
  for (const { lng, label } of otherLanguages(ctx)) labels[`name-${lng}`] = t('admin:form.nameIn', { language: label });
  labels.code = t('admin:areas.code');
  return labels;
}

async function showAreaForm(ctx: AppContext, scope: AdminScope, values: Values, edit?: AdminArea, error?: TeekaError) {
  const { t } = ctx.state;
  const levels = tenantScope(ctx).tenant.config.areas.levels;
  const problem = error && problemOf(ctx, error, areaLabels(ctx));
  const directory = new AdminDirectory(ctx, scope);
  const deepest = levels.length - 1;
  const below = Math.min(deepest, 1 + Math.min(...scope.areas.map((a) => levels.indexOf(a.level))));
  const level = values.level || levels[scope.tenant ? 0 : below];
  const depth = levels.indexOf(level);
  const parents = !edit && depth > 0 ? await directory.areas(levels[depth - 1]) : [];
  show(ctx, 'admin-area-form', 'areas', edit ? t('admin:areas.editTitle', { name: edit.name }) : t('admin:areas.newTitle'), {
    edit,
    action: edit ? `/staff/admin/areas/${edit.level}/${edit.id}` : '/staff/admin/areas',
    // Officers add areas only below their own (the parent must lie in their scope).
    levels: levels
      .filter((_level, index) => scope.tenant || index > Math.min(...scope.areas.map((a) => levels.indexOf(a.level))))
      .map((l) => ({ value: l, label: levelLabel(ctx, l), selected: l === level })),
    parentLevel: depth > 0 ? levelLabel(ctx, levels[depth - 1]) : undefined,
    parents: parents.map((a) => ({ value: a.key, name: a.name, selected: a.key === values.parent })),
    values,
    languages: otherLanguages(ctx, values, problem?.fields),
    main: mainLanguage(ctx),
    problem,
    errors: problem?.fields ?? {},
  });
}

function areaValues(area: AdminArea): Values {
  return {
    level: area.level,
    name: area.defaultName,
    code: area.code ?? '',
    ...Object.fromEntries(Object.entries(area.names).map(([lng, name]) => [`name-${lng}`, name])),
  };
}

function areaInput(ctx: AppContext, values: Values): AreaInput {
  return validate(AreaInput, { name: values.name ?? '', names: namesFrom(ctx, values), ...(values.code ? { code: values.code } : {}) });
}

function areaParam(ctx: AppContext): AreaRef {
  const ref = parseAreaRef(`${ctx.params.level}:${ctx.params.id}`);
  if (!ref) throw new NotFoundError('no such area');
  return ref;
}

// --- facilities -----------------------------------------------------------------------------------

function facilityLabels(ctx: AppContext): Record<string, string> {
  const { t } = ctx.state;
  const { config } = tenantScope(ctx).tenant;
  const labels: Record<string, string> = { name: t('admin:form.name') };
  for (const { lng, label } of otherLanguages(ctx)) labels[`name-${lng}`] = t('admin:form.nameIn', { language: label });
  Object.assign(labels, {
    address: t('admin:facilities.address'),
    area: t('admin:facilities.area'),
    postalCode: t('admin:facilities.postalCode'),
    latitude: t('admin:facilities.latitude'),
    longitude: t('admin:facilities.longitude'),
    opensAt: t('admin:facilities.opensAt'),
    closesAt: t('admin:facilities.closesAt'),
    feeType: t('admin:facilities.feeType'),
  });
  for (const v of config.vaccines) labels[`fee-${v.code}`] = t('admin:facilities.feeFor', { vaccine: v.name });
  return labels;
}

async function showFacilityForm(
  ctx: AppContext,
  scope: AdminScope,
  values: Values,
  editId?: number,
  error?: TeekaError,
  status: { active?: boolean; created?: boolean } = {},
) {
  const { t } = ctx.state;
  const { config } = tenantScope(ctx).tenant;
  const problem = error && problemOf(ctx, error, facilityLabels(ctx));
  const areas = await new AdminDirectory(ctx, scope).areas();
  show(
    ctx,
    'admin-facility-form',
    'facilities',
    editId ? t('admin:facilities.editTitle', { id: editId }) : t('admin:facilities.newTitle'),
    {
      editId,
      ...status,
      action: editId ? `/staff/admin/facilities/${editId}` : '/staff/admin/facilities',
      areaGroups: grouped(ctx, areas, values.area ?? ''),
      values,
      languages: otherLanguages(ctx, values, problem?.fields),
      main: mainLanguage(ctx),
      paid: values.feeType === 'paid',
      fees: config.vaccines.map((v) => ({
        code: v.code,
        name: v.name,
        value: values[`fee-${v.code}`] ?? '',
        error: problem?.fields[`fee-${v.code}`],
      })),
      currency: config.currency,
      postalPattern: config.areas.postalCode ? true : undefined,
      problem,
      errors: problem?.fields ?? {},
    },
  );
}

const decimal = (value: string | undefined): number | string => {
  const typed = asciiDigits(value ?? '').replace(/[,٫]/, '.');
  return /^-?[0-9]{1,3}(\.[0-9]{1,8})?$/.test(typed) ? Number(typed) : typed;
};

function facilityInput(ctx: AppContext, values: Values): FacilityInput {
  const { config } = tenantScope(ctx).tenant;
  const fees: Record<string, string> = {};
  for (const v of config.vaccines) if (values[`fee-${v.code}`]) fees[v.code] = asciiDigits(values[`fee-${v.code}`]);
  return validate(FacilityInput, {
    name: values.name ?? '',
    names: namesFrom(ctx, values),
    ...(values.address ? { address: values.address } : {}),
    area: values.area ?? '',
    ...(values.postalCode ? { postalCode: asciiDigits(values.postalCode) } : {}),
    latitude: decimal(values.latitude),
    longitude: decimal(values.longitude),
    opensAt: asciiDigits(values.opensAt ?? ''),
    closesAt: asciiDigits(values.closesAt ?? ''),
    feeType: values.feeType ?? '',
    fees: values.feeType === 'paid' ? fees : {},
  });
}

function facilityIdParam(ctx: AppContext): number {
  if (!/^[1-9][0-9]{0,8}$/.test(ctx.params.id)) throw new NotFoundError('no such facility');
  return Number(ctx.params.id);
}

// --- staff ----------------------------------------------------------------------------------------

/** Roles the actor may hand out (somewhere in their scope), in rank order. */
function grantable(scope: AdminScope): Role[] {
  const all = new Set(scope.actor.roles.flatMap((grant) => grantableRoles(grant.role)));
  return ROLES.filter((role) => all.has(role));
}

/** `tenant`, `area:<level>:<id>` or `facility:<id>`, the form's choice of where a role is held. */
function grantFrom(values: Values): unknown {
  const where = values.scope ?? '';
  const [type, ...rest] = where.split(':');
  return { role: values.role ?? '', scopeType: type || 'tenant', ...(rest.length > 0 ? { scopeId: rest.join(':') } : {}) };
}

async function scopeChoices(ctx: AppContext, scope: AdminScope, selected: string) {
  const { t } = ctx.state;
  const directory = new AdminDirectory(ctx, scope);
  const areas = await directory.areas();
  const facilities = await directory.facilities({ page: 1, size: 1000 });
  return [
    ...(scope.tenant
      ? [
          {
            label: t('admin:staff.tenantScope'),
            options: [{ value: 'tenant', name: t('admin:staff.wholeTenant'), selected: selected === 'tenant' }],
          },
        ]
      : []),
    ...grouped(ctx, areas, '').map((group) => ({
      label: group.label,
      options: group.options.map((o) => ({ ...o, value: `area:${o.value}`, selected: `area:${o.value}` === selected })),
    })),
    {
      label: t('admin:staff.facilities'),
      options: facilities.items
        .filter((f) => f.active)
        .map((f) => ({ value: `facility:${f.id}`, name: `${f.name} (${f.id})`, selected: `facility:${f.id}` === selected })),
    },
  ].filter((group) => group.options.length > 0);
}

async function describeGrant(ctx: AppContext, grant: Grant, names: Map<string, string>): Promise<string> {
  const { t } = ctx.state;
  const role = t(`admin:role.${grant.role}`);
  if (grant.scopeType === 'tenant' || grant.scopeType === 'platform') return t('admin:staff.grantTenant', { role });
  const where = names.get(`${grant.scopeType}:${grant.scopeId}`) ?? grant.scopeId ?? '';
  return t('admin:staff.grantAt', { role, where });
}

async function placeNames(ctx: AppContext): Promise<Map<string, string>> {
  const { em } = tenantScope(ctx);
  const lng = ctx.state.lng;
  const names = new Map<string, string>();
  const areas = await em.execute<{ level: string; id: number; name: string; names: Record<string, string> | null }[]>(
    `select level, id, name, names from area where (level || ':' || id) in (select scope_id from staff_role where scope_type = 'area')`,
  );
  for (const a of areas) names.set(`area:${a.level}:${a.id}`, a.names?.[lng] ?? a.name);
  const facilities = await em.execute<{ id: number; name: string; names: Record<string, string> | null }[]>(
    `select id, name, names from facility where id::text in (select scope_id from staff_role where scope_type = 'facility')`,
  );
  for (const f of facilities) names.set(`facility:${f.id}`, f.names?.[lng] ?? f.name);
  return names;
}

function staffLabels(ctx: AppContext): Record<string, string> {
  const { t } = ctx.state;
  return {
    username: t('admin:staff.username'),
    displayName: t('admin:staff.displayName'),
    password: t('admin:staff.password'),
    role: t('admin:staff.role'),
    scope: t('admin:staff.scope'),
  };
}

/** `/roles/0/scopeId` and the like are the one "where" choice of the form. */
function staffProblem(ctx: AppContext, error: TeekaError) {
  const labels = staffLabels(ctx);
  const fieldOf = (path: string) => {
    const parts = path.split('/').filter(Boolean);
    const last = parts.at(-1) ?? '';
    const id = parts[0] === 'roles' || path === '' ? (last === 'role' ? 'role' : 'scope') : last;
    return labels[id] ? { id, label: labels[id] } : undefined;
  };
  return formProblem(ctx, error, fieldOf, Object.keys(labels));
}

async function showStaffForm(ctx: AppContext, scope: AdminScope, values: Values, error?: TeekaError) {
  const problem = error && staffProblem(ctx, error);
  show(ctx, 'admin-staff-form', 'staff', ctx.state.t('admin:staff.newTitle'), {
    values,
    roles: grantable(scope).map((role) => ({ value: role, label: ctx.state.t(`admin:role.${role}`), selected: role === values.role })),
    scopes: await scopeChoices(ctx, scope, values.scope ?? ''),
    problem,
    errors: problem?.fields ?? {},
  });
}

async function member(ctx: AppContext, scope: AdminScope, id: string): Promise<StaffUserView> {
  const users = await tenantScope(ctx).container.resolve(StaffService).listUsers(scope.actor);
  const found = users.find((user) => user.id === id);
  if (!found) throw new NotFoundError('no such member of staff');
  return found;
}

async function showMember(ctx: AppContext, scope: AdminScope, id: string, values: Values = {}, error?: TeekaError, done?: string) {
  const user = await member(ctx, scope, id);
  const names = await placeNames(ctx);
  const problem = error && staffProblem(ctx, error);
  show(ctx, 'admin-staff-member', 'staff', user.displayName, {
    user,
    done: done ? ctx.state.t(`admin:staff.done.${done}`) : undefined,
    grants: await Promise.all(
      user.roles.map(async (grant) => ({
        text: await describeGrant(ctx, grant, names),
        role: grant.role,
        scope: grant.scopeType === 'tenant' || grant.scopeType === 'platform' ? grant.scopeType : `${grant.scopeType}:${grant.scopeId}`,
      })),
    ),
    roles: grantable(scope).map((role) => ({ value: role, label: ctx.state.t(`admin:role.${role}`), selected: role === values.role })),
    scopes: await scopeChoices(ctx, scope, values.scope ?? ''),
    problem,
    errors: problem?.fields ?? {},
  });
}

// --- inventory and dashboard ------------------------------------------------------------------

/** The area a page is about: the one asked for when in scope; else the tenant (administrators) or the officer's first area. */
async function chosenArea(ctx: AppContext, scope: AdminScope): Promise<AreaRef | undefined> {
  const asked = parseAreaRef(text(ctx.query.area));
  if (asked) {
    if (!(await inScope(ctx, scope, areaScope(asked)))) throw new ForbiddenError('area outside scope');
    return asked;
  }
  return scope.tenant ? undefined : scope.areas[0];
}

async function showInventory(ctx: AppContext, scope: AdminScope, error?: TeekaError, done?: boolean) {
  const { t } = ctx.state;
  const { container } = tenantScope(ctx);
  const area = await chosenArea(ctx, scope);
  const coverage: Coverage = area ? { area } : {};
  const reports = container.resolve(InventoryReports);
  await reports.assertCoverage(coverage);
  await container.resolve(InventoryService).authorize(scope.actor, InventoryReports.scopeOf(coverage), 'read');
  const directory = new AdminDirectory(ctx, scope);
  const areas = await directory.areas();
  const areaNames = new Map(areas.map((a) => [a.key, a.name]));
  const facilityNames = new Map((await directory.facilities({ page: 1, size: 1000 })).items.map((f) => [`facility:${f.id}`, f.name]));
  const stock = await reports.stock(coverage);
  const alerts = await reports.alerts(coverage);
  const f = formatsOf(ctx);
  const vaccine = (code: string) => tenantScope(ctx).tenant.config.vaccines.find((v) => v.code === code)?.name ?? code;
  const batches = await container.resolve(InventoryService).batches({});
  show(ctx, 'admin-inventory', 'inventory', t('admin:inventory.title'), {
    areaGroups: grouped(ctx, areas, area ? areaKey(area) : ''),
    tenantWide: scope.tenant,
    byArea: stock.areas.map((row) => ({
      ...row,
      name: (row.area && areaNames.get(row.area)) ?? row.area ?? '–',
      vaccine: vaccine(row.vaccine),
    })),
    byFacility: stock.facilities.map((row) => ({
      ...row,
      name: facilityNames.get(row.location) ?? row.name,
      vaccine: vaccine(row.vaccine),
    })),
    stores: stock.stores.map((row) => ({ ...row, vaccine: vaccine(row.vaccine) })),
    lowStock: alerts.lowStock.items.map((item) => ({
      ...item,
      name: facilityNames.get(`facility:${item.facilityId}`) ?? String(item.facilityId),
      vaccine: vaccine(item.vaccine),
    })),
    lowStockDays: alerts.lowStock.thresholdDays,
    expiring: alerts.expiring.items.map((item) => ({
      ...item,
      name: facilityNames.get(item.location) ?? item.location,
      vaccine: vaccine(item.vaccine),
      expires: dayLabel(f, item.expiresOn, 'medium'),
    })),
    expiringDays: alerts.expiring.withinDays,
    batches: batches.map((b) => ({
      ...b,
      vaccine: vaccine(b.vaccine),
      expires: dayLabel(f, b.expiresOn, 'medium'),
      recallable: b.state === 'active',
    })),
    mayRecall: scope.tenant,
    done,
    problem:
      error && formProblem(ctx, error, (path) => (path === '/reason' ? { id: 'reason', label: t('admin:inventory.reason') } : undefined)),
  });
}

async function showDashboard(ctx: AppContext, scope: AdminScope) {
  const { tenant, container } = tenantScope(ctx);
  const area = await chosenArea(ctx, scope);
  const fresh = await container.resolve(DashboardService).summary(area);
  const { locale, dir } = tenant.renderData(ctx.state.lng);
  const [top] = tenant.config.areas.levels;
  const info: AreaInfo | undefined = area?.level === top ? fresh.value.areas.find((a) => a.level === top && a.id === area.id) : undefined;
  const view = dashboardView(fresh.value, {
    lng: ctx.state.lng,
    locale,
    rtl: dir === 'rtl',
    t: ctx.state.t,
    config: tenant.config,
    computedAt: fresh.computedAt,
    area: info,
  });
  const areas = await new AdminDirectory(ctx, scope).areas();
  const name = area ? (areas.find((a) => a.key === areaKey(area))?.name ?? areaKey(area)) : undefined;
  show(
    ctx,
    'admin-dashboard',
    'dashboard',
    name ? ctx.state.t('admin:dashboard.titleFor', { area: name }) : ctx.state.t('admin:dashboard.title'),
    {
      ...view,
      // The figures link to nothing here: the public drill-down is the public dashboard's.
      sections: view.sections.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, href: undefined })) })),
      areaGroups: grouped(
        ctx,
        areas.filter((a) => tenant.config.areas.levels.indexOf(a.level) < 2),
        area ? areaKey(area) : '',
      ),
      tenantWide: scope.tenant,
    },
  );
}

// --- routes ---------------------------------------------------------------------------------------

export function adminPageRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/staff/admin' });
  router.use(noStore, requireStaffPage());
  const staff = (ctx: AppContext) => tenantScope(ctx).container.resolve(StaffService);

  router.get('/', async (ctx) => {
    const scope = await scopeOf(ctx);
    const { t } = ctx.state;
    const areas = await new AdminDirectory(ctx, scope).areas();
    const names = new Map(areas.map((a) => [a.key, a.name]));
    show(ctx, 'admin-index', 'index', t('admin:index.title'), {
      name: scope.actor.user.displayName,
      tenantWide: scope.tenant,
      areas: scope.areas.map((a) => ({ name: names.get(areaKey(a)) ?? areaKey(a), level: levelLabel(ctx, a.level) })),
      roles: scope.grants.map((g) => t(`admin:role.${g.role}`)),
    });
  });

  // Areas ------------------------------------------------------------------------------------------
  router.get('/areas', async (ctx) => {
    const scope = await scopeOf(ctx);
    const levels = tenantScope(ctx).tenant.config.areas.levels;
    const level = levels.includes(text(ctx.query.level))
      ? text(ctx.query.level)
      : levels[scope.tenant ? 0 : Math.min(1, levels.length - 1)];
    const directory = new AdminDirectory(ctx, scope);
    const areas = await directory.areas(level);
    const all = await directory.areas();
    const names = new Map(all.map((a) => [a.key, a.name]));
    show(ctx, 'admin-areas', 'areas', ctx.state.t('admin:areas.title'), {
      levels: levels.map((l) => ({ value: l, label: levelLabel(ctx, l), current: l === level })),
      levelName: levelLabel(ctx, level),
      areas: areas.map((a) => ({ ...a, parentName: a.parent ? (names.get(a.parent) ?? a.parent) : '' })),
      saved: ctx.query.saved !== undefined,
    });
  });

  router.get('/areas/new', async (ctx) => {
    const scope = await scopeOf(ctx);
    await showAreaForm(ctx, scope, { level: text(ctx.query.level) });
  });

  router.post('/areas', async (ctx) => {
    const scope = await scopeOf(ctx);
    const form = values(formBody(ctx));
    await submitForm(
      ctx,
      async () => {
        const input = areaInput(ctx, form);
        const ref = await new AdminDirectory(ctx, scope).createArea(form.level ?? '', form.parent ?? '', input);
        seeOther(ctx, `/staff/admin/areas?level=${ref.level}&saved=1`);
      },
      (error) => showAreaForm(ctx, scope, form, undefined, error),
    );
  });

  router.get('/areas/:level/:id', async (ctx) => {
    const scope = await scopeOf(ctx);
    const area = await new AdminDirectory(ctx, scope).area(areaParam(ctx));
    await showAreaForm(ctx, scope, areaValues(area), area);
  });

  router.post('/areas/:level/:id', async (ctx) => {
    const scope = await scopeOf(ctx);
    const directory = new AdminDirectory(ctx, scope);
    const area = await directory.area(areaParam(ctx));
    const form = { ...values(formBody(ctx)), level: area.level };
    await submitForm(
      ctx,
      async () => {
        await directory.updateArea(area, areaInput(ctx, form));
        seeOther(ctx, `/staff/admin/areas?level=${area.level}&saved=1`);
      },
      (error) => showAreaForm(ctx, scope, form, area, error),
    );
  });

  // Facilities -------------------------------------------------------------------------------------
  router.get('/facilities', async (ctx) => {
    const scope = await scopeOf(ctx);
    const directory = new AdminDirectory(ctx, scope);
    const area = parseAreaRef(text(ctx.query.area));
    const page = /^[1-9][0-9]{0,5}$/.test(text(ctx.query.page)) ? Number(text(ctx.query.page)) : 1;
    const { items, total } = await directory.facilities({ area, page, size: PAGE_SIZE });
    const areas = await directory.areas();
    const names = new Map(areas.map((a) => [a.key, a.name]));
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const query = (p: number) => `/staff/admin/facilities?${area ? `area=${encodeURIComponent(areaKey(area))}&` : ''}page=${p}`;
    show(ctx, 'admin-facilities', 'facilities', ctx.state.t('admin:facilities.title'), {
      areaGroups: grouped(ctx, areas, area ? areaKey(area) : ''),
      facilities: items.map((f) => ({ ...f, areaName: names.get(f.area) ?? f.area })),
      total,
      page,
      pages,
      previous: page > 1 ? query(page - 1) : undefined,
      next: page < pages ? query(page + 1) : undefined,
      saved: text(ctx.query.saved) || undefined,
    });
  });

  router.get('/facilities/new', async (ctx) => {
    const scope = await scopeOf(ctx);
    await showFacilityForm(ctx, scope, { feeType: 'free', opensAt: '09:00', closesAt: '17:00', area: text(ctx.query.area) });
  });

  router.post('/facilities', async (ctx) => {
    const scope = await scopeOf(ctx);
    const form = values(formBody(ctx));
    await submitForm(
      ctx,
      async () => {
        const id = await new AdminDirectory(ctx, scope).createFacility(facilityInput(ctx, form));
        seeOther(ctx, `/staff/admin/facilities/${id}?saved=created`);
      },
      (error) => showFacilityForm(ctx, scope, form, undefined, error),
    );
  });

  router.get('/facilities/:id', async (ctx) => {
    const scope = await scopeOf(ctx);
    const facility = await new AdminDirectory(ctx, scope).facility(facilityIdParam(ctx));
    const form: Values = {
      name: facility.defaultName,
      address: facility.address ?? '',
      area: facility.area,
      postalCode: facility.postalCode ?? '',
      latitude: String(facility.latitude),
      longitude: String(facility.longitude),
      opensAt: facility.opensAt,
      closesAt: facility.closesAt,
      feeType: facility.feeType,
      ...Object.fromEntries(Object.entries(facility.names).map(([lng, name]) => [`name-${lng}`, name])),
      ...Object.fromEntries(Object.entries(facility.fees).map(([code, fee]) => [`fee-${code}`, fee])),
    };
    await showFacilityForm(ctx, scope, form, facility.id, undefined, { active: facility.active, created: ctx.query.saved === 'created' });
  });

  router.post('/facilities/:id', async (ctx) => {
    const scope = await scopeOf(ctx);
    const id = facilityIdParam(ctx);
    const directory = new AdminDirectory(ctx, scope);
    await directory.facility(id);
    const form = values(formBody(ctx));
    await submitForm(
      ctx,
      async () => {
        await directory.updateFacility(id, facilityInput(ctx, form));
        seeOther(ctx, `/staff/admin/facilities?saved=${id}`);
      },
      (error) => showFacilityForm(ctx, scope, form, id, error),
    );
  });

  router.post('/facilities/:id/deactivate', async (ctx) => {
    const scope = await scopeOf(ctx);
    const id = facilityIdParam(ctx);
    await new AdminDirectory(ctx, scope).deactivateFacility(id);
    seeOther(ctx, `/staff/admin/facilities?saved=${id}`);
  });

  // Sessions: the session pages themselves; this page leads there.
  router.get('/sessions', async (ctx) => {
    await scopeOf(ctx);
    show(ctx, 'admin-sessions', 'sessions', ctx.state.t('admin:sessions.title'));
  });

  // Staff and roles --------------------------------------------------------------------------------
  router.get('/staff', async (ctx) => {
    const scope = await scopeOf(ctx);
    const users = await staff(ctx).listUsers(scope.actor);
    const names = await placeNames(ctx);
    show(ctx, 'admin-staff', 'staff', ctx.state.t('admin:staff.title'), {
      users: await Promise.all(
        users.map(async (user) => ({ ...user, grants: await Promise.all(user.roles.map((g) => describeGrant(ctx, g, names))) })),
      ),
      created: ctx.query.created !== undefined,
    });
  });

  router.get('/staff/new', async (ctx) => {
    const scope = await scopeOf(ctx);
    await showStaffForm(ctx, scope, {});
  });

  router.post('/staff', async (ctx) => {
    const scope = await scopeOf(ctx);
    const raw = formBody(ctx);
    const form = values(raw);
    // The password is taken as typed (spaces and all) and never shown again.
    const password = text(raw.password);
    await submitForm(
      ctx,
      async () => {
        const input = validate(NewStaffUser, {
          username: form.username ?? '',
          displayName: form.displayName ?? '',
          password,
          roles: [grantFrom(form)],
        });
        const user = await staff(ctx).createUser(scope.actor, input);
        seeOther(ctx, `/staff/admin/staff/${user.id}?done=created`);
      },
      (error) => showStaffForm(ctx, scope, { ...form, password: '' }, error),
    );
  });

  router.get('/staff/:id', async (ctx) => {
    const scope = await scopeOf(ctx);
    const done = ['created', 'granted', 'revoked'].find((d) => d === text(ctx.query.done));
    await showMember(ctx, scope, ctx.params.id, {}, undefined, done);
  });

  for (const action of ['grant', 'revoke'] as const) {
    router.post(`/staff/:id/${action}`, async (ctx) => {
      const scope = await scopeOf(ctx);
      const id = ctx.params.id;
      await member(ctx, scope, id);
      const form = values(formBody(ctx));
      await submitForm(
        ctx,
        async () => {
          const grant = validate(RoleGrant, grantFrom(form));
          await staff(ctx)[action](scope.actor, id, grant);
          seeOther(ctx, `/staff/admin/staff/${id}?done=${action === 'grant' ? 'granted' : 'revoked'}`);
        },
        (error) => showMember(ctx, scope, id, action === 'grant' ? form : {}, error),
      );
    });
  }

  // Inventory --------------------------------------------------------------------------------------
  router.get('/inventory', async (ctx) => {
    const scope = await scopeOf(ctx);
    await showInventory(ctx, scope, undefined, ctx.query.recalled !== undefined);
  });

  router.post('/inventory/batches/:id/recall', async (ctx) => {
    const scope = await scopeOf(ctx);
    const form = values(formBody(ctx));
    await submitForm(
      ctx,
      async () => {
        if (!/^[0-9a-f-]{36}$/i.test(ctx.params.id)) throw new NotFoundError('no such batch');
        const { reason } = validate(Recall, { reason: form.reason ?? '' });
        await tenantScope(ctx).container.resolve(InventoryService).recall(scope.actor, ctx.params.id, reason);
        seeOther(ctx, '/staff/admin/inventory?recalled=1');
      },
      (error) => showInventory(ctx, scope, error),
    );
  });

  // Dashboard and settings -------------------------------------------------------------------------
  router.get('/dashboard', async (ctx) => {
    await showDashboard(ctx, await scopeOf(ctx));
  });

  router.get('/settings', async (ctx) => {
    await scopeOf(ctx);
    show(ctx, 'admin-settings', 'settings', ctx.state.t('admin:settings.title'), settingsView(ctx));
  });

  return router;
}

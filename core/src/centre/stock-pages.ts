import Router from '@koa/router';
import { InventoryService } from '../inventory/inventory-service.js';
import { InventoryReports } from '../inventory/reports.js';
import { Adjustment, Receipt, Wastage } from '../inventory/schemas.js';
import { ForbiddenError, type TeekaError } from '../kernel/errors.js';
import { asciiDigits, type FieldOf, formBody, formProblem, noStore, renderPage, seeOther, submitForm, text } from '../kernel/http/forms.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import type { Grant } from '../registration/staff/permissions.js';
import { currentStaff, type StaffContext } from '../registration/staff/staff-context.js';
import { formatsOf } from '../scheduling/page-views.js';
import { todayIn } from '../scheduling/slots.js';
import { requireStaffPage } from '../scheduling/staff-pages.js';
import { chosenFacility, facilityParam } from './centre-facilities.js';
import {
  alertRows,
  balanceRows,
  batchOption,
  COUNT_REASONS,
  HAND_WASTAGE_REASONS,
  type OpenVial,
  reasonOptions,
  type StockAlerts,
  vialRows,
} from './stock-views.js';

/** Who sees stock pages: everyone who may read a facility's stock; the forms are for those who manage it. */
const READ_ROLES: ReadonlySet<Grant['role']> = new Set([
  'platform-operator',
  'tenant-admin',
  'district-officer',
  'facility-manager',
  'vaccinator',
]);
const MANAGE_ROLES: ReadonlySet<Grant['role']> = new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager']);
const DONE = ['received', 'wasted', 'counted'] as const;
type Values = Record<string, string>;
type StockForm = 'receive' | 'wastage' | 'count';

const inventory = (ctx: AppContext) => tenantScope(ctx).container.resolve(InventoryService);
const location = (facilityId: number | undefined) => `facility:${facilityId ?? ''}`;

/** A number as typed (any digits), or the text itself so that validation names it. */
function integer(value: string | undefined): number | string | undefined {
  const typed = asciiDigits(value ?? '').trim();
  if (typed === '') return undefined;
  return /^[0-9]{1,9}$/.test(typed) ? Number(typed) : typed;
}

async function mayManage(ctx: AppContext, actor: StaffContext, facilityId: number): Promise<boolean> {
  return inventory(ctx)
    .authorize(actor, { type: 'facility', id: String(facilityId) }, 'manage')
    .then(
      () => true,
      (error) => {
        if (error instanceof ForbiddenError) return false;
        throw error;
      },
    );
}

/** The stock page: balances per batch, open vials, alerts, and the forms the staff member may use. */
async function showStock(ctx: AppContext, actor: StaffContext): Promise<void> {
  const { t } = ctx.state;
  const { facility, choices } = await chosenFacility(ctx, actor, READ_ROLES, ctx.query.facility);
  if (!facility) return renderPage(ctx, 'staff-stock', { title: t('centre:stock.title'), section: 'stock', noFacility: true });
  const service = inventory(ctx);
  const { container, tenant } = tenantScope(ctx);
  const balances = await service.balances(actor, location(facility.id));
  const vials = await service.openVials(actor, location(facility.id));
  const alerts = (await container.resolve(InventoryReports).alerts({ facilityId: facility.id })) as StockAlerts;
  const f = formatsOf(ctx);
  const done = DONE.find((d) => d === text(ctx.query.done));
  renderPage(ctx, 'staff-stock', {
    title: t('centre:stock.title'),
    section: 'stock',
    facility: { id: facility.id, name: facility.name },
    choices: choices.length > 1 ? choices : undefined,
    manage: await mayManage(ctx, actor, facility.id),
    balances: balanceRows(f, balances.batches, todayIn(tenant.config.timeZone)),
    vials: vialRows(f, vials as unknown as OpenVial[]),
    alerts: alertRows(f, alerts),
    done: done && t(`centre:done.${done}`),
  });
}

const FIELD_LABELS: Record<StockForm, Record<string, string>> = {
  receive: { batchId: 'centre:form.batch', doses: 'centre:form.dosesReceived', reference: 'centre:form.reference' },
  wastage: { batchId: 'centre:form.batch', doses: 'centre:form.dosesWasted', reason: 'centre:form.wastageReason' },
  count: { batchId: 'centre:form.batch', counted: 'centre:form.counted', reason: 'centre:form.countReason' },
};
const TITLES: Record<StockForm, string> = { receive: 'centre:receive.title', wastage: 'centre:wastage.title', count: 'centre:count.title' };

/** One of the three stock forms, empty or refused (with its messages next to the fields). */
async function showForm(ctx: AppContext, actor: StaffContext, form: StockForm, values: Values, error?: TeekaError): Promise<void> {
  const { t } = ctx.state;
  const asked = facilityParam(values.facility);
  const { facility } = await chosenFacility(ctx, actor, MANAGE_ROLES, asked);
  if (!facility || (asked !== undefined && asked !== facility.id)) throw new ForbiddenError('not a centre the staff member manages');
  await inventory(ctx).authorize(actor, { type: 'facility', id: String(facility.id) }, 'manage');
  const f = formatsOf(ctx);
  const labels = Object.fromEntries(Object.entries(FIELD_LABELS[form]).map(([id, key]) => [id, t(key)]));
  const fieldOf: FieldOf = (path) => {
    const id = path.split('/')[1];
    return labels[id] ? { id, label: labels[id] } : undefined;
  };
  const problem = error && formProblem(ctx, error, fieldOf, Object.keys(labels));
  let batches: ReturnType<typeof batchOption>[];
  if (form === 'receive') {
    const registered = await inventory(ctx).batches({});
    batches = registered.filter((b) => b.state === 'active' && !b.expired).map((b) => batchOption(f, b, values.batchId ?? ''));
  } else {
    const here = await inventory(ctx).balances(actor, location(facility.id));
    batches = here.batches
      .filter((b) => form === 'count' || b.doses > 0)
      .map((b) =>
        batchOption(
          f,
          { id: b.batchId, vaccine: b.vaccine, lotNumber: b.lotNumber, expiresOn: b.expiresOn, doses: b.doses },
          values.batchId ?? '',
        ),
      );
  }
  renderPage(ctx, `staff-stock-${form}`, {
    title: t(TITLES[form]),
    section: 'stock',
    facility: { id: facility.id, name: facility.name },
    batches,
    reasons:
      form === 'wastage'
        ? reasonOptions(f, HAND_WASTAGE_REASONS, values.reason ?? '', 'wastage')
        : form === 'count'
          ? reasonOptions(f, COUNT_REASONS, values.reason ?? 'physical-count', 'count')
          : undefined,
    values,
    problem,
    errors: problem?.fields ?? {},
  });
}

/** What each form asks the inventory service for, in the shape of the API's request bodies. */
async function submit(ctx: AppContext, actor: StaffContext, form: StockForm, values: Values): Promise<void> {
  const at = location(facilityParam(values.facility));
  const service = inventory(ctx);
  if (form === 'receive') {
    const reference = values.reference?.trim();
    await service.receive(
      actor,
      validate(Receipt, { location: at, batchId: values.batchId, doses: integer(values.doses), ...(reference ? { reference } : {}) }),
    );
  } else if (form === 'wastage') {
    await service.waste(
      actor,
      validate(Wastage, { location: at, batchId: values.batchId, doses: integer(values.doses), reason: values.reason }),
    );
  } else {
    await service.adjust(
      actor,
      validate(Adjustment, { location: at, batchId: values.batchId, counted: integer(values.counted), reason: values.reason || undefined }),
    );
  }
}

const DONE_OF: Record<StockForm, (typeof DONE)[number]> = { receive: 'received', wastage: 'wasted', count: 'counted' };

/**
 * Stock pages for the centre, under /staff/stock: what is at hand (balances per batch with expiry,
 * open vials with their discard time, low-stock and expiry alerts), and forms to receive a
 * delivery, record wastage and record a physical count. They call the inventory services the API
 * calls, with the same permission checks; a refusal shows the form again with localised messages.
 */
export function stockPageRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/staff/stock' });
  router.use(noStore, requireStaffPage());

  router.get('/', async (ctx) => showStock(ctx, await currentStaff(ctx)));

  for (const form of ['receive', 'wastage', 'count'] as const) {
    router.get(`/${form}`, async (ctx) => {
      const actor = await currentStaff(ctx);
      await showForm(ctx, actor, form, { facility: text(ctx.query.facility), batchId: text(ctx.query.batch) });
    });

    router.post(`/${form}`, async (ctx) => {
      const actor = await currentStaff(ctx);
      const body = formBody(ctx);
      const values: Values = Object.fromEntries(
        ['facility', 'batchId', 'doses', 'counted', 'reason', 'reference'].map((key) => [key, text(body[key])]),
      );
      await submitForm(
        ctx,
        async () => {
          await submit(ctx, actor, form, values);
          seeOther(ctx, `/staff/stock?facility=${facilityParam(values.facility)}&done=${DONE_OF[form]}`);
        },
        (error) => showForm(ctx, actor, form, values, error),
      );
    });
  }

  return router;
}

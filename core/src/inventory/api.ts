import Router from '@koa/router';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import { noStore } from '../kernel/http/cache-headers.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { requireStaff } from '../registration/auth.js';
import { currentStaff } from '../registration/staff/staff-context.js';
import { todayIn } from '../scheduling/slots.js';
import { addDays } from '../vaccination/dose-schedule.js';
import { InventoryService } from './inventory-service.js';
import { type Coverage, InventoryReports } from './reports.js';
import {
  Adjustment,
  BatchQuery,
  CoverageQuery,
  DateRange,
  Dispatch,
  LocationQuery,
  NewAdministration,
  NewBatch,
  NewStore,
  Recall,
  Receipt,
  SessionStock,
  TransferReceipt,
  VialDiscard,
  VialOpening,
  Wastage,
} from './schemas.js';

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidParam(ctx: AppContext, what: string): string {
  if (!Uuid.test(ctx.params.id)) throw new NotFoundError(`no such ${what}`);
  return ctx.params.id.toLowerCase();
}

function coverageOf(query: { area?: string; facility?: string }): Coverage {
  if (query.area !== undefined && query.facility !== undefined) {
    throw new ValidationError('give area or facility, not both', [{ path: '/', code: 'choice' }]);
  }
  if (query.area !== undefined) {
    const [level, id] = query.area.split(':');
    return { area: { level, id: Number(id) } };
  }
  if (query.facility !== undefined) return { facilityId: Number(query.facility) };
  return {};
}

/**
 * The inventory API for staff, under /api/v1/staff/inventory: products, stores, batches, the
 * ledger's operations (receipts, transfers, issues to sessions, doses administered, wastage,
 * counts, open vials), balances, alerts and reports. Every answer is per request: no caching.
 */
export function inventoryApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1/staff/inventory' });
  router.use(noStore, requireStaff());
  const inventory = (ctx: AppContext) => tenantScope(ctx).container.resolve(InventoryService);
  const reports = (ctx: AppContext) => tenantScope(ctx).container.resolve(InventoryReports);
  const tenant = (ctx: AppContext) => tenantScope(ctx).container.resolve<TenantConfig>(TOKENS.TenantConfig);

  router.get('/products', async (ctx) => {
    await currentStaff(ctx);
    const { vaccines, inventory: settings } = tenant(ctx);
    ctx.body = {
      products: vaccines.map((v) => ({
        code: v.code,
        name: v.name,
        manufacturer: v.manufacturer ?? null,
        marketingAuthorisationHolder: v.marketingAuthorisationHolder ?? null,
        dosesPerVial: v.dosesPerVial ?? 1,
        presentation: v.presentation ?? null,
        storage: v.storage ?? null,
        openVialHours: (v.dosesPerVial ?? 1) > 1 ? (v.openVialHours ?? settings.openVialHours) : null,
        doses: v.doses,
        intervals: v.intervals,
        booster: v.booster ?? null,
        codes: v.codes ?? {},
      })),
    };
  });

  router.get('/stores', async (ctx) => {
    await currentStaff(ctx);
    ctx.body = { stores: await inventory(ctx).stores() };
  });

  router.post('/stores', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).createStore(actor, validate(NewStore, ctx.request.body));
  });

  router.get('/batches', async (ctx) => {
    await currentStaff(ctx);
    ctx.body = { batches: await inventory(ctx).batches(validate(BatchQuery, { ...ctx.query })) };
  });

  router.post('/batches', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).createBatch(actor, validate(NewBatch, ctx.request.body));
  });

  router.get('/batches/:id', async (ctx) => {
    await currentStaff(ctx);
    ctx.body = await inventory(ctx).batch(uuidParam(ctx, 'batch'));
  });

  router.post('/batches/:id/recall', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = uuidParam(ctx, 'batch');
    ctx.body = await inventory(ctx).recall(actor, id, validate(Recall, ctx.request.body).reason);
  });

  router.post('/receipts', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).receive(actor, validate(Receipt, ctx.request.body));
  });

  router.post('/transfers', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).dispatch(actor, validate(Dispatch, ctx.request.body));
  });

  router.get('/transfers', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = { transfers: await inventory(ctx).transfers(actor, validate(LocationQuery, { ...ctx.query }).location) };
  });

  router.post('/transfers/:id/receive', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = uuidParam(ctx, 'transfer');
    ctx.body = await inventory(ctx).receiveTransfer(actor, id, validate(TransferReceipt, ctx.request.body));
  });

  router.post('/issues', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).issue(actor, 'issue', validate(SessionStock, ctx.request.body));
  });

  router.post('/returns', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).issue(actor, 'return', validate(SessionStock, ctx.request.body));
  });

  router.post('/administrations', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).administer(actor, validate(NewAdministration, ctx.request.body));
  });

  router.post('/wastage', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).waste(actor, validate(Wastage, ctx.request.body));
  });

  router.post('/adjustments', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).adjust(actor, validate(Adjustment, ctx.request.body));
  });

  router.get('/balances', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = await inventory(ctx).balances(actor, validate(LocationQuery, { ...ctx.query }).location);
  });

  router.get('/movements', async (ctx) => {
    const actor = await currentStaff(ctx);
    const query = validate(LocationQuery, { ...ctx.query });
    ctx.body = { movements: await inventory(ctx).movements(actor, query.location, query.batchId) };
  });

  router.get('/open-vials', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.body = { vials: await inventory(ctx).openVials(actor, validate(LocationQuery, { ...ctx.query }).location) };
  });

  router.post('/open-vials', async (ctx) => {
    const actor = await currentStaff(ctx);
    ctx.status = 201;
    ctx.body = await inventory(ctx).openVial(actor, validate(VialOpening, ctx.request.body));
  });

  router.post('/open-vials/:id/discard', async (ctx) => {
    const actor = await currentStaff(ctx);
    const id = uuidParam(ctx, 'vial');
    ctx.body = await inventory(ctx).discardVial(actor, id, validate(VialDiscard, ctx.request.body ?? {}).reason);
  });

  /** `?area=` or `?facility=` (none: the whole tenant), checked against the actor's scope. */
  async function covered(ctx: AppContext) {
    const actor = await currentStaff(ctx);
    const query = validate(CoverageQuery, { ...ctx.query });
    const coverage = coverageOf(query);
    await reports(ctx).assertCoverage(coverage);
    await inventory(ctx).authorize(actor, InventoryReports.scopeOf(coverage), 'read');
    const today = todayIn(tenant(ctx).timeZone);
    const from = query.from ?? addDays(today, -29);
    const to = query.to ?? today;
    if (from > to) throw new ValidationError('from is after to', [{ path: '/from', code: 'range' }]);
    return { coverage, query, from, to };
  }

  router.get('/alerts', async (ctx) => {
    const { coverage, query } = await covered(ctx);
    ctx.body = await reports(ctx).alerts(coverage, {
      days: query.days === undefined ? undefined : Number(query.days),
      withinDays: query.withinDays === undefined ? undefined : Number(query.withinDays),
    });
  });

  router.get('/reports/stock', async (ctx) => {
    const { coverage } = await covered(ctx);
    ctx.body = await reports(ctx).stock(coverage);
  });

  router.get('/reports/consumption', async (ctx) => {
    const { coverage, from, to } = await covered(ctx);
    ctx.body = await reports(ctx).consumption(coverage, from, to);
  });

  router.get('/reports/wastage', async (ctx) => {
    const { coverage, from, to } = await covered(ctx);
    ctx.body = await reports(ctx).wastage(coverage, from, to);
  });

  /** Doses planned in a facility's sessions against its stock: "planned N doses, M in stock". */
  router.get('/facilities/:id/planned-vs-stock', async (ctx) => {
    const actor = await currentStaff(ctx);
    if (!/^(0|[1-9][0-9]{0,8})$/.test(ctx.params.id)) throw new NotFoundError('no such facility');
    const facilityId = Number(ctx.params.id);
    const range = validate(DateRange, { ...ctx.query });
    await reports(ctx).assertCoverage({ facilityId });
    await inventory(ctx).authorize(actor, { type: 'facility', id: String(facilityId) }, 'read');
    ctx.body = await reports(ctx).plannedVersusStock(facilityId, range.from, range.to);
  });

  return router;
}

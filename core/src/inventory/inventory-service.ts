import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditLog } from '../kernel/audit/audit-log.js';
import { inTransaction } from '../kernel/db/transaction.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { type Grant, oversees, type Scope } from '../registration/staff/permissions.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from '../registration/staff/scope-directory.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { todayIn } from '../scheduling/slots.js';
import { BatchExistsError } from './errors.js';
import { formatLocation, type Location, parseLocation, scopeOfLocation } from './locations.js';
import { StockService, type WastageReason } from './stock-service.js';
import type { StoreTier } from './store.entity.js';

/**
 * What each role may do with stock, within its scope: `manage` (receive, transfer, issue, waste,
 * count) for facility managers, district officers and administrators; `operate` (open and discard
 * vials, record doses given) and `read` also for vaccinators at their facility.
 */
export type StockAccess = 'read' | 'operate' | 'manage';
const ACCESS: Record<StockAccess, ReadonlySet<Grant['role']>> = {
  read: new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager', 'vaccinator']),
  operate: new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager', 'vaccinator']),
  manage: new Set(['platform-operator', 'tenant-admin', 'district-officer', 'facility-manager']),
};
/** Batches are registered by administrators and district officers; only administrators recall them. */
const BATCH_ROLES = new Set<Grant['role']>(['platform-operator', 'tenant-admin', 'district-officer']);
const RECALL_ROLES = new Set<Grant['role']>(['platform-operator', 'tenant-admin']);

export interface BatchView {
  id: string;
  vaccine: string;
  lotNumber: string;
  manufacturer: string | null;
  expiresOn: string;
  dosesPerVial: number;
  state: 'active' | 'recalled';
  expired: boolean;
  recallReason: string | null;
}

interface BatchRow {
  id: string;
  vaccine: string;
  lot_number: string;
  manufacturer: string | null;
  expires_on: string;
  doses_per_vial: number;
  state: 'active' | 'recalled';
  recall_reason: string | null;
}

const BATCH_COLUMNS = 'id, vaccine, lot_number, manufacturer, expires_on::text as expires_on, doses_per_vial, state, recall_reason';

/**
 * Stock operations for signed-in staff: checks the actor's roles over the locations involved, runs
 * the ledger operation and its audit entry in one transaction. The ledger itself is StockService.
 */
@injectable()
export class InventoryService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(StockService) private readonly stock: StockService,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) private readonly directory: ScopeDirectory = new NoAreasYet(),
  ) {}

  /** Fails with 403 unless one of the actor's roles allowing `access` covers the scope. */
  async authorize(actor: StaffContext, scope: Scope, access: StockAccess): Promise<void> {
    const grants = actor.roles.filter((grant) => ACCESS[access].has(grant.role));
    if (!(await oversees(grants, scope, this.directory))) throw new ForbiddenError('not allowed for this stock');
  }

  async authorizeAt(actor: StaffContext, location: Location, access: StockAccess): Promise<void> {
    await this.authorize(actor, await scopeOfLocation(this.em, location), access);
  }

  async createStore(actor: StaffContext, input: { name: string; tier: StoreTier; area?: string }) {
    const area = input.area?.split(':');
    if (input.tier !== 'national' && !area)
      throw new ValidationError('a store below national lies in an area', [{ path: '/area', code: 'required' }]);
    if (area && (await this.em.execute('select 1 from area where level = ? and id = ?', [area[0], Number(area[1])])).length === 0) {
      throw new ValidationError('no such area', [{ path: '/area', code: 'choice' }]);
    }
    await this.authorize(actor, area ? { type: 'area', id: input.area ?? null } : { type: 'tenant', id: null }, 'manage');
    return inTransaction(this.em, async (em) => {
      const [row] = await em.execute<{ id: number }[]>(
        'insert into store (name, tier, area_level, area_id) values (?, ?, ?, ?) returning id',
        [input.name, input.tier, area?.[0] ?? null, area ? Number(area[1]) : null],
      );
      this.record(actor, 'inventory.store.create', 'store', String(row.id), { tier: input.tier });
      return { id: row.id, location: `store:${row.id}`, name: input.name, tier: input.tier, area: input.area ?? null };
    });
  }

  async stores() {
    const rows = await this.em.execute<{ id: number; name: string; tier: string; area_level: string | null; area_id: number | null }[]>(
      'select id, name, tier, area_level, area_id from store where active order by id',
    );
    return rows.map((r) => ({
      id: r.id,
      location: `store:${r.id}`,
      name: r.name,
      tier: r.tier,
      area: r.area_level ? `${r.area_level}:${r.area_id}` : null,
    }));
  }

  async createBatch(
    actor: StaffContext,
    input: { vaccine: string; lotNumber: string; manufacturer?: string; expiresOn: string; dosesPerVial?: number },
  ): Promise<BatchView> {
    if (!actor.roles.some((grant) => BATCH_ROLES.has(grant.role))) throw new ForbiddenError('may not register batches');
    const product = this.tenant.vaccines.find((v) => v.code === input.vaccine);
    if (!product) throw new ValidationError('unknown vaccine', [{ path: '/vaccine', code: 'choice' }]);
    const id = randomUUID();
    try {
      await inTransaction(this.em, async (em) => {
        await em.execute(
          `insert into batch (id, vaccine, lot_number, manufacturer, expires_on, doses_per_vial, created_by) values (?, ?, ?, ?, ?, ?, ?)`,
          [
            id,
            input.vaccine,
            input.lotNumber,
            input.manufacturer ?? product.manufacturer ?? null,
            input.expiresOn,
            input.dosesPerVial ?? product.dosesPerVial ?? 1,
            actor.user.id,
          ],
          'run',
        );
        this.record(actor, 'inventory.batch.create', 'batch', id, { vaccine: input.vaccine, lotNumber: input.lotNumber });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new BatchExistsError(input.lotNumber);
      throw error;
    }
    return this.batch(id);
  }

  async batches(filter: { vaccine?: string }): Promise<BatchView[]> {
    const rows = await this.em.execute<BatchRow[]>(
      `select ${BATCH_COLUMNS} from batch ${filter.vaccine ? 'where vaccine = ?' : ''} order by expires_on, lot_number`,
      filter.vaccine ? [filter.vaccine] : [],
    );
    return rows.map((row) => this.batchView(row));
  }

  async batch(id: string): Promise<BatchView> {
    const [row] = await this.em.execute<BatchRow[]>(`select ${BATCH_COLUMNS} from batch where id = ?`, [id]);
    if (!row) throw new NotFoundError('no such batch');
    return this.batchView(row);
  }

  /** Recalls a batch everywhere: from now on it is never issued or administered. */
  async recall(actor: StaffContext, batchId: string, reason: string): Promise<BatchView> {
    await this.batch(batchId);
    if (!actor.roles.some((grant) => RECALL_ROLES.has(grant.role))) throw new ForbiddenError('may not recall batches');
    await inTransaction(this.em, async (em) => {
      await em.execute(
        `update batch set state = 'recalled', recalled_at = now(), recall_reason = ? where id = ? and state = 'active'`,
        [reason, batchId],
        'run',
      );
      this.record(actor, 'inventory.batch.recall', 'batch', batchId, { reason });
    });
    return this.batch(batchId);
  }

  async receive(actor: StaffContext, input: { location: string; batchId: string; doses: number; reference?: string }) {
    const location = parseLocation(input.location);
    await this.authorizeAt(actor, location, 'manage');
    return inTransaction(this.em, async (em) => {
      const moved = await this.stock.receive(em, { ...input, location, actorId: actor.user.id });
      this.record(actor, 'inventory.receipt', 'batch', input.batchId, { location: input.location, doses: input.doses });
      return moved;
    });
  }

  async dispatch(actor: StaffContext, input: { from: string; to: string; batchId: string; doses: number; reference?: string }) {
    const from = parseLocation(input.from);
    await this.authorizeAt(actor, from, 'manage');
    return inTransaction(this.em, async (em) => {
      const sent = await this.stock.dispatch(em, { ...input, from, to: parseLocation(input.to), actorId: actor.user.id });
      this.record(actor, 'inventory.transfer.dispatch', 'transfer', sent.transferId, {
        from: input.from,
        to: input.to,
        doses: input.doses,
      });
      return sent;
    });
  }

  async receiveTransfer(actor: StaffContext, transferId: string, input: { doses: number; reason?: string }) {
    const [transfer] = await this.em.execute<{ to_kind: string; to_id: string }[]>(
      'select to_kind, to_id from stock_transfer where id = ?',
      [transferId],
    );
    if (!transfer) throw new NotFoundError('no such transfer');
    await this.authorizeAt(actor, { kind: transfer.to_kind, id: transfer.to_id } as Location, 'manage');
    return inTransaction(this.em, async (em) => {
      const received = await this.stock.receiveTransfer(em, {
        transferId,
        dosesReceived: input.doses,
        reason: input.reason,
        actorId: actor.user.id,
      });
      this.record(actor, 'inventory.transfer.receive', 'transfer', transferId, { doses: input.doses, discrepancy: received.discrepancy });
      return received;
    });
  }

  async transfers(actor: StaffContext, locationText: string) {
    const location = parseLocation(locationText);
    await this.authorizeAt(actor, location, 'read');
    const rows = await this.em.execute<Record<string, unknown>[]>(
      `select id, batch_id as "batchId", from_kind || ':' || from_id as "from", to_kind || ':' || to_id as "to",
         doses_sent as "dosesSent", doses_received as "dosesReceived", state, discrepancy_reason as "discrepancyReason",
         dispatched_at as "dispatchedAt", received_at as "receivedAt"
       from stock_transfer where (from_kind = ? and from_id = ?) or (to_kind = ? and to_id = ?) order by dispatched_at desc limit 200`,
      [location.kind, location.id, location.kind, location.id],
    );
    return rows;
  }

  async issue(actor: StaffContext, direction: 'issue' | 'return', input: { sessionId: string; batchId: string; doses: number }) {
    await this.authorizeAt(actor, { kind: 'session', id: input.sessionId }, 'manage');
    return inTransaction(this.em, async (em) => {
      const request = { ...input, actorId: actor.user.id };
      const moved = direction === 'issue' ? await this.stock.issue(em, request) : await this.stock.returnFromSession(em, request);
      this.record(actor, `inventory.${direction}`, 'session', input.sessionId, { batchId: input.batchId, doses: input.doses });
      return moved;
    });
  }

  async administer(
    actor: StaffContext,
    input: { facilityId: number; sessionId?: string; batchId: string; doses?: number; reference: string },
  ) {
    await this.authorizeAt(actor, { kind: 'facility', id: String(input.facilityId) }, 'operate');
    return inTransaction(this.em, (em) => this.stock.administer(em, { ...input, actorId: actor.user.id }));
  }

  async waste(actor: StaffContext, input: { location: string; batchId: string; doses: number; reason: WastageReason }) {
    const location = parseLocation(input.location);
    await this.authorizeAt(actor, location, 'manage');
    return inTransaction(this.em, async (em) => {
      const moved = await this.stock.waste(em, { ...input, location, actorId: actor.user.id });
      this.record(actor, 'inventory.wastage', 'batch', input.batchId, {
        location: input.location,
        doses: input.doses,
        reason: input.reason,
      });
      return moved;
    });
  }

  async adjust(actor: StaffContext, input: { location: string; batchId: string; counted: number; reason?: string }) {
    const location = parseLocation(input.location);
    await this.authorizeAt(actor, location, 'manage');
    return inTransaction(this.em, async (em) => {
      const adjusted = await this.stock.adjust(em, { ...input, location, actorId: actor.user.id });
      this.record(actor, 'inventory.adjustment', 'batch', input.batchId, { location: input.location, difference: adjusted.difference });
      return adjusted;
    });
  }

  async openVial(actor: StaffContext, input: { location: string; batchId: string }) {
    const location = parseLocation(input.location);
    await this.authorizeAt(actor, location, 'operate');
    return inTransaction(this.em, (em) => this.stock.openVial(em, { location, batchId: input.batchId, actorId: actor.user.id }));
  }

  async discardVial(actor: StaffContext, vialId: string, reason?: WastageReason) {
    const [vial] = await this.em.execute<{ location_kind: string; location_id: string }[]>(
      'select location_kind, location_id from open_vial where id = ?',
      [vialId],
    );
    if (!vial) throw new NotFoundError('no such vial');
    await this.authorizeAt(actor, { kind: vial.location_kind, id: vial.location_id } as Location, 'operate');
    return inTransaction(this.em, async (em) => {
      const discarded = await this.stock.discardVial(em, { vialId, reason, actorId: actor.user.id });
      this.record(actor, 'inventory.vial.discard', 'vial', vialId, { wasted: discarded.wasted });
      return discarded;
    });
  }

  async openVials(actor: StaffContext, locationText: string) {
    const location = parseLocation(locationText);
    await this.authorizeAt(actor, location, 'read');
    return this.em.execute<Record<string, unknown>[]>(
      `select v.id, v.batch_id as "batchId", b.vaccine, b.lot_number as "lotNumber", v.doses_in_vial as "dosesInVial",
         v.doses_left as "dosesLeft", v.opened_at as "openedAt", v.discard_at as "discardAt", v.discard_at <= now() as "due"
       from open_vial v join batch b on b.id = v.batch_id
       where v.location_kind = ? and v.location_id = ? and v.state = 'open' order by v.opened_at`,
      [location.kind, location.id],
    );
  }

  /** A location's balances per batch, with the sum of its movements beside each (they are equal). */
  async balances(actor: StaffContext, locationText: string) {
    const location = parseLocation(locationText);
    await this.authorizeAt(actor, location, 'read');
    const today = todayIn(this.tenant.timeZone);
    const rows = await this.em.execute<
      {
        batch_id: string;
        vaccine: string;
        lot_number: string;
        expires_on: string;
        state: string;
        doses: number;
        ledger: number;
        in_vials: number;
      }[]
    >(
      `select s.batch_id, b.vaccine, b.lot_number, b.expires_on::text as expires_on, b.state, s.doses,
         (select coalesce(sum(m.doses), 0)::int from stock_movement m
           where m.location_kind = s.location_kind and m.location_id = s.location_id and m.batch_id = s.batch_id) as ledger,
         (select coalesce(sum(v.doses_left), 0)::int from open_vial v
           where v.location_kind = s.location_kind and v.location_id = s.location_id and v.batch_id = s.batch_id and v.state = 'open') as in_vials
       from stock_balance s join batch b on b.id = s.batch_id
       where s.location_kind = ? and s.location_id = ? order by b.vaccine, b.expires_on, b.lot_number`,
      [location.kind, location.id],
    );
    return {
      location: formatLocation(location),
      batches: rows.map((r) => ({
        batchId: r.batch_id,
        vaccine: r.vaccine,
        lotNumber: r.lot_number,
        expiresOn: r.expires_on,
        usable: r.state === 'active' && r.expires_on >= today,
        doses: r.doses,
        inOpenVials: r.in_vials,
        ledgerSum: r.ledger,
      })),
    };
  }

  async movements(actor: StaffContext, locationText: string, batchId?: string) {
    const location = parseLocation(locationText);
    await this.authorizeAt(actor, location, 'read');
    return this.em.execute<Record<string, unknown>[]>(
      `select id::int as id, batch_id as "batchId", kind, doses, transfer_id as "transferId", reference, reason, at
       from stock_movement where location_kind = ? and location_id = ? ${batchId ? 'and batch_id = ?' : ''}
       order by id limit 1000`,
      batchId ? [location.kind, location.id, batchId] : [location.kind, location.id],
    );
  }

  private batchView(row: BatchRow): BatchView {
    return {
      id: row.id,
      vaccine: row.vaccine,
      lotNumber: row.lot_number,
      manufacturer: row.manufacturer,
      expiresOn: row.expires_on,
      dosesPerVial: row.doses_per_vial,
      state: row.state,
      expired: row.expires_on < todayIn(this.tenant.timeZone),
      recallReason: row.recall_reason,
    };
  }

  private record(actor: StaffContext, action: string, targetType: string, targetId: string, details: Record<string, unknown>): void {
    this.audit.record({ actorType: 'staff', actorId: actor.user.id, action, targetType, targetId, details });
  }
}

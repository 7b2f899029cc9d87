import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { run, statement } from '../kernel/db/prepared.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { todayIn } from '../scheduling/slots.js';
import {
  BatchExpiredError,
  BatchRecalledError,
  BatchVaccineMismatchError,
  OutOfStockError,
  TransferReceivedError,
  VialClosedError,
} from './errors.js';
import { dosesInOpenVials, lockBalance, lockBalances, type Moved, move } from './ledger.js';
import { assertLocation, facilityLocation, facilityOfSession, formatLocation, type Location } from './locations.js';

export const WASTAGE_REASONS = ['open-vial-expired', 'broken', 'temperature-excursion', 'expired', 'recalled', 'lost', 'other'] as const;
export type WastageReason = (typeof WASTAGE_REASONS)[number];

export interface BatchFacts {
  id: string;
  vaccine: string;
  lotNumber: string;
  expiresOn: string;
  dosesPerVial: number;
  state: 'active' | 'recalled';
}

export interface Administration {
  /** The facility where the dose is given. */
  facilityId: number;
  /** The session, when the dose is given in one: its own stock (issued to it) is used first. */
  sessionId?: string;
  batchId: string;
  /** Doses taken; default 1. */
  doses?: number;
  /** The vaccine being given, when known: a batch of another vaccine is refused. */
  vaccine?: string;
  /** What the doses were given for (a dose record id); kept on the movement. Never personal data. */
  reference: string;
  /** The member of staff giving the dose. */
  actorId?: string;
}

export interface Administered extends Moved {
  location: string;
  /** The open vial the doses came from (multi-dose products), with what is left in it. */
  vials: { id: string; dosesLeft: number; discardAt: string }[];
}

export interface OpenedVial {
  id: string;
  batchId: string;
  location: string;
  dosesInVial: number;
  dosesLeft: number;
  openedAt: string;
  discardAt: string;
}

/** Where `administer` takes doses from: the batch's facts and the location (the session's own stock, or the facility's). */
export interface AdministeringSource {
  batch: BatchFacts;
  location: Location;
}

interface TakeRow {
  /** The balance when the row was locked. */
  locked: number;
  expired: number;
  balance: number | null;
  movement_id: string | null;
  vial_id: string | null;
  doses_left: number | null;
  discard_at: Date | null;
}

interface VialRow {
  id: string;
  doses_left: number;
  doses_in_vial: number;
  opened_at: Date;
  discard_at: Date;
}

/**
 * The stock ledger's operations, each working in the transaction of the EntityManager it is given
 * (or in a transaction of its own when that EntityManager has none), so that stock moves exactly
 * when the caller's own change (a dose record, a session) is stored, and not at all otherwise.
 * Errors are typed with stable codes: `batch-expired`, `batch-recalled`, `out-of-stock` (409),
 * `batch-vaccine-mismatch` (409), `not-found` (404). Permissions are the caller's business.
 */
/** A single-dose product: the balance taken, if it holds enough, and the movement, in one statement. */
const TAKE_SINGLE_DOSES = statement(
  'teeka-stock-take-single',
  `with bal as (update stock_balance set doses = doses - ?, updated_at = now()
                where location_kind = ? and location_id = ? and batch_id = ? and doses >= ? returning doses),
        mv as (insert into stock_movement (batch_id, location_kind, location_id, kind, doses, reference, actor_id)
               select ?, ?, ?, 'administered', ?, ?, ? from bal returning id)
   select (select doses from bal) as balance, (select id from mv) as movement_id`,
);

/**
 * One dose of a multi-dose product: the balance row locked, then the dose from the oldest open
 * vial or a new one, in one call (the function teeka_take_vial_dose, Migration20261208010000StockTakeVialDose).
 */
const TAKE_VIAL_DOSE = statement(
  'teeka-stock-take-vial-dose',
  'select locked, expired, balance, movement_id, vial_id, doses_left, discard_at from teeka_take_vial_dose(?, ?, ?, ?, ?, ?, ?, ?)',
);

@injectable()
export class StockService {
  constructor(@inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig) {}

  /**
   * THE CONTRACT for the vaccination workflow: takes `doses` (default 1) of a batch for doses given
   * at a facility, inside the caller's transaction. Call it in the same transaction that stores the
   * dose record, passing that EntityManager; if the caller's transaction rolls back, the stock is
   * untouched.
   *
   * - Where from: the session's own stock when `sessionId` is given and stock of the batch was
   *   issued to that session, otherwise the facility's stock.
   * - Refuses a recalled batch (`BatchRecalledError`, `batch-recalled`), a batch past its expiry
   *   date in the tenant's calendar (`BatchExpiredError`, `batch-expired`), a batch of another
   *   vaccine than `vaccine` (`batch-vaccine-mismatch`), and more doses than are left
   *   (`OutOfStockError`, `out-of-stock`, with `requested` and `available`). Nothing changes then.
   * - Multi-dose products: doses come from the oldest open vial first; vials past their discard
   *   time are discarded first (their remaining doses recorded as wastage, `open-vial-expired`),
   *   and a new vial is opened when no open one has doses left.
   * - Concurrency: the balance row is locked for the rest of the caller's transaction (keep it
   *   short); concurrent administrations queue on it and never take more than there is.
   *
   * Answers the movement id, the new balance at the location and the vials used.
   */
  async administer(em: EntityManager, request: Administration): Promise<Administered> {
    const doses = request.doses ?? 1;
    if (!Number.isInteger(doses) || doses < 1)
      throw new ValidationError('doses must be a positive integer', [{ path: '/doses', code: 'range' }]);
    return this.inTransaction(em, async (tx) => this.take(tx, await this.source(tx, request), request));
  }

  /**
   * The first half of `administer`, which locks nothing: the batch (refused when recalled, expired
   * or of another vaccine) and the location the doses will come from. A caller that records a dose
   * reads it before its transaction, so the balance row is locked only by `take`, at the end.
   */
  async source(em: EntityManager, request: Administration): Promise<AdministeringSource> {
    const batch = await this.batch(em, request.batchId);
    this.assertUsable(batch);
    if (request.vaccine !== undefined && request.vaccine !== batch.vaccine)
      throw new BatchVaccineMismatchError(batch.vaccine, request.vaccine);
    return { batch, location: await this.administeringLocation(em, request, batch.id) };
  }

  /**
   * `source` from facts the caller read itself (a dose recording reads the batch and whether it
   * was issued to the session in the same query as everything else): the same refusals.
   */
  sourceOf(batch: BatchFacts | null | undefined, request: Administration, issuedToSession: boolean): AdministeringSource {
    if (!batch) throw new NotFoundError('no such batch');
    this.assertUsable(batch);
    if (request.vaccine !== undefined && request.vaccine !== batch.vaccine)
      throw new BatchVaccineMismatchError(batch.vaccine, request.vaccine);
    const location: Location =
      request.sessionId !== undefined && issuedToSession
        ? { kind: 'session', id: request.sessionId }
        : facilityLocation(request.facilityId);
    return { batch, location };
  }

  /**
   * The second half of `administer`, inside the caller's transaction: takes the doses at the
   * source `source` answered. It locks the balance row until the caller commits, so call it last,
   * right before the commit: concurrent doses at one location queue on that row for as long as
   * this transaction lasts after it. One dose, the common case, is one round trip: a statement for
   * a single-dose product, a call of teeka_take_vial_dose (the lock, then everything else) for a
   * multi-dose one; open vials past their discard time and several doses at once take the
   * step-by-step path.
   */
  async take(em: EntityManager, { batch, location }: AdministeringSource, request: Administration): Promise<Administered> {
    const doses = request.doses ?? 1;
    if (!Number.isInteger(doses) || doses < 1)
      throw new ValidationError('doses must be a positive integer', [{ path: '/doses', code: 'range' }]);
    if (!em.isInTransaction()) return this.inTransaction(em, (tx) => this.take(tx, { batch, location }, request));
    const key = [location.kind, location.id, batch.id];
    const movement = [batch.id, location.kind, location.id, -doses, request.reference, request.actorId ?? null];
    if (batch.dosesPerVial === 1) {
      // The conditional decrement and the movement in one statement: the row is locked from here to the commit.
      const [row] = await run<{ balance: number | null; movement_id: string | null }>(em, TAKE_SINGLE_DOSES, [
        doses,
        ...key,
        doses,
        ...movement,
      ]);
      if (row.balance === null) throw new OutOfStockError(doses, await lockBalance(em, batch.id, location));
      return { movementId: Number(row.movement_id), balance: row.balance, location: formatLocation(location), vials: [] };
    }
    if (doses === 1) {
      // The lock and the dose in one call: the function locks the balance row, then takes the dose
      // in a statement of its own, whose snapshot holds every earlier dose here. It writes only
      // when no open vial is past its discard time (those need wastage movements first: the general path).
      const [row] = await run<TakeRow>(em, TAKE_VIAL_DOSE, [
        ...key,
        randomUUID(),
        batch.dosesPerVial,
        request.actorId ?? null,
        Math.round(this.openVialHours(batch.vaccine) * 3600),
        request.reference,
      ]);
      if (row.locked >= 1 && row.expired === 0) {
        if (row.balance === null || row.vial_id === null) throw new OutOfStockError(doses, row.locked);
        return {
          movementId: Number(row.movement_id),
          balance: row.balance,
          location: formatLocation(location),
          vials: [{ id: row.vial_id, dosesLeft: row.doses_left!, discardAt: new Date(row.discard_at!).toISOString() }],
        };
      }
    }
    return this.takeStepByStep(em, batch, location, doses, request);
  }

  /** Every case of `take`, one statement at a time, with the balance row already locked. */
  private async takeStepByStep(em: EntityManager, batch: BatchFacts, location: Location, doses: number, request: Administration) {
    let balance = await lockBalance(em, batch.id, location);
    if (batch.dosesPerVial > 1) balance = await this.discardExpiredVials(em, batch.id, location, request.actorId);
    if (balance < doses) throw new OutOfStockError(doses, balance);
    const inVials = batch.dosesPerVial > 1 ? await dosesInOpenVials(em, batch.id, location) : 0;
    const moved = await move(em, {
      batchId: batch.id,
      location,
      kind: 'administered',
      doses: -doses,
      reference: request.reference,
      actorId: request.actorId,
    });
    const vials = batch.dosesPerVial > 1 ? await this.takeFromVials(em, batch, location, doses, balance - inVials, request.actorId) : [];
    return { ...moved, location: formatLocation(location), vials };
  }

  /** Stock received from outside the country's chain (a manufacturer's or supplier's delivery). */
  async receive(em: EntityManager, input: { location: Location; batchId: string; doses: number; reference?: string; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      this.assertUsable(batch);
      await assertLocation(tx, input.location);
      await lockBalance(tx, batch.id, input.location, true);
      return move(tx, { ...input, kind: 'receipt', doses: input.doses });
    });
  }

  /**
   * Dispatches stock to another store or facility: out of the source now, in transit until the
   * destination receives it. Expired and recalled batches may travel (back for disposal).
   */
  async dispatch(
    em: EntityManager,
    input: { from: Location; to: Location; batchId: string; doses: number; reference?: string; actorId?: string },
  ): Promise<{ transferId: string; balance: number }> {
    if (formatLocation(input.from) === formatLocation(input.to)) {
      throw new ValidationError('a transfer goes to another location', [{ path: '/to', code: 'same-location' }]);
    }
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      await assertLocation(tx, input.from);
      await assertLocation(tx, input.to);
      await this.assertFree(tx, batch.id, input.from, input.doses);
      const transferId = randomUUID();
      await tx.execute(
        `insert into stock_transfer (id, batch_id, from_kind, from_id, to_kind, to_id, doses_sent, reference, dispatched_by)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          transferId,
          batch.id,
          input.from.kind,
          input.from.id,
          input.to.kind,
          input.to.id,
          input.doses,
          input.reference ?? null,
          input.actorId ?? null,
        ],
        'run',
      );
      const common = { batchId: batch.id, transferId, reference: input.reference, actorId: input.actorId };
      const out = await move(tx, { ...common, location: input.from, kind: 'dispatch', doses: -input.doses });
      await move(tx, { ...common, location: { kind: 'transit', id: transferId }, kind: 'transit-in', doses: input.doses });
      return { transferId, balance: out.balance };
    });
  }

  /**
   * The destination receives a transfer: what was sent leaves transit and arrives; a count that
   * differs from what was sent is recorded as a `discrepancy` movement at the destination, with
   * its reason, so the ledger shows both what was sent and what came.
   */
  async receiveTransfer(em: EntityManager, input: { transferId: string; dosesReceived: number; reason?: string; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const [transfer] = await tx.execute<{ batch_id: string; to_kind: string; to_id: string; doses_sent: number; state: string }[]>(
        'select batch_id, to_kind, to_id, doses_sent, state from stock_transfer where id = ? for update',
        [input.transferId],
      );
      if (!transfer) throw new NotFoundError('no such transfer');
      if (transfer.state !== 'in-transit') throw new TransferReceivedError();
      const to = { kind: transfer.to_kind, id: transfer.to_id } as Location;
      const transit: Location = { kind: 'transit', id: input.transferId };
      await lockBalances(tx, transfer.batch_id, [to, transit], true);
      const common = { batchId: transfer.batch_id, transferId: input.transferId, actorId: input.actorId };
      await move(tx, { ...common, location: transit, kind: 'transit-out', doses: -transfer.doses_sent });
      let moved = await move(tx, { ...common, location: to, kind: 'transfer-in', doses: transfer.doses_sent });
      const difference = input.dosesReceived - transfer.doses_sent;
      if (difference !== 0) {
        moved = await move(tx, {
          ...common,
          location: to,
          kind: 'discrepancy',
          doses: difference,
          reason: input.reason ?? 'count-differs',
        });
      }
      await tx.execute(
        `update stock_transfer set state = 'received', doses_received = ?, discrepancy_reason = ?, received_by = ?, received_at = now()
         where id = ?`,
        [input.dosesReceived, difference === 0 ? null : (input.reason ?? null), input.actorId ?? null, input.transferId],
        'run',
      );
      return { ...moved, discrepancy: difference, location: formatLocation(to) };
    });
  }

  /** Issues stock from a facility to one of its sessions (refused for expired or recalled batches). */
  async issue(em: EntityManager, input: { sessionId: string; batchId: string; doses: number; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      this.assertUsable(batch);
      const { facility, session } = await this.sessionLocations(tx, input.sessionId);
      await lockBalances(tx, batch.id, [facility, session], true);
      await this.assertFree(tx, batch.id, facility, input.doses);
      const common = { batchId: batch.id, reference: input.sessionId, actorId: input.actorId };
      await move(tx, { ...common, location: facility, kind: 'issue', doses: -input.doses });
      return move(tx, { ...common, location: session, kind: 'issue', doses: input.doses });
    });
  }

  /** Returns a session's unused (unopened) stock to its facility. */
  async returnFromSession(em: EntityManager, input: { sessionId: string; batchId: string; doses: number; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      const { facility, session } = await this.sessionLocations(tx, input.sessionId);
      await lockBalances(tx, batch.id, [facility, session], true);
      await this.assertFree(tx, batch.id, session, input.doses);
      const common = { batchId: batch.id, reference: input.sessionId, actorId: input.actorId };
      await move(tx, { ...common, location: session, kind: 'return', doses: -input.doses });
      return move(tx, { ...common, location: facility, kind: 'return', doses: input.doses });
    });
  }

  /** Wastage of unopened doses (broken, temperature excursion...); open vials are discarded instead. */
  async waste(em: EntityManager, input: { location: Location; batchId: string; doses: number; reason: WastageReason; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      await assertLocation(tx, input.location);
      await this.assertFree(tx, batch.id, input.location, input.doses);
      return move(tx, { ...input, kind: 'wastage', doses: -input.doses });
    });
  }

  /**
   * A physical count: the balance becomes the doses counted (open vials included), through an
   * `adjustment` movement of the difference. A count matching the balance records nothing.
   */
  async adjust(em: EntityManager, input: { location: Location; batchId: string; counted: number; reason?: string; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      await assertLocation(tx, input.location);
      const balance = await lockBalance(tx, batch.id, input.location, true);
      const inVials = await dosesInOpenVials(tx, batch.id, input.location);
      if (input.counted < inVials) {
        throw new ValidationError('the count is below the doses in open vials: discard them first', [
          { path: '/counted', code: 'count-below-open-vials' },
        ]);
      }
      const difference = input.counted - balance;
      if (difference === 0) return { movementId: null, balance, difference };
      const moved = await move(tx, {
        batchId: batch.id,
        location: input.location,
        kind: 'adjustment',
        doses: difference,
        reason: input.reason ?? 'physical-count',
        actorId: input.actorId,
      });
      return { ...moved, difference };
    });
  }

  /** Opens a vial of a multi-dose batch: its doses are then used first and discarded at `discardAt`. */
  async openVial(em: EntityManager, input: { location: Location; batchId: string; actorId?: string }): Promise<OpenedVial> {
    return this.inTransaction(em, async (tx) => {
      const batch = await this.batch(tx, input.batchId);
      this.assertUsable(batch);
      await assertLocation(tx, input.location);
      const balance = await this.discardExpiredVials(tx, batch.id, input.location, input.actorId);
      const free = balance - (await dosesInOpenVials(tx, batch.id, input.location));
      if (free < 1) throw new OutOfStockError(batch.dosesPerVial, free);
      const row = await this.insertVial(tx, batch, input.location, Math.min(batch.dosesPerVial, free), 0, input.actorId);
      return vialView(row, batch.id, input.location);
    });
  }

  /** Discards an open vial; the doses left in it are recorded as wastage. */
  async discardVial(em: EntityManager, input: { vialId: string; reason?: WastageReason; actorId?: string }) {
    return this.inTransaction(em, async (tx) => {
      const [vial] = await tx.execute<{ batch_id: string; location_kind: string; location_id: string }[]>(
        'select batch_id, location_kind, location_id from open_vial where id = ?',
        [input.vialId],
      );
      if (!vial) throw new NotFoundError('no such vial');
      const location = { kind: vial.location_kind, id: vial.location_id } as Location;
      await lockBalance(tx, vial.batch_id, location);
      const [closed] = await tx.execute<{ doses_left: number }[]>(
        `update open_vial set state = 'discarded', closed_at = now() where id = ? and state = 'open' returning doses_left`,
        [input.vialId],
      );
      if (!closed) throw new VialClosedError();
      const reason = input.reason ?? 'open-vial-expired';
      if (closed.doses_left === 0) return { wasted: 0, balance: await lockBalance(tx, vial.batch_id, location) };
      const moved = await move(tx, {
        batchId: vial.batch_id,
        location,
        kind: 'wastage',
        doses: -closed.doses_left,
        reason,
        actorId: input.actorId,
      });
      return { ...moved, wasted: closed.doses_left };
    });
  }

  /** The batch's facts, or a 404. */
  async batch(em: EntityManager, batchId: string): Promise<BatchFacts> {
    const [row] = await em.execute<
      { id: string; vaccine: string; lot_number: string; expires_on: string; doses_per_vial: number; state: 'active' | 'recalled' }[]
    >('select id, vaccine, lot_number, expires_on::text as expires_on, doses_per_vial, state from batch where id = ?', [batchId]);
    if (!row) throw new NotFoundError('no such batch');
    return {
      id: row.id,
      vaccine: row.vaccine,
      lotNumber: row.lot_number,
      expiresOn: row.expires_on,
      dosesPerVial: row.doses_per_vial,
      state: row.state,
    };
  }

  /** Refuses a recalled batch, or one whose expiry date has passed in the tenant's calendar. */
  assertUsable(batch: BatchFacts, today = todayIn(this.tenant.timeZone)): void {
    if (batch.state === 'recalled') throw new BatchRecalledError(batch.lotNumber);
    if (batch.expiresOn < today) throw new BatchExpiredError(batch.lotNumber, batch.expiresOn);
  }

  /** Hours an opened vial of the vaccine may be used (the product's, else the tenant's default). */
  openVialHours(vaccine: string): number {
    return this.tenant.vaccines.find((v) => v.code === vaccine)?.openVialHours ?? this.tenant.inventory.openVialHours;
  }

  private async inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    if (em.isInTransaction()) return work(em);
    return em.transactional((tx) => work(tx as EntityManager));
  }

  /** Locks the row and checks that `doses` are there outside open vials. */
  private async assertFree(em: EntityManager, batchId: string, location: Location, doses: number): Promise<void> {
    const balance = await lockBalance(em, batchId, location);
    const free = balance - (await dosesInOpenVials(em, batchId, location));
    if (free < doses) throw new OutOfStockError(doses, free);
  }

  private async administeringLocation(em: EntityManager, request: Administration, batchId: string): Promise<Location> {
    await assertLocation(em, facilityLocation(request.facilityId));
    if (request.sessionId === undefined) return facilityLocation(request.facilityId);
    const facility = await facilityOfSession(em, request.sessionId);
    if (facility !== request.facilityId) throw new NotFoundError('no such session at this facility');
    const issued = await em.execute(`select 1 from stock_balance where location_kind = 'session' and location_id = ? and batch_id = ?`, [
      request.sessionId,
      batchId,
    ]);
    return issued.length > 0 ? { kind: 'session', id: request.sessionId } : facilityLocation(request.facilityId);
  }

  private async sessionLocations(em: EntityManager, sessionId: string): Promise<{ facility: Location; session: Location }> {
    const facilityId = await facilityOfSession(em, sessionId);
    if (facilityId === undefined) throw new NotFoundError('no such session');
    return { facility: facilityLocation(facilityId), session: { kind: 'session', id: sessionId } };
  }

  /** Discards the open vials past their discard time (wastage of what is left); answers the new balance. */
  private async discardExpiredVials(em: EntityManager, batchId: string, location: Location, actorId?: string): Promise<number> {
    let balance = await lockBalance(em, batchId, location);
    const expired = await em.execute<{ doses_left: number }[]>(
      `update open_vial set state = 'discarded', closed_at = now()
       where location_kind = ? and location_id = ? and batch_id = ? and state = 'open' and discard_at <= now()
       returning doses_left`,
      [location.kind, location.id, batchId],
    );
    for (const vial of expired) {
      if (vial.doses_left === 0) continue;
      const moved = await move(em, { batchId, location, kind: 'wastage', doses: -vial.doses_left, reason: 'open-vial-expired', actorId });
      balance = moved.balance;
    }
    return balance;
  }

  /** Takes doses from open vials, oldest first, opening new ones from the `unopened` doses as needed. */
  private async takeFromVials(em: EntityManager, batch: BatchFacts, location: Location, doses: number, unopened: number, actorId?: string) {
    const used: Administered['vials'] = [];
    let wanted = doses;
    const open = await em.execute<VialRow[]>(
      `select id, doses_left, doses_in_vial, opened_at, discard_at from open_vial
       where location_kind = ? and location_id = ? and batch_id = ? and state = 'open' and doses_left > 0
       order by opened_at, id`,
      [location.kind, location.id, batch.id],
    );
    for (const vial of open) {
      if (wanted === 0) break;
      const take = Math.min(wanted, vial.doses_left);
      await this.takeFrom(em, vial.id, take);
      wanted -= take;
      used.push({ id: vial.id, dosesLeft: vial.doses_left - take, discardAt: new Date(vial.discard_at).toISOString() });
    }
    let free = unopened;
    while (wanted > 0 && free > 0) {
      const size = Math.min(batch.dosesPerVial, free);
      const take = Math.min(wanted, size);
      const vial = await this.insertVial(em, batch, location, size, take, actorId);
      free -= size;
      wanted -= take;
      used.push({ id: vial.id, dosesLeft: vial.doses_left, discardAt: new Date(vial.discard_at).toISOString() });
    }
    return used;
  }

  private async takeFrom(em: EntityManager, vialId: string, doses: number): Promise<void> {
    await em.execute(
      `update open_vial set doses_left = doses_left - ?,
         state = case when doses_left = ? then 'used-up' else 'open' end,
         closed_at = case when doses_left = ? then now() else null end
       where id = ?`,
      [doses, doses, doses, vialId],
      'run',
    );
  }

  private async insertVial(em: EntityManager, batch: BatchFacts, location: Location, size: number, taken: number, actorId?: string) {
    const usedUp = size === taken;
    const [row] = await em.execute<VialRow[]>(
      `insert into open_vial (id, batch_id, location_kind, location_id, doses_in_vial, doses_left, state, opened_by, discard_at, closed_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?), ${usedUp ? 'now()' : 'null'})
       returning id, doses_left, doses_in_vial, opened_at, discard_at`,
      [
        randomUUID(),
        batch.id,
        location.kind,
        location.id,
        size,
        size - taken,
        usedUp ? 'used-up' : 'open',
        actorId ?? null,
        Math.round(this.openVialHours(batch.vaccine) * 3600),
      ],
    );
    return row;
  }
}

function vialView(row: VialRow, batchId: string, location: Location): OpenedVial {
  return {
    id: row.id,
    batchId,
    location: formatLocation(location),
    dosesInVial: row.doses_in_vial,
    dosesLeft: row.doses_left,
    openedAt: new Date(row.opened_at).toISOString(),
    discardAt: new Date(row.discard_at).toISOString(),
  };
}

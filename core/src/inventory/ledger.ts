import type { EntityManager } from '@mikro-orm/postgresql';
import { run, statement } from '../kernel/db/prepared.js';
import { OutOfStockError } from './errors.js';
import { formatLocation, type Location } from './locations.js';

/**
 * The stock ledger's two statements, used only inside a transaction: lock a balance row, and
 * record a movement (the balance changed by one conditional statement, the movement appended).
 * Every operation locks the rows it changes first, in one fixed order, so concurrent operations on
 * the same (location, batch) queue on that row instead of reading a stale balance, and two
 * operations touching the same pair of rows never wait on each other crosswise.
 */

export type MovementKind =
  | 'receipt'
  | 'dispatch'
  | 'transit-in'
  | 'transit-out'
  | 'transfer-in'
  | 'discrepancy'
  | 'issue'
  | 'return'
  | 'administered'
  | 'wastage'
  | 'adjustment';

export interface Movement {
  batchId: string;
  location: Location;
  kind: MovementKind;
  /** Signed: positive into the location, negative out of it. Never 0. */
  doses: number;
  transferId?: string;
  reference?: string;
  reason?: string;
  actorId?: string;
}

export interface Moved {
  movementId: number;
  /** The location's balance of the batch after the movement. */
  balance: number;
}

const LOCK_BALANCE = statement(
  'teeka-stock-lock-balance',
  'select doses from stock_balance where location_kind = ? and location_id = ? and batch_id = ? for update',
);

/**
 * Locks the balance rows of a batch at the given locations, in a fixed order, and answers their
 * doses (0 for a location that holds none). `create` makes missing rows (for stock coming in).
 */
export async function lockBalances(
  em: EntityManager,
  batchId: string,
  locations: Location[],
  create = false,
): Promise<Map<string, number>> {
  const keys = [...new Set(locations.map(formatLocation))].sort();
  const balances = new Map<string, number>();
  for (const key of keys) {
    const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    if (create) {
      await em.execute(
        `insert into stock_balance (location_kind, location_id, batch_id, doses) values (?, ?, ?, 0) on conflict do nothing`,
        [kind, id, batchId],
        'run',
      );
    }
    const [row] = await run<{ doses: number }>(em, LOCK_BALANCE, [kind, id, batchId]);
    balances.set(key, row?.doses ?? 0);
  }
  return balances;
}

export async function lockBalance(em: EntityManager, batchId: string, location: Location, create = false): Promise<number> {
  return (await lockBalances(em, batchId, [location], create)).get(formatLocation(location)) ?? 0;
}

/** Doses left in the open vials of a batch at a location: counted in its balance, not free to move. */
export async function dosesInOpenVials(em: EntityManager, batchId: string, location: Location): Promise<number> {
  const [row] = await em.execute<{ doses: number }[]>(
    `select coalesce(sum(doses_left), 0)::int as doses from open_vial
     where location_kind = ? and location_id = ? and batch_id = ? and state = 'open'`,
    [location.kind, location.id, batchId],
  );
  return row.doses;
}

/**
 * Appends a movement and changes the balance by the same amount. Stock going out is taken by a
 * conditional UPDATE (`doses >= n`), so a balance never goes negative even if a caller forgot to
 * check; the table's CHECK (doses >= 0) backs it up.
 */
export async function move(em: EntityManager, movement: Movement): Promise<Moved> {
  const { batchId, location, doses } = movement;
  let balance: number;
  if (doses > 0) {
    const [row] = await em.execute<{ doses: number }[]>(
      `insert into stock_balance (location_kind, location_id, batch_id, doses) values (?, ?, ?, ?)
       on conflict (location_kind, location_id, batch_id)
       do update set doses = stock_balance.doses + excluded.doses, updated_at = now()
       returning doses`,
      [location.kind, location.id, batchId, doses],
    );
    balance = row.doses;
  } else {
    const rows = await em.execute<{ doses: number }[]>(
      `update stock_balance set doses = doses - ?, updated_at = now()
       where location_kind = ? and location_id = ? and batch_id = ? and doses >= ?
       returning doses`,
      [-doses, location.kind, location.id, batchId, -doses],
    );
    if (rows.length === 0) throw new OutOfStockError(-doses, await lockBalance(em, batchId, location));
    balance = rows[0].doses;
  }
  const [row] = await em.execute<{ id: string }[]>(
    `insert into stock_movement (batch_id, location_kind, location_id, kind, doses, transfer_id, reference, reason, actor_id)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      batchId,
      location.kind,
      location.id,
      movement.kind,
      doses,
      movement.transferId ?? null,
      movement.reference ?? null,
      movement.reason ?? null,
      movement.actorId ?? null,
    ],
  );
  return { movementId: Number(row.id), balance };
}

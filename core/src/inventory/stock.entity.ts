import { defineEntity, p } from '@mikro-orm/core';

/**
 * The stock ledger's tables. Rows are written by the ledger (inventory/ledger.ts) with plain SQL
 * so that every change of a balance is one conditional statement; these definitions let MikroORM
 * know the tables and let reports read them.
 */
export const StockBalanceSchema = defineEntity({
  name: 'StockBalance',
  tableName: 'stock_balance',
  properties: {
    locationKind: p.string().length(8).primary(),
    locationId: p.string().length(40).primary(),
    batchId: p.uuid().primary(),
    doses: p.integer(),
    updatedAt: p.datetime(),
  },
});
export class StockBalance extends StockBalanceSchema.class {}
StockBalanceSchema.setClass(StockBalance);

/** One signed change of a balance; never updated or deleted. */
export const StockMovementSchema = defineEntity({
  name: 'StockMovement',
  tableName: 'stock_movement',
  properties: {
    id: p.bigint('number').primary(),
    batchId: p.uuid(),
    locationKind: p.string().length(8),
    locationId: p.string().length(40),
    kind: p.string().length(16),
    doses: p.integer(),
    transferId: p.uuid().nullable(),
    reference: p.string().length(100).nullable(),
    reason: p.string().length(40).nullable(),
    actorId: p.uuid().nullable(),
    at: p.datetime(),
  },
});
export class StockMovement extends StockMovementSchema.class {}
StockMovementSchema.setClass(StockMovement);

/** A transfer between two locations: dispatched, then received (possibly with a discrepancy). */
export const StockTransferSchema = defineEntity({
  name: 'StockTransfer',
  tableName: 'stock_transfer',
  properties: {
    id: p.uuid().primary(),
    batchId: p.uuid(),
    fromKind: p.string().length(8),
    fromId: p.string().length(40),
    toKind: p.string().length(8),
    toId: p.string().length(40),
    dosesSent: p.integer(),
    dosesReceived: p.integer().nullable(),
    state: p.string().length(10).$type<'in-transit' | 'received'>(),
    discrepancyReason: p.string().length(200).nullable(),
    reference: p.string().length(100).nullable(),
    dispatchedBy: p.uuid().nullable(),
    dispatchedAt: p.datetime(),
    receivedBy: p.uuid().nullable(),
    receivedAt: p.datetime().nullable(),
  },
});
export class StockTransfer extends StockTransferSchema.class {}
StockTransferSchema.setClass(StockTransfer);

/** An opened multi-dose vial: its doses still count in the balance until used or discarded. */
export const OpenVialSchema = defineEntity({
  name: 'OpenVial',
  tableName: 'open_vial',
  properties: {
    id: p.uuid().primary(),
    batchId: p.uuid(),
    locationKind: p.string().length(8),
    locationId: p.string().length(40),
    dosesInVial: p.integer(),
    dosesLeft: p.integer(),
    state: p.string().length(10).$type<'open' | 'used-up' | 'discarded'>(),
    openedBy: p.uuid().nullable(),
    openedAt: p.datetime(),
    discardAt: p.datetime(),
    closedAt: p.datetime().nullable(),
  },
});
export class OpenVial extends OpenVialSchema.class {}
OpenVialSchema.setClass(OpenVial);

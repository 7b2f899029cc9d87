import type { WastageReason } from '../inventory/stock-service.js';
import { dayLabel, type Formats, number, vaccineName } from '../scheduling/page-views.js';

/**
 * How the stock pages show balances, open vials, alerts and batch choices: vaccine names from the
 * tenant's file, expiry days and amounts through Intl in the request's locale. Pure functions.
 */
export interface Balance {
  batchId: string;
  vaccine: string;
  lotNumber: string;
  expiresOn: string;
  usable: boolean;
  doses: number;
  inOpenVials: number;
}

export interface OpenVial {
  id: string;
  vaccine: string;
  lotNumber: string;
  dosesInVial: number;
  dosesLeft: number;
  openedAt: Date | string;
  discardAt: Date | string;
  due: boolean;
}

export interface StockAlerts {
  lowStock: { thresholdDays: number; items: { vaccine: string; doses: number; daysOfStock: number | null }[] };
  expiring: { withinDays: number; items: { vaccine: string; lotNumber: string; expiresOn: string; doses: number; expired: boolean }[] };
}

/** Wastage a person records by hand (`open-vial-expired` is recorded by the system). */
export const HAND_WASTAGE_REASONS = [
  'broken',
  'temperature-excursion',
  'expired',
  'recalled',
  'lost',
  'other',
] as const satisfies readonly WastageReason[];
/** Why a physical count differs from the balance: stored as the adjustment's reason. */
export const COUNT_REASONS = ['physical-count', 'recording-error', 'found-stock', 'unrecorded-loss'] as const;

export function balanceRows(f: Formats, balances: Balance[], today: string) {
  return balances
    .filter((b) => b.doses > 0)
    .map((b) => ({
      vaccine: vaccineName(f, b.vaccine),
      lotNumber: b.lotNumber,
      expires: dayLabel(f, b.expiresOn, 'medium'),
      doses: b.doses,
      inOpenVials: b.inOpenVials,
      usable: b.usable,
      status: b.usable ? f.t('centre:stock.usable') : b.expiresOn < today ? f.t('centre:stock.expired') : f.t('centre:stock.recalled'),
    }));
}

export function vialRows(f: Formats, vials: OpenVial[]) {
  return vials.map((v) => ({
    vaccine: vaccineName(f, v.vaccine),
    lotNumber: v.lotNumber,
    dosesLeft: v.dosesLeft,
    dosesInVial: v.dosesInVial,
    openedAt: new Date(v.openedAt).toISOString(),
    discardAt: new Date(v.discardAt).toISOString(),
    due: v.due,
  }));
}

export function alertRows(f: Formats, alerts: StockAlerts) {
  const days = new Intl.NumberFormat(f.locale, { maximumFractionDigits: 1 });
  return {
    thresholdDays: alerts.lowStock.thresholdDays,
    withinDays: alerts.expiring.withinDays,
    lowStock: alerts.lowStock.items.map((item) =>
      f.t('centre:alerts.lowStockItem', {
        vaccine: vaccineName(f, item.vaccine),
        days: days.format(item.daysOfStock ?? 0),
        doses: number(f, item.doses),
      }),
    ),
    expiring: alerts.expiring.items.map((item) =>
      f.t(item.expired ? 'centre:alerts.expiredItem' : 'centre:alerts.expiringItem', {
        vaccine: vaccineName(f, item.vaccine),
        lot: item.lotNumber,
        expires: dayLabel(f, item.expiresOn, 'medium'),
        doses: number(f, item.doses),
      }),
    ),
  };
}

/** A batch as an option of a select: vaccine, lot, expiry and (when known) the doses here. */
export function batchOption(
  f: Formats,
  batch: { id: string; vaccine: string; lotNumber: string; expiresOn: string; doses?: number },
  chosen: string,
) {
  const facts = { vaccine: vaccineName(f, batch.vaccine), lot: batch.lotNumber, expires: dayLabel(f, batch.expiresOn, 'medium') };
  return {
    id: batch.id,
    label:
      batch.doses === undefined
        ? f.t('centre:stock.batchOption', facts)
        : f.t('centre:stock.batchOptionDoses', { ...facts, doses: number(f, batch.doses) }),
    selected: batch.id === chosen,
  };
}

export function reasonOptions(f: Formats, reasons: readonly string[], chosen: string, kind: 'wastage' | 'count') {
  return reasons.map((reason) => ({ value: reason, label: f.t(`centre:${kind}Reasons.${reason}`), selected: reason === chosen }));
}

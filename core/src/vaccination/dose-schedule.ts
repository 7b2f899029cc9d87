import type { VaccineConfig } from '../kernel/tenancy/tenant-config.js';

export interface GivenDose {
  vaccine: string;
  doseNumber: number;
  /** ISO date (YYYY-MM-DD) in the tenant's calendar. */
  givenOn: string;
}

export type NextDose =
  | { status: 'due'; doseNumber: number; kind: 'primary' | 'booster'; vaccines: string[]; earliest: string; latest?: string }
  | { status: 'complete'; vaccine: string };

const DAY_MS = 86_400_000;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * What a person is due for next, from the doses they had and the tenant's vaccines: dose 1 of any
 * vaccine; then the next dose of the vaccine they started with, within its interval; after the
 * primary series, one booster (of any vaccine offering boosters) once its waiting time is over.
 * Pure, so eligibility can be tested table by table.
 */
export function nextDose(history: readonly GivenDose[], vaccines: readonly VaccineConfig[], today: string): NextDose {
  const doses = [...history].sort((a, b) => a.doseNumber - b.doseNumber);
  const last = doses.at(-1);
  if (!last) return { status: 'due', doseNumber: 1, kind: 'primary', vaccines: vaccines.map((v) => v.code), earliest: today };
  const started = vaccines.find((v) => v.code === doses[0].vaccine);
  if (!started) return { status: 'complete', vaccine: doses[0].vaccine };
  const next = last.doseNumber + 1;
  if (next <= started.doses) {
    const interval = started.intervals.find((i) => i.dose === next);
    return {
      status: 'due',
      doseNumber: next,
      kind: 'primary',
      vaccines: [started.code],
      earliest: addDays(last.givenOn, interval?.minDays ?? 0),
      ...(interval?.maxDays !== undefined ? { latest: addDays(last.givenOn, interval.maxDays) } : {}),
    };
  }
  if (next > started.doses + 1 || !started.booster) return { status: 'complete', vaccine: started.code };
  return {
    status: 'due',
    doseNumber: next,
    kind: 'booster',
    vaccines: vaccines.filter((v) => v.booster).map((v) => v.code),
    earliest: addDays(last.givenOn, started.booster.minDaysAfterLastDose),
  };
}

import { dateTimeFormat } from '../kernel/i18n/intl-cache.js';
/** Time slots written as Co-WIN writes them: "09:00AM-11:00AM" (12-hour clock, local time). */
export interface ParsedSlot {
  /** The label in canonical form ("09:00AM-11:00AM"). */
  label: string;
  /** Minutes since midnight. */
  from: number;
  to: number;
}

const SLOT = /^\s*(0?[1-9]|1[0-2]):([0-5][0-9])\s*([AP]M)\s*-\s*(0?[1-9]|1[0-2]):([0-5][0-9])\s*([AP]M)\s*$/i;

function minutes(hour: string, minute: string, half: string): number {
  return ((Number(hour) % 12) + (half.toUpperCase() === 'PM' ? 12 : 0)) * 60 + Number(minute);
}

function clock(total: number): string {
  const hour = Math.floor(total / 60);
  const half = hour >= 12 ? 'PM' : 'AM';
  return `${String(hour % 12 === 0 ? 12 : hour % 12).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}${half}`;
}

/** One slot, or undefined when it is not "HH:MMAM-HH:MMPM" with the start before the end. */
export function parseSlot(text: string): ParsedSlot | undefined {
  const match = SLOT.exec(text);
  if (!match) return undefined;
  const from = minutes(match[1], match[2], match[3]);
  const to = minutes(match[4], match[5], match[6]);
  if (from >= to) return undefined;
  return { label: `${clock(from)}-${clock(to)}`, from, to };
}

/** "HH:MM" (24-hour, as facilities' opening hours are written) → minutes since midnight. */
export function minutesOf(hhmm: string): number {
  const [hour, minute] = hhmm.split(':').map(Number);
  return hour * 60 + minute;
}

/** `total` places shared as evenly as possible over `count` slots, the first ones taking the rest. */
export function evenSplit(total: number, count: number): number[] {
  const base = Math.floor(total / count);
  return Array.from({ length: count }, (_, index) => base + (index < total % count ? 1 : 0));
}

/**
 * Today's date (YYYY-MM-DD) in a time zone. Every availability search asks it, so the day is kept
 * per zone for the current minute: days change on whole minutes in every zone in use.
 */
export function todayIn(timeZone: string, now?: Date): string {
  if (now) return dayIn(timeZone, now);
  const minute = Math.floor(Date.now() / 60_000);
  const known = todayByZone.get(timeZone);
  if (known?.minute === minute) return known.day;
  const day = dayIn(timeZone, new Date(minute * 60_000));
  todayByZone.set(timeZone, { minute, day });
  return day;
}
const todayByZone = new Map<string, { minute: number; day: string }>();
const dayIn = (timeZone: string, at: Date) =>
  dateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

/** A real calendar date written YYYY-MM-DD (not 2026-02-30). */
export function isIsoDate(text: string): boolean {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

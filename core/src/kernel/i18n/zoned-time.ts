import { boundedMemo } from '../cache/bounded-memo.js';
import { dateTimeFormat } from './intl-cache.js';

/** Minutes the zone is ahead of UTC at an instant. */
function zoneOffsetMinutes(instant: number, timeZone: string): number {
  const parts = dateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return Math.round((wall - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

/**
 * Instants already worked out, by zone, day and minutes. Each takes two formatToParts calls (about
 * 10 µs), and the same few recur on every notice of a busy session (its day, its slots' start and
 * end): the confirmations of a booking storm spent 3 % of the main thread here. Emptied when it
 * grows past a bound, so a long-running process keeps only recent days.
 */
const instants = boundedMemo<number>(10_000);

/** The instant a wall-clock time (`minutes` after midnight on `date`) happens in a time zone. */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date {
  const instant = instants(`${timeZone} ${date} ${minutes}`, () => {
    const wall = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
    const guess = wall - zoneOffsetMinutes(wall, timeZone) * 60_000;
    // Once more with the offset at the guess itself, for days when the clocks change.
    return wall - zoneOffsetMinutes(guess, timeZone) * 60_000;
  });
  return new Date(instant);
}

import test from 'ava';
import { zonedInstant } from '../../src/kernel/i18n/zoned-time.js';

test('a wall-clock time becomes its instant in the zone, on ordinary days and the days clocks change', (t) => {
  t.is(zonedInstant('2030-01-09', 18 * 60, 'Asia/Kolkata').toISOString(), '2030-01-09T12:30:00.000Z');
  // Kyiv: EET (+2) in winter, EEST (+3) from 03:00 on the last Sunday of March 2030 (the 31st).
  t.is(zonedInstant('2030-03-30', 9 * 60, 'Europe/Kyiv').toISOString(), '2030-03-30T07:00:00.000Z');
  t.is(zonedInstant('2030-03-31', 9 * 60, 'Europe/Kyiv').toISOString(), '2030-03-31T06:00:00.000Z');
  t.is(zonedInstant('2030-03-31', 60, 'Europe/Kyiv').toISOString(), '2030-03-30T23:00:00.000Z', 'before the change');
  t.is(zonedInstant('2030-07-01', 0, 'America/Mexico_City').toISOString(), '2030-07-01T06:00:00.000Z');
});

test('an instant asked for again is the same, and a new Date each time: changing one changes no other', (t) => {
  const first = zonedInstant('2031-05-05', 600, 'Africa/Nairobi');
  first.setTime(0);
  const second = zonedInstant('2031-05-05', 600, 'Africa/Nairobi');
  t.is(second.toISOString(), '2031-05-05T07:00:00.000Z');
  t.not(first, second);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { projectPaths } from '../../src/kernel/config/paths.js';
import type { VaccineConfig } from '../../src/kernel/tenancy/tenant-config.js';
import { type GivenDose, nextDose } from '../../src/vaccination/dose-schedule.js';

/** The demo tenants' real schedules, read from their files (intervals default to none). */
function vaccinesOf(code: string): VaccineConfig[] {
  const file = parse(readFileSync(join(projectPaths().tenants, `${code}.yaml`), 'utf8')) as { vaccines: VaccineConfig[] };
  return file.vaccines.map((vaccine) => ({ ...vaccine, intervals: vaccine.intervals ?? [] }));
}

const india = vaccinesOf('in');
const mexico = vaccinesOf('mx');
const dose = (vaccine: string, doseNumber: number, givenOn: string): GivenDose => ({ vaccine, doseNumber, givenOn });

const cases: [string, VaccineConfig[], GivenDose[], ReturnType<typeof nextDose>][] = [
  [
    'nobody vaccinated yet may have dose 1 of any vaccine, today',
    india,
    [],
    { status: 'due', doseNumber: 1, kind: 'primary', vaccines: ['covishield', 'covaxin', 'corbevax'], earliest: '2021-06-01' },
  ],
  [
    'Covishield dose 2 comes 84 to 112 days after dose 1',
    india,
    [dose('covishield', 1, '2021-06-01')],
    { status: 'due', doseNumber: 2, kind: 'primary', vaccines: ['covishield'], earliest: '2021-08-24', latest: '2021-09-21' },
  ],
  [
    'Covaxin dose 2 comes 28 to 42 days after dose 1',
    india,
    [dose('covaxin', 1, '2021-06-01')],
    { status: 'due', doseNumber: 2, kind: 'primary', vaccines: ['covaxin'], earliest: '2021-06-29', latest: '2021-07-13' },
  ],
  [
    'after the primary series, a booster of a vaccine that offers one, 180 days on',
    india,
    [dose('covishield', 1, '2021-06-01'), dose('covishield', 2, '2021-09-01')],
    { status: 'due', doseNumber: 3, kind: 'booster', vaccines: ['covishield', 'covaxin'], earliest: '2022-02-28' },
  ],
  [
    'after the booster, nothing is due',
    india,
    [dose('covaxin', 1, '2021-06-01'), dose('covaxin', 2, '2021-07-01'), dose('covishield', 3, '2022-01-01')],
    { status: 'complete', vaccine: 'covaxin' },
  ],
  [
    'Corbevax has no booster here',
    india,
    [dose('corbevax', 1, '2022-03-16'), dose('corbevax', 2, '2022-04-20')],
    { status: 'complete', vaccine: 'corbevax' },
  ],
  [
    'a one-dose vaccine goes straight to its booster (Mexico, CanSino)',
    mexico,
    [dose('convidecia', 1, '2021-06-01')],
    { status: 'due', doseNumber: 2, kind: 'booster', vaccines: ['comirnaty', 'vaxzevria', 'convidecia'], earliest: '2021-09-29' },
  ],
];

for (const [name, vaccines, history, expected] of cases) {
  test(`dose schedule: ${name}`, (t) => {
    t.deepEqual(nextDose(history, vaccines, '2021-06-01'), expected);
  });
}

import { ageLimits, doseLabel, type Formats, number, slotLabel, vaccineName } from '../scheduling/page-views.js';
import type { CentreDay } from '../vaccination/centre-day.js';
import { INJECTION_SITES } from '../vaccination/dose-record.entity.js';

/**
 * How the vaccinator's pages show the day: each session with its places, the people expected in
 * slot order with where they are (expected, arrived, verified, vaccinated) and what to do next.
 * Pure functions of the CentreDay answer, so the wording is the same on every page.
 */
export type Day = Awaited<ReturnType<CentreDay['day']>>;
export type DaySession = Day['sessions'][number];
type Person = DaySession['appointments'][number] | DaySession['walkIns'][number];

export type PersonState = 'expected' | 'arrived' | 'verified' | 'vaccinated';

export function stateOf(person: Person): PersonState {
  if (person.doseRecordId || ('state' in person && person.state === 'completed')) return 'vaccinated';
  if (person.verifiedBy) return 'verified';
  return person.arrived ? 'arrived' : 'expected';
}

const STATE_KEYS: Record<PersonState, string> = {
  expected: 'centre:day.stateExpected',
  arrived: 'centre:day.stateArrived',
  verified: 'centre:day.stateVerified',
  vaccinated: 'centre:day.stateVaccinated',
};

function personRow(f: Formats, session: DaySession, person: Person) {
  const state = stateOf(person);
  const dose = person.dose ?? undefined;
  const appointmentId = 'id' in person ? (person.id ?? undefined) : undefined;
  return {
    name: person.name,
    age: f.t('centre:day.age', { age: number(f, person.age) }),
    slot: 'slot' in person && person.slot ? slotLabel(f, person.slot) : f.t('centre:day.walkIn'),
    dose: dose === undefined ? '' : doseLabel(f, dose),
    doseNumber: dose,
    state: f.t(STATE_KEYS[state]),
    vaccinated: state === 'vaccinated',
    sessionId: session.id,
    referenceId: person.beneficiary,
    // What to do next, as links the page builds: verify a booked person, or record the dose.
    verifyAppointment: appointmentId && (state === 'expected' || state === 'arrived') ? appointmentId : undefined,
    recordDose: state === 'verified',
  };
}

export function sessionView(f: Formats, session: DaySession) {
  const people = [...session.appointments, ...session.walkIns];
  const count = (state: PersonState) => people.filter((p) => stateOf(p) === state).length;
  const firstDose = session.doses.find((d) => d.dose === 1);
  return {
    id: session.id,
    vaccine: vaccineName(f, session.vaccine),
    ages: ageLimits(f, session),
    cancelled: session.state === 'cancelled',
    places: session.doses.map((d) =>
      f.t('centre:day.places', {
        dose: doseLabel(f, d.dose),
        booked: number(f, d.booked),
        online: number(f, d.onlineCapacity),
        walkinLeft: number(f, Math.max(0, d.walkinLeft)),
      }),
    ),
    summary: f.t('centre:day.summary', {
      expected: number(f, session.appointments.length),
      arrived: number(f, people.length - count('expected')),
      vaccinated: number(f, count('vaccinated')),
    }),
    walkinOpen: (firstDose?.walkinLeft ?? 0) > 0 && session.state !== 'cancelled',
    appointments: session.appointments.map((p) => personRow(f, session, p)),
    walkIns: session.walkIns.map((p) => personRow(f, session, p)),
  };
}

/** The person a page is about, found in the day by appointment or by reference id. */
export function findPerson(day: Day, match: { appointmentId?: string; sessionId?: string; referenceId?: string }) {
  for (const session of day.sessions) {
    if (match.sessionId && session.id !== match.sessionId) continue;
    for (const person of [...session.appointments, ...session.walkIns]) {
      const byAppointment = match.appointmentId && 'id' in person && person.id === match.appointmentId;
      const byReference = match.referenceId && person.beneficiary === match.referenceId;
      if (byAppointment || byReference) return { session, person };
    }
  }
  return undefined;
}

export function personFacts(f: Formats, session: DaySession, person: Person) {
  return {
    name: person.name,
    age: f.t('centre:day.age', { age: number(f, person.age) }),
    referenceId: person.beneficiary,
    vaccine: vaccineName(f, session.vaccine),
    slot: 'slot' in person && person.slot ? slotLabel(f, person.slot) : f.t('centre:day.walkIn'),
    dose: person.dose ? doseLabel(f, person.dose) : undefined,
    state: f.t(STATE_KEYS[stateOf(person)]),
  };
}

export function siteOptions(f: Formats, chosen: string) {
  return INJECTION_SITES.map((site) => ({ value: site, label: f.t(`centre:sites.${site}`), checked: site === chosen }));
}

import { type AppContext, tenantScope } from '../kernel/http/state.js';
import { dateTimeFormat, numberFormat } from '../kernel/i18n/intl-cache.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { AppointmentView } from './booking-service.js';
import type { FacilityView } from './facility-service.js';
import type { SessionView } from './session-service.js';
import { parseSlot } from './slots.js';

/**
 * How the scheduling pages show sessions, centres and appointments: dates, times and amounts
 * through Intl in the request's locale, vaccine names from the tenant's file. Pure functions of
 * their inputs, so the same wording goes into the HTML pages and the PDF slip.
 */
export interface Formats {
  locale: string;
  t: (key: string, options?: Record<string, unknown>) => string;
  config: TenantConfig;
}

export function formatsOf(ctx: AppContext): Formats {
  const { tenant } = tenantScope(ctx);
  return { locale: tenant.locale(ctx.state.lng), t: ctx.state.t, config: tenant.config };
}

/**
 * A calendar day (`YYYY-MM-DD`) in words. Session days are dates, not instants: they are
 * formatted as the same day in UTC, so no time zone can move them to the day before.
 */
export function dayLabel(f: Formats, date: string, style: 'full' | 'long' | 'medium' = 'full'): string {
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) return date;
  return dateTimeFormat(f.locale, { dateStyle: style, timeZone: 'UTC' }).format(day);
}

export function shortDay(f: Formats, date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  return dateTimeFormat(f.locale, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(day);
}

/** "09:00AM-11:00AM" as the locale writes a time range ("9:00–11:00 am", "०९:००–११:०० am"...). */
export function slotLabel(f: Formats, label: string): string {
  const slot = parseSlot(label);
  if (!slot) return label;
  const at = (minutes: number) => new Date(Date.UTC(2000, 0, 1, 0, minutes));
  const format = dateTimeFormat(f.locale, { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' });
  // Some locales put a narrow no-break space before "AM": an ordinary no-break space prints everywhere.
  return format.formatRange(at(slot.from), at(slot.to)).replace(/\u202f/g, '\u00a0');
}

export function number(f: Formats, value: number): string {
  return numberFormat(f.locale).format(value);
}

export function vaccineName(f: Formats, code: string): string {
  return f.config.vaccines.find((vaccine) => vaccine.code === code)?.name ?? code;
}

export function ageLimits(f: Formats, session: Pick<SessionView, 'minAge' | 'maxAge'>): string {
  return session.maxAge == null
    ? f.t('scheduling:session.agesFrom', { min: number(f, session.minAge) })
    : f.t('scheduling:session.agesBetween', { min: number(f, session.minAge), max: number(f, session.maxAge) });
}

export function doseLabel(f: Formats, dose: number): string {
  return f.t('scheduling:dose.numbered', { dose: number(f, dose) });
}

/** A centre as a card shows it: name, address, fee (free, or the amount per vaccine in the currency). */
export function centreCard(f: Formats, facility: FacilityView) {
  const money = numberFormat(f.locale, { style: 'currency', currency: facility.currency });
  const fees = Object.entries(facility.fees).map(([code, amount]) => ({
    vaccine: vaccineName(f, code),
    amount: money.format(Number(amount)),
  }));
  return {
    id: facility.id,
    name: facility.name,
    address: facility.address,
    postalCode: facility.postalCode,
    hours: slotLabel(f, `${clock12(facility.hours.from)}-${clock12(facility.hours.to)}`),
    free: facility.feeType !== 'paid',
    fees,
    distance:
      facility.distanceKm === undefined
        ? undefined
        : f.t('scheduling:search.distance', {
            km: numberFormat(f.locale, { maximumFractionDigits: 1 }).format(facility.distanceKm),
          }),
  };
}

/** "14:30" (a centre's opening hours) in the slot notation, so one formatter shows both. */
function clock12(hhmm: string): string {
  const [hour, minute] = hhmm.split(':').map(Number);
  const half = hour >= 12 ? 'PM' : 'AM';
  return `${String(hour % 12 === 0 ? 12 : hour % 12).padStart(2, '0')}:${String(minute).padStart(2, '0')}${half}`;
}

/** Free places per day over the days asked for: what a search result shows of a centre. */
export function weekAtAGlance(f: Formats, days: string[], sessions: SessionView[]) {
  return days.map((date) => {
    const onDay = sessions.filter((session) => session.date === date);
    const free = onDay.reduce((sum, session) => sum + session.slots.reduce((n, slot) => n + Math.max(0, slot.available), 0), 0);
    return {
      date,
      label: shortDay(f, date),
      held: onDay.length > 0,
      free: number(f, free),
      none: free === 0,
      vaccines: [...new Set(onDay.map((session) => vaccineName(f, session.vaccine)))].join(', '),
    };
  });
}

/** A session as the centre page offers it: each slot a choice, full slots shown but not choosable. */
export function sessionChoice(f: Formats, session: SessionView, chosen?: string) {
  return {
    id: session.id,
    vaccine: vaccineName(f, session.vaccine),
    ages: ageLimits(f, session),
    doses: session.doses.map((dose) => ({
      label: doseLabel(f, dose.dose),
      available: number(f, Math.max(0, dose.available)),
      walkin: dose.walkin > 0 ? number(f, dose.walkin) : undefined,
    })),
    slots: session.slots.map((slot) => {
      const value = `${session.id}/${slot.label}`;
      return {
        value,
        label: slotLabel(f, slot.label),
        available: number(f, Math.max(0, slot.available)),
        full: slot.available <= 0,
        checked: value === chosen,
      };
    }),
  };
}

export const STATES = ['booked', 'cancelled', 'completed'] as const;

/** An appointment as the list and the slip show it. */
export function appointmentCard(
  f: Formats,
  appointment: AppointmentView,
  person: { name: string } | undefined,
  facility: Pick<FacilityView, 'name' | 'address' | 'postalCode'> | undefined,
) {
  const state = (STATES as readonly string[]).includes(appointment.state) ? appointment.state : 'booked';
  return {
    id: appointment.id,
    name: person?.name ?? appointment.beneficiary,
    referenceId: appointment.beneficiary,
    date: appointment.date,
    day: dayLabel(f, appointment.date),
    slot: slotLabel(f, appointment.slot),
    centre: facility?.name ?? String(appointment.facilityId),
    address: [facility?.address, facility?.postalCode].filter(Boolean).join(', '),
    facilityId: appointment.facilityId,
    vaccine: vaccineName(f, appointment.vaccine),
    dose: doseLabel(f, appointment.dose),
    securityCode: appointment.securityCode,
    state: f.t(`scheduling:state.${state}`),
    active: appointment.state === 'booked',
  };
}

export type AppointmentCard = ReturnType<typeof appointmentCard>;

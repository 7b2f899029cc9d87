import { defineEntity, p } from '@mikro-orm/core';

/** A vaccination session: one vaccine at one centre on one day, for an age range. */
export const VaccinationSessionSchema = defineEntity({
  name: 'VaccinationSession',
  tableName: 'vaccination_session',
  properties: {
    id: p.uuid().primary(),
    facilityId: p.integer(),
    /** ISO date in the tenant's calendar. */
    date: p.date(),
    vaccine: p.string().length(40),
    minAge: p.integer(),
    maxAge: p.integer().nullable(),
    /** `cancelled` by staff: no bookings, its appointments cancelled with it. */
    state: p.string().length(10).$type<'active' | 'cancelled'>().default('active'),
    cancelledAt: p.datetime().nullable(),
    /** When booking opens (announced openings); null: bookable now. */
    bookableFrom: p.datetime().nullable(),
    createdBy: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export class VaccinationSession extends VaccinationSessionSchema.class {}
VaccinationSessionSchema.setClass(VaccinationSession);

/**
 * A session's places for one dose number (1, 2, then boosters numbered on), online and walk-in.
 * `onlineBooked` only ever moves through one conditional UPDATE (see BookingService).
 */
export const SessionCapacitySchema = defineEntity({
  name: 'SessionCapacity',
  tableName: 'session_capacity',
  properties: {
    sessionId: p.uuid().primary(),
    doseNumber: p.integer().primary().autoincrement(false),
    onlineCapacity: p.integer(),
    onlineBooked: p.integer().default(0),
    walkinCapacity: p.integer().default(0),
    walkinUsed: p.integer().default(0),
  },
});
export class SessionCapacity extends SessionCapacitySchema.class {}
SessionCapacitySchema.setClass(SessionCapacity);

/** A time slot of a session ("09:00AM-11:00AM") with its share of the online places. */
export const SessionSlotSchema = defineEntity({
  name: 'SessionSlot',
  tableName: 'session_slot',
  properties: {
    sessionId: p.uuid().primary(),
    slotIndex: p.integer().primary().autoincrement(false),
    label: p.string().length(20),
    capacity: p.integer(),
    booked: p.integer().default(0),
  },
});
export class SessionSlot extends SessionSlotSchema.class {}
SessionSlotSchema.setClass(SessionSlot);

import { defineEntity, p } from '@mikro-orm/core';

export const APPOINTMENT_STATES = ['booked', 'cancelled', 'completed'] as const;
export type AppointmentState = (typeof APPOINTMENT_STATES)[number];

/**
 * A beneficiary's place in a session slot for one dose. At most one `booked` appointment per
 * beneficiary and dose (partial unique index). The 4-digit security code is shown at the centre.
 */
export const AppointmentSchema = defineEntity({
  name: 'Appointment',
  tableName: 'appointment',
  properties: {
    id: p.uuid().primary(),
    beneficiaryId: p.uuid(),
    accountId: p.uuid(),
    sessionId: p.uuid(),
    slotIndex: p.integer(),
    doseNumber: p.integer(),
    securityCode: p.string().length(4),
    state: p.string().length(10).$type<AppointmentState>(),
    idempotencyKey: p.string().length(100).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    cancelledAt: p.datetime().nullable(),
    /** Times the appointment was moved to another session or slot (limited per tenant). */
    rescheduleCount: p.integer().default(0),
    updatedAt: p.datetime().nullable(),
    /** Why the dose is booked before its usual interval (a tenant-defined reason such as `travel`). */
    intervalException: p.string().length(40).nullable(),
  },
});
export class Appointment extends AppointmentSchema.class {}
AppointmentSchema.setClass(Appointment);

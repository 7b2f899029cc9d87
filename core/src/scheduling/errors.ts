import { ConflictError, TeekaError } from '../kernel/errors.js';

/** No online place is left for a dose, or in the chosen slot. */
export class SessionFullError extends ConflictError {
  constructor() {
    super('session-full', 'no place is left in this session or slot');
  }
}

/** A beneficiary already has an active appointment for the dose. */
export class AlreadyBookedError extends ConflictError {
  constructor() {
    super('already-booked', 'an appointment for this dose is already booked');
  }
}

/** The appointment is cancelled or completed already. */
export class AppointmentNotActiveError extends ConflictError {
  constructor() {
    super('appointment-not-active', 'the appointment is no longer booked');
  }
}

/** The same Idempotency-Key was used before for a different request. */
export class IdempotencyKeyReusedError extends TeekaError {
  constructor() {
    super('idempotency-key-reused', 422, 'this Idempotency-Key was used for a different request');
  }
}

/** Booking for the session opens at an announced moment that has not come yet. */
export class SessionNotOpenError extends ConflictError {
  constructor(
    readonly opensAt: Date,
    readonly retryAfterSeconds: number,
  ) {
    super('session-not-open', 'booking for this session has not opened yet', { opensAt: opensAt.toISOString() });
  }
}

/** Staff cancelled the session: nothing more can be booked or moved into it. */
export class SessionCancelledError extends ConflictError {
  constructor() {
    super('session-cancelled', 'the session was cancelled');
  }
}

/** The appointment was already moved as many times as the tenant allows. */
export class RescheduleLimitError extends ConflictError {
  constructor(limit: number) {
    super('reschedule-limit', 'the appointment cannot be moved again', { limit });
  }
}

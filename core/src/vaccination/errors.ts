import { ConflictError, TeekaError } from '../kernel/errors.js';

/** The security code does not match the appointment; says how many tries are left. */
export class SecurityCodeInvalidError extends TeekaError {
  constructor(attemptsLeft: number) {
    super('security-code-invalid', 422, 'the security code does not match the appointment', { attemptsLeft });
  }
}

/** Too many wrong security codes for this appointment: verify the person by their identity document. */
export class SecurityCodeLockedError extends ConflictError {
  constructor() {
    super('security-code-locked', 'too many wrong security codes for this appointment');
  }
}

/** The person has not been verified at this session (security code or identity document). */
export class NotVerifiedError extends ConflictError {
  constructor() {
    super('not-verified', 'the person has not been verified at this session');
  }
}

/** This dose of the person's schedule is recorded already. */
export class DoseAlreadyRecordedError extends ConflictError {
  constructor(doseRecordId: string) {
    super('dose-already-recorded', 'this dose is recorded already', { doseRecordId });
  }
}

/** No walk-in place is left in the session for this dose. */
export class WalkinFullError extends ConflictError {
  constructor() {
    super('walkin-full', 'no walk-in place is left in this session for this dose');
  }
}

/** The session is not held today: the centre works on today's sessions only. */
export class SessionNotTodayError extends ConflictError {
  constructor() {
    super('session-not-today', 'the session is not held today');
  }
}

/** The dose record was voided: it can no longer be corrected. */
export class DoseVoidedError extends ConflictError {
  constructor() {
    super('dose-voided', 'the dose record is voided');
  }
}

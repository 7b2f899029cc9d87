import { ConflictError, TeekaError, UnauthorizedError } from '../../kernel/errors.js';
import { RateLimitedError } from '../../kernel/rate-limit/rate-limiter.js';

/** Unknown username, wrong password or wrong TOTP code: deliberately one answer for all three. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super('invalid-credentials', 'username, password or code do not match');
  }
}

/** The password was right; the account needs the code from the authenticator app too. */
export class TotpRequiredError extends UnauthorizedError {
  constructor() {
    super('totp-required', 'the account needs a TOTP code');
  }
}

/** Too many failed sign-ins: 429 with Retry-After until the lock ends. */
export class AccountLockedError extends RateLimitedError {
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'account-locked');
  }
}

export class UsernameTakenError extends ConflictError {
  constructor() {
    super('username-taken', 'a member of staff already has this username');
  }
}

export class TotpNotStartedError extends ConflictError {
  constructor() {
    super('totp-not-started', 'start TOTP enrolment before confirming it');
  }
}

export class TotpAlreadyEnabledError extends ConflictError {
  constructor() {
    super('totp-already-enabled', 'TOTP is already enabled for this account');
  }
}

/** The code typed to confirm TOTP enrolment does not match the new secret. */
export class TotpInvalidError extends TeekaError {
  constructor() {
    super('totp-invalid', 422, 'the code does not match the authenticator');
  }
}

/** Revoking this role would leave the tenant without an administrator. */
export class LastAdminError extends ConflictError {
  constructor() {
    super('last-admin', 'the tenant must keep at least one administrator');
  }
}

import { TeekaError } from '../kernel/errors.js';

/** The OTP is wrong, unknown, or already used. Says how many tries are left when it knows. */
export class OtpInvalidError extends TeekaError {
  constructor(attemptsLeft?: number) {
    super('otp-invalid', 401, 'the code does not match', attemptsLeft === undefined ? {} : { attemptsLeft });
  }
}

export class OtpExpiredError extends TeekaError {
  constructor() {
    super('otp-expired', 401, 'the code has expired');
  }
}

export class OtpAttemptsExceededError extends TeekaError {
  constructor() {
    super('otp-attempts-exceeded', 429, 'too many wrong codes; ask for a new one');
  }
}

export class SmsUnavailableError extends TeekaError {
  /** Sent as Retry-After: the gateways may be back soon, and no cooldown holds the citizen. */
  readonly retryAfterSeconds = 30;
  constructor() {
    super('sms-unavailable', 503, 'the SMS gateway did not accept the message');
  }
}

export class BeneficiaryLimitError extends TeekaError {
  constructor(limit: number) {
    super('beneficiary-limit', 409, 'the account has the maximum number of beneficiaries', { limit });
  }
}

export class DocumentRegisteredError extends TeekaError {
  constructor() {
    super('document-registered', 409, 'this identity document is already registered');
  }
}

export class BeneficiaryLockedError extends TeekaError {
  constructor(reason: string) {
    super('beneficiary-locked', 409, `the beneficiary cannot be deleted: ${reason}`);
  }
}

/** The national registry could not be asked: the person should try again later. */
export class RegistryUnavailableError extends TeekaError {
  constructor(readonly retryAfterSeconds = 60) {
    super('registry-unavailable', 503, 'the identity registry cannot be reached', { seconds: retryAfterSeconds });
  }
}

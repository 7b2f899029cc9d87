import { ConflictError } from '../kernel/errors.js';

/** Corrections are asked for on the person's current certificate only. */
export class CertificateNotActiveError extends ConflictError {
  constructor() {
    super('certificate-not-active', 'the certificate was replaced or revoked');
  }
}

/** One open request per certificate and field at a time. */
export class CorrectionPendingError extends ConflictError {
  constructor() {
    super('correction-pending', 'a correction of this field is already waiting for a decision');
  }
}

/** Approved or rejected already (by someone else, perhaps at the same moment). */
export class CorrectionDecidedError extends ConflictError {
  constructor() {
    super('correction-decided', 'the correction was decided already');
  }
}

import { ConflictError } from '../kernel/errors.js';

/** The batch's expiry date has passed (in the tenant's calendar): it is not issued or administered. */
export class BatchExpiredError extends ConflictError {
  constructor(lotNumber: string, expiresOn: string) {
    super('batch-expired', `batch ${lotNumber} expired on ${expiresOn}`, { lotNumber, expiresOn });
  }
}

/** The batch was recalled by the tenant: it is not issued or administered. */
export class BatchRecalledError extends ConflictError {
  constructor(lotNumber: string) {
    super('batch-recalled', `batch ${lotNumber} is recalled`, { lotNumber });
  }
}

/** Fewer doses of the batch at the location than asked for; nothing was taken. */
export class OutOfStockError extends ConflictError {
  constructor(
    readonly requested: number,
    readonly available: number,
  ) {
    super('out-of-stock', `${requested} doses asked for, ${available} available`, { requested, available });
  }
}

/** The batch is of another vaccine than the one being given. */
export class BatchVaccineMismatchError extends ConflictError {
  constructor(batchVaccine: string, vaccine: string) {
    super('batch-vaccine-mismatch', `the batch is ${batchVaccine}, not ${vaccine}`, { batchVaccine, vaccine });
  }
}

/** A batch with this lot number of this vaccine is already registered. */
export class BatchExistsError extends ConflictError {
  constructor(lotNumber: string) {
    super('batch-exists', `batch ${lotNumber} is already registered`, { lotNumber });
  }
}

/** The transfer was received already. */
export class TransferReceivedError extends ConflictError {
  constructor() {
    super('transfer-received', 'the transfer was received already');
  }
}

/** The vial was used up or discarded already. */
export class VialClosedError extends ConflictError {
  constructor() {
    super('vial-closed', 'the vial is no longer open');
  }
}

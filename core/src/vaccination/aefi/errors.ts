import { ConflictError } from '../../kernel/errors.js';

/** A closed case takes no more follow-ups or status changes: its causality is decided. */
export class AefiCaseClosedError extends ConflictError {
  constructor() {
    super('aefi-case-closed', 'the case is closed');
  }
}

/** Cases move forward only: reported → under investigation → closed. */
export class AefiStatusError extends ConflictError {
  constructor(from: string, to: string) {
    super('aefi-status-transition', `a case ${from} cannot become ${to}`, { from, to });
  }
}

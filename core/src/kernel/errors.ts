/**
 * Typed errors with stable codes. Domain code throws these; the HTTP edge maps them once to a
 * status, a localised title (i18n key `errors:<code>.title`) and problem+json or a themed page.
 */
export class TeekaError extends Error {
  constructor(
    /** Stable, documented code, e.g. `not-found`. Clients may switch on it. */
    readonly code: string,
    readonly status: number,
    message: string,
    /** Values for the localised detail message (`errors:<code>.detail`). Never personal data. */
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends TeekaError {
  constructor(message = 'Not found') {
    super('not-found', 404, message);
  }
}

export class ValidationError extends TeekaError {
  constructor(
    message: string,
    readonly fields: { path: string; code: string }[] = [],
  ) {
    super('validation-failed', 422, message);
  }
}

/**
 * A configuration problem found at start-up (tenant file, plugin manifest, theme, secrets).
 * Start-up stops and prints `message`, which must tell a person what to fix and where.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export class UnauthorizedError extends TeekaError {
  constructor(code = 'unauthorized', message = 'sign-in needed') {
    super(code, 401, message);
  }
}

export class ForbiddenError extends TeekaError {
  constructor(message = 'not allowed') {
    super('forbidden', 403, message);
  }
}

export class ConflictError extends TeekaError {
  constructor(code: string, message: string, params: Record<string, string | number> = {}) {
    super(code, 409, message, params);
  }
}

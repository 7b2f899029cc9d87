import { CONFLICT_RETRY_AFTER_SECONDS, DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable, isWriteConflict } from '../db/unavailable.js';
import { TeekaError, ValidationError } from '../errors.js';
import type { AppContext } from './state.js';

/** Codes for errors raised by Koa or its middleware (http-errors), by status. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'validation-failed',
  429: 'too-many-requests',
  431: 'headers-too-large',
  501: 'not-implemented',
  503: 'unavailable',
};

export interface Problem {
  status: number;
  code: string;
  params: Record<string, string | number>;
  fields?: { path: string; code: string }[];
  /** Retry-After, for outages the error itself does not time. */
  retryAfterSeconds?: number;
}

/** Reduces anything thrown to a problem a person may see; internals never leak. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ValidationError) return { status: error.status, code: error.code, params: error.params, fields: error.fields };
  if (error instanceof TeekaError) return { status: error.status, code: error.code, params: error.params };
  const status = (error as { status?: number; expose?: boolean }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && CODE_BY_STATUS[status]) {
    return { status, code: CODE_BY_STATUS[status], params: {} };
  }
  if (status === 503) return { status, code: 'unavailable', params: {} };
  if (isDatabaseUnavailable(error))
    return { status: 503, code: 'database-unavailable', params: {}, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS };
  if (isWriteConflict(error)) return { status: 503, code: 'write-conflict', params: {}, retryAfterSeconds: CONFLICT_RETRY_AFTER_SECONDS };
  return { status: 500, code: 'internal-error', params: {} };
}

/** The members every problem has: its type, stable `code`, status, and title and detail in `t`'s language. */
export function problemFields(
  t: (key: string, options?: Record<string, unknown>) => string,
  problem: Problem,
): { type: string; title: string; status: number; code: string; detail: string } {
  return {
    type: `/problems/${problem.code}`,
    title: t(`errors:${problem.code}.title`),
    status: problem.status,
    code: problem.code,
    detail: t(`errors:${problem.code}.detail`, problem.params),
  };
}

/** RFC 9457 problem details, with a stable `code` and title/detail in the request's language. */
export function problemBody(ctx: AppContext, problem: Problem): Record<string, unknown> {
  const { t } = ctx.state;
  return {
    ...problemFields(t, problem),
    instance: ctx.path,
    requestId: ctx.state.requestId,
    ...(problem.fields ? { errors: problem.fields.map((field) => ({ ...field, message: t(`errors:fields.${field.code}`) })) } : {}),
  };
}

import type { Next } from 'koa';
import { ValidationError } from '../../errors.js';
import type { AppContext } from '../state.js';

const ENCODED_NUL = /%00/;

/** The JSON pointer of the first string (key or value) in `body` that holds U+0000, if any. */
function nulIn(body: unknown): string | undefined {
  // Iterative, so a deeply nested body (the parser allows it) cannot exhaust the stack.
  const pending: [unknown, string][] = [[body, '']];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) return path || '/';
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (key.includes('\0')) return at;
        pending.push([item, at]);
      }
    }
  }
  return undefined;
}

/**
 * Certificate verification (the page and its API) reads whatever text is pasted or scanned, and a
 * QR code may hold any byte: it answers "not a certificate that can be read" itself, and sends
 * none of that text to the database.
 */
const READS_ANY_TEXT = new Set(['/verify', '/api/v1/certificates/verify']);

/**
 * Refuses input that holds U+0000 (NUL) anywhere: in the path, the query or the parsed body.
 * PostgreSQL's text cannot store it, and in a statement's text it ends the protocol message: a
 * Co-WIN beneficiary deletion with a NUL in the reference id reached PostgreSQL and came back as
 * "invalid message format", which reads as the database being down (503). No real input holds it,
 * so it is a 422 before any route runs (certificate verification aside, above).
 */
export function refuseNul() {
  return async function refuseNul(ctx: AppContext, next: Next): Promise<void> {
    if (READS_ANY_TEXT.has(ctx.path)) return next();
    if (ENCODED_NUL.test(ctx.path) || ENCODED_NUL.test(ctx.querystring) || ctx.path.includes('\0')) {
      throw new ValidationError('the address holds a NUL character', [{ path: '/', code: 'format' }]);
    }
    const at = nulIn((ctx.request as { body?: unknown }).body);
    if (at !== undefined) throw new ValidationError('the body holds a NUL character', [{ path: at, code: 'format' }]);
    await next();
  };
}

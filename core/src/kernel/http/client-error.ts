import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemFields, toProblem } from './problem.js';

/** The status of a request Node's parser gave up on, by Node's code for why. */
function statusOf(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/**
 * Answers requests Node's HTTP parser refuses before Koa ever sees them (a request line and headers
 * over 16 KiB, a malformed request, headers that never finish arriving) as every other error is
 * answered: problem+json with a stable code, instead of Node's bare status line. The request's
 * language is not known (its headers were not read), so the text is `t`'s, the platform's default
 * language. The connection is closed: the rest of what was sent cannot be read as a request.
 */
export function clientErrorHandler(t: (key: string, options?: Record<string, unknown>) => string) {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    // A client that went away, a socket that cannot be written, or one whose current response has
    // already begun (a later pipelined request was malformed): nothing more can be said on it.
    // The same conditions Node's own handler checks before it writes its status line.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const problem = toProblem({ status: statusOf(error.code) });
    const body = JSON.stringify(problemFields(t, problem));
    socket.end(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  };
}

import { randomUUID } from 'node:crypto';
import type { Next } from 'koa';
import { countingStatements, type StatementCount } from '../../db/statement-count.js';
import type { Logger } from '../../log/logger.js';
import type { AppContext } from '../state.js';

const CLIENT_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives each request an id (the caller's X-Request-Id if it is sane) and logs one structured
 * line when it ends, with the statements it sent to PostgreSQL (`db`, statement-count.ts). The
 * path is logged without its query string, which may carry numbers.
 */
export function requestLog(logger: Logger) {
  return async function requestLog(ctx: AppContext, next: Next): Promise<void> {
    const incoming = ctx.get('X-Request-Id');
    const requestId = CLIENT_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const count: StatementCount = { statements: 0 };
    try {
      await countingStatements(count, next);
    } finally {
      ctx.state.log.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
          tenant: ctx.state.tenant?.code,
          db: count.statements,
        },
        'request',
      );
    }
  };
}

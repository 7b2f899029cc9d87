import type { Next } from 'koa';
import { problemBody, toProblem } from '../problem.js';
import { type AppContext, isApiRequest } from '../state.js';

/**
 * The one place errors become responses: problem+json for APIs, a themed page in the request's
 * language for HTML. Stack traces go to the (redacted) log, never to the client. Unmatched routes
 * (no body, 404) get the same treatment.
 */
export function errorHandler() {
  return async function errorHandler(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      // Unmatched routes and router 405/501s arrive as bare statuses; give them a proper body.
      if ([404, 405, 501].includes(ctx.status) && ctx.body == null) ctx.throw(ctx.status);
    } catch (error) {
      const problem = toProblem(error);
      if (problem.code === 'database-unavailable') ctx.state.log?.warn({ err: error }, 'database unavailable');
      else if (problem.code === 'write-conflict')
        ctx.state.log?.warn({ err: error }, 'write conflict: rolled back, the client may try again');
      else if (problem.status >= 500) ctx.state.log?.error({ err: error }, 'request failed');
      else ctx.state.log?.debug({ code: problem.code, status: problem.status, fields: problem.fields }, 'request refused');
      ctx.status = problem.status;
      // The rest of an oversized body was never read: this connection cannot carry another request.
      if (problem.status === 413) ctx.set('Connection', 'close');
      // Limits, outages and a session that opens later all say when trying again makes sense.
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds ?? problem.retryAfterSeconds;
      if (retryAfter) ctx.set('Retry-After', String(retryAfter));
      // Before the site and language are known (a failure in the resolver), English suffices.
      ctx.state.t ??= (key: string) => key;
      if (isApiRequest(ctx) || !ctx.state.site || ctx.accepts('html', 'json') === 'json') {
        ctx.type = 'application/problem+json';
        ctx.body = problemBody(ctx, problem);
        return;
      }
      const { site, lng, t } = ctx.state;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = site.theme.render(
        'error',
        {
          status: problem.status,
          title: t(`errors:${problem.code}.title`),
          detail: t(`errors:${problem.code}.detail`, problem.params),
          requestId: ctx.state.requestId,
        },
        site.renderData(lng),
      );
    }
  };
}

import test from 'ava';
import Koa from 'koa';
import koaHelmet from 'koa-helmet';
import type { Mode } from '../../src/kernel/config/settings.js';
import { helmetOptions, securityHeaders } from '../../src/kernel/http/middleware/security-headers.js';
import { httpRequestTo } from '../support/platform.js';

/** A server answering with `middleware` in front, as the platform's app has it. */
async function headersFrom(middleware: Koa.Middleware): Promise<Record<string, unknown>> {
  const koa = new Koa();
  koa.use(middleware);
  koa.use((ctx) => {
    ctx.body = 'ok';
  });
  const server = koa.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { headers } = await httpRequestTo((server.address() as { port: number }).port, 'in.localhost', '/');
    const { date: _date, ...rest } = headers;
    return rest;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

for (const mode of ['development', 'production'] as Mode[]) {
  test(`${mode}: the headers set once are exactly those helmet sets on each request`, async (t) => {
    const expected = await headersFrom(koaHelmet(helmetOptions(mode)));
    t.regex(String(expected['content-security-policy']), /frame-ancestors 'none'/);
    t.is('strict-transport-security' in expected, mode === 'production');
    t.deepEqual(await headersFrom(securityHeaders(mode) as Koa.Middleware), expected);
  });
}

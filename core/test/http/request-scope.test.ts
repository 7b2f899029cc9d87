import type { EntityManager } from '@mikro-orm/postgresql';
import test from 'ava';
import Koa from 'koa';
import type { DependencyContainer } from 'tsyringe';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { requestScope } from '../../src/kernel/http/middleware/request-scope.js';
import type { AppContext, AppState } from '../../src/kernel/http/state.js';
import type { Tenant } from '../../src/kernel/tenancy/tenant.js';
import { httpRequestTo, startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

/** Counts the tenant's EntityManager forks and child containers while `run` runs. */
async function counting(tenant: Tenant, run: () => Promise<void>): Promise<{ forks: number; containers: number }> {
  const counts = { forks: 0, containers: 0 };
  const em = tenant.orm.em;
  const fork = em.fork;
  const createChild = tenant.container.createChildContainer;
  em.fork = ((...args: Parameters<typeof fork>) => {
    counts.forks++;
    return fork.apply(em, args);
  }) as typeof fork;
  tenant.container.createChildContainer = () => {
    counts.containers++;
    return createChild.call(tenant.container);
  };
  try {
    await run();
  } finally {
    em.fork = fork;
    tenant.container.createChildContainer = createChild;
  }
  return counts;
}

/** The request scope alone, on a real server, with the route `handle`. */
async function scopeServer(tenant: Tenant, handle: (ctx: AppContext) => Promise<void> | void) {
  const koa = new Koa<AppState>();
  koa.use(async (ctx, next) => {
    Object.assign(ctx.state, { tenant, site: tenant, log: tenant.log });
    await next();
  });
  koa.use(requestScope());
  koa.use(async (ctx) => {
    await handle(ctx);
    ctx.body = 'ok';
  });
  const server = koa.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    get: (path = '/') => httpRequestTo(port, 'in.localhost', path),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test.serial('a request that reads neither the container nor the EntityManager makes neither', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const server = await scopeServer(tenant, (ctx) => {
    t.truthy(ctx.state.t('errors:not-found.title'));
  });
  try {
    const counts = await counting(tenant, async () => {
      t.is((await server.get()).status, 200);
    });
    t.deepEqual(counts, { forks: 0, containers: 0 });
  } finally {
    await server.close();
  }
});

test.serial('each request gets its own container and fork, the same one wherever it is read', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const seen: { em: EntityManager; container: DependencyContainer }[] = [];
  const server = await scopeServer(tenant, async (ctx) => {
    const { container } = ctx.state;
    await new Promise((resolve) => setTimeout(resolve, 20)); // both requests in flight at once
    const em = container!.resolve<EntityManager>(TOKENS.EntityManager);
    t.is(container!.resolve<() => EntityManager>(TOKENS.LazyEntityManager)(), em);
    t.is(ctx.state.em, em);
    t.is(ctx.state.container, container);
    t.is(container!.resolve(TOKENS.Language), ctx.state.lng);
    seen.push({ em, container: container! });
  });
  try {
    const counts = await counting(tenant, async () => {
      await Promise.all([server.get(), server.get()]);
    });
    t.deepEqual(counts, { forks: 2, containers: 2 });
    t.is(seen.length, 2);
    t.not(seen[0].em, seen[1].em);
    t.not(seen[0].container, seen[1].container);
    t.false(tenant.container.isRegistered(TOKENS.EntityManager), 'request state never leaks into the tenant container');
  } finally {
    await server.close();
  }
});

test.serial('a cached availability answer makes no DI container and forks no EntityManager; reading the database does', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  // A district and day no other test asks for, so the first search reads the database.
  const path = `/api/v1/availability?area=district:392&from=2031-01-0${1 + (Date.now() % 8)}&days=1`;
  const first = await counting(tenant, async () => {
    t.is((await app.request('in.localhost', path)).status, 200);
  });
  t.is(first.forks, 1);
  const second = await counting(tenant, async () => {
    t.is((await app.request('in.localhost', path)).status, 200);
  });
  t.deepEqual(second, { forks: 0, containers: 0 });
  // By postal code and by centre too, in another language.
  for (const search of ['postalCode=400012', 'facility=1001']) {
    const other = `/api/v1/availability?${search}&from=2031-01-0${1 + (Date.now() % 8)}&days=1&lng=hi`;
    t.is((await app.request('in.localhost', other)).status, 200);
    const again = await counting(tenant, async () => {
      t.is((await app.request('in.localhost', other)).status, 200);
    });
    t.deepEqual(again, { forks: 0, containers: 0 }, search);
  }
});

test.serial('a cached Co-WIN public search makes no DI container and forks no EntityManager, in English or another language', async (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  // A district and day no other test asks for, so the first search reads the database.
  const path = `/cowin/v2/appointment/sessions/public/calendarByDistrict?district_id=393&date=0${1 + (Date.now() % 8)}-02-2031`;
  for (const headers of [{}, { 'Accept-Language': 'hi' }] as Record<string, string>[]) {
    const first = await counting(tenant, async () => {
      const answer = await app.request('in.localhost', path, { headers });
      t.is(answer.status, 200, answer.text);
    });
    t.true(first.forks <= 1, 'a read forks once at most');
    const second = await counting(tenant, async () => {
      t.is((await app.request('in.localhost', path, { headers })).status, 200);
    });
    t.deepEqual(second, { forks: 0, containers: 0 }, JSON.stringify(headers));
  }
});

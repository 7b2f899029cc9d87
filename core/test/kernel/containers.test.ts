import test from 'ava';
import { TOKENS } from '../../src/kernel/di/tokens.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let app: TestPlatform;
test.before(async () => {
  app = await startTestPlatform();
});
test.after.always(async () => {
  await app?.stop();
});

test('each tenant resolves its own services from its own container; the root holds none', (t) => {
  const [first, second] = app.platform.tenants.all;
  t.is(first.container.resolve(TOKENS.Tenant), first);
  t.is(second.container.resolve(TOKENS.Tenant), second);
  t.not(first.container.resolve(TOKENS.SmsGateway), second.container.resolve(TOKENS.SmsGateway));
  t.not(first.container.resolve(TOKENS.Orm), second.container.resolve(TOKENS.Orm));
  t.is(first.container.resolve(TOKENS.Settings), second.container.resolve(TOKENS.Settings), 'platform singletons are shared');
});

test('a request container sees its tenant’s services and its own EntityManager', (t) => {
  const tenant = app.platform.tenants.byCode('in')!;
  const one = tenant.container.createChildContainer();
  const two = tenant.container.createChildContainer();
  one.registerInstance(TOKENS.EntityManager, tenant.orm.em.fork());
  two.registerInstance(TOKENS.EntityManager, tenant.orm.em.fork());
  t.is(one.resolve(TOKENS.Tenant), tenant);
  t.not(one.resolve(TOKENS.EntityManager), two.resolve(TOKENS.EntityManager));
  t.false(tenant.container.isRegistered(TOKENS.EntityManager), 'request state never leaks into the tenant container');
});

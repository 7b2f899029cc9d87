import 'reflect-metadata';
import Router from '@koa/router';
import test from 'ava';
import { indexedRouter, literalPrefix } from '../../src/kernel/http/indexed-router.js';
import { tenantRoutes } from '../../src/routes.js';

/** Request paths that exercise every layer of the real tenant router, and its edges. */
function samplePaths(router: Router): string[] {
  const paths = new Set<string>(['', '*', '/', '//', '/x', '/X/', '/unknown/deep/path', '/api', '/API/', '/cowin', '/COWIN/v2/x']);
  for (const layer of router.stack) {
    if (typeof layer.path !== 'string' || layer.path.includes('(')) continue;
    const filled = layer.path.replace(/\{\*\w+\}/g, 'a/b').replace(/:\w+/g, '42');
    for (const path of [filled, `${filled}/`, `${filled}/more`, filled.toUpperCase(), `${filled}x`, filled.slice(0, -1)]) {
      paths.add(path);
    }
  }
  return [...paths];
}

test('the indexed tenant router matches exactly the layers the plain router does, in order', (t) => {
  const indexed = tenantRoutes('development');
  t.not(indexed.match, Router.prototype.match);
  const paths = samplePaths(indexed);
  t.true(paths.length > 500);
  let routes = 0;
  for (const path of paths) {
    for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS']) {
      const expected = Router.prototype.match.call(indexed, path, method);
      const actual = indexed.match(path, method);
      t.deepEqual(
        actual.path.map((layer) => layer.path),
        expected.path.map((layer) => layer.path),
        `${method} ${path}`,
      );
      t.true(
        actual.path.every((layer, i) => layer === expected.path[i]) &&
          actual.pathAndMethod.every((layer, i) => layer === expected.pathAndMethod[i]),
      );
      t.is(actual.pathAndMethod.length, expected.pathAndMethod.length, `${method} ${path}`);
      t.is(actual.route, expected.route, `${method} ${path}`);
      if (actual.route) routes++;
    }
  }
  t.true(routes > 200, `${routes} routes matched`);
});

test('routes added after the first request are found', (t) => {
  const router = indexedRouter();
  router.get('/api/one', () => {});
  t.true(router.match('/api/one', 'GET').route);
  router.get('/api/two', () => {});
  t.true(router.match('/api/two', 'GET').route);
});

test('the literal start of a route stops wherever the text may vary', (t) => {
  t.is(literalPrefix(/^(?:\/api\/v1\/areas\/([^/]+))(?:\/$)?$/i), '/api/v1/areas/');
  t.is(literalPrefix(/^\/cowin\/v2(?:\/|$)/), '/cowin/v2');
  t.is(literalPrefix(/^\/Cowin\/v2(?:\/|$)/), '/cowin/v2');
  t.is(literalPrefix(/^(?:\/cowin\/(.+)|\/cowin\/)(?:\/$)?$/i), '');
  t.is(literalPrefix(/^\/ab?c/), '/a');
  t.is(literalPrefix(/^(?:\/ab)?c/), '');
  t.is(literalPrefix(/^\/a|\/b/), '');
  t.is(literalPrefix(/^\/a\d/), '/a');
  t.is(literalPrefix(/^\/a/m), '');
  t.is(literalPrefix(/\/a/), '');
});

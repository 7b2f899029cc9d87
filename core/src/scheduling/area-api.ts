import Router from '@koa/router';
import { Type } from '@sinclair/typebox';
import { NotFoundError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { AreaService } from './area-service.js';

const Id = '^(0|[1-9][0-9]{0,8})$';
const Level = '^[a-z][a-z-]{0,31}$';

/** `?level=&parent=`; `lng` is read by the request scope. Anything else is refused. */
export const AreaListQuery = Type.Object(
  {
    level: Type.Optional(Type.String({ pattern: Level })),
    parent: Type.Optional(Type.String({ pattern: Id })),
    lng: Type.Optional(Type.String({ maxLength: 35 })),
  },
  { additionalProperties: false },
);

/** Public, the same for everyone but for the language, which may come from a header or cookie. */
function cacheable(ctx: AppContext): void {
  ctx.set('Cache-Control', 'public, max-age=300');
  ctx.vary('Accept-Language');
  ctx.vary('Cookie');
}

/** The native API's administrative areas: public, no sign-in. */
export function areaApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const service = (ctx: AppContext) => tenantScope(ctx).container.resolve(AreaService);

  router.get('/areas', async (ctx) => {
    const query = validate(AreaListQuery, { ...ctx.query });
    const areas = await service(ctx).list({
      level: query.level,
      parent: query.parent === undefined ? undefined : Number(query.parent),
    });
    cacheable(ctx);
    ctx.body = { areas };
  });

  router.get('/areas/:level/:id', async (ctx) => {
    const { level, id } = ctx.params;
    if (!new RegExp(Level).test(level) || !new RegExp(Id).test(id)) throw new NotFoundError('no such area');
    const area = await service(ctx).get(level, Number(id));
    cacheable(ctx);
    ctx.body = area;
  });

  return router;
}

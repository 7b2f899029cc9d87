import Router from '@koa/router';
import { Type } from '@sinclair/typebox';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { validate } from '../kernel/http/validate.js';
import { DEFAULT_RADIUS_KM, FacilityService, type FacilityView } from './facility-service.js';

const Id = '^(0|[1-9][0-9]{0,8})$';
const Degrees = '^-?[0-9]{1,3}(\\.[0-9]{1,8})?$';

/**
 * Exactly one search: `?area=<level>:<id>`, `?postalCode=`, or `?lat=&long=` (with `radiusKm`,
 * default 10, at most 50). `lng` is read by the request scope. Anything else is refused.
 */
export const FacilityListQuery = Type.Object(
  {
    area: Type.Optional(Type.String({ pattern: '^[a-z][a-z-]{0,31}:(0|[1-9][0-9]{0,8})$' })),
    postalCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$' })),
    lat: Type.Optional(Type.String({ pattern: Degrees })),
    long: Type.Optional(Type.String({ pattern: Degrees })),
    radiusKm: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(\\.[0-9]{1,3})?$' })),
    lng: Type.Optional(Type.String({ maxLength: 35 })),
  },
  { additionalProperties: false },
);

/** Public, the same for everyone but for the language, which may come from a header or cookie. */
function cacheable(ctx: AppContext): void {
  ctx.set('Cache-Control', 'public, max-age=60');
  ctx.vary('Accept-Language');
  ctx.vary('Cookie');
}

/** The native API's vaccination centres: public, no sign-in, nothing personal. */
export function facilityApiRoutes(): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const service = (ctx: AppContext) => tenantScope(ctx).container.resolve(FacilityService);

  router.get('/facilities', async (ctx) => {
    const query = validate(FacilityListQuery, { ...ctx.query });
    const near = query.lat !== undefined || query.long !== undefined || query.radiusKm !== undefined;
    const searches = [query.area !== undefined, query.postalCode !== undefined, near].filter(Boolean).length;
    if (searches !== 1) {
      throw new ValidationError('search by exactly one of area, postalCode or lat and long', [{ path: '/', code: 'choice' }]);
    }
    let facilities: FacilityView[];
    if (query.area !== undefined) {
      const [level, id] = query.area.split(':');
      facilities = await service(ctx).inArea(level, Number(id));
    } else if (query.postalCode !== undefined) {
      facilities = await service(ctx).withPostalCode(query.postalCode);
    } else {
      const missing = (['lat', 'long'] as const).filter((name) => query[name] === undefined);
      if (missing.length > 0) {
        throw new ValidationError(
          'a search near a point needs lat and long',
          missing.map((name) => ({ path: `/${name}`, code: 'required' })),
        );
      }
      facilities = await service(ctx).near(
        Number(query.lat),
        Number(query.long),
        query.radiusKm === undefined ? DEFAULT_RADIUS_KM : Number(query.radiusKm),
      );
    }
    cacheable(ctx);
    ctx.body = { facilities };
  });

  router.get('/facilities/:id', async (ctx) => {
    const { id } = ctx.params;
    if (!new RegExp(Id).test(id)) throw new NotFoundError('no such facility');
    const facility = await service(ctx).get(Number(id));
    cacheable(ctx);
    ctx.body = facility;
  });

  return router;
}

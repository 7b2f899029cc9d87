import type Router from '@koa/router';
import { indexedRouter } from './kernel/http/indexed-router.js';
// Modules' rules that other modules enforce: a recorded dose keeps a beneficiary from deletion.
import './vaccination/deletion-guard.js';
import { adminPageRoutes } from './admin/routes.js';
import { dayPageRoutes } from './centre/day-pages.js';
import { stockPageRoutes } from './centre/stock-pages.js';
import { certificateApiRoutes } from './certificates/api.js';
import { correctionPageRoutes } from './certificates/correction-pages.js';
import { certificatePageRoutes } from './certificates/pages.js';
import { verifyPageRoutes } from './certificates/verify-page.js';
import { cowinCitizenRoutes } from './cowin/citizen-api.js';
import { cowinFallbackRoutes, cowinPublicRoutes } from './cowin/public-api.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { devOutboxRoutes } from './dev/outbox-routes.js';
import { inventoryApiRoutes } from './inventory/api.js';
import type { Mode } from './kernel/config/settings.js';
import type { AppState } from './kernel/http/state.js';
import { messagingRoutes } from './messaging/routes.js';
import { openApiRoutes } from './openapi/routes.js';
import { portalRoutes } from './portal/routes.js';
import { citizenApiRoutes } from './registration/citizen-api.js';
import { citizenPageRoutes } from './registration/pages.js';
import { staffRoutes } from './registration/staff/routes.js';
import { areaApiRoutes } from './scheduling/area-api.js';
import { facilityApiRoutes } from './scheduling/facility-api.js';
import { schedulingPageRoutes } from './scheduling/pages.js';
import { sessionApiRoutes } from './scheduling/session-api.js';
import { staffSessionPageRoutes } from './scheduling/staff-pages.js';
import { subscriptionApiRoutes } from './subscriptions/api.js';
import { aefiApiRoutes } from './vaccination/aefi/api.js';
import { aefiPageRoutes } from './vaccination/aefi/pages.js';
import { vaccinationApiRoutes } from './vaccination/api.js';

/** Every module's routes for tenant hosts. Development-only routes are absent in production. */
export function tenantRoutes(mode: Mode): Router<AppState> {
  const router = indexedRouter<AppState>();
  const modules = [
    portalRoutes(),
    citizenApiRoutes(),
    citizenPageRoutes(),
    staffRoutes(),
    messagingRoutes(),
    areaApiRoutes(),
    facilityApiRoutes(),
    sessionApiRoutes(),
    subscriptionApiRoutes(),
    cowinPublicRoutes(),
    cowinCitizenRoutes(),
    inventoryApiRoutes(),
    vaccinationApiRoutes(),
    aefiApiRoutes(),
    aefiPageRoutes(),
    certificateApiRoutes(),
    certificatePageRoutes(),
    correctionPageRoutes(),
    verifyPageRoutes(),
    schedulingPageRoutes(),
    staffSessionPageRoutes(),
    stockPageRoutes(),
    dayPageRoutes(),
    adminPageRoutes(),
    dashboardRoutes(),
    openApiRoutes(), // /api/v1/openapi.json, /api/docs
    ...(mode === 'development' ? [devOutboxRoutes()] : []),
    cowinFallbackRoutes(),
  ];
  for (const module of modules) router.use(module.routes());
  return router;
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../kernel/errors.js';
import type { StaffContext } from '../registration/staff/staff-context.js';
import { SessionCancelledError } from '../scheduling/errors.js';
import { VaccinationSession } from '../scheduling/session.entity.js';
import { todayIn } from '../scheduling/slots.js';
import type { CentreAccess } from './centre-access.js';
import { SessionNotTodayError } from './errors.js';

/**
 * A session the actor works at today: it exists, is active, is held today in the tenant's calendar,
 * and the actor may vaccinate at its facility. Another facility's session is a 403, not a 404:
 * session ids are shown on public pages anyway.
 */
export async function sessionToday(
  em: EntityManager,
  access: CentreAccess,
  actor: StaffContext,
  sessionId: string,
  timeZone: string,
): Promise<VaccinationSession> {
  const session = await em.findOne(VaccinationSession, { id: sessionId });
  if (!session) throw new NotFoundError('no such session');
  await access.at(actor, session.facilityId, 'vaccinate');
  if (session.state === 'cancelled') throw new SessionCancelledError();
  if (String(session.date) !== todayIn(timeZone)) throw new SessionNotTodayError();
  return session;
}

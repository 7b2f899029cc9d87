import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { AuditEntry } from '../../kernel/audit/audit-entry.entity.js';
import { AuditLog, type RequestOrigin } from '../../kernel/audit/audit-log.js';
import type { TenantCrypto } from '../../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../../kernel/di/tokens.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import { RateLimitedError, type RateLimiter } from '../../kernel/rate-limit/rate-limiter.js';
import type { TenantConfig } from '../../kernel/tenancy/tenant-config.js';
import { type IssuedToken, SessionService } from '../session-service.js';
import { StaffRole, StaffUser } from '../staff-user.entity.js';
import {
  AccountLockedError,
  InvalidCredentialsError,
  LastAdminError,
  TotpAlreadyEnabledError,
  TotpInvalidError,
  TotpNotStartedError,
  TotpRequiredError,
  UsernameTakenError,
} from './errors.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import { type Grant, grantProblem, mayGrant, mayReadAudit, oversees, seesAllStaff } from './permissions.js';
import type { NewStaffUser, RoleGrant, SignIn } from './schemas.js';
import { NoAreasYet, SCOPE_DIRECTORY, type ScopeDirectory } from './scope-directory.js';
import { grantOf, grantsOf, type StaffContext, sortGrants } from './staff-context.js';
import { newTotpSecret, TOTP_REMEMBER_SECONDS, totpStep, totpUrl } from './totp.js';

/** Sign-in attempts one IP address may make, whatever the accounts, per window. */
export const SIGN_IN_PER_IP = 30;
export const SIGN_IN_WINDOW_SECONDS = 15 * 60;

export interface StaffUserView {
  id: string;
  username: string;
  displayName: string;
  roles: Grant[];
  totpEnabled: boolean;
}

export interface AuditEntryView {
  id: number;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

const ROLE_ADMINS_LOCK = 'teeka:staff:tenant-admins';

/**
 * Staff accounts: password (+ optional TOTP) sign-in with per-IP and per-account throttling,
 * users and their scoped roles, TOTP enrolment and the audit log. Every action, allowed or
 * refused, leaves an audit entry; entries never hold passwords, codes or secrets.
 */
@injectable()
export class StaffService {
  private readonly directory: ScopeDirectory;

  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.RateLimiter) private readonly limiter: RateLimiter,
    @inject(TOKENS.RequestOrigin) private readonly origin: RequestOrigin,
    @inject(SessionService) private readonly sessions: SessionService,
    @inject(AuditLog) private readonly audit: AuditLog,
    @inject(SCOPE_DIRECTORY, { isOptional: true }) directory?: ScopeDirectory,
  ) {
    this.directory = directory ?? new NoAreasYet();
  }

  // --- sign-in ---------------------------------------------------------------------------------

  /**
   * Unknown username, inactive account, wrong password and wrong TOTP code all give the same
   * answer, and an unknown name is checked against a dummy hash so it takes as long. After
   * `maxFailures` consecutive failures the account is locked for `lockSeconds`.
   */
  async signIn(input: SignIn): Promise<IssuedToken> {
    await this.limiter.hit(`staff-sign-in:ip:${this.origin.ip}`, SIGN_IN_PER_IP, SIGN_IN_WINDOW_SECONDS);
    const user = await this.em.findOne(StaffUser, { username: input.username.trim().toLowerCase() });
    if (!user?.active) {
      await verifyPassword(input.password, await dummyPasswordHash());
      this.audit.record({
        actorType: 'staff',
        action: 'staff.sign-in-failed',
        targetType: 'staff-user',
        targetId: user?.id,
        details: { reason: user ? 'inactive' : 'unknown-user' },
      });
      await this.em.flush();
      throw new InvalidCredentialsError();
    }

    const now = Date.now();
    if (user.lockedUntil && user.lockedUntil.getTime() > now) {
      this.recordAbout(user, 'staff.sign-in-locked');
      await this.em.flush();
      throw new AccountLockedError(Math.max(1, Math.ceil((user.lockedUntil.getTime() - now) / 1000)));
    }

    if (!(await verifyPassword(input.password, user.passwordHash))) return this.failSignIn(user, 'password');
    if (user.totpEnabled) {
      if (!input.totp) {
        this.recordAbout(user, 'staff.sign-in-totp-required');
        await this.em.flush();
        throw new TotpRequiredError();
      }
      const step = user.totpSecretEnc ? totpStep(this.totpSecret(user), input.totp) : undefined;
      if (step === undefined || !(await this.firstUse(user.id, step))) return this.failSignIn(user, 'totp');
    }

    await this.em.nativeUpdate(StaffUser, { id: user.id }, { failedAttempts: 0, lockedUntil: null });
    const issued = await this.sessions.issue('staff', user.id);
    this.recordAbout(user, 'staff.sign-in', { sessionId: issued.sessionId, totp: user.totpEnabled });
    await this.em.flush();
    return issued;
  }

  /** Counts a failure in one statement (no race gives extra tries) and locks at the limit. */
  private async failSignIn(user: StaffUser, reason: 'password' | 'totp'): Promise<never> {
    const { maxFailures, lockSeconds } = this.tenant.limits.staffSignIn;
    const rows = await this.em.getConnection().execute<{ failed_attempts: number }[]>(
      `update staff_user set
         failed_attempts = case when failed_attempts + 1 >= ? then 0 else failed_attempts + 1 end,
         locked_until = case when failed_attempts + 1 >= ? then ? else locked_until end
       where id = ?
       returning failed_attempts`,
      [maxFailures, maxFailures, new Date(Date.now() + lockSeconds * 1000), user.id],
    );
    const locked = rows[0]?.failed_attempts === 0;
    this.recordAbout(user, 'staff.sign-in-failed', { reason, failures: locked ? maxFailures : (rows[0]?.failed_attempts ?? 0) });
    if (locked) this.recordAbout(user, 'staff.account-locked', { lockSeconds, failures: maxFailures });
    await this.em.flush();
    throw new InvalidCredentialsError();
  }

  /** A TOTP code is good once: its time step is remembered (in PostgreSQL) while it is valid. */
  private async firstUse(userId: string, step: number): Promise<boolean> {
    try {
      await this.limiter.hit(`staff-totp:${userId}:${step}`, 1, TOTP_REMEMBER_SECONDS);
      return true;
    } catch (error) {
      if (error instanceof RateLimitedError) return false;
      throw error;
    }
  }

  async signOut(actor: StaffContext): Promise<void> {
    await this.sessions.revoke(actor.sessionId);
    this.recordBy(actor, 'staff.sign-out', 'staff-user', actor.user.id, { sessionId: actor.sessionId });
    await this.em.flush();
  }

  // --- the signed-in member of staff --------------------------------------------------------------

  /** Reading one's own profile changes nothing and reveals nothing new: not audited. */
  async me(actor: StaffContext): Promise<StaffUserView> {
    return view(actor.user, actor.roles);
  }

  /** Starts (or restarts) enrolment: a new secret, stored encrypted, enabled only once confirmed. */
  async startTotp(actor: StaffContext): Promise<{ otpauthUrl: string }> {
    if (actor.user.totpEnabled) return this.refuseWith(actor, 'staff.totp-enrolment-started', new TotpAlreadyEnabledError());
    const secret = newTotpSecret();
    actor.user.totpSecretEnc = this.crypto.encrypt(secret);
    this.recordBy(actor, 'staff.totp-enrolment-started', 'staff-user', actor.user.id);
    await this.em.flush();
    return { otpauthUrl: totpUrl(secret, `Teeka ${this.tenant.country}`, actor.user.username) };
  }

  async confirmTotp(actor: StaffContext, code: string): Promise<{ totpEnabled: true }> {
    const { user } = actor;
    if (user.totpEnabled) return this.refuseWith(actor, 'staff.totp-enabled', new TotpAlreadyEnabledError());
    if (!user.totpSecretEnc) return this.refuseWith(actor, 'staff.totp-enabled', new TotpNotStartedError());
    const step = totpStep(this.totpSecret(user), code);
    if (step === undefined || !(await this.firstUse(user.id, step))) {
      return this.refuseWith(actor, 'staff.totp-enabled', new TotpInvalidError());
    }
    user.totpEnabled = true;
    this.recordBy(actor, 'staff.totp-enabled', 'staff-user', user.id);
    await this.em.flush();
    return { totpEnabled: true };
  }

  // --- users and roles ----------------------------------------------------------------------------

  async createUser(actor: StaffContext, input: NewStaffUser): Promise<StaffUserView> {
    const grants = dedupe(input.roles.map((role, index) => this.checkShape(role, `/roles/${index}`)));
    for (const grant of grants) await this.assertMayGrant(actor, grant, 'staff.user-created');
    const username = input.username.toLowerCase();
    if ((await this.em.count(StaffUser, { username })) > 0) throw new UsernameTakenError();
    const user = this.em.create(StaffUser, {
      id: randomUUID(),
      username,
      displayName: input.displayName.trim(),
      passwordHash: await hashPassword(input.password),
      totpEnabled: false,
      failedAttempts: 0,
      active: true,
      createdAt: new Date(),
    });
    for (const grant of grants) this.em.persist(this.em.create(StaffRole, { id: randomUUID(), user, ...grant }));
    this.em.persist(user);
    this.recordBy(actor, 'staff.user-created', 'staff-user', user.id, { roles: grants });
    try {
      await this.em.flush(); // one transaction: the user, their roles and the audit entry
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new UsernameTakenError();
      throw error;
    }
    return view(user, sortGrants(grants));
  }

  /** Grants a role; granting one the user already holds changes nothing. */
  async grant(actor: StaffContext, userId: string, input: RoleGrant): Promise<StaffUserView> {
    const grant = this.checkShape(input, '');
    await this.assertMayGrant(actor, grant, 'staff.role-granted');
    const user = await this.findUser(userId);
    const held = await this.em.count(StaffRole, { user: user.id, ...grant });
    if (held === 0) this.em.persist(this.em.create(StaffRole, { id: randomUUID(), user, ...grant }));
    this.recordBy(actor, 'staff.role-granted', 'staff-user', user.id, { ...grant, changed: held === 0 });
    await this.em.flush();
    return view(user, await grantsOf(this.em, user.id));
  }

  /** Revokes a role; revoking one the user does not hold changes nothing. */
  async revoke(actor: StaffContext, userId: string, input: RoleGrant): Promise<StaffUserView> {
    const grant = this.checkShape(input, '');
    await this.assertMayGrant(actor, grant, 'staff.role-revoked');
    const user = await this.findUser(userId);
    const removed = await this.em.transactional(async (em) => {
      if (grant.role === 'tenant-admin') {
        // Serialise revocations of administrators, so two cannot remove each other at once.
        await em
          .getConnection()
          .execute('select pg_advisory_xact_lock(hashtext(?))', [ROLE_ADMINS_LOCK], 'all', em.getTransactionContext());
        const held = await em.count(StaffRole, { user: user.id, ...grant });
        if (held > 0 && (await em.count(StaffRole, { role: 'tenant-admin' })) <= 1) throw new LastAdminError();
      }
      return em.nativeDelete(StaffRole, { user: user.id, ...grant });
    });
    this.recordBy(actor, 'staff.role-revoked', 'staff-user', user.id, { ...grant, changed: removed > 0 });
    await this.em.flush();
    return view(user, await grantsOf(this.em, user.id));
  }

  /** The staff whose roles lie within the actor's scope; administrators see everyone. */
  async listUsers(actor: StaffContext): Promise<StaffUserView[]> {
    let users: StaffUser[];
    if (seesAllStaff(actor.roles)) {
      users = await this.em.find(StaffUser, {}, { orderBy: { username: 'asc' } });
    } else {
      const candidates = await this.em.find(StaffRole, { scopeType: { $in: ['area', 'facility'] } });
      const visible = new Set<string>();
      for (const row of candidates) {
        if (visible.has(row.user.id)) continue;
        if (await oversees(actor.roles, { type: row.scopeType as 'area' | 'facility', id: row.scopeId ?? null }, this.directory)) {
          visible.add(row.user.id);
        }
      }
      users = visible.size ? await this.em.find(StaffUser, { id: { $in: [...visible] } }, { orderBy: { username: 'asc' } }) : [];
    }
    const rows = users.length ? await this.em.find(StaffRole, { user: { $in: users.map((user) => user.id) } }) : [];
    const byUser = new Map<string, Grant[]>();
    for (const row of rows) {
      const grant = grantOf(row);
      if (grant) byUser.set(row.user.id, [...(byUser.get(row.user.id) ?? []), grant]);
    }
    this.recordBy(actor, 'staff.users-listed', undefined, undefined, { count: users.length });
    await this.em.flush();
    return users.map((user) => view(user, sortGrants(byUser.get(user.id) ?? [])));
  }

  // --- audit log ------------------------------------------------------------------------------------

  async auditEntries(actor: StaffContext, limit: number): Promise<AuditEntryView[]> {
    if (!mayReadAudit(actor.roles))
      return this.refuseWith(actor, 'staff.audit-read', new ForbiddenError('only administrators read the audit log'));
    const entries = await this.em.find(AuditEntry, {}, { orderBy: { at: 'desc', id: 'desc' }, limit });
    this.recordBy(actor, 'staff.audit-read', undefined, undefined, { limit });
    await this.em.flush();
    return entries.map((entry) => ({
      id: Number(entry.id),
      at: entry.at.toISOString(),
      actorType: entry.actorType,
      actorId: entry.actorId ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ip: entry.ip ?? null,
      userAgent: entry.userAgent ?? null,
      details: entry.details,
    }));
  }

  // --- helpers ----------------------------------------------------------------------------------

  private totpSecret(user: StaffUser): string {
    return this.crypto.decrypt(Buffer.from(user.totpSecretEnc!));
  }

  /** A grant from the request, with its role held in the right kind of scope (else 422). */
  private checkShape(input: RoleGrant, path: string): Grant {
    const grant: Grant = { role: input.role, scopeType: input.scopeType, scopeId: input.scopeId ?? null };
    const problem = grantProblem(grant);
    if (problem === 'scope-type')
      throw new ValidationError('role held in the wrong kind of scope', [{ path: `${path}/scopeType`, code: 'choice' }]);
    if (problem === 'scope-id-missing') throw new ValidationError('scope id missing', [{ path: `${path}/scopeId`, code: 'required' }]);
    if (problem === 'scope-id-unexpected')
      throw new ValidationError('scope takes no id', [{ path: `${path}/scopeId`, code: 'unknown-field' }]);
    return grant;
  }

  private async assertMayGrant(actor: StaffContext, grant: Grant, action: string): Promise<void> {
    if (!(await mayGrant(actor.roles, grant, this.directory))) {
      await this.refuseWith(actor, action, new ForbiddenError(`may not grant ${grant.role}`), { ...grant });
    }
  }

  private async findUser(userId: string): Promise<StaffUser> {
    const user = UUID.test(userId) ? await this.em.findOne(StaffUser, { id: userId }) : null;
    if (!user) throw new NotFoundError('no such member of staff');
    return user;
  }

  /** Records a refused action (so attempts beyond one's rights show in the log), then throws. */
  private async refuseWith(actor: StaffContext, action: string, error: Error, details: Record<string, unknown> = {}): Promise<never> {
    this.recordBy(actor, 'staff.refused', undefined, undefined, { attempted: action, code: (error as { code?: string }).code, ...details });
    await this.em.flush();
    throw error;
  }

  private recordBy(actor: StaffContext, action: string, targetType?: string, targetId?: string, details?: Record<string, unknown>): void {
    this.audit.record({ actorType: 'staff', actorId: actor.user.id, action, targetType, targetId, details });
  }

  /** For sign-in, where the account is the target and (once known) the actor. */
  private recordAbout(user: StaffUser, action: string, details?: Record<string, unknown>): void {
    this.audit.record({ actorType: 'staff', actorId: user.id, action, targetType: 'staff-user', targetId: user.id, details });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function dedupe(grants: Grant[]): Grant[] {
  const seen = new Set<string>();
  return grants.filter((grant) => {
    const key = `${grant.role}|${grant.scopeType}|${grant.scopeId ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function view(user: StaffUser, roles: Grant[]): StaffUserView {
  return { id: user.id, username: user.username, displayName: user.displayName, roles, totpEnabled: user.totpEnabled };
}

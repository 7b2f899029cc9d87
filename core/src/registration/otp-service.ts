import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import type { RequestOrigin } from '../kernel/audit/audit-log.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ValidationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import { RateLimitedError, type RateLimiter } from '../kernel/rate-limit/rate-limiter.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { SmsDispatcher } from '../messaging/sms-dispatcher.js';
import { OtpAttemptsExceededError, OtpExpiredError, OtpInvalidError, SmsUnavailableError } from './errors.js';
import { parseMobileNumber } from './phone-numbers.js';
import { type IssuedToken, SessionService } from './session-service.js';

const HOUR = 3600;

/**
 * Sign-in by mobile number and one-time password. Security-critical, so it lives in core, not in
 * the SMS plugin: the code comes from a CSPRNG, is stored only as a keyed hash bound to its
 * challenge, expires, allows a few attempts, and every limit is counted in PostgreSQL so it holds
 * across app processes. Asking for a code never reveals whether the number has an account.
 */
@injectable()
export class OtpService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.RateLimiter) private readonly limiter: RateLimiter,
    @inject(SmsDispatcher) private readonly sms: SmsDispatcher,
    @inject(TOKENS.RequestOrigin) private readonly origin: RequestOrigin,
    @inject(TOKENS.Translate) private readonly t: (key: string, options?: Record<string, unknown>) => string,
    @inject(SessionService) private readonly sessions: SessionService,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  /** Sends a code to the number; returns the transaction id to confirm it with. */
  async generate(mobile: unknown): Promise<{ txnId: string }> {
    const phone = parseMobileNumber(mobile, this.tenant);
    if (!phone) throw new ValidationError('not a mobile number of this country', [{ path: '/mobile', code: 'phone-invalid' }]);
    const phoneHash = this.crypto.keyedHash('phone', phone);
    const { otp, rateLimits } = this.tenant.limits;
    const txnId = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');

    // Counted before the transaction, never inside it: the limiter writes on a pooled connection of
    // its own, and a transaction waiting for a second connection deadlocks the pool once as many
    // sign-ins as the pool has connections arrive together (found by bench/otp.ts at 10 clients).
    await this.limiter.hit(`otp:ip:${this.origin.ip}`, rateLimits.otpPerIpPerHour, HOUR);
    await this.limiter.hit(`otp:phone:${phoneHash}`, rateLimits.otpPerNumberPerHour, HOUR);
    await this.em.transactional(async (em) => {
      const connection = em.getConnection();
      // One generate at a time per number, so two concurrent requests cannot both pass the cooldown.
      await connection.execute(
        'select pg_advisory_xact_lock(hashtextextended(?, 0))',
        [`otp:${phoneHash}`],
        'all',
        em.getTransactionContext(),
      );
      const outstanding = await connection.execute<{ wait: number }[]>(
        `select ceil(extract(epoch from (created_at + make_interval(secs => ?) - now())))::int as wait
           from otp_challenge
          where phone_hash = ? and confirmed_at is null and expires_at > now() and attempts < max_attempts
            and created_at > now() - make_interval(secs => ?)
          order by created_at desc limit 1`,
        [otp.resendCooldownSeconds, phoneHash, otp.resendCooldownSeconds],
        'all',
        em.getTransactionContext(),
      );
      if (outstanding.length > 0) throw new RateLimitedError(Math.max(1, outstanding[0].wait), 'otp-cooldown');
      await connection.execute(
        `insert into otp_challenge (id, phone_hash, phone_enc, code_hash, created_at, expires_at, attempts, max_attempts)
         values (?, ?, ?, ?, now(), now() + make_interval(secs => ?), 0, ?)`,
        [txnId, phoneHash, this.crypto.encrypt(phone), this.codeHash(txnId, sha256Hex(code)), otp.ttlSeconds, otp.maxAttempts],
        'run',
        em.getTransactionContext(),
      );
    });

    this.log.debug({ txnId, ttlSeconds: otp.ttlSeconds }, 'otp challenge created');
    const text = this.t('registration:otp.sms', { code, minutes: Math.round(otp.ttlSeconds / 60) });
    const result = await this.sms.send({ to: phone, text, purpose: 'otp', reference: txnId });
    if (result.state !== 'sent') {
      // The person never got this code: it must not hold them in a cooldown.
      await this.em.getConnection().execute('update otp_challenge set expires_at = now() where id = ?', [txnId], 'run');
      throw new SmsUnavailableError();
    }
    this.log.debug({ txnId, parts: result.parts }, 'otp sms accepted by the gateway');
    return { txnId };
  }

  /** Checks the code; on success finds or creates the account and starts a session. */
  async confirm(txnId: string, code: string, language: string): Promise<IssuedToken & { accountId: string; isNewAccount: boolean }> {
    return this.confirmDigest(txnId, sha256Hex(code), language);
  }

  /**
   * Confirms with the SHA-256 (hex) of the code, as Co-WIN's clients send it: the challenge keeps
   * a keyed hash of that digest, so both forms check against the one stored value.
   */
  async confirmDigest(
    txnId: string,
    digest: string,
    language: string,
  ): Promise<IssuedToken & { accountId: string; isNewAccount: boolean }> {
    const code = digest.toLowerCase();
    const connection = this.em.getConnection();
    // Count the attempt first, in the same statement that reads the challenge: no race can
    // give anyone more tries than allowed.
    const rows = await connection.execute<
      { phone_enc: Buffer; code_hash: string; attempts: number; max_attempts: number; expired: boolean }[]
    >(
      `update otp_challenge set attempts = attempts + 1
        where id = ? and confirmed_at is null
        returning phone_enc, code_hash, attempts, max_attempts, expires_at <= now() as expired`,
      [txnId],
    );
    const challenge = rows[0];
    if (!challenge) throw new OtpInvalidError();
    if (challenge.attempts > challenge.max_attempts) throw new OtpAttemptsExceededError();
    if (challenge.expired) throw new OtpExpiredError();
    if (!this.crypto.sameHash(this.codeHash(txnId, code), challenge.code_hash)) {
      this.log.debug({ txnId, attempts: challenge.attempts }, 'otp mismatch');
      throw new OtpInvalidError(challenge.max_attempts - challenge.attempts);
    }
    const confirmed = await connection.execute(
      'update otp_challenge set confirmed_at = now() where id = ? and confirmed_at is null',
      [txnId],
      'run',
    );
    if ((confirmed as { affectedRows?: number }).affectedRows === 0) throw new OtpInvalidError();

    const phone = this.crypto.decrypt(Buffer.from(challenge.phone_enc));
    const phoneHash = this.crypto.keyedHash('phone', phone);
    const account = await connection.execute<{ id: string; inserted: boolean }[]>(
      `insert into account (id, phone_hash, phone_enc, language, created_at, last_sign_in_at)
       values (?, ?, ?, ?, now(), now())
       on conflict (phone_hash) do update set last_sign_in_at = now(), language = excluded.language
       returning id, (xmax = 0) as inserted`,
      [randomUUID(), phoneHash, this.crypto.encrypt(phone), language],
    );
    const accountId = account[0].id;
    this.log.debug({ txnId, accountId }, 'otp confirmed');
    return { ...(await this.sessions.issue('citizen', accountId)), accountId, isNewAccount: account[0].inserted };
  }

  /** The stored check of a code: a keyed hash of its SHA-256 digest, bound to the challenge. */
  private codeHash(txnId: string, digest: string): string {
    return this.crypto.keyedHash('otp', `${txnId}:${digest}`);
  }
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

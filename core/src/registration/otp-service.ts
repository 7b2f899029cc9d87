import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import type { RequestOrigin } from '../kernel/audit/audit-log.js';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { RELAXED_COMMIT, runPrepared } from '../kernel/db/prepared.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { ValidationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import { RateLimitedError } from '../kernel/rate-limit/rate-limiter.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { maskNumber, SmsDispatcher } from '../messaging/sms-dispatcher.js';
import { OtpAttemptsExceededError, OtpExpiredError, OtpInvalidError, SmsUnavailableError } from './errors.js';
import { parseMobileNumber } from './phone-numbers.js';
import { type IssuedToken, SessionService } from './session-service.js';

const HOUR = 3600;

/**
 * Asking for a code, in one statement and one round trip. Parameters: $1 the per-IP key, $2 its
 * limit, $3 the window (seconds), $4 the per-number key, $5 its limit, $6 the resend cooldown
 * (seconds), $7 the new challenge id, $8 the number's keyed hash, $9 its ciphertext, $10 the code's
 * keyed hash, $11 the code's lifetime (seconds), $12 the attempts allowed.
 *
 * 1. `ip`: counts the request against the IP (fixed window, as RateLimiter.hit).
 * 2. `phone`: only if the IP is within its limit (an IP-limited request counts nothing against the
 *    number), counts it against the number. The same row decides the resend cooldown: it is held by
 *    the newest live challenge (`hold_ref`) until `hold_until`. ON CONFLICT DO UPDATE locks that row
 *    and evaluates its SET on the newest committed version, so two requests for one number are
 *    decided one after the other: the second sees the first's hold, even when the first's challenge
 *    row is not yet visible to its snapshot (an invisible challenge counts as live). A hold whose
 *    challenge is confirmed, used up or expired is free at once. A cooldown of 0 holds nothing
 *    (`hold_until` null), so no request can be refused by another's transaction clock.
 *    The wait it reports is measured against clock_timestamp(), not now(): a request that waited on
 *    the row's lock began before the holder set `hold_until` from its own later now(), and now()
 *    would overstate the wait (a 61 s Retry-After for a 60 s cooldown).
 * 3. `challenge`: written only when this request took the hold, which needs both limits met.
 * 4. `sms`: with the challenge, the `queued` record of the SMS that carries its code ($13 its id,
 *    $14 the masked number; SmsDispatcher then writes only the outcome), so asking for a code is
 *    one statement and one commit before the gateway, not two.
 * Every row and condition of the former lock / check / insert transaction, without its five round trips.
 * It commits relaxed (RELAXED_COMMIT): a database crash may forget the last few hundred ms of
 * challenges and counts, and whoever asked then asks again.
 */
export const OTP_GENERATE_SQL = `with ip as (
  insert into rate_limit as r (key, window_start, hits) values ($1::varchar, now(), 1)
  on conflict (key) do update set
    hits = case when r.window_start <= now() - make_interval(secs => $3::float8) then 1 else r.hits + 1 end,
    window_start = case when r.window_start <= now() - make_interval(secs => $3::float8) then now() else r.window_start end
  returning r.hits, ceil(extract(epoch from (r.window_start + make_interval(secs => $3::float8) - now())))::int as retry_after
), phone as (
  insert into rate_limit as r (key, window_start, hits, hold_until, hold_ref)
  select $4::varchar, now(), 1, nullif(now() + make_interval(secs => least($6::float8, $11::float8)), now()), $7::uuid from ip where ip.hits <= $2::int
  on conflict (key) do update set
    hits = case when r.window_start <= now() - make_interval(secs => $3::float8) then 1 else r.hits + 1 end,
    window_start = case when r.window_start <= now() - make_interval(secs => $3::float8) then now() else r.window_start end,
    hold_until = case
      when (case when r.window_start <= now() - make_interval(secs => $3::float8) then 1 else r.hits + 1 end) <= $5::int
        and (r.hold_until is null or r.hold_until <= now() or exists (
          select 1 from otp_challenge c where c.id = r.hold_ref
             and (c.confirmed_at is not null or c.attempts >= c.max_attempts or c.expires_at <= now())))
      then nullif(now() + make_interval(secs => least($6::float8, $11::float8)), now()) else r.hold_until end,
    hold_ref = case
      when (case when r.window_start <= now() - make_interval(secs => $3::float8) then 1 else r.hits + 1 end) <= $5::int
        and (r.hold_until is null or r.hold_until <= now() or exists (
          select 1 from otp_challenge c where c.id = r.hold_ref
             and (c.confirmed_at is not null or c.attempts >= c.max_attempts or c.expires_at <= now())))
      then $7::uuid else r.hold_ref end
  returning r.hits, ceil(extract(epoch from (r.window_start + make_interval(secs => $3::float8) - now())))::int as retry_after,
    r.hold_ref = $7::uuid as holder, ceil(extract(epoch from (r.hold_until - clock_timestamp())))::int as wait
), challenge as (
  insert into otp_challenge (id, phone_hash, phone_enc, code_hash, created_at, expires_at, attempts, max_attempts)
  select $7::uuid, $8::char(64), $9::bytea, $10::char(64), now(), now() + make_interval(secs => $11::float8), 0, $12::int
    from phone where phone.holder
), sms as (
  insert into sms_message (id, purpose, to_hash, to_masked, state, gateway, gateway_message_id, attempts, last_error, created_at, updated_at)
  select $13::uuid, 'otp', $8::varchar, $14::varchar, 'queued', null, null, 0, null, now(), now()
    from phone where phone.holder
)
select ip.hits as ip_hits, ip.retry_after as ip_retry_after,
       phone.hits as phone_hits, phone.retry_after as phone_retry_after, phone.holder, phone.wait
  from ip left join phone on true
 where ${RELAXED_COMMIT}`;

/**
 * Checking a code and signing in, in one statement. Parameters: $1 the challenge id, $2 the keyed
 * hash of the code given, $3 an id for a new account, $4 the language, $5 the new session's id,
 * $6 its end. The attempt is counted in the statement that reads the challenge (the row lock orders
 * concurrent confirms, so nobody gets more tries than allowed, and a code confirms once: the next
 * finds `confirmed_at` set). Only a matching, live, in-limit attempt confirms, and only a
 * confirmation finds or creates the account (its number copied from the challenge: the same hash
 * and ciphertext) and writes the session row. Comparing the hashes in SQL is not constant-time;
 * they are keyed hashes of the code, and five attempts tell nothing usable about the stored one.
 * It commits relaxed (RELAXED_COMMIT): a database crash may forget a sign-in of its last few hundred
 * ms, attempt, account and session together (one transaction), and the token of a forgotten session
 * is refused as ended, so the citizen signs in again. Whatever they did next that lasts (a booking)
 * commits durably and flushes the sign-in with it, so nothing durable points at a lost account. A
 * lost attempt count gives back at most the attempts of that window, and only to someone who can
 * crash the database.
 */
export const OTP_CONFIRM_SQL = `with attempt as (
  update otp_challenge c set attempts = c.attempts + 1,
    confirmed_at = case when c.code_hash = $2::char(64) and c.attempts + 1 <= c.max_attempts and c.expires_at > now() then now() end
  where c.id = $1::uuid and c.confirmed_at is null
  returning c.phone_hash, c.phone_enc, c.attempts, c.max_attempts, c.expires_at <= now() as expired,
    c.code_hash = $2::char(64) as matched, c.confirmed_at is not null as confirmed
), signed_in as (
  insert into account as a (id, phone_hash, phone_enc, language, created_at, last_sign_in_at)
  select $3::uuid, attempt.phone_hash, attempt.phone_enc, $4::varchar, now(), now() from attempt where attempt.confirmed
  on conflict (phone_hash) do update set last_sign_in_at = now(), language = excluded.language
  returning a.id, (a.xmax = 0) as inserted
), session as (
  insert into auth_session (id, subject_type, subject_id, expires_at, created_at)
  select $5::uuid, 'citizen', signed_in.id, $6::timestamptz, now() from signed_in
)
select attempt.attempts, attempt.max_attempts, attempt.expired, attempt.matched, attempt.confirmed,
       signed_in.id as account_id, signed_in.inserted
  from attempt left join signed_in on true
 where ${RELAXED_COMMIT}`;

/**
 * The OTP SMS of each tenant, language and lifetime, translated once with a slot where the code
 * goes: the text is the same for every request but the six digits, and i18next's lookup and
 * interpolation were 2 % of a sign-in's time. (Interpolation does not escape: the slot comes back as it went in.)
 */
const CODE_SLOT = '\u0000code\u0000';
const smsTemplates = new WeakMap<TenantConfig, Map<string, string>>();

/** A code whose SMS could not go out: its challenge dies, so it holds no cooldown. */
const OTP_ABANDON_SQL = 'update otp_challenge set expires_at = now() where id = $1::uuid';

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
    @inject(SmsDispatcher) private readonly sms: SmsDispatcher,
    @inject(TOKENS.RequestOrigin) private readonly origin: RequestOrigin,
    @inject(TOKENS.Translate) private readonly t: (key: string, options?: Record<string, unknown>) => string,
    @inject(TOKENS.Language) private readonly language: string,
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
    const smsId = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');

    const {
      rows: [row],
    } = await runPrepared<{
      ip_hits: number;
      ip_retry_after: number;
      phone_hits: number | null;
      phone_retry_after: number | null;
      holder: boolean | null;
      wait: number | null;
    }>(this.em, 'teeka-otp-generate', OTP_GENERATE_SQL, [
      `otp:ip:${this.origin.ip}`,
      rateLimits.otpPerIpPerHour,
      HOUR,
      `otp:phone:${phoneHash}`,
      rateLimits.otpPerNumberPerHour,
      otp.resendCooldownSeconds,
      txnId,
      phoneHash,
      this.crypto.encrypt(phone),
      this.codeHash(txnId, sha256Hex(code)),
      otp.ttlSeconds,
      otp.maxAttempts,
      smsId,
      maskNumber(phone),
    ]);
    // The same answers, in the same order, as counting the IP, then the number, then the cooldown.
    if (row.ip_hits > rateLimits.otpPerIpPerHour) throw new RateLimitedError(Math.max(1, row.ip_retry_after));
    if ((row.phone_hits ?? 0) > rateLimits.otpPerNumberPerHour) throw new RateLimitedError(Math.max(1, row.phone_retry_after ?? 1));
    if (!row.holder) throw new RateLimitedError(Math.max(1, row.wait ?? 1), 'otp-cooldown');

    this.log.debug({ txnId, ttlSeconds: otp.ttlSeconds }, 'otp challenge created');
    const text = this.smsText(code, Math.round(otp.ttlSeconds / 60));
    const result = await this.sms.send({ to: phone, text, purpose: 'otp', reference: txnId, recordId: smsId });
    if (result.state !== 'sent') {
      // The person never got this code: it must not hold them in a cooldown.
      await runPrepared(this.em, 'teeka-otp-abandon', OTP_ABANDON_SQL, [txnId]);
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
    const session = this.sessions.plan('citizen');
    const {
      rows: [challenge],
    } = await runPrepared<{
      attempts: number;
      max_attempts: number;
      expired: boolean;
      matched: boolean;
      confirmed: boolean;
      account_id: string | null;
      inserted: boolean | null;
    }>(this.em, 'teeka-otp-confirm', OTP_CONFIRM_SQL, [
      txnId,
      this.codeHash(txnId, digest.toLowerCase()),
      randomUUID(),
      language,
      session.sessionId,
      session.expiresAt,
    ]);
    if (!challenge) throw new OtpInvalidError();
    if (challenge.attempts > challenge.max_attempts) throw new OtpAttemptsExceededError();
    if (challenge.expired) throw new OtpExpiredError();
    if (!challenge.matched) {
      this.log.debug({ txnId, attempts: challenge.attempts }, 'otp mismatch');
      throw new OtpInvalidError(challenge.max_attempts - challenge.attempts);
    }
    // Matched, live and within the attempts: the statement confirmed it and wrote the session.
    if (!challenge.confirmed || !challenge.account_id) throw new OtpInvalidError();
    const accountId = challenge.account_id;
    this.log.debug({ txnId, accountId }, 'otp confirmed');
    return { ...(await this.sessions.sign('citizen', accountId, session)), accountId, isNewAccount: challenge.inserted === true };
  }

  private smsText(code: string, minutes: number): string {
    let templates = smsTemplates.get(this.tenant);
    if (!templates) {
      templates = new Map();
      smsTemplates.set(this.tenant, templates);
    }
    const key = `${this.language}:${minutes}`;
    let template = templates.get(key);
    if (template === undefined) {
      template = this.t('registration:otp.sms', { code: CODE_SLOT, minutes });
      templates.set(key, template);
    }
    return template.replaceAll(CODE_SLOT, code);
  }

  /** The stored check of a code: a keyed hash of its SHA-256 digest, bound to the challenge. */
  private codeHash(txnId: string, digest: string): string {
    return this.crypto.keyedHash('otp', `${txnId}:${digest}`);
  }
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

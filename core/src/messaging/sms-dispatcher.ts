import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SendResult } from '@teeka/plugin-sdk';
import type { Pool } from 'pg';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { RELAXED_COMMIT } from '../kernel/db/prepared.js';
import { addToBatch, queryPrepared, WriteBatch } from '../kernel/db/write-batch.js';
import { TOKENS } from '../kernel/di/tokens.js';
import type { Logger } from '../kernel/log/logger.js';
import { countSms } from '../kernel/metrics/metrics.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { NamedGateway } from './delivery.js';
import type { SmsState } from './sms-message.entity.js';

export interface Outgoing {
  to: string;
  text: string;
  /** Why it is sent (`otp`, `test`, `reminder`...), for staff looking at failures. */
  purpose: string;
  reference?: string;
  /**
   * The id of this message's `queued` record when the caller has already written it in its own
   * statement (the OTP request writes it with the challenge, to spare a round trip and a commit).
   */
  recordId?: string;
}

export interface Dispatched {
  id: string;
  state: SmsState;
  gateway?: string;
  parts?: number;
}

/** `+919876543210` → `+91******3210`: enough for staff to recognise, nothing more. */
export function maskNumber(e164: string): string {
  return `${e164.slice(0, 3)}${'*'.repeat(Math.max(0, e164.length - 7))}${e164.slice(-4)}`;
}

class GatewayTimeout extends Error {}

/**
 * The record of a message (sms_message), written as two statements (before the first try, and the
 * outcome) rather than through the ORM, whose flushes each add begin and commit round trips: an OTP
 * sends one SMS inside the citizen's request. Concurrent sends share each statement (WriteBatch):
 * the `queued` records are given as arrays, one element per message (id, purpose, keyed hash and
 * masked number). Both commit relaxed (RELAXED_COMMIT): a record lost in a database crash is a
 * message staff cannot look up, not a message lost.
 */
export const SMS_RECORD_SQL = `insert into sms_message
  (id, purpose, to_hash, to_masked, state, gateway, gateway_message_id, attempts, last_error, created_at, updated_at)
select r.id, r.purpose, r.to_hash, r.to_masked, 'queued', null, null, 0, null, now(), now()
  from unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[]) as r (id, purpose, to_hash, to_masked)
 where ${RELAXED_COMMIT}`;
export const SMS_OUTCOME_SQL = `update sms_message m
  set state = o.state, gateway = o.gateway, gateway_message_id = o.gateway_message_id, attempts = o.attempts, last_error = o.last_error, updated_at = now()
  from unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::varchar[])
    as o (id, state, gateway, gateway_message_id, attempts, last_error)
where m.id = o.id and ${RELAXED_COMMIT}`;

/**
 * One outcome alone, by primary key. The batch form joins `sms_message` to the unnest of its
 * arrays; as a prepared statement its plan is made once, and one made while the table was small (a
 * new tenant, the first minute of a storm) hashes the whole table for every outcome until the next
 * analyze. A primary-key equality is an index lookup at any size.
 */
export const SMS_OUTCOME_ONE_SQL = `update sms_message
  set state = $2::varchar, gateway = $3::varchar, gateway_message_id = $4::varchar, attempts = $5::int, last_error = $6::varchar,
      updated_at = now()
where id = $1::uuid and ${RELAXED_COMMIT}`;

/** One message's outcome, for SMS_OUTCOME_SQL (one array element per message). */
export type Outcome = [
  id: string,
  state: SmsState,
  gateway: string | null,
  gatewayMessageId: string | null,
  attempts: number,
  lastError: string | null,
];

/** Writes the outcomes of messages already recorded: one alone by its key, several in one statement. */
export async function recordOutcomes(pool: Pool, rows: Outcome[]): Promise<undefined[]> {
  if (rows.length === 1) await queryPrepared(pool, 'teeka-sms-outcome-one', SMS_OUTCOME_ONE_SQL, rows[0]);
  else
    await queryPrepared(
      pool,
      'teeka-sms-outcome',
      SMS_OUTCOME_SQL,
      [0, 1, 2, 3, 4, 5].map((field) => rows.map((row) => row[field])),
    );
  return rows.map(() => undefined);
}

/** Outcomes of concurrent sends to one tenant go in one statement (WriteBatch): one message, one row. */
const outcomes = () => new WriteBatch<Outcome, undefined>(recordOutcomes);

/** One message's `queued` record: id, purpose, keyed hash and masked form of the number. */
type SmsRecord = [id: string, purpose: string, toHash: string, toMasked: string];

/**
 * Records of concurrent sends (notices sent side by side by a job worker) go in one statement. An
 * insert from arrays plans alike for one row or many, so it needs no single-row form (the outcomes'
 * update, a join, does).
 */
const records = () =>
  new WriteBatch<SmsRecord, undefined>(async (pool, rows) => {
    const columns = [0, 1, 2, 3].map((field) => rows.map((row) => row[field]));
    await queryPrepared(pool, 'teeka-sms-records', SMS_RECORD_SQL, columns);
    return rows.map(() => undefined);
  });

/** The gateway's answer, or GatewayTimeout after `ms`. */
function withinMs<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayTimeout(`gateway timeout: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends an SMS reliably, in core rather than in each plugin: records the message first, tries
 * the primary gateway with back-off on temporary failures, then the fallback gateway, all within
 * a deadline, and records the outcome (gateway used, attempts, last error). Plugins only deliver.
 */
@injectable()
export class SmsDispatcher {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.SmsGateways) private readonly gateways: NamedGateway[],
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  async send(message: Outgoing): Promise<Dispatched> {
    const { attemptsPerGateway, backoffMs, deadlineMs, attemptTimeoutMs = 5000 } = this.tenant.limits.sms;
    const id = message.recordId ?? randomUUID();
    if (!message.recordId) {
      await addToBatch<SmsRecord, undefined>(this.em, 'sms-record', records, [
        id,
        message.purpose,
        this.crypto.keyedHash('phone', message.to),
        maskNumber(message.to),
      ]);
    }
    const record: { attempts: number; gateway: string | null; lastError: string | null } = { attempts: 0, gateway: null, lastError: null };
    const outcome = (state: SmsState, gatewayMessageId: string | null) =>
      addToBatch<Outcome, undefined>(this.em, 'sms-outcome', outcomes, [
        id,
        state,
        record.gateway,
        gatewayMessageId,
        record.attempts,
        record.lastError,
      ]);

    const deadline = Date.now() + deadlineMs;
    for (const { id: gatewayId, gateway } of this.gateways) {
      for (let attempt = 1; attempt <= attemptsPerGateway && Date.now() < deadline; attempt++) {
        record.attempts += 1;
        record.gateway = gatewayId;
        // A gateway that does not answer must not hold the citizen past the deadline: each try is
        // bounded, and a gateway that timed out is not tried again (it may be sending late).
        const result: SendResult = await withinMs(
          Math.max(1, Math.min(attemptTimeoutMs, deadline - Date.now())),
          gateway.send({ to: message.to, text: message.text, reference: message.reference ?? id }),
        ).catch((error: unknown) =>
          error instanceof GatewayTimeout
            ? { status: 'rejected', reason: error.message, retryable: false }
            : { status: 'rejected', reason: `gateway error: ${(error as Error).message}`, retryable: true },
        );
        if (result.status === 'accepted') {
          record.lastError = null;
          await outcome('sent', result.gatewayMessageId);
          countSms(this.tenant.code, gatewayId, message.purpose, 'sent');
          this.log.debug({ smsId: id, gateway: gatewayId, attempts: record.attempts, parts: result.parts }, 'sms sent');
          return { id, state: 'sent', gateway: gatewayId, parts: result.parts };
        }
        record.lastError = result.reason.slice(0, 200);
        countSms(this.tenant.code, gatewayId, message.purpose, 'failed');
        this.log.warn(
          { smsId: id, gateway: gatewayId, attempt, retryable: result.retryable, reason: record.lastError },
          'sms not accepted',
        );
        if (!result.retryable) break;
        if (attempt < attemptsPerGateway) {
          const wait = backoffMs * 2 ** (attempt - 1);
          await sleep(Math.min(wait + randomInt(0, Math.max(1, Math.floor(wait / 2))), Math.max(0, deadline - Date.now())));
        }
      }
    }
    await outcome('failed', null);
    this.log.error({ smsId: id, attempts: record.attempts, purpose: message.purpose }, 'sms could not be sent through any gateway');
    return { id, state: 'failed', gateway: record.gateway ?? undefined };
  }
}

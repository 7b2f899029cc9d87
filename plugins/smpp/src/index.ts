/**
 * SMPP gateway: an SMPP 3.4 client (ESME) on the `smpp` package. It binds to the operator's SMSC
 * on the first send and keeps the session: enquire_link keep-alives, reconnection with capped
 * exponential back-off, delivery receipts kept in plugin storage and reported to core.
 *
 * Texts go as GSM 03.38 (data_coding 0) when every character allows it, else UCS-2 (data_coding 8);
 * long texts go as concatenated parts with a UDH (see encoding.ts). Nothing logged ever holds the
 * phone number or the text: only message ids, part counts, encodings and statuses.
 */
import {
  defineSmsGateway,
  type PluginContext,
  type PluginHealth,
  type SendResult,
  type SmsGateway,
  type SmsMessage,
} from '@teeka/plugin-sdk';
import smpp from 'smpp';
import { MAX_PARTS, planMessage, shortMessages } from './encoding.js';
import { type DeliveryReceipt, isDeliveryReceipt, parseReceipt, receiptOutcome } from './receipt.js';

export * from './encoding.js';
export * from './receipt.js';

export interface SmppConfig {
  host: string;
  port: number;
  systemId: string;
  systemType?: string;
  bindMode?: 'transmitter' | 'transceiver';
  /** Sender id: an alphanumeric name or a number. */
  sourceAddress: string;
  sourceTon?: number;
  sourceNpi?: number;
  enquireLinkSeconds?: number;
  reconnect?: { initialMs?: number; maxMs?: number };
  submitTimeoutMs?: number;
  requestDeliveryReceipts?: boolean;
}

/** The config with every default applied (the host applies the schema's defaults too). */
export type ResolvedSmppConfig = Required<Omit<SmppConfig, 'reconnect'>> & { reconnect: { initialMs: number; maxMs: number } };

export function resolveConfig(config: SmppConfig): ResolvedSmppConfig {
  return {
    host: config.host,
    port: config.port,
    systemId: config.systemId,
    systemType: config.systemType ?? '',
    bindMode: config.bindMode ?? 'transceiver',
    sourceAddress: config.sourceAddress,
    sourceTon: config.sourceTon ?? 5,
    sourceNpi: config.sourceNpi ?? 0,
    enquireLinkSeconds: config.enquireLinkSeconds ?? 30,
    reconnect: { initialMs: config.reconnect?.initialMs ?? 500, maxMs: config.reconnect?.maxMs ?? 30_000 },
    submitTimeoutMs: config.submitTimeoutMs ?? 10_000,
    requestDeliveryReceipts: config.requestDeliveryReceipts ?? true,
  };
}

/** Storage collection holding the delivery receipts. */
export const RECEIPTS_COLLECTION = 'receipts';
/** How many receipts `receipts()` returns when no limit is given. */
export const DEFAULT_RECEIPTS_LIMIT = 100;

/** SMPP 3.4 interface_version sent in the bind (the library's default is 0x50, SMPP 5.0). */
const INTERFACE_VERSION = 0x34;
const ESM_CLASS_UDH_INDICATOR = 0x40;
/** Destination addresses are E.164 numbers: TON international, NPI ISDN (E.164). */
const TON_INTERNATIONAL = 1;
const NPI_ISDN = 1;
/** How long close() waits for the SMSC's unbind_resp, then for the socket to close. */
const CLOSE_GRACE_MS = 1000;

const STATUS_NAMES = new Map<number, string>(Object.entries(smpp.errors).map(([name, code]) => [code, name]));
const ESME_RINVBNDSTS = smpp.errors.ESME_RINVBNDSTS!;
const ESME_RX_T_APPN = smpp.errors.ESME_RX_T_APPN!;

/** The name of a command_status, e.g. `ESME_RTHROTTLED`, or its hex value when the library has no name (vendor codes). */
export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `ESME_0x${status.toString(16).padStart(8, '0').toUpperCase()}`;
}

/**
 * Statuses worth trying again later: throttling, full queues, system and temporary application
 * errors, bind-state trouble. Everything else (invalid destination, invalid data coding, prohibited,
 * unknown vendor codes...) would fail again the same way.
 */
const TEMPORARY_STATUSES = new Set(
  [
    'ESME_RINVBNDSTS',
    'ESME_RALYBND',
    'ESME_RSYSERR',
    'ESME_RBINDFAIL',
    'ESME_RMSGQFUL',
    'ESME_RSUBMITFAIL',
    'ESME_RTHROTTLED',
    'ESME_RX_T_APPN',
    'ESME_RDELIVERYFAILURE',
    'ESME_RUNKNOWNERR',
    'ESME_RSERTYPUNAVAIL',
  ].map((name) => smpp.errors[name]),
);

export function isRetryableStatus(status: number): boolean {
  return TEMPORARY_STATUSES.has(status);
}

/** Bind refusals that mean the credentials are wrong: binding again at once would be refused again. */
const CREDENTIAL_STATUSES = new Set(['ESME_RINVPASWD', 'ESME_RINVSYSID', 'ESME_RINVSYSTYP'].map((name) => smpp.errors[name]));

type Rejected = Extract<SendResult, { status: 'rejected' }>;
const rejected = (reason: string, retryable: boolean): Rejected => ({ status: 'rejected', reason, retryable });
const isRejected = (value: smpp.Session | Rejected): value is Rejected => (value as Rejected).status === 'rejected';

type State = 'idle' | 'connecting' | 'bound' | 'closed';

interface BindWaiter {
  settle(outcome: smpp.Session | Rejected): void;
}

type SubmitOutcome = { ok: true; messageId: string } | { ok: false; result: Rejected } | { ok: false; notSent: true };

interface PendingSubmit {
  settle(outcome: SubmitOutcome): void;
}

export class SmppGateway implements SmsGateway {
  private readonly config: ResolvedSmppConfig;
  private state: State = 'idle';
  private session: smpp.Session | undefined;
  /** Connection attempts that failed since the last successful bind: the back-off exponent. */
  private failures = 0;
  private lastError: string | undefined;
  /** After the SMSC refused the credentials: sends fail at once with this reason until `until`. */
  private blocked: { reason: string; until: number } | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private enquireLinkTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<BindWaiter>();
  private readonly pending = new Set<PendingSubmit>();
  private nextReference: number;
  private closing: Promise<void> | undefined;

  constructor(private readonly context: PluginContext<SmppConfig>) {
    this.config = resolveConfig(context.config);
    this.nextReference = Math.floor(Math.random() * 256);
  }

  async send(message: SmsMessage): Promise<SendResult> {
    if (typeof message?.to !== 'string' || typeof message.text !== 'string') {
      return rejected('message needs a string `to` and `text`', false);
    }
    const destination = message.to.replace(/^\+/, '');
    if (!/^[0-9]{1,20}$/.test(destination)) return rejected('`to` must be an E.164 number', false);

    const plan = planMessage(message.text);
    if (plan.segments.length > MAX_PARTS) {
      return rejected(`message too long: ${plan.segments.length} parts, at most ${MAX_PARTS}`, false);
    }
    const reference = this.nextReference;
    this.nextReference = (this.nextReference + 1) % 256;
    const bodies = shortMessages(plan, reference);
    const parts = bodies.length;
    const deadline = Date.now() + this.config.submitTimeoutMs;
    const messageIds: string[] = [];

    for (let index = 0; index < parts; ) {
      const session = await this.boundSession(deadline);
      if (isRejected(session)) {
        this.context.logger.warn('SMPP message not sent', {
          reference: message.reference,
          parts,
          sentParts: index,
          reason: session.reason,
        });
        return session;
      }
      const last = index === parts - 1;
      const outcome = await this.submit(
        session,
        {
          source_addr_ton: this.config.sourceTon,
          source_addr_npi: this.config.sourceNpi,
          source_addr: this.config.sourceAddress,
          dest_addr_ton: TON_INTERNATIONAL,
          dest_addr_npi: NPI_ISDN,
          destination_addr: destination,
          esm_class: parts > 1 ? ESM_CLASS_UDH_INDICATOR : 0,
          // One receipt per message: for the last part, whose id is the message's gatewayMessageId.
          registered_delivery: this.config.requestDeliveryReceipts && last ? 1 : 0,
          data_coding: plan.dataCoding,
          short_message: bodies[index],
        },
        deadline,
      );
      if (outcome.ok) {
        messageIds.push(outcome.messageId);
        index += 1;
        continue;
      }
      // Nothing was written (the session had just gone): wait for the reconnection and try again.
      if ('notSent' in outcome) continue;
      this.context.logger.warn('SMPP message rejected', {
        reference: message.reference,
        parts,
        sentParts: index,
        reason: outcome.result.reason,
        retryable: outcome.result.retryable,
      });
      return outcome.result;
    }

    const gatewayMessageId = messageIds.at(-1)!;
    this.context.logger.info('SMPP message accepted by the SMSC', {
      gatewayMessageId,
      partMessageIds: parts > 1 ? messageIds : undefined,
      reference: message.reference,
      encoding: plan.encoding,
      parts,
    });
    return { status: 'accepted', gatewayMessageId, parts };
  }

  /** Delivery receipts kept so far, newest first, at most `limit`. */
  async receipts(limit: number = DEFAULT_RECEIPTS_LIMIT): Promise<DeliveryReceipt[]> {
    const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : DEFAULT_RECEIPTS_LIMIT;
    if (count === 0) return [];
    const records = await this.context.storage.list<DeliveryReceipt>(RECEIPTS_COLLECTION, { limit: count });
    return records.map(({ data }) => data);
  }

  async health(): Promise<PluginHealth> {
    const where = `${this.config.host}:${this.config.port}`;
    switch (this.state) {
      case 'bound':
        return { ok: true, detail: `bound as ${this.config.bindMode} to ${where}` };
      case 'connecting':
        return { ok: false, detail: `connecting to ${where}${this.lastError ? ` (last error: ${this.lastError})` : ''}` };
      case 'idle':
        return {
          ok: false,
          detail: this.blocked ? `not bound to ${where}: ${this.blocked.reason}` : `not connected to ${where} yet: binds on the first send`,
        };
      case 'closed':
        return { ok: false, detail: 'closed' };
    }
  }

  /** Unbinds, closes the connection and stops every timer. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasBound = this.state === 'bound';
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.stopEnquireLink();
    const closed = rejected('the SMPP gateway is closed', true);
    for (const waiter of [...this.waiters]) waiter.settle(closed);
    for (const submit of [...this.pending]) submit.settle({ ok: false, result: closed });

    const session = this.session;
    this.session = undefined;
    if (!session) return;
    if (wasBound) {
      // Unbind politely; an SMSC that does not answer gets CLOSE_GRACE_MS.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, CLOSE_GRACE_MS);
        if (!session.unbind({}, done)) done();
      });
    }
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) return resolve();
      const timer = setTimeout(() => session.destroy(), CLOSE_GRACE_MS);
      session.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (wasBound) session.close();
      else session.destroy();
    });
    this.context.logger.info('SMPP gateway closed', { host: this.config.host, port: this.config.port });
  }

  /** The bound session, connecting first if needed; a rejection when it cannot be had by `deadline`. */
  private boundSession(deadline: number): Promise<smpp.Session | Rejected> | smpp.Session | Rejected {
    if (this.state === 'closed') return rejected('the SMPP gateway is closed', true);
    if (this.state === 'bound' && this.session) return this.session;
    if (this.state === 'idle') {
      if (this.blocked && Date.now() < this.blocked.until) return rejected(this.blocked.reason, false);
      this.blocked = undefined;
      this.state = 'connecting';
      this.connect();
    }
    const wait = deadline - Date.now();
    return new Promise((resolve) => {
      const waiter: BindWaiter = {
        settle: (outcome) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(outcome);
        },
      };
      const timer = setTimeout(
        () => {
          const cause = this.lastError ? ` (last error: ${this.lastError})` : '';
          waiter.settle(rejected(`not bound to the SMSC within ${this.config.submitTimeoutMs} ms${cause}`, true));
        },
        Math.max(0, wait),
      );
      this.waiters.add(waiter);
    });
  }

  private settleWaiters(outcome: smpp.Session | Rejected): void {
    for (const waiter of [...this.waiters]) waiter.settle(outcome);
  }

  /** Opens a connection and binds. Whatever happens, the session's `close` brings the next step. */
  private connect(): void {
    const { host, port } = this.config;
    const session = smpp.connect({ host, port });
    this.session = session;
    // No bind_resp in time (or no TCP connection at all): give up on this attempt.
    const bindTimer = setTimeout(() => {
      this.lastError = 'no bind_resp in time';
      session.destroy();
    }, this.config.submitTimeoutMs);
    bindTimer.unref();

    session.on('connect', () => {
      const bind = this.config.bindMode === 'transmitter' ? 'bind_transmitter' : 'bind_transceiver';
      session[bind](
        {
          system_id: this.config.systemId,
          password: this.context.secrets.password ?? '',
          system_type: this.config.systemType,
          interface_version: INTERFACE_VERSION,
        },
        (pdu) => {
          clearTimeout(bindTimer);
          if (this.session !== session || this.state === 'closed') return;
          if (pdu.command_status === 0) this.onBound(session);
          else this.onBindRefused(session, pdu.command_status);
        },
      );
    });
    session.on('error', (error: NodeJS.ErrnoException) => {
      // Socket errors are followed by `close`; a PDU the library cannot parse leaves the session
      // stuck, so destroy it either way and let `close` reconnect.
      this.lastError = error.code ?? error.message;
      session.destroy();
    });
    session.on('close', () => {
      clearTimeout(bindTimer);
      this.onClose(session);
    });
    session.on('enquire_link', (pdu: smpp.PDU) => {
      session.send(pdu.response());
    });
    session.on('unbind', (pdu: smpp.PDU) => {
      // The SMSC ends the session (maintenance, rebalancing): acknowledge, close and reconnect.
      this.context.logger.warn('SMPP unbind from the SMSC', { host, port });
      session.send(pdu.response(), () => session.close());
    });
    session.on('deliver_sm', (pdu: smpp.PDU) => {
      void this.onDeliverSm(session, pdu);
    });
    session.on('unknown', (pdu: smpp.PDU) => {
      if (!pdu.isResponse()) session.send(pdu.response()); // generic_nack, ESME_RINVCMDID
    });
  }

  private onBound(session: smpp.Session): void {
    this.state = 'bound';
    this.failures = 0;
    this.lastError = undefined;
    this.startEnquireLink(session);
    this.context.logger.info('SMPP bound', { host: this.config.host, port: this.config.port, bindMode: this.config.bindMode });
    this.settleWaiters(session);
  }

  private onBindRefused(session: smpp.Session, status: number): void {
    const name = statusName(status);
    const credentials = CREDENTIAL_STATUSES.has(status);
    const reason = `bind refused by the SMSC: ${name}${credentials ? ' (check systemId, systemType and the password secret)' : ''}`;
    this.lastError = reason;
    this.context.logger.error('SMPP bind refused', { host: this.config.host, port: this.config.port, status: name });
    // The sends waiting for this bind learn at once; they need not wait for their timeout.
    this.settleWaiters(rejected(reason, !credentials));
    if (credentials) {
      // Binding again would be refused again: stay unbound, and let a send try again after the back-off.
      this.blocked = { reason, until: Date.now() + this.backoff() };
      this.failures += 1;
    }
    this.drop(session);
  }

  /**
   * Destroys a session and moves on at once, without waiting for its `close` event: a send arriving
   * in between must not find (and wait on) a session that is already finished.
   */
  private drop(session: smpp.Session): void {
    session.destroy();
    this.onClose(session);
  }

  private onClose(session: smpp.Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.stopEnquireLink();
    const lost = rejected('connection to the SMSC lost before the submit_sm_resp', true);
    for (const submit of [...this.pending]) submit.settle({ ok: false, result: lost });
    if (this.state === 'closed') return;

    if (this.blocked) {
      this.state = 'idle';
      this.settleWaiters(rejected(this.blocked.reason, false));
      return;
    }
    const wasBound = this.state === 'bound';
    this.state = 'connecting';
    const delay = this.backoff();
    this.failures += 1;
    this.context.logger.warn(wasBound ? 'SMPP connection lost, reconnecting' : 'SMPP connection failed, retrying', {
      host: this.config.host,
      port: this.config.port,
      error: this.lastError,
      retryInMs: delay,
    });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'connecting' && !this.session) this.connect();
    }, delay);
    // A gateway nobody uses must not keep the process alive only to reconnect.
    this.reconnectTimer.unref();
  }

  /** Capped exponential back-off with a little jitter, so many tenants do not reconnect in step. */
  private backoff(): number {
    const { initialMs, maxMs } = this.config.reconnect;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures, 30));
    return Math.round(delay * (0.8 + 0.2 * Math.random()));
  }

  private startEnquireLink(session: smpp.Session): void {
    this.stopEnquireLink();
    const interval = this.config.enquireLinkSeconds * 1000;
    this.enquireLinkTimer = setInterval(() => {
      // No enquire_link_resp in time: the link is dead even if TCP has not noticed; start over.
      const timer = setTimeout(
        () => {
          this.lastError = 'no enquire_link_resp in time';
          this.drop(session);
        },
        Math.min(interval, this.config.submitTimeoutMs),
      );
      timer.unref();
      if (!session.enquire_link({}, () => clearTimeout(timer))) clearTimeout(timer);
    }, interval);
    this.enquireLinkTimer.unref();
  }

  private stopEnquireLink(): void {
    clearInterval(this.enquireLinkTimer);
    this.enquireLinkTimer = undefined;
  }

  /** Sends one submit_sm and waits for its response until `deadline`. */
  private submit(session: smpp.Session, parameters: Record<string, unknown>, deadline: number): Promise<SubmitOutcome> {
    return new Promise((resolve) => {
      const entry: PendingSubmit = {
        settle: (outcome) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          resolve(outcome);
        },
      };
      const timer = setTimeout(
        () => entry.settle({ ok: false, result: rejected(`timeout: no submit_sm_resp within ${this.config.submitTimeoutMs} ms`, true) }),
        Math.max(0, deadline - Date.now()),
      );
      this.pending.add(entry);
      const written = session.send(new smpp.PDU('submit_sm', parameters), (response) => {
        const status = response.command_status;
        if (status === 0) return entry.settle({ ok: true, messageId: String(response.message_id ?? '') });
        entry.settle({ ok: false, result: rejected(statusName(status), isRetryableStatus(status)) });
        // The SMSC no longer sees us as bound: bind again for the next send.
        if (status === ESME_RINVBNDSTS) this.drop(session);
      });
      if (!written) {
        // The socket is gone but its `close` has not come yet: forget the session now, so that the
        // caller waits for the reconnection instead of finding the same dead session again.
        entry.settle({ ok: false, notSent: true });
        this.drop(session);
      }
    });
  }

  private async onDeliverSm(session: smpp.Session, pdu: smpp.PDU): Promise<void> {
    let status = 0;
    if (isDeliveryReceipt(pdu.esm_class)) {
      const fields = parseReceipt(pdu);
      if (fields) {
        const receipt: DeliveryReceipt = { ...fields, at: new Date().toISOString() };
        try {
          await this.context.storage.append(RECEIPTS_COLLECTION, receipt);
          this.context.logger.info('SMPP delivery receipt', {
            gatewayMessageId: receipt.gatewayMessageId,
            status: receipt.status,
            error: receipt.error,
          });
          const outcome = receiptOutcome(receipt.status);
          if (outcome && typeof this.context.reportDelivery === 'function') {
            this.context.reportDelivery({ gatewayMessageId: receipt.gatewayMessageId, status: outcome, detail: receipt.status });
          }
        } catch (error) {
          // Not kept: answer with a temporary error so that the SMSC delivers the receipt again.
          status = ESME_RX_T_APPN;
          this.context.logger.warn('SMPP delivery receipt not stored', {
            gatewayMessageId: receipt.gatewayMessageId,
            error: (error as Error).message,
          });
        }
      } else {
        this.context.logger.warn('SMPP delivery receipt without an id or a state, ignored');
      }
    } else {
      // A message from a phone (mobile originated): this gateway only sends; acknowledge it.
      this.context.logger.debug('SMPP mobile-originated message ignored');
    }
    session.send(pdu.response(status ? { command_status: status } : {}));
  }
}

export default defineSmsGateway<SmppConfig>({
  create: (context) => new SmppGateway(context),
});

/**
 * A small but real SMSC for the tests, on the `smpp` package's own server: it checks binds,
 * records every submit_sm (decoded by the library, independently of the plugin's encoder), answers
 * message ids or the statuses a test asks for, answers enquire_link and unbind, and can send
 * delivery receipts or drop its connections.
 */
import type { AddressInfo } from 'node:net';
import smpp from 'smpp';

export interface ReceivedBind {
  command: string;
  systemId: string;
  password: string;
  systemType: string;
  interfaceVersion: number;
}

/** One submit_sm as the SMSC decoded it. */
export interface ReceivedPart {
  session: number;
  destination: string;
  destTon: number;
  destNpi: number;
  source: string;
  sourceTon: number;
  sourceNpi: number;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  /** The concatenation information element (IEI 0x00), when the part has one. */
  concat?: { reference: number; total: number; sequence: number };
  /** The whole UDH as received (information elements), for tests that look at the bytes. */
  udh: Buffer[];
  text: string;
  messageId: string;
}

export interface FakeSmscOptions {
  systemId?: string;
  password?: string;
  /** 0 (the default) lets the system choose a free port. */
  port?: number;
}

export class FakeSmsc {
  readonly binds: ReceivedBind[] = [];
  readonly parts: ReceivedPart[] = [];
  /** How many enquire_link the clients sent. */
  enquireLinks = 0;
  unbinds = 0;
  /** Statuses to answer the next submit_sm with, in order (0 answers normally). */
  readonly submitStatuses: number[] = [];
  /** When true, submit_sm get no answer at all. */
  silent = false;
  /** When false, enquire_link get no answer. */
  answerEnquireLinks = true;
  private readonly server: smpp.Server;
  private readonly bound = new Set<smpp.Session>();
  private readonly sessionIds = new Map<smpp.Session, number>();
  private nextMessageId = 0x5e1000;

  private constructor(private readonly options: Required<Omit<FakeSmscOptions, 'port'>>) {
    this.server = smpp.createServer((session) => this.onSession(session));
    this.server.on('error', () => {});
  }

  static async start(options: FakeSmscOptions = {}): Promise<FakeSmsc> {
    const smsc = new FakeSmsc({ systemId: options.systemId ?? 'teeka', password: options.password ?? 'secret' });
    await new Promise<void>((resolve) => smsc.server.listen(options.port ?? 0, '127.0.0.1', resolve));
    return smsc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Sessions currently bound. */
  get sessions(): smpp.Session[] {
    return [...this.bound];
  }

  /**
   * Whole messages as a phone would show them: parts of a concatenated message joined in sequence
   * order (by session and reference), once every part has arrived.
   */
  messages(): { to: string; text: string }[] {
    const whole: { to: string; text: string }[] = [];
    const groups = new Map<string, ReceivedPart[]>();
    for (const part of this.parts) {
      const to = part.destTon === 1 ? `+${part.destination}` : part.destination;
      if (!part.concat) {
        whole.push({ to, text: part.text });
        continue;
      }
      const key = `${part.session}/${part.destination}/${part.concat.reference}/${part.concat.total}`;
      const group = groups.get(key) ?? [];
      group.push(part);
      groups.set(key, group);
      if (group.length === part.concat.total) {
        const ordered = [...group].sort((a, b) => a.concat!.sequence - b.concat!.sequence);
        whole.push({ to, text: ordered.map((p) => p.text).join('') });
        groups.delete(key);
      }
    }
    return whole;
  }

  /** Destroys every connection, as a crashing SMSC or a broken network would. */
  dropConnections(): void {
    for (const session of this.server.sessions) session.destroy();
  }

  /** Sends a deliver_sm to the first bound session; resolves with the client's deliver_sm_resp status. */
  deliver(options: Record<string, unknown>): Promise<number> {
    const [session] = this.bound;
    if (!session) return Promise.reject(new Error('no bound session'));
    return new Promise((resolve) => session.deliver_sm(options, (pdu) => resolve(pdu.command_status)));
  }

  /** Sends a delivery receipt in the SMPP 3.4 Appendix B text format. */
  sendReceipt(messageId: string, stat: string, err = '000'): Promise<number> {
    return this.deliver({
      source_addr: '919876543210',
      destination_addr: 'TEEKA',
      esm_class: 0x04,
      short_message: `id:${messageId} sub:001 dlvrd:001 submit date:2411231200 done date:2411231201 stat:${stat} err:${err} text:Your Teeka code is 4`,
    });
  }

  /** Asks the client something and resolves with the response's status (undefined when none comes in time). */
  request(command: 'enquire_link' | 'unbind', timeoutMs = 2000): Promise<number | undefined> {
    const [session] = this.bound;
    if (!session) return Promise.reject(new Error('no bound session'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      session[command]({}, (pdu) => {
        clearTimeout(timer);
        resolve(pdu.command_status);
      });
    });
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onSession(session: smpp.Session): void {
    this.sessionIds.set(session, this.sessionIds.size + 1);
    // A client that disappears makes the server side emit ECONNRESET: expected here.
    session.on('error', () => {});
    session.on('close', () => this.bound.delete(session));
    const onBind = (pdu: smpp.PDU) => {
      this.binds.push({
        command: pdu.command,
        systemId: String(pdu.system_id),
        password: String(pdu.password),
        systemType: String(pdu.system_type),
        interfaceVersion: Number(pdu.interface_version),
      });
      const status =
        pdu.system_id !== this.options.systemId
          ? smpp.errors.ESME_RINVSYSID
          : pdu.password !== this.options.password
            ? smpp.errors.ESME_RINVPASWD
            : 0;
      if (status) {
        session.send(pdu.response({ command_status: status }), () => session.close());
        return;
      }
      this.bound.add(session);
      session.send(pdu.response({ system_id: 'FAKESMSC' }));
    };
    session.on('bind_transceiver', onBind);
    session.on('bind_transmitter', onBind);
    session.on('submit_sm', (pdu: smpp.PDU) => this.onSubmit(session, pdu));
    session.on('enquire_link', (pdu: smpp.PDU) => {
      this.enquireLinks += 1;
      if (this.answerEnquireLinks) session.send(pdu.response());
    });
    session.on('unbind', (pdu: smpp.PDU) => {
      this.unbinds += 1;
      this.bound.delete(session);
      session.send(pdu.response(), () => session.close());
    });
  }

  private onSubmit(session: smpp.Session, pdu: smpp.PDU): void {
    if (!this.bound.has(session)) {
      session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
      return;
    }
    const decoded = pdu.short_message as smpp.DecodedMessage;
    const udh = decoded.udh ?? [];
    const concatIe = udh.find((ie) => ie[0] === 0x00 && ie[1] === 0x03);
    const messageId = (this.nextMessageId++).toString(16);
    this.parts.push({
      session: this.sessionIds.get(session)!,
      destination: String(pdu.destination_addr),
      destTon: Number(pdu.dest_addr_ton),
      destNpi: Number(pdu.dest_addr_npi),
      source: String(pdu.source_addr),
      sourceTon: Number(pdu.source_addr_ton),
      sourceNpi: Number(pdu.source_addr_npi),
      dataCoding: Number(pdu.data_coding),
      esmClass: Number(pdu.esm_class),
      registeredDelivery: Number(pdu.registered_delivery),
      concat: concatIe ? { reference: concatIe[2]!, total: concatIe[3]!, sequence: concatIe[4]! } : undefined,
      udh,
      text: typeof decoded.message === 'string' ? decoded.message : decoded.message.toString('latin1'),
      messageId,
    });
    if (this.silent) return;
    const status = this.submitStatuses.shift() ?? 0;
    session.send(pdu.response(status ? { command_status: status } : { message_id: messageId }));
  }
}
